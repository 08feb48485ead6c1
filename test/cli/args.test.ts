import { describe, expect, it } from 'vitest';
import {
  COMMANDS, DEFAULT_CHAOS_MAX, DEFAULT_STRATEGY, MAX_SHARDS, parseArgs, shardFromEnv, usage, type ArgsContext, type Command, type RunOptions,
} from '../../src/cli/args.ts';
import { EXIT, UsageError } from '../../src/errors.ts';
import { parseDuration } from '../../src/workload/duration.ts';
import { DESIGNS, knownBugs } from '../../src/proxy/index.ts';
import { bugName } from '../../src/proxy/bugs.ts';

const STRATEGIES = DESIGNS.map((d) => d.name);
const ctx: ArgsContext = {
  allowedStrategies: STRATEGIES,
  makeSeed: () => 12345,
};

function run(...argv: string[]): RunOptions {
  const c = parseArgs(['run', ...argv], ctx);
  if (c.command !== 'run') throw new Error(`not run: ${JSON.stringify(c)}`);
  return c.options;
}

function fails(argv: string[], c: ArgsContext = ctx): string {
  try {
    parseArgs(argv, c);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(EXIT.USAGE);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error(`parsed: ${JSON.stringify(argv)}`);
}

const RUN_FLAGS = '--scenario, --strategy, --cpus, --duration, --seed, --json, --trace, --bug, --chaos, '
  + '--chaos-max, --chaos-window, --quiet, --trace-json, --count-i10, --dump, --artifact-dir, --executor, --depth, --preemptions, --max-schedules, --record, --help';

describe('parseArgs: successes', () => {
  it('run with defaults', () => {
    expect(run('--scenario', 'pi-basic')).toEqual({
      scenario: 'pi-basic', strategy: DEFAULT_STRATEGY, cpus: undefined, duration: undefined,
      seed: 12345, seedGenerated: true, json: false, trace: undefined, bugs: [], chaos: 0,
      chaosMax: parseDuration(DEFAULT_CHAOS_MAX), chaosWindows: [], quiet: false,
      dump: undefined, traceJson: undefined, countI10: false, artifactDir: 'failures',
      executor: 'free', depth: 3, preemptions: 1, maxSchedules: 2000, record: false,
    });
  });

  it('run with every flag, in both forms', () => {
    expect(run(
      '--scenario=./x.json', '--strategy', 'ttwu-return', '--cpus=4', '--duration', '1.5s', '--seed', '255',
      '--json', '--trace', 'out.trace', '--bug', 'bug11', '--bug=BUG1,BUG11', '--chaos', '0.25',
      '--chaos-max=50us', '--chaos-window', 'ttwu', '--chaos-window', 'proxy_migrate_task:after_unlock', '--quiet',
    )).toEqual({
      scenario: './x.json', strategy: 'ttwu-return', cpus: 4, duration: 1_500_000_000, seed: 255,
      seedGenerated: false, json: true, trace: 'out.trace', bugs: ['BUG11', 'BUG1'], chaos: 0.25,
      chaosMax: 50_000, chaosWindows: ['ttwu', 'proxy_migrate_task:after_unlock'], quiet: true,
      dump: undefined, traceJson: undefined, countI10: false, artifactDir: 'failures',
      executor: 'free', depth: 3, preemptions: 1, maxSchedules: 2000, record: false,
    });
  });

  it('run under each executor, and the flags of one executor refused with another', () => {
    expect(run('--scenario', 'x', '--executor', 'pct', '--depth', '2')).toMatchObject({ executor: 'pct', depth: 2 });
    expect(run('--scenario', 'x', '--executor', 'exhaustive', '--preemptions', '2')).toMatchObject({ executor: 'exhaustive', preemptions: 2 });
    expect(run('--scenario', 'x', '--record')).toMatchObject({ executor: 'free', record: true });
    expect(fails(['run', '--scenario', 'x', '--executor', 'random', '--record'])).toBe('--record applies to --executor free, not to --executor random');
    expect(fails(['run', '--scenario', 'x', '--depth', '2'])).toBe('--depth applies to --executor pct, not to --executor free');
    expect(fails(['run', '--scenario', 'x', '--executor', 'pct', '--preemptions', '1'])).toBe('--preemptions applies to --executor exhaustive, not to --executor pct');
    expect(fails(['run', '--scenario', 'x', '--executor', 'pct', '--chaos', '0.1'])).toMatch(/^--chaos applies to --executor free/);
    expect(fails(['run', '--scenario', 'x', '--executor', 'chess'])).toMatch(/^--executor: unknown executor "chess" \(allowed: free, random, pct, exhaustive\)/);
  });

  it('replay and shrink take one artifact', () => {
    expect(parseArgs(['replay', 'a.json', '--times', '5'])).toEqual({ command: 'replay', options: { artifact: 'a.json', times: 5, last: 24, json: false } });
    expect(parseArgs(['shrink', 'a.json', '--budget', '10s'])).toEqual({ command: 'shrink', options: { artifact: 'a.json', budget: 10e9, out: undefined, json: false } });
    expect(fails(['replay'])).toMatch(/^"replay" needs one failure artifact/);
    expect(fails(['shrink', 'a.json', 'b.json'])).toMatch(/^unexpected argument "b.json" for "shrink"/);
    expect(fails(['shrink', 'a.json', '--budget', '10ms'])).toMatch(/^--budget: /);
  });

  it('seed bounds and the generated seed', () => {
    expect(run('--scenario', 'x', '--seed', '0').seed).toBe(0);
    expect(run('--scenario', 'x', '--seed', '4294967295').seed).toBe(4294967295);
    const o = parseArgs(['run', '--scenario', 'x'], { makeSeed: () => -1 }) as Extract<Command, { command: 'run' }>;
    expect(o.options.seed).toBe(4294967295); // coerced to uint32
    const t = parseArgs(['run', '--scenario', 'x']) as Extract<Command, { command: 'run' }>;
    expect(Number.isInteger(t.options.seed) && t.options.seed >= 0 && t.options.seed <= 0xffffffff).toBe(true);
  });

  it('any strategy when no list is given', () => {
    const c = parseArgs(['run', '--scenario', 'x', '--strategy', 'mine']) as Extract<Command, { command: 'run' }>;
    expect(c.options.strategy).toBe('mine');
  });

  it('list and help', () => {
    expect(parseArgs(['list'])).toEqual({ command: 'list', options: { json: false } });
    expect(parseArgs(['list', '--json'])).toEqual({ command: 'list', options: { json: true } });
    expect(parseArgs([])).toEqual({ command: 'help', implicit: true });
    expect(parseArgs(['help'])).toEqual({ command: 'help' });
    expect(parseArgs(['help', 'run'])).toEqual({ command: 'help', topic: 'run' });
    expect(parseArgs(['help', '--help'])).toEqual({ command: 'help', topic: 'help' });
  });

  it('--help / -h anywhere asks for the help of that command, even among bad flags', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['run', '-h'])).toEqual({ command: 'help', topic: 'run' });
    expect(parseArgs(['run', '--cpus', 'x', '--help'])).toEqual({ command: 'help', topic: 'run' });
    expect(parseArgs(['list', '--bogus', '-h'])).toEqual({ command: 'help', topic: 'list' });
  });

  it('-- ends the flags', () => {
    expect(fails(['run', '--scenario', 'x', '--', '--json'])).toBe(
      `unexpected argument "--json" for "run" (it takes only flags: ${RUN_FLAGS})`);
  });
});

describe('parseArgs: failures (one line: what was wrong, what is allowed)', () => {
  it('commands', () => {
    expect(fails(['rnu'])).toBe('unknown command "rnu" (commands: run, replay, shrink, hunt, stress, compare, merge, list, help); did you mean "run"?');
    expect(fails(['frobnicate'])).toBe('unknown command "frobnicate" (commands: run, replay, shrink, hunt, stress, compare, merge, list, help)');
    expect(fails(['help', 'lst'])).toBe('unknown command "lst" (commands: run, replay, shrink, hunt, stress, compare, merge, list, help); did you mean "list"?');
    expect(fails(['--scenario', 'x'])).toBe(
      'missing command before "--scenario" (commands: run, replay, shrink, hunt, stress, compare, merge, list, help; e.g. "proxysim run --scenario pi-basic")');
  });

  it('unknown flags', () => {
    expect(fails(['run', '--scenario', 'x', '--foo'])).toBe(`unknown flag --foo for "run" (allowed: ${RUN_FLAGS})`);
    expect(fails(['run', '--scenario', 'x', '--cpu', '2'])).toBe(
      `unknown flag --cpu for "run" (allowed: ${RUN_FLAGS}); did you mean --cpus?`);
    expect(fails(['run', '--scenario', 'x', '-c', '2'])).toBe(`unknown flag -c for "run" (allowed: ${RUN_FLAGS})`);
    expect(fails(['list', '--scenario', 'x'])).toBe('unknown flag --scenario for "list" (allowed: --json, --help)');
  });

  it('required flag and missing values', () => {
    expect(fails(['run'])).toBe('--scenario is required for "run" (a built-in scenario name or a scenario file; '
      + 'e.g. "proxysim run --scenario pi-basic")');
    expect(fails(['run', '--scenario'])).toBe('--scenario: missing value (expected a built-in scenario name or a scenario file)');
    expect(fails(['run', '--scenario', '--json'])).toBe(
      '--scenario: missing value (expected a built-in scenario name or a scenario file)');
    expect(fails(['run', '--scenario='])).toBe(
      '--scenario: expected a built-in scenario name or a scenario file, got an empty value');
    expect(fails(['run', '--scenario', 'x', '--cpus'])).toBe('--cpus: missing value (expected an integer 1..32)');
  });

  it('bad values', () => {
    expect(fails(['run', '--scenario', 'x', '--cpus', 'x'])).toBe('--cpus: expected an integer 1..32, got "x"');
    expect(fails(['run', '--scenario', 'x', '--cpus', '0'])).toBe('--cpus: expected an integer 1..32, got "0"');
    expect(fails(['run', '--scenario', 'x', '--cpus=33'])).toBe('--cpus: expected an integer 1..32, got "33"');
    expect(fails(['run', '--scenario', 'x', '--cpus', '2.5'])).toBe('--cpus: expected an integer 1..32, got "2.5"');
    expect(fails(['run', '--scenario', 'x', '--seed', '-1'])).toBe('--seed: expected an integer 0..4294967295, got "-1"');
    expect(fails(['run', '--scenario', 'x', '--seed', '4294967296'])).toBe(
      '--seed: expected an integer 0..4294967295, got "4294967296"');
    expect(fails(['run', '--scenario', 'x', '--chaos', '1.5'])).toBe('--chaos: expected a number 0..1, got "1.5"');
    expect(fails(['run', '--scenario', 'x', '--chaos', 'lots'])).toBe('--chaos: expected a number 0..1, got "lots"');
    expect(fails(['run', '--scenario', 'x', '--duration', '2'])).toBe(
      '--duration: invalid duration "2": missing unit (ns, us, ms or s), e.g. "2ms"');
    expect(fails(['run', '--scenario', 'x', '--duration', '0s'])).toBe('--duration: expected a duration greater than 0, got "0s"');
    expect(fails(['run', '--scenario', 'x', '--chaos-max', '2s'])).toBe('--chaos-max: expected at most 1s, got "2s"');
    expect(fails(['run', '--scenario', 'x', '--strategy', 'force'])).toBe(
      `--strategy: unknown strategy "force" (allowed: ${STRATEGIES.join(', ')})`);
    expect(fails(['run', '--scenario', 'x', '--strategy', 'ttwu-retrun'])).toBe(
      `--strategy: unknown strategy "ttwu-retrun" (allowed: ${STRATEGIES.join(', ')}); did you mean ttwu-return?`);
    expect(fails(['run', '--scenario', 'x', '--strategy', 'nonee'])).toBe(
      `--strategy: unknown strategy "nonee" (allowed: ${STRATEGIES.join(', ')}); did you mean none?`);
    expect(fails(['run', '--scenario', 'x', '--bug', 'foo'])).toBe('--bug: expected BUGn with n 1..31 (e.g. BUG11), got "foo"');
    expect(fails(['run', '--scenario', 'x', '--bug', 'BUG99'])).toBe('--bug: expected BUGn with n 1..31 (e.g. BUG11), got "BUG99"');
    expect(fails(['run', '--scenario', 'x', '--bug', 'BUG2'], { allowedBugs: ['BUG1', 'BUG11'] })).toBe(
      '--bug: unknown bug "BUG2" (allowed: BUG1, BUG11)');
    expect(fails(['run', '--scenario', 'x', '--chaos-window', 'zzz'], { allowedChaosWindows: ['ttwu:a', 'pick:b'] })).toBe(
      '--chaos-window: unknown gate window "zzz" (windows: ttwu:a, pick:b)');
    expect(run('--scenario', 'x', '--chaos-window', 'tt').chaosWindows).toEqual(['tt']); // no list: anything
  });

  it('flag misuse', () => {
    expect(fails(['run', '--scenario', 'x', '--json=yes'])).toBe('--json takes no value (got "--json=yes")');
    expect(fails(['run', '--scenario', 'x', '--cpus', '2', '--cpus', '4'])).toBe(
      '--cpus given twice ("2", then "4"); give it once');
    expect(fails(['run', '--scenario', 'x', '--quiet', '--quiet'])).toBe('--quiet given twice; give it once');
    expect(fails(['run', 'pi-basic'])).toBe('unexpected argument "pi-basic" for "run"; did you mean --scenario pi-basic?');
    expect(fails(['list', 'all'])).toBe('unexpected argument "all" for "list" (it takes only flags: --json, --help)');
    expect(fails(['help', 'run', 'list'])).toBe('unexpected argument "list" for "help" (it takes at most 1: [command])');
  });
});

describe('parseArgs: tokens', () => {
  const stress = (...argv: string[]) => (parseArgs(['stress', ...argv], ctx) as Extract<Command, { command: 'stress' }>).options;
  const merge = (...argv: string[]) => (parseArgs(['merge', ...argv], ctx) as Extract<Command, { command: 'merge' }>).options;

  it('--flag=value and --flag value give the same, for every type', () => {
    const spaced = ['--seeds', '3', '--duration', '300ms', '--chaos', '0.5', '--out', 'r', '--strategies', 'none', '--shard', '1/2'];
    const inline = ['--seeds=3', '--duration=300ms', '--chaos=0.5', '--out=r', '--strategies=none', '--shard=1/2'];
    expect(stress(...inline)).toEqual(stress(...spaced));
    expect(stress(...inline)).toMatchObject({ seeds: 3, duration: 300e6, chaos: 0.5, out: 'r', strategies: ['none'], shard: [1, 2] });
    expect(run('--scenario=a=b.json').scenario).toBe('a=b.json'); // only the first "=" splits
    expect(run('--scenario', 'x', '--seed=16').seed).toBe(16);
  });

  it('list flags: repeated and comma-separated, normalized, without duplicates, in the order given', () => {
    expect(run('--scenario', 'x', '--bug', 'BUG5', '--bug=bug11, BUG5', '--bug', 'bug1').bugs).toEqual(['BUG5', 'BUG11', 'BUG1']);
    expect(stress('--strategies', 'ttwu-return', '--strategies=none,ttwu-return').strategies).toEqual(['ttwu-return', 'none']);
    expect(stress('--scenarios', 'pi-basic', '--scenarios', 'pi-basic').scenarios).toEqual(['pi-basic']);
    const h = parseArgs(['hunt', '--bug', 'bug11', '--bug', 'BUG5'], ctx) as Extract<Command, { command: 'hunt' }>;
    expect(h.options.bugs).toEqual(['BUG11', 'BUG5']);
    expect(fails(['run', '--scenario', 'x', '--bug', 'BUG5,,BUG11'])).toBe(
      '--bug: expected BUGn (e.g. BUG11), got an empty value');
    expect(fails(['run', '--scenario', 'x', '--bug'])).toBe('--bug: missing value (expected BUGn (e.g. BUG11))');
    expect(fails(['run', '--scenario', 'x', '--bug'], { allowedBugs: ['BUG1', 'BUG11'] })).toBe(
      '--bug: missing value (expected one of: BUG1, BUG11)');
  });

  it('-- ends the flags: what follows is positional, even --help', () => {
    expect(merge('a', '--', '--out', 'b', '-h')).toEqual({ inputs: ['a', '--out', 'b', '-h'], out: undefined });
    expect(merge('--out', 'o', 'a', '--', 'b')).toEqual({ inputs: ['a', 'b'], out: 'o' });
    expect(parseArgs(['help', '--', 'list'])).toEqual({ command: 'help', topic: 'list' });
    expect(fails(['list', '--', '--json'])).toBe('unexpected argument "--json" for "list" (it takes only flags: --json, --help)');
    expect(fails(['--'])).toBe(
      'missing command before "--" (commands: run, replay, shrink, hunt, stress, compare, merge, list, help; e.g. "proxysim run --scenario pi-basic")');
  });

  it('positionals: "-" and negative numbers are arguments, not flags', () => {
    expect(merge('-', '-1', '-.5').inputs).toEqual(['-', '-1', '-.5']);
    expect(merge('-12').inputs).toEqual(['-12']);
    expect(fails(['run', '--scenario', 'x', '-5'])).toBe(`unexpected argument "-5" for "run" (it takes only flags: ${RUN_FLAGS})`);
  });

  it('a value may start with one dash; a flag (or --) where a value belongs means the value is missing', () => {
    expect(merge('--out', '-o', 'a').out).toBe('-o');
    expect(fails(['run', '--scenario', 'x', '--trace', '--quiet'])).toBe('--trace: missing value (expected a file name)');
    expect(fails(['run', '--scenario', '--', 'x'])).toBe(
      '--scenario: missing value (expected a built-in scenario name or a scenario file)');
    expect(fails(['stress', '--strategies'])).toBe('--strategies: missing value (expected comma-separated designs, or "all")');
  });

  it('--help / -h where a value belongs, or in a group of short flags, still asks for help', () => {
    expect(parseArgs(['run', '--scenario', '--help'])).toEqual({ command: 'help', topic: 'run' });
    expect(parseArgs(['run', '--scenario', '-h'])).toEqual({ command: 'help', topic: 'run' });
    expect(parseArgs(['--scenario', 'x', '-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['merge', '-xh'])).toEqual({ command: 'help', topic: 'merge' });
    expect(parseArgs(['help', 'stress', '-h'])).toEqual({ command: 'help', topic: 'stress' });
    expect(fails(['run', '--scenario', 'x', '--help=yes'])).toBe('--help takes no value (got "--help=yes")');
  });

  it('unknown flags, with did-you-mean', () => {
    expect(fails(['run', '--scenario', 'x', '--chaos-windows', 'ttwu'])).toBe(
      `unknown flag --chaos-windows for "run" (allowed: ${RUN_FLAGS}); did you mean --chaos-window?`);
    expect(fails(['run', '--scenario', 'x', '--sede=3'])).toBe(
      `unknown flag --sede for "run" (allowed: ${RUN_FLAGS}); did you mean --seed?`);
    expect(fails(['list', '-json'])).toBe('unknown flag -json for "list" (allowed: --json, --help); did you mean --json?');
    expect(fails(['list', '-jx'])).toBe('unknown flag -jx for "list" (allowed: --json, --help)');
    expect(fails(['list', '--bogus'])).toBe('unknown flag --bogus for "list" (allowed: --json, --help)');
    expect(fails(['list', '--no-json'])).toBe('unknown flag --no-json for "list" (allowed: --json, --help)');
    expect(fails(['help', '--json'])).toBe('unknown flag --json for "help" (allowed: --help)');
  });

  it('the first error in the order given is the one reported', () => {
    expect(fails(['run', '--cpus', '0', '--bogus', '--scenario', 'x'])).toBe('--cpus: expected an integer 1..32, got "0"');
    expect(fails(['run', '--bogus', '--cpus', '0'])).toMatch(/^unknown flag --bogus /);
  });
});

describe('usage', () => {
  it('general help lists every command', () => {
    const text = usage();
    for (const c of COMMANDS) expect(text).toContain(`  ${c.name}`);
    expect(text).toContain('Exit codes: 0 ok, 1 a check failed, 2 bad command line, 65 bad scenario');
  });

  it('command help describes every flag with its default, and examples', () => {
    const raw = usage('run', ctx);
    const text = raw.replace(/\s+/g, ' ');
    for (const f of COMMANDS.find((c) => c.name === 'run')!.flags) expect(text).toContain(`--${f.name}`);
    expect(text).toContain('Default: force-return.');
    expect(text).toContain(`One of: ${STRATEGIES.join(', ')}.`);
    expect(text).toContain('Default: 100us.');
    expect(text).toContain("Default: the scenario's, else 2s.");
    expect(raw).toContain('Examples:\n  proxysim run --scenario pi-basic');
    for (const line of raw.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(usage('list')).toContain('Usage: proxysim list [--json]');
    expect(() => usage('nope')).toThrow(UsageError);
  });

  it('every command has examples that parse', () => {
    const full: ArgsContext = { ...ctx, allowedBugs: knownBugs().map((b) => bugName(b.n)) };
    for (const c of COMMANDS) {
      for (const ex of c.examples) {
        const argv = ex.split(' ').slice(1);
        expect(() => parseArgs(argv, full), ex).not.toThrow();
      }
    }
  });
});

describe('integers are decimal, in range', () => {
  const stressShard = (v: string, env: Record<string, string> = {}) =>
    (parseArgs(['stress', '--shard', v], { ...ctx, env }) as Extract<Command, { command: 'stress' }>).options.shard;

  it('hex, octal-looking and exponent forms are refused, saying decimal', () => {
    expect(fails(['run', '--scenario', 'x', '--cpus', '0x2'])).toBe('--cpus: expected a decimal integer 1..32, got "0x2"');
    expect(fails(['run', '--scenario', 'x', '--seed', '0x10'])).toBe('--seed: expected a decimal integer 0..4294967295, got "0x10"');
    expect(fails(['stress', '--seeds', '010'])).toBe('--seeds: expected a decimal integer 1..10000, got "010"');
    expect(fails(['stress', '--first-seed', '1e3'])).toBe('--first-seed: expected a decimal integer 0..4294967295, got "1e3"');
    expect(run('--scenario', 'x', '--seed', '0').seed).toBe(0);
    expect(run('--scenario', 'x', '--cpus', '2').cpus).toBe(2);
  });

  it('the help no longer offers hex', () => {
    expect(usage('run', ctx)).not.toMatch(/hex/);
    expect(usage('run', ctx)).toContain('a decimal integer 0..4294967295');
  });

  it('--shard: k and N decimal, 1 <= k <= N <= MAX_SHARDS, the range in the message', () => {
    const range = `1 <= k <= N <= ${MAX_SHARDS}`;
    expect(fails(['stress', '--shard', '99999999999999999999/99999999999999999999'])).toBe(
      `--shard: expected k/N with ${range} (e.g. 1/4), got "99999999999999999999/99999999999999999999"`);
    expect(fails(['stress', '--shard', `1/${MAX_SHARDS + 1}`])).toBe(`--shard: expected k/N with ${range} (e.g. 1/4), got "1/${MAX_SHARDS + 1}"`);
    expect(fails(['stress', '--shard', '0/4'])).toBe(`--shard: expected k/N with ${range} (e.g. 1/4), got "0/4"`);
    expect(fails(['stress', '--shard', '0x1/4'])).toBe('--shard: expected k/N (e.g. 1/4) or auto or auto/N, got "0x1/4"');
    expect(stressShard(`${MAX_SHARDS}/${MAX_SHARDS}`)).toEqual([MAX_SHARDS, MAX_SHARDS]);
    expect(stressShard('3/4')).toEqual([3, 4]);
  });
});

describe('--shard auto: the shard from the environment', () => {
  const err = (text: string, env: Record<string, string>): string => {
    try {
      shardFromEnv(text, env);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).not.toContain('\n');
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('Kubernetes Indexed Job: JOB_COMPLETION_INDEX is 0-based; the count from JOB_COMPLETIONS or auto/N', () => {
    expect(shardFromEnv('auto', { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '4' })).toEqual([1, 4]);
    expect(shardFromEnv('auto', { JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '4' })).toEqual([4, 4]);
    expect(shardFromEnv('auto/8', { JOB_COMPLETION_INDEX: '7' })).toEqual([8, 8]);
    expect(shardFromEnv('auto/8', { JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '8' })).toEqual([3, 8]);
    expect(err('auto', { JOB_COMPLETION_INDEX: '1' })).toMatch(/JOB_COMPLETION_INDEX is set .* set JOB_COMPLETIONS in the pod's env, or give --shard auto\/N/);
    expect(err('auto', { JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '4' })).toBe(
      '--shard auto: JOB_COMPLETION_INDEX="4" is not a decimal integer 0..3 (0-based, 4 completions)');
    expect(err('auto', { JOB_COMPLETION_INDEX: '0x1', JOB_COMPLETIONS: '4' })).toMatch(/JOB_COMPLETION_INDEX="0x1" is not/);
    expect(err('auto/4', { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '8' })).toBe('--shard auto/4: JOB_COMPLETIONS=8 says 8 shards, the flag 4');
    expect(err('auto', { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: `${MAX_SHARDS + 1}` })).toMatch(/is not a decimal integer 1\.\.10000/);
  });

  it('GitLab parallel: CI_NODE_INDEX is 1-based, CI_NODE_TOTAL the count', () => {
    expect(shardFromEnv('auto', { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).toEqual([1, 3]);
    expect(shardFromEnv('auto/3', { CI_NODE_INDEX: '3', CI_NODE_TOTAL: '3' })).toEqual([3, 3]);
    expect(err('auto', { CI_NODE_INDEX: '0', CI_NODE_TOTAL: '3' })).toBe('--shard auto: CI_NODE_INDEX="0" is not a decimal integer 1..3 (1-based, CI_NODE_TOTAL=3)');
    expect(err('auto', { CI_NODE_INDEX: '1' })).toMatch(/CI_NODE_INDEX is set but not CI_NODE_TOTAL/);
    expect(err('auto/2', { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).toBe('--shard auto/2: CI_NODE_TOTAL=3 says 3 shards, the flag 2');
  });

  it('Kubernetes first; empty variables count as unset; none: one error naming what it looked for', () => {
    expect(shardFromEnv('auto', { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '2', CI_NODE_INDEX: '1', CI_NODE_TOTAL: '5' })).toEqual([2, 2]);
    const none = err('auto', { JOB_COMPLETION_INDEX: '', GITHUB_ACTIONS: 'true' });
    for (const v of ['JOB_COMPLETION_INDEX', 'JOB_COMPLETIONS', 'CI_NODE_INDEX', 'CI_NODE_TOTAL', '--shard k/N']) expect(none).toContain(v);
    expect(err('auto/0', {})).toBe(`--shard: expected auto/N with 1 <= N <= ${MAX_SHARDS}, got "auto/0"`);
  });

  it('through parseArgs: the environment of the context, a usage error (exit 2) when there is none', () => {
    const opts = parseArgs(['stress', '--shard', 'auto'], { ...ctx, env: { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4' } }) as Extract<Command, { command: 'stress' }>;
    expect(opts.options.shard).toEqual([2, 4]);
    expect(fails(['stress', '--shard=auto'], { ...ctx, env: {} })).toMatch(/^--shard auto: no shard in the environment: looked for JOB_COMPLETION_INDEX/);
    expect(fails(['stress', '--shard', 'autox'], { ...ctx, env: {} })).toMatch(/^--shard: expected k\/N/);
  });
});
