/**
 * Command-line parsing for proxysim, on node:util's parseArgs.
 *
 * Commands and their flags are data (COMMANDS below): a new command (hunt, stress, merge, bench) is
 * one more table entry plus a member of the `Command` union. parseArgs of node:util splits the
 * arguments into tokens (its options config is built from the table); the values are then converted
 * and checked here. Both `--flag value` and `--flag=value` are accepted; a list flag may be repeated
 * and takes comma-separated values; `--help`/`-h` anywhere asks for the help of the command it
 * follows; `--` ends the flags. Every error is a UsageError with one line saying what was wrong and
 * what is allowed.
 *
 * parseArgs() takes the arguments after the program name (process.argv.slice(2)).
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { parseDuration } from '../workload/duration.ts';
import { MAX_CPUS } from '../workload/validate.ts';
import { BUILTINS, findBuiltin } from '../workload/builtin/index.ts';
import { EXIT, UsageError } from '../errors.ts';
import { DEFAULT_DESIGN } from '../proxy/index.ts';
import { MAX_BUG, bugName, parseBugName } from '../proxy/bugs.ts';
import { COMPARE_DEFAULTS, STRESS_DEFAULTS, STRESS_EXCLUDED_STRATEGIES } from '../../stress/default.ts';
import { clip, didYouMean, quote } from '../messages.ts';

export const PROG = 'proxysim';
export const DEFAULT_STRATEGY = DEFAULT_DESIGN;
/** Run length when neither --duration nor the scenario gives one. */
export const DEFAULT_DURATION = '2s';
export const DEFAULT_CHAOS_MAX = '100us';
export const MAX_SEED = 0xffff_ffff;

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export interface RunOptions {
  /** Built-in scenario name or scenario file. */
  scenario: string;
  strategy: string;
  /** Overrides the scenario's CPU count. */
  cpus?: number;
  /** Run length in ns; undefined: the scenario's `duration`, else DEFAULT_DURATION. */
  duration?: number;
  /** uint32. */
  seed: number;
  /** True when the seed was not given (derived from the time): print it so the run can be replayed. */
  seedGenerated: boolean;
  json: boolean;
  /** File to write the event trace to. */
  trace?: string;
  /** Planted bugs, normalized ("BUG11"), without duplicates, in the order given. */
  bugs: string[];
  /** Probability (0..1) of a delay at each gate. */
  chaos: number;
  /** Longest injected delay, ns. */
  chaosMax: number;
  /** Gate windows (names or prefixes) where chaos applies; empty = all. */
  chaosWindows: string[];
  quiet: boolean;
  /** write the arena as JSON at the end of the run */
  dump?: string;
  /** write the events as Chrome trace-event JSON */
  traceJson?: string;
  /** I10 counted, not a violation, for design (c) too */
  countI10: boolean;
  /** where failure artifacts go */
  artifactDir: string;
  /** free (the CPUs race in real time) or a controlled executor (one step at a time, virtual time) */
  executor: RunExecutor;
  /** pct: bug depth d (d - 1 priority change points) */
  depth: number;
  /** exhaustive: the preemption bound k */
  preemptions: number;
  /** exhaustive: stop after this many schedules */
  maxSchedules: number;
  /** free: keep the global order of steps and the clock reads, so that `replay` can follow them */
  record: boolean;
}

export const RUN_EXECUTORS = ['free', 'random', 'pct', 'exhaustive'] as const;
export type RunExecutor = typeof RUN_EXECUTORS[number];

export interface ReplayOptions {
  artifact: string;
  /** replay this many times (each must reproduce) */
  times: number;
  /** steps drawn before the violation */
  last: number;
  json: boolean;
}

export interface ShrinkOptions {
  artifact: string;
  /** wall time the search may take, ns */
  budget: number;
  /** where the smaller artifact and scenario go (default: beside the artifact) */
  out?: string;
  json: boolean;
}

export interface HuntOptions {
  /** per run, ns */
  budget: number;
  runs: number;
  json: boolean;
  /** restrict to these bugs (BUGn); empty = all */
  bugs: string[];
  /** skip the clean runs of the correct designs */
  bugsOnly: boolean;
  seed: number;
  artifactDir: string;
  /** the executors to run the matrix under, in order (side by side when more than one) */
  executors: ('free' | 'random' | 'pct')[];
  /** pct: the bug depth d (d-1 priority change points) */
  depth: number;
  /** pct: one horizon (steps) for the change points of every run; undefined: per case (src/hunt/hunt.ts) */
  pctSteps?: number;
  /** runs per case under pct (--runs when given) */
  pctRuns: number;
}

export interface ListOptions {
  json: boolean;
}

export interface StressOptions {
  /** strategies as given ('all' expands to every design); null: the default set (stress/default.ts) */
  strategies: string[] | null;
  /** built-in scenario names as given, canonical ('all' expands to every built-in); null: the default set */
  scenarios: string[] | null;
  /** seeds per (strategy, scenario) */
  seeds: number;
  firstSeed: number;
  /** per run, ns */
  duration: number;
  cpus?: number;
  /** runs at a time */
  jobs: number;
  /** [k, N]: run only shard k of N */
  shard: [number, number] | null;
  chaos: number;
  chaosMax: number;
  /** result directory (default: a new reports/<time>/) */
  out?: string;
  /** period of the status lines when stderr is not a terminal, ns */
  statInterval: number;
}

export interface CompareOptions {
  duration: number;
  seeds: number;
  firstSeed: number;
  jobs: number;
  out?: string;
  statInterval: number;
}

export interface MergeOptions {
  /** result directories (or results.json files) */
  inputs: string[];
  out?: string;
}

export type Command =
  | { command: 'run'; options: RunOptions }
  | { command: 'list'; options: ListOptions }
  | { command: 'hunt'; options: HuntOptions }
  | { command: 'stress'; options: StressOptions }
  | { command: 'compare'; options: CompareOptions }
  | { command: 'merge'; options: MergeOptions }
  | { command: 'replay'; options: ReplayOptions }
  | { command: 'shrink'; options: ShrinkOptions }
  /** `topic`: the command whose help is wanted (undefined: the general help). `implicit`: no
   *  arguments at all were given (print the help, but exit with EXIT.USAGE). */
  | { command: 'help'; topic?: string; implicit?: boolean };

export type CommandName = Command['command'];

/** Lists known only at run time (the registered proxy designs, bugs, gate windows). */
export interface ArgsContext {
  allowedStrategies?: readonly string[];
  allowedBugs?: readonly string[];
  /** Gate window names; --chaos-window must be one of them or a prefix of one. */
  allowedChaosWindows?: readonly string[];
  /** Where the default seed comes from (default: the time). */
  makeSeed?: () => number;
  /** The environment --shard auto reads (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

export type FlagType = 'string' | 'int' | 'float' | 'duration' | 'bool' | 'list';
/** Parsed values: string; number (int, float, and duration in ns); boolean; string[] (list). */
export type FlagValue = string | number | boolean | string[];

export interface FlagSpec {
  /** Without the dashes: 'cpus' is --cpus. */
  name: string;
  type: FlagType;
  /** Placeholder in the help, e.g. '<n>'. */
  metavar?: string;
  help: string;
  /** Value when the flag is absent (durations as text, e.g. '100us'). */
  default?: string | number | boolean | string[];
  /** How the help describes the default when it is not a literal. */
  defaultText?: string;
  required?: boolean;
  /** Bounds for int and float; for duration, in ns. */
  min?: number;
  max?: number;
  /** What a string value must be, for messages ("a built-in scenario name or a scenario file"). */
  expect?: string;
  /** What a string/list value is called in messages ("strategy"). */
  noun?: string;
  /** Allowed values of a string/list flag, when known (from the context). */
  choices?: (ctx: ArgsContext) => readonly string[] | undefined;
  /** Extra check/normalization of one string (or list element) value: return the value to keep,
   *  or throw an Error whose message completes "--flag: ". */
  normalize?: (value: string, ctx: ArgsContext) => string;
}

export interface CommandSpec {
  name: CommandName;
  summary: string;
  /** Synopsis after the program name. */
  synopsis: string;
  description: string;
  flags: FlagSpec[];
  /** Positional arguments: name for the help, and how many at most. */
  positionals?: { name: string; help: string; max: number };
  examples: string[];
  build(values: ReadonlyMap<string, FlagValue>, positionals: string[], ctx: ArgsContext): Command;
}

const HELP_FLAG: FlagSpec = { name: 'help', type: 'bool', help: 'Show this help.' };

function str(values: ReadonlyMap<string, FlagValue>, name: string): string | undefined {
  return values.get(name) as string | undefined;
}

function num(values: ReadonlyMap<string, FlagValue>, name: string): number | undefined {
  return values.get(name) as number | undefined;
}

function defaultSeed(): number {
  const t = process.hrtime.bigint();
  return (Number(t & 0xffff_ffffn) ^ Math.imul(Date.now() | 0, 0x9e3779b1) ^ (process.pid << 16)) >>> 0;
}

/** Most shards of a campaign (--shard k/N: N). */
export const MAX_SHARDS = 10_000;

const shardRange = `1 <= k <= N <= ${MAX_SHARDS}`;

/** A decimal count in 1..max, from a flag or the environment; null if it is not one. */
function decimalIn(v: string, min: number, max: number): number | null {
  if (!/^[0-9]+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

/** "k/N" -> [k, N] with 1 <= k <= N <= MAX_SHARDS, decimal; throws an Error whose message completes "--shard: ". */
function parseShardText(v: string): [number, number] {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v.trim());
  if (m === null) throw new Error(`expected k/N (e.g. 1/4) or auto or auto/N, got ${quote(v)}`);
  const n = decimalIn(m[2], 1, MAX_SHARDS);
  const k = n === null ? null : decimalIn(m[1], 1, n);
  if (n === null || k === null) throw new Error(`expected k/N with ${shardRange} (e.g. 1/4), got ${quote(v)}`);
  return [k, n];
}

/** The environment variables --shard auto reads. */
export const SHARD_ENV = {
  /** Kubernetes Indexed Job: the pod's index, 0-based (set by Kubernetes) */
  k8sIndex: 'JOB_COMPLETION_INDEX',
  /** the Job's completions: NOT set by Kubernetes, give it in the pod's env (or use --shard auto/N) */
  k8sTotal: 'JOB_COMPLETIONS',
  /** GitLab CI `parallel:`: the job's index, 1-based, and the number of jobs */
  gitlabIndex: 'CI_NODE_INDEX',
  gitlabTotal: 'CI_NODE_TOTAL',
} as const;

/**
 * --shard auto or auto/N: the shard [k, N] (1-based) from the runner's environment. Kubernetes
 * Indexed Job: k = JOB_COMPLETION_INDEX + 1 (0-based there), N from auto/N or JOB_COMPLETIONS;
 * GitLab parallel jobs: k = CI_NODE_INDEX (1-based), N = CI_NODE_TOTAL (auto/N must agree). Kubernetes
 * is looked at first. A GitHub Actions matrix has no such variables: give --shard ${{ matrix.shard }}/N.
 * Throws a UsageError naming the variables it looked for, or the one that is wrong.
 */
export function shardFromEnv(text: string, env: Readonly<Record<string, string | undefined>>): [number, number] {
  const m = /^auto(?:\/([0-9]+))?$/.exec(text.trim());
  if (m === null) throw new UsageError(`--shard: expected k/N (e.g. 1/4) or auto or auto/N, got ${quote(text)}`);
  let given: number | null = null;
  if (m[1] !== undefined) {
    given = decimalIn(m[1], 1, MAX_SHARDS);
    if (given === null) throw new UsageError(`--shard: expected auto/N with 1 <= N <= ${MAX_SHARDS}, got ${quote(text)}`);
  }
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (name: string, want: string): UsageError =>
    new UsageError(`--shard ${text}: ${name}=${quote(env[name] ?? '')} is not ${want}`);
  const { k8sIndex, k8sTotal, gitlabIndex, gitlabTotal } = SHARD_ENV;
  const idx = get(k8sIndex);
  if (idx !== undefined) {
    const totalText = get(k8sTotal);
    let n = given;
    if (totalText !== undefined) {
      const t = decimalIn(totalText, 1, MAX_SHARDS);
      if (t === null) throw bad(k8sTotal, `a decimal integer 1..${MAX_SHARDS}`);
      if (n !== null && n !== t) throw new UsageError(`--shard ${text}: ${k8sTotal}=${t} says ${t} shards, the flag ${n}`);
      n = t;
    }
    if (n === null) {
      throw new UsageError(`--shard auto: ${k8sIndex} is set (a Kubernetes Indexed Job) but not the number of completions, `
        + `which Kubernetes does not export: set ${k8sTotal} in the pod's env, or give --shard auto/N`);
    }
    const i = decimalIn(idx, 0, n - 1);
    if (i === null) throw bad(k8sIndex, `a decimal integer 0..${n - 1} (0-based, ${n} completions)`);
    return [i + 1, n];
  }
  const gi = get(gitlabIndex);
  const gt = get(gitlabTotal);
  if (gi !== undefined || gt !== undefined) {
    if (gi === undefined || gt === undefined) {
      throw new UsageError(`--shard ${text}: ${gi === undefined ? gitlabTotal : gitlabIndex} is set but not `
        + `${gi === undefined ? gitlabIndex : gitlabTotal} (GitLab sets both for a job with "parallel:")`);
    }
    const n = decimalIn(gt, 1, MAX_SHARDS);
    if (n === null) throw bad(gitlabTotal, `a decimal integer 1..${MAX_SHARDS}`);
    if (given !== null && given !== n) throw new UsageError(`--shard ${text}: ${gitlabTotal}=${n} says ${n} shards, the flag ${given}`);
    const k = decimalIn(gi, 1, n);
    if (k === null) throw bad(gitlabIndex, `a decimal integer 1..${n} (1-based, ${gitlabTotal}=${n})`);
    return [k, n];
  }
  throw new UsageError(`--shard ${text}: no shard in the environment: looked for ${k8sIndex} (Kubernetes Indexed Job, `
    + `with ${k8sTotal} or --shard auto/N) and ${gitlabIndex} with ${gitlabTotal} (GitLab parallel); none is set. `
    + 'Elsewhere (a GitHub Actions matrix) give the shard: --shard k/N');
}

/** --executor and the flags that belong to one executor: a flag given for another is an error. */
function executorOptions(values: ReadonlyMap<string, FlagValue>): Pick<RunOptions, 'executor' | 'depth' | 'preemptions' | 'maxSchedules' | 'record'> {
  const executor = str(values, 'executor') as RunExecutor;
  const given = (name: string): boolean => values.has(`given:${name}`);
  const only: [string, RunExecutor][] = [['depth', 'pct'], ['preemptions', 'exhaustive'], ['max-schedules', 'exhaustive'], ['record', 'free']];
  for (const [flag, ex] of only) {
    if (given(flag) && executor !== ex) throw new UsageError(`--${flag} applies to --executor ${ex}, not to --executor ${executor}`);
  }
  if (executor !== 'free' && ((num(values, 'chaos') ?? 0) > 0 || given('chaos-window') || given('chaos-max'))) {
    throw new UsageError(`--chaos applies to --executor free: under --executor ${executor} the order of steps is the strategy's, not the host's`);
  }
  return {
    executor, depth: num(values, 'depth')!, preemptions: num(values, 'preemptions')!,
    maxSchedules: num(values, 'max-schedules')!, record: values.get('record') === true,
  };
}

/** A built-in scenario's canonical name (aliases and fuzz-<n> accepted), or 'all'. */
function scenarioName(v: string): string {
  if (v === 'all') return v;
  const b = findBuiltin(v);
  if (b !== undefined) return b.name;
  const names = BUILTINS.map((x) => x.name);
  throw new Error(`unknown scenario ${quote(v)} (allowed: all, ${names.join(', ')}, fuzz-<n>)`
    + didYouMean(v, names, (x) => x));
}

export const COMMANDS: CommandSpec[] = [
  {
    name: 'run',
    summary: 'Run one scenario on the simulated CPUs and check the invariants',
    synopsis: 'run --scenario <name|file> [options]',
    description:
      'Runs a scenario (a built-in or a JSON file) on one worker thread per simulated CPU, with the '
      + 'chosen proxy-execution design, checking the invariants continuously. Exits 0 when every '
      + 'check passed, 1 when a check failed.',
    flags: [
      {
        name: 'scenario', type: 'string', metavar: '<name|file>', required: true,
        expect: 'a built-in scenario name or a scenario file',
        help: 'A built-in scenario (see "proxysim list") or a scenario JSON file.',
      },
      {
        name: 'strategy', type: 'string', metavar: '<name>', default: DEFAULT_STRATEGY, noun: 'strategy',
        choices: (ctx) => ctx.allowedStrategies,
        help: 'Proxy-execution (return-migration) design to run.',
      },
      {
        name: 'cpus', type: 'int', metavar: '<n>', min: 1, max: MAX_CPUS, defaultText: "the scenario's",
        help: `Number of simulated CPUs, 1..${MAX_CPUS} (overrides the scenario).`,
      },
      {
        name: 'duration', type: 'duration', metavar: '<dur>', min: 1,
        defaultText: `the scenario's, else ${DEFAULT_DURATION}`,
        help: 'How long to run, e.g. 500ms, 2s.',
      },
      {
        name: 'seed', type: 'int', metavar: '<n>', min: 0, max: MAX_SEED,
        defaultText: 'derived from the time, and printed',
        help: `Seed of every random choice (a decimal integer 0..${MAX_SEED}); the same seed replays the same choices.`,
      },
      { name: 'json', type: 'bool', help: 'Print the result as JSON on stdout.' },
      { name: 'trace', type: 'string', metavar: '<file>', expect: 'a file name', help: 'Write the event trace to <file>.' },
      {
        name: 'bug', type: 'list', metavar: '<BUGn>', default: [], defaultText: 'none', noun: 'bug', expect: 'BUGn (e.g. BUG11)',
        choices: (ctx) => ctx.allowedBugs,
        normalize: (v) => {
          const n = parseBugName(v);
          if (n === null || n < 1 || n > MAX_BUG) {
            throw new Error(`expected BUGn with n 1..${MAX_BUG} (e.g. BUG11), got ${quote(v)}`);
          }
          return bugName(n);
        },
        help: 'Plant a known bug (spec section 6) to check that the checkers catch it. Repeatable; '
          + 'a comma-separated list also works.',
      },
      {
        name: 'chaos', type: 'float', metavar: '<p>', min: 0, max: 1, default: 0,
        help: 'Probability of a random delay at each race window (gate), 0..1.',
      },
      {
        name: 'chaos-max', type: 'duration', metavar: '<dur>', min: 1, max: 1e9, default: DEFAULT_CHAOS_MAX,
        help: 'Longest injected delay, up to 1s.',
      },
      {
        name: 'chaos-window', type: 'list', metavar: '<name>', default: [], defaultText: 'all windows',
        noun: 'gate window',
        normalize: (v, ctx) => {
          const all = ctx.allowedChaosWindows;
          if (all !== undefined && !all.some((w) => w === v || w.startsWith(v))) {
            throw new Error(`unknown gate window ${quote(v)} (windows: ${all.join(', ')})`);
          }
          return v;
        },
        help: 'Delay only at this gate window (a name, or a prefix such as "ttwu"). Repeatable.',
      },
      { name: 'quiet', type: 'bool', help: 'Print only the verdict and errors.' },
      { name: 'trace-json', type: 'string', metavar: '<file>', expect: 'a file name', help: 'Write the events as Chrome trace-event JSON (Perfetto, chrome://tracing) to <file>.' },
      { name: 'count-i10', type: 'bool', help: 'Count I10 (RUNNING with blocked_on set) instead of stopping on it, also for the ttwu-blocks designs, to see what follows.' },
      { name: 'dump', type: 'string', metavar: '<file>', expect: 'a file name', help: 'Write the whole arena (tasks, runqueues, mutexes) as JSON to <file> at the end.' },
      { name: 'artifact-dir', type: 'string', metavar: '<dir>', default: 'failures', expect: 'a directory', help: 'Where a failed run writes its failure artifact.' },
      {
        name: 'executor', type: 'string', metavar: '<name>', default: 'free', noun: 'executor',
        choices: () => RUN_EXECUTORS,
        help: 'free: the CPU workers race in real time (finds races). random, pct: the same workers take one '
          + 'step at a time in an order a seeded strategy chooses, on virtual time: the run is a pure function of '
          + 'scenario, strategy, bugs and seed (replays exactly, whatever the host load). exhaustive: every '
          + 'schedule with at most --preemptions preemptions (small scenarios).',
      },
      { name: 'depth', type: 'int', metavar: '<d>', min: 1, max: 64, default: 3, help: 'pct: the bug depth d (d-1 priority change points).' },
      { name: 'preemptions', type: 'int', metavar: '<k>', min: 0, max: 8, default: 1, help: 'exhaustive: at most k preemptions per schedule.' },
      { name: 'max-schedules', type: 'int', metavar: '<n>', min: 1, max: 10_000_000, default: 2000, help: 'exhaustive: stop after n schedules.' },
      { name: 'record', type: 'bool', help: 'free: record the global order of steps and every clock read, so that "replay" re-runs the interleaving (controlled executors always record).' },
      HELP_FLAG,
    ],
    examples: [
      `${PROG} run --scenario pi-basic`,
      `${PROG} run --scenario wakeq-race --strategy ttwu-blocks --cpus 3 --record`,
      `${PROG} run --scenario wakeq-race --strategy ttwu-blocks --cpus 3 --executor pct --seed 7`,
      `${PROG} run --scenario seed-signal --strategy force-return --duration 1s --seed 42`,
      `${PROG} run --scenario chain-3cpu --chaos 0.01 --chaos-max 50us --bug BUG5 --json`,
      `${PROG} run --scenario ./my-scenario.json --cpus 4 --trace run.trace`,
    ],
    build(values, _pos, ctx): Command {
      const given = num(values, 'seed');
      return {
        command: 'run',
        options: {
          scenario: str(values, 'scenario')!,
          strategy: str(values, 'strategy')!,
          cpus: num(values, 'cpus'),
          duration: num(values, 'duration'),
          seed: given ?? ((ctx.makeSeed ?? defaultSeed)() >>> 0),
          seedGenerated: given === undefined,
          json: values.get('json') === true,
          trace: str(values, 'trace'),
          bugs: values.get('bug') as string[],
          chaos: num(values, 'chaos')!,
          chaosMax: num(values, 'chaos-max')!,
          chaosWindows: values.get('chaos-window') as string[],
          quiet: values.get('quiet') === true,
          dump: str(values, 'dump'),
          traceJson: str(values, 'trace-json'),
          countI10: values.get('count-i10') === true,
          artifactDir: str(values, 'artifact-dir')!,
          ...executorOptions(values),
        },
      };
    },
  },
  {
    name: 'replay',
    summary: 'Re-run the recorded interleaving of a failure artifact, step by step, and draw the race',
    synopsis: 'replay <artifact> [--times <n>] [--last <n>] [--json]',
    description:
      'Runs the artifact\'s scenario on the controlled executor, following its recorded order of steps (and, for a '
      + 'free run, its recorded clock reads), and checks that it stops at the same violation at the same step. '
      + 'Prints the last steps before the violation as the kernel draws races: one column per CPU, the window '
      + 'of each step and what it reads or locks, and the ftrace lines of what each step did. Where a replay '
      + 'of a free run leaves its record (an access the record could not order), it says at which step, CPU and '
      + 'window, and goes on best-effort. Exits 0 when every replay reproduced the violation, 1 when one did '
      + 'not, 65 when the artifact is unusable.',
    flags: [
      { name: 'times', type: 'int', metavar: '<n>', min: 1, max: 100, default: 1, help: 'Replay n times; each must reproduce.' },
      { name: 'last', type: 'int', metavar: '<n>', min: 1, max: 10_000, default: 24, help: 'Steps drawn before the violation.' },
      { name: 'json', type: 'bool', help: 'Print the result as JSON on stdout.' },
      HELP_FLAG,
    ],
    positionals: { name: '<artifact>', help: 'A failure artifact (failures/*.json) of a recorded or controlled run.', max: 1 },
    examples: [`${PROG} replay failures/wakeq-race__ttwu-blocks__I10-seed7-....json`, `${PROG} replay <artifact> --times 5`],
    build(values, pos): Command {
      if (pos.length !== 1) throw new UsageError(`"replay" needs one failure artifact (e.g. "${PROG} replay failures/<file>.json")`);
      return { command: 'replay', options: { artifact: pos[0], times: num(values, 'times')!, last: num(values, 'last')!, json: values.get('json') === true } };
    },
  },
  {
    name: 'shrink',
    summary: 'Search for a smaller reproducer of a failure artifact: fewer tasks, ops, shorter runs',
    synopsis: 'shrink <artifact> [--budget <dur>] [--out <dir>] [--json]',
    description:
      'Searches, on the controlled executor, for a smaller scenario that still shows the same violation id: '
      + 'tasks removed, ops removed, loops and durations shortened, fewer CPUs, a shorter run. Writes the '
      + 'smaller artifact (replayable) and the scenario as a JSON file fit for a regression suite, and prints '
      + 'the sizes before and after. Exits 0 when a reproducer was written, 1 when the failure could not be '
      + 'reproduced at all, 65 when the artifact is unusable.',
    flags: [
      { name: 'budget', type: 'duration', metavar: '<dur>', min: 1e9, default: '60s', help: 'Wall time the search may take.' },
      { name: 'out', type: 'string', metavar: '<dir>', expect: 'a directory', defaultText: "the artifact's folder", help: 'Where the smaller artifact and scenario go.' },
      { name: 'json', type: 'bool', help: 'Print the result as JSON on stdout.' },
      HELP_FLAG,
    ],
    positionals: { name: '<artifact>', help: 'A failure artifact (failures/*.json).', max: 1 },
    examples: [`${PROG} shrink failures/<file>.json`, `${PROG} shrink failures/<file>.json --budget 120s --out regress/`],
    build(values, pos): Command {
      if (pos.length !== 1) throw new UsageError(`"shrink" needs one failure artifact (e.g. "${PROG} shrink failures/<file>.json")`);
      return { command: 'shrink', options: { artifact: pos[0], budget: num(values, 'budget')!, out: str(values, 'out'), json: values.get('json') === true } };
    },
  },
  {
    name: 'hunt',
    summary: 'Detection matrix: every planted bug on its directed scenario, every correct design clean',
    synopsis: 'hunt [--budget <dur>] [--runs <k>] [--bug <BUGn>] [--executor <list|all>] [--depth <d>] [--json]',
    description:
      'Runs every (known bug, directed scenario) pair k times until the bug is detected or the budget '
      + 'of a run is spent, and every correct design on every directed scenario for the same budget. '
      + 'Prints the matrix: bug, design, scenario, detected in k/k runs, the invariant that fired and the '
      + 'time to the first detection: median runs, median wall ms and, for the controlled executors, median '
      + 'steps; for pct also its bound 1/(n k^(d-1)) per run (n CPUs, k steps per run). Several executors '
      + '(--executor free,random,pct or all) print one table, side by side. Correct designs must show 0 '
      + 'violations. Exits 1 if a bug was missed (free: by any run; random, pct: by every run) or caught by '
      + 'another invariant than expected, or a correct design failed.',
    flags: [
      { name: 'budget', type: 'duration', metavar: '<dur>', min: 1e6, default: '3s', help: 'Longest run of one case (random, pct: virtual time).' },
      {
        name: 'runs', type: 'int', metavar: '<k>', min: 1, max: 100, default: 3, defaultText: '3; 10 under pct',
        help: 'Runs per case (different seeds).',
      },
      {
        name: 'bug', type: 'list', metavar: '<BUGn>', default: [], defaultText: 'all', noun: 'bug', expect: 'BUGn (e.g. BUG11)',
        choices: (ctx) => ctx.allowedBugs,
        normalize: (v) => {
          const n = parseBugName(v);
          if (n === null) throw new Error(`expected BUGn (e.g. BUG11), got ${quote(v)}`);
          return bugName(n);
        },
        help: 'Only these bugs. Repeatable.',
      },
      { name: 'bugs-only', type: 'bool', help: 'Skip the clean runs of the correct designs.' },
      { name: 'seed', type: 'int', metavar: '<n>', min: 0, max: MAX_SEED, default: 1, help: 'Seed of the first run; run i uses seed+i.' },
      {
        name: 'executor', type: 'list', metavar: '<list|all>', default: ['free'], noun: 'executor', expect: 'free, random, pct, or all',
        normalize: (v) => {
          const names = ['free', 'random', 'pct'];
          if (v === 'all' || names.includes(v)) return v;
          if (v === 'exhaustive') throw new Error('"exhaustive" is for "run" (small scenarios), not for hunt (allowed: free, random, pct, all)');
          throw new Error(`unknown executor ${quote(v)} (allowed: free, random, pct, all)` + didYouMean(v, names, (x) => x));
        },
        help: 'How the runs execute: free (the CPU workers race in real time, with each bug\'s directed chaos), random or '
          + 'pct (one step at a time in a seeded order, virtual time, no chaos). A comma-separated list or "all" '
          + '(free,random,pct) runs the matrix under each and prints them side by side.',
      },
      { name: 'depth', type: 'int', metavar: '<d>', min: 1, max: 64, default: 3, help: 'pct: the bug depth d (d-1 priority change points).' },
      {
        name: 'pct-steps', type: 'int', metavar: '<n>', min: 1, max: 1_000_000_000, defaultText: 'per case: 20000 for run 1, then its steps halved run by run (k, k/2 .. k/16)',
        help: 'pct: the steps over which the change points are drawn, for every run.',
      },
      { name: 'json', type: 'bool', help: 'Print the matrix as JSON on stdout.' },
      { name: 'artifact-dir', type: 'string', metavar: '<dir>', default: 'failures', expect: 'a directory', help: 'Where the artifacts of unexpected failures go.' },
      HELP_FLAG,
    ],
    examples: [
      `${PROG} hunt`, `${PROG} hunt --budget 5s --runs 5`, `${PROG} hunt --bug BUG11 --runs 20 --json`,
      `${PROG} hunt --executor pct --depth 2 --bugs-only`, `${PROG} hunt --executor all --bugs-only`,
    ],
    build(values): Command {
      const listed = values.get('executor') as string[];
      const executors = listed.includes('all') ? ['free', 'random', 'pct'] as const : listed as ('free' | 'random' | 'pct')[];
      const given = (name: string): boolean => values.has(`given:${name}`);
      for (const flag of ['depth', 'pct-steps']) {
        if (given(flag) && !executors.includes('pct')) {
          throw new UsageError(`--${flag} applies to --executor pct, not to --executor ${executors.join(',')}`);
        }
      }
      return {
        command: 'hunt',
        options: {
          budget: num(values, 'budget')!, runs: num(values, 'runs')!, json: values.get('json') === true,
          bugs: values.get('bug') as string[], bugsOnly: values.get('bugs-only') === true,
          seed: num(values, 'seed')!, artifactDir: str(values, 'artifact-dir')!,
          executors: [...executors], depth: num(values, 'depth')!, pctSteps: num(values, 'pct-steps'),
          // pct finds several bugs in 6-8 of 10 runs, not in each (on 2 CPUs a seed's priority order is a
          // coin flip and some bugs show under one order only): 3 runs would miss such a bug once in
          // 15-40 hunts, 10 runs once in 10^4-10^5. More runs unless --runs says.
          pctRuns: given('runs') ? num(values, 'runs')! : 10,
        },
      };
    },
  },
  {
    name: 'stress',
    summary: 'Stress campaign: every strategy x scenario x seed on a pool of runs; report in reports/<time>/',
    synopsis: 'stress [--strategies <list|all>] [--scenarios <list|all>] [--seeds <n>] [--duration <dur>] [options]',
    description:
      'Runs every combination (strategy x scenario x seed), one run per pool task, --jobs runs at a time, '
      + 'and checks the invariants of each. Shows a progress bar on a terminal, otherwise a status line per '
      + 'running case every --stat-interval; prints PASS/FAIL per case and a summary table (per strategy x '
      + 'scenario: runs, fails, p50/p99 of wakeup latency and mutex waits from the added histograms). Writes '
      + 'results.json, one .hgrm per strategy/scenario/metric, report.html and the failure artifacts '
      + '(failures/) into --out. With no flags: the default campaign of about ten minutes (every design '
      + `except ${STRESS_EXCLUDED_STRATEGIES.join(', ')}, the seed's sketch as posted, which is known to fail; `
      + '"--strategies all" includes it). Ctrl-C stops the running cases and writes what finished. '
      + 'Exits 0 when every case passed, 1 when one failed, 130 when interrupted.',
    flags: [
      {
        name: 'strategies', type: 'list', metavar: '<list|all>', noun: 'strategy', expect: 'comma-separated designs, or "all"',
        defaultText: `every design except ${STRESS_EXCLUDED_STRATEGIES.join(', ')}`,
        normalize: (v, ctx) => {
          const all = ctx.allowedStrategies;
          if (v === 'all' || all === undefined || all.includes(v)) return v;
          throw new Error(`unknown strategy ${quote(v)} (allowed: all, ${all.join(', ')})` + didYouMean(v, all, (x) => x));
        },
        help: 'Comma-separated designs, or "all". Repeatable.',
      },
      {
        name: 'scenarios', type: 'list', metavar: '<list|all>', noun: 'scenario', expect: 'comma-separated built-in scenarios, or "all"',
        defaultText: STRESS_DEFAULTS.scenarios.join(', '),
        normalize: (v) => scenarioName(v),
        help: 'Comma-separated built-in scenarios (fuzz-<n> too), or "all". Repeatable.',
      },
      { name: 'seeds', type: 'int', metavar: '<n>', min: 1, max: 10_000, default: STRESS_DEFAULTS.seeds, help: 'Seeds per strategy x scenario.' },
      {
        name: 'first-seed', type: 'int', metavar: '<n>', min: 0, max: MAX_SEED, default: STRESS_DEFAULTS.firstSeed,
        help: 'Seed of the first run of each strategy x scenario; the others are first-seed+1, +2, ...',
      },
      { name: 'duration', type: 'duration', metavar: '<dur>', min: 1e6, max: 3600e9, default: STRESS_DEFAULTS.duration, help: 'Length of each run.' },
      { name: 'cpus', type: 'int', metavar: '<n>', min: 1, max: MAX_CPUS, defaultText: "each scenario's", help: 'Simulated CPUs of every run.' },
      {
        name: 'jobs', type: 'int', metavar: '<n>', min: 1, max: 64, default: STRESS_DEFAULTS.jobs,
        help: 'Runs at a time. Each run already has one worker thread per simulated CPU: more jobs than '
          + 'cores/CPUs-per-run makes the runs fight over the cores.',
      },
      {
        name: 'shard', type: 'string', metavar: '<k/N|auto>', expect: 'k/N, auto or auto/N',
        normalize: (v) => {
          if (/^auto(\/|$)/.test(v.trim())) return v.trim();
          const [k, n] = parseShardText(v);
          return `${k}/${n}`;
        },
        help: `Run only shard k of N, ${shardRange} (a deterministic slice, for a CI matrix); combine the results `
          + 'with "merge". "auto" takes it from the environment: a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based, '
          + 'and JOB_COMPLETIONS, or "auto/N" for the count) or GitLab "parallel:" (CI_NODE_INDEX, CI_NODE_TOTAL). '
          + 'A shard with no case is an error.',
      },
      { name: 'chaos', type: 'float', metavar: '<p>', min: 0, max: 1, default: 0, help: 'Probability of a random delay at each race window (gate), 0..1.' },
      { name: 'chaos-max', type: 'duration', metavar: '<dur>', min: 1, max: 1e9, default: DEFAULT_CHAOS_MAX, help: 'Longest injected delay, up to 1s.' },
      { name: 'out', type: 'string', metavar: '<dir>', expect: 'a directory', defaultText: 'a new reports/<time>/', help: 'Where the results go.'+' A folder that holds an earlier campaign has its histogram files and report replaced; other files are kept.' },
      {
        name: 'stat-interval', type: 'duration', metavar: '<dur>', min: 1e7, default: STRESS_DEFAULTS.statInterval,
        help: 'Period of the status lines (when stderr is not a terminal).',
      },
      HELP_FLAG,
    ],
    examples: [
      `${PROG} stress --strategies none,force-return --scenarios pi-basic --seeds 2 --duration 300ms`,
      `${PROG} stress`,
      `${PROG} stress --strategies all --scenarios all --seeds 10 --duration 1s --jobs 2`,
      `${PROG} stress --shard 1/4 --out reports/shard-1`,
    ],
    build(values, _pos, ctx): Command {
      const shard = str(values, 'shard');
      return {
        command: 'stress',
        options: {
          strategies: (values.get('strategies') as string[] | undefined) ?? null,
          scenarios: (values.get('scenarios') as string[] | undefined) ?? null,
          seeds: num(values, 'seeds')!, firstSeed: num(values, 'first-seed')!, duration: num(values, 'duration')!,
          cpus: num(values, 'cpus'), jobs: num(values, 'jobs')!,
          shard: shard === undefined ? null
            : shard.startsWith('auto') ? shardFromEnv(shard, ctx.env ?? process.env) : parseShardText(shard),
          chaos: num(values, 'chaos')!, chaosMax: num(values, 'chaos-max')!,
          out: str(values, 'out'), statInterval: num(values, 'stat-interval')!,
        },
      };
    },
  },
  {
    name: 'compare',
    summary: 'Compare every design on seed-signal, chain-3cpu, football (~1 min; what "npm start" runs)',
    synopsis: 'compare [--duration <dur>] [--seeds <n>] [options]',
    description:
      `Runs every design (the sketch ${STRESS_EXCLUDED_STRATEGIES.join(', ')} included) on `
      + `${COMPARE_DEFAULTS.scenarios.join(', ')}: a stress campaign with fixed parameters. Prints a table per `
      + 'scenario x design: verdict, violations, proxy picks, donor migrations, p50/p99 wakeup latency, '
      + 'p50/p99 mutex wait, signal->EINTR p50 and, for football, the offense runtime (the "ball"), and the '
      + 'path of the report. Exits 0 when every design except the known-broken sketch passed.',
    flags: [
      { name: 'duration', type: 'duration', metavar: '<dur>', min: 1e6, max: 3600e9, default: COMPARE_DEFAULTS.duration, help: 'Length of each run.' },
      { name: 'seeds', type: 'int', metavar: '<n>', min: 1, max: 10_000, default: COMPARE_DEFAULTS.seeds, help: 'Seeds per design x scenario.' },
      { name: 'first-seed', type: 'int', metavar: '<n>', min: 0, max: MAX_SEED, default: COMPARE_DEFAULTS.firstSeed, help: 'Seed of the first run.' },
      { name: 'jobs', type: 'int', metavar: '<n>', min: 1, max: 64, default: COMPARE_DEFAULTS.jobs, help: 'Runs at a time.' },
      { name: 'out', type: 'string', metavar: '<dir>', expect: 'a directory', defaultText: 'a new reports/<time>-compare/', help: 'Where the results go.'+' A folder that holds an earlier campaign has its histogram files and report replaced; other files are kept.' },
      { name: 'stat-interval', type: 'duration', metavar: '<dur>', min: 1e7, default: COMPARE_DEFAULTS.statInterval, help: 'Period of the status lines (when stderr is not a terminal).' },
      HELP_FLAG,
    ],
    examples: [`${PROG} compare`, `${PROG} compare --duration 5s --seeds 3`],
    build(values): Command {
      return {
        command: 'compare',
        options: {
          duration: num(values, 'duration')!, seeds: num(values, 'seeds')!, firstSeed: num(values, 'first-seed')!,
          jobs: num(values, 'jobs')!, out: str(values, 'out'), statInterval: num(values, 'stat-interval')!,
        },
      };
    },
  },
  {
    name: 'merge',
    summary: 'Merge the results of stress shards (histograms added) into one results.json and report',
    synopsis: 'merge <dir>... [--out <dir>]',
    description:
      'Combines the results.json of several stress runs (e.g. the shards of "stress --shard k/N"): the cases '
      + 'are concatenated and the histograms added (never averaged). Writes results.json, the .hgrm files '
      + 'and report.html into --out. A case present in two inputs is refused. Exits 0 when every merged '
      + 'case passed, 1 when one failed, 65 when an input is missing or invalid.',
    flags: [
      { name: 'out', type: 'string', metavar: '<dir>', expect: 'a directory', defaultText: 'a new reports/<time>-merged/', help: 'Where the merged results go.'+' A folder that holds an earlier campaign has its histogram files and report replaced; other files are kept.' },
      HELP_FLAG,
    ],
    positionals: { name: '<dir>...', help: 'Result directories of stress (or their results.json files).', max: 100_000 },
    examples: [`${PROG} merge reports/shard-1 reports/shard-2`, `${PROG} merge reports/shard-1 reports/shard-2 --out reports/all`],
    build(values, pos): Command {
      if (pos.length === 0) {
        throw new UsageError(`"merge" needs at least one result directory (e.g. "${PROG} merge reports/shard-1 reports/shard-2")`);
      }
      return { command: 'merge', options: { inputs: pos, out: str(values, 'out') } };
    },
  },
  {
    name: 'list',
    summary: 'List the built-in scenarios',
    synopsis: 'list [--json]',
    description: 'Lists the built-in scenarios with their CPU counts and a one-line summary.',
    flags: [{ name: 'json', type: 'bool', help: 'Print the list as JSON.' }, HELP_FLAG],
    examples: [`${PROG} list`, `${PROG} list --json`],
    build: (values) => ({ command: 'list', options: { json: values.get('json') === true } }),
  },
  {
    name: 'help',
    summary: 'Show the help of a command',
    synopsis: 'help [command]',
    description: 'Shows the general help, or the help of one command.',
    flags: [HELP_FLAG],
    positionals: { name: '[command]', help: 'The command to describe.', max: 1 },
    examples: [`${PROG} help run`, `${PROG} run --help`],
    build(_values, pos): Command {
      if (pos.length === 0) return { command: 'help' };
      return { command: 'help', topic: commandSpec(pos[0]).name };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function commandNames(): string {
  return COMMANDS.map((c) => c.name).join(', ');
}

/** The spec of a command; UsageError for an unknown name. */
export function commandSpec(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec === undefined) {
    throw new UsageError(`unknown command ${quote(name)} (commands: ${commandNames()})`
      + didYouMean(name, COMMANDS.map((c) => c.name), (s) => `"${s}"`));
  }
  return spec;
}

/** How node:util's parseArgs should read the flags of a command: bool flags take no value, every other
 *  flag takes one (a list flag may repeat); -h is --help. The values are converted here, from the
 *  tokens, so that every error is a one-line UsageError in the order the arguments were given. */
function tokenize(args: readonly string[], flags: readonly FlagSpec[]) {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const f of flags) {
    if (f !== HELP_FLAG) options[f.name] = f.type === 'bool' ? { type: 'boolean' } : { type: 'string', multiple: f.type === 'list' };
  }
  return nodeParseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

type Token = ReturnType<typeof tokenize>[number];

function isHelpToken(t: string): boolean {
  return t === '-h' || t === '--help';
}

/** -h or --help among the flags, also where a flag wanted a value ("--scenario --help"). */
function asksForHelp(tokens: readonly Token[]): boolean {
  return tokens.some((t) => t.kind === 'option'
    && (t.name === 'help' ? t.value === undefined : t.inlineValue === false && isHelpToken(t.value!)));
}

export function parseArgs(argv: readonly string[], ctx: ArgsContext = {}): Command {
  if (argv.length === 0) return { command: 'help', implicit: true };
  const first = argv[0];
  if (first === '--' || (first.startsWith('-') && first !== '-')) {
    if (asksForHelp(tokenize(argv, []))) return { command: 'help' };
    throw new UsageError(`missing command before ${quote(first)} (commands: ${commandNames()}; `
      + `e.g. "${PROG} run --scenario pi-basic")`);
  }
  const spec = commandSpec(first);
  const args = argv.slice(1);
  const tokens = tokenize(args, spec.flags);
  const wantsHelp = asksForHelp(tokens);
  if (wantsHelp && spec.name !== 'help') return { command: 'help', topic: spec.name };

  const values = new Map<string, FlagValue>();
  const rawSeen = new Map<string, string>();
  const positionals: string[] = [];
  let numberAt = -1;

  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    const arg = args[t.index];
    if (/^-[0-9.]/.test(arg)) {
      // "-1", "-.5": a (negative) number, an argument; parseArgs reads it as short flags, one token each
      if (t.index !== numberAt) positionals.push(arg);
      numberAt = t.index;
      continue;
    }
    if (t.name === 'help' && t.value === undefined) continue; // only reached by `help ... --help`
    const long = t.rawName.startsWith('--');
    const flag = long || t.name === 'help' ? spec.flags.find((f) => f.name === t.name) : undefined;
    if (flag === undefined) throw unknownFlag(spec, long ? t.rawName : arg);
    let raw: string;
    if (flag.type === 'bool') {
      if (t.value !== undefined) throw new UsageError(`--${flag.name} takes no value (got ${quote(arg)})`);
      raw = '';
    } else if (t.value === undefined || (t.inlineValue === false && t.value.startsWith('--'))) {
      // parseArgs takes the next argument whatever it is; a flag (or "--") there means the value is missing
      throw new UsageError(`--${flag.name}: missing value (expected ${expected(flag, ctx)})`);
    } else {
      raw = t.value;
    }
    if (flag.type !== 'list' && rawSeen.has(flag.name)) {
      const before = rawSeen.get(flag.name)!;
      throw new UsageError(flag.type === 'bool'
        ? `--${flag.name} given twice; give it once`
        : `--${flag.name} given twice (${quote(before)}, then ${quote(raw)}); give it once`);
    }
    rawSeen.set(flag.name, raw);
    values.set(flag.name, convert(flag, raw, values.get(flag.name), ctx));
  }

  const maxPos = spec.positionals?.max ?? 0;
  if (positionals.length > maxPos) {
    const extra = positionals[maxPos];
    const scenarioFlag = spec.flags.find((f) => f.name === 'scenario');
    if (maxPos === 0 && scenarioFlag !== undefined && !values.has('scenario')) {
      throw new UsageError(`unexpected argument ${quote(extra)} for "${spec.name}"; `
        + `did you mean --scenario ${extra}?`);
    }
    throw new UsageError(maxPos === 0
      ? `unexpected argument ${quote(extra)} for "${spec.name}" (it takes only flags: ${flagNames(spec)})`
      : `unexpected argument ${quote(extra)} for "${spec.name}" (it takes at most ${maxPos}: ${spec.positionals!.name})`);
  }

  // which flags the command line gave (a build may refuse one that does not fit another): "given:<name>"
  for (const name of [...values.keys()]) values.set(`given:${name}`, true);
  for (const flag of spec.flags) {
    if (values.has(flag.name)) continue;
    if (flag.required) {
      throw new UsageError(`--${flag.name} is required for "${spec.name}" (${expected(flag, ctx)}; `
        + `e.g. "${spec.examples[0]}")`);
    }
    if (flag.type === 'bool') values.set(flag.name, false);
    else if (flag.default !== undefined) values.set(flag.name, convertDefault(flag));
  }
  if (spec.name === 'help' && wantsHelp && positionals.length === 0) return { command: 'help', topic: 'help' };
  return spec.build(values, positionals, ctx);
}

function flagNames(spec: CommandSpec): string {
  return spec.flags.map((f) => `--${f.name}`).join(', ');
}

function unknownFlag(spec: CommandSpec, tok: string): UsageError {
  const names = spec.flags.map((f) => `--${f.name}`);
  const asLong = tok.replace(/^-+/, '--');
  return new UsageError(`unknown flag ${clip(tok)} for "${spec.name}" (allowed: ${names.join(', ')})`
    + (names.includes(asLong) ? `; did you mean ${asLong}?` : didYouMean(asLong, names, (s) => s)));
}

/** "an integer 1..32", "a number 0..1", "a duration such as 250us, 2ms, 1.5s", "one of: a, b". */
function expected(flag: FlagSpec, ctx: ArgsContext): string {
  switch (flag.type) {
    case 'int':
      return `an integer ${flag.min ?? '-inf'}..${flag.max ?? 'inf'}`;
    case 'float':
      return `a number ${flag.min ?? '-inf'}..${flag.max ?? 'inf'}`;
    case 'duration':
      return 'a duration such as 250us, 2ms, 1.5s';
    default: {
      const choices = flag.choices?.(ctx);
      if (choices !== undefined) return `one of: ${choices.join(', ')}`;
      return flag.expect ?? `a value ${flag.metavar ?? ''}`.trimEnd();
    }
  }
}

/** Decimal only: "0x10" (or "1e3", "010") is refused, not read as another number than it looks. */
const INT_RE = /^[+-]?(0|[1-9][0-9]*)$/;
const FLOAT_RE = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function convert(flag: FlagSpec, raw: string, prev: FlagValue | undefined, ctx: ArgsContext): FlagValue {
  const bad = () => new UsageError(`--${flag.name}: expected ${expected(flag, ctx)}, got ${quote(raw)}`);
  switch (flag.type) {
    case 'bool':
      return true;
    case 'int': {
      if (/^[+-]?(0[0-9a-zA-Z]|[0-9.]+[eE])/.test(raw)) {
        // 0x10, 0o7, 010, 1e3: read by some tools as another number than it looks; decimal only
        throw new UsageError(`--${flag.name}: expected a decimal ${expected(flag, ctx).replace(/^an /, '')}, got ${quote(raw)}`);
      }
      if (!INT_RE.test(raw)) throw bad();
      const v = Number(raw);
      if (!Number.isSafeInteger(v) || (flag.min !== undefined && v < flag.min) || (flag.max !== undefined && v > flag.max)) throw bad();
      return v;
    }
    case 'float': {
      if (!FLOAT_RE.test(raw)) throw bad();
      const v = Number(raw);
      if (!Number.isFinite(v) || (flag.min !== undefined && v < flag.min) || (flag.max !== undefined && v > flag.max)) throw bad();
      return v;
    }
    case 'duration': {
      let ns: number;
      try {
        ns = parseDuration(raw);
      } catch (e) {
        throw new UsageError(`--${flag.name}: ${(e as Error).message}`);
      }
      if (flag.min !== undefined && ns < flag.min) {
        throw new UsageError(`--${flag.name}: expected a duration greater than ${flag.min === 1 ? '0' : `${flag.min}ns`}, got ${quote(raw)}`);
      }
      if (flag.max !== undefined && ns > flag.max) {
        throw new UsageError(`--${flag.name}: expected at most ${flag.max >= 1e9 && flag.max % 1e9 === 0 ? `${flag.max / 1e9}s` : `${flag.max}ns`}, got ${quote(raw)}`);
      }
      return ns;
    }
    case 'string':
      return checkString(flag, raw, ctx);
    case 'list': {
      const items = raw.split(',').map((s) => s.trim());
      const out = [...((prev as string[] | undefined) ?? [])];
      for (const item of items) {
        const v = checkString(flag, item, ctx);
        if (!out.includes(v)) out.push(v);
      }
      return out;
    }
  }
}

function checkString(flag: FlagSpec, raw: string, ctx: ArgsContext): string {
  if (raw === '') {
    throw new UsageError(`--${flag.name}: expected ${expected(flag, ctx)}, got an empty value`);
  }
  let v = raw;
  if (flag.normalize !== undefined) {
    try {
      v = flag.normalize(raw, ctx);
    } catch (e) {
      throw new UsageError(`--${flag.name}: ${(e as Error).message}`);
    }
  }
  const choices = flag.choices?.(ctx);
  if (choices !== undefined && !choices.includes(v)) {
    throw new UsageError(`--${flag.name}: unknown ${flag.noun ?? 'value'} ${quote(raw)} (allowed: ${choices.join(', ')})`
      + didYouMean(raw, choices, (s) => s));
  }
  return v;
}

function convertDefault(flag: FlagSpec): FlagValue {
  const d = flag.default!;
  if (flag.type === 'duration') return parseDuration(d as string);
  return Array.isArray(d) ? [...d] : d;
}

// ---------------------------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------------------------

const WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function flagLabel(f: FlagSpec): string {
  if (f === HELP_FLAG) return '-h, --help';
  return f.metavar !== undefined && f.type !== 'bool' ? `--${f.name} ${f.metavar}` : `--${f.name}`;
}

function flagHelp(f: FlagSpec, ctx: ArgsContext): string {
  let text = f.help;
  const choices = f.choices?.(ctx);
  if (choices !== undefined) text += ` One of: ${choices.join(', ')}.`;
  if (f.required) text += ' Required.';
  else if (f.defaultText !== undefined) text += ` Default: ${f.defaultText}.`;
  else if (f.default !== undefined && !(Array.isArray(f.default) && f.default.length === 0)) {
    text += ` Default: ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}.`;
  }
  return text;
}

/** The help text: general (no argument) or of one command. */
export function usage(command?: string, ctx: ArgsContext = {}): string {
  if (command === undefined) {
    const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
    return [
      `${PROG}: a multi-threaded replica of the Linux scheduler's proxy execution`,
      '',
      `Usage: ${PROG} <command> [options]`,
      '',
      'Commands:',
      ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
      '',
      `Run "${PROG} help <command>" or "${PROG} <command> --help" for the options of a command.`,
      '',
      'Examples:',
      ...COMMANDS.flatMap((c) => c.examples.slice(0, 1)).map((e) => `  ${e}`),
      '',
      ...wrap(exitCodesText(), WIDTH),
    ].join('\n') + '\n';
  }
  const spec = commandSpec(command);
  const labels = spec.flags.map(flagLabel);
  const w = Math.min(Math.max(...labels.map((l) => l.length)) + 2, 28);
  const out = [
    `Usage: ${PROG} ${spec.synopsis}`,
    '',
    ...wrap(spec.description, WIDTH),
    '',
  ];
  if (spec.positionals !== undefined) {
    out.push('Arguments:', `  ${spec.positionals.name.padEnd(w)}${spec.positionals.help}`, '');
  }
  out.push('Options:');
  spec.flags.forEach((f, i) => {
    const label = labels[i];
    const body = wrap(flagHelp(f, ctx), WIDTH - w - 2);
    if (label.length + 2 > w) {
      out.push(`  ${label}`);
      body.forEach((l) => out.push(' '.repeat(w + 2) + l));
    } else {
      body.forEach((l, k) => out.push(k === 0 ? `  ${label.padEnd(w)}${l}` : ' '.repeat(w + 2) + l));
    }
  });
  out.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  if (spec.name === 'run') {
    out.push('', 'Durations are a number and a unit: ns, us, ms, s (e.g. 250us, 1.5s).', ...wrap(exitCodesText(), WIDTH));
  }
  return out.join('\n') + '\n';
}

function exitCodesText(): string {
  return `Exit codes: ${EXIT.OK} ok, ${EXIT.CHECK_FAILED} a check failed, ${EXIT.USAGE} bad command line, `
    + `${EXIT.BAD_SCENARIO} bad scenario, ${EXIT.INFRA} internal failure, ${EXIT.CANT_CREATE} cannot write an output file, `
    + `${EXIT.INTERRUPTED} interrupted (143 on SIGTERM).`;
}
