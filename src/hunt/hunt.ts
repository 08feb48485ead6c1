/**
 * The detection matrix. Every (bug, directed scenario) pair runs k times until detection or the
 * budget; every correct design runs every clean scenario for the same budget and must stay clean;
 * the known-broken designs run the same scenarios and their violations are reported as what they
 * are: findings about the design. A failing run writes its artifact (for a planted bug, the first).
 *
 * The runs are executed by one or more executors (src/exec): free (the CPU workers race in real
 * time, the directed chaos widens the windows), random or pct (one CPU at a time, chosen by the
 * strategy at every step point; virtual time, the budget is the virtual duration; no chaos). Per
 * case and executor the matrix keeps the time to the first detection: runs, wall time and, for the
 * controlled executors, steps; and for pct the bound of Burckhardt et al. (a bug of depth d is found
 * with probability >= 1/(n k^(d-1)) per run, n CPUs, k steps).
 */
import { runMachine } from '../machine/machine.ts';
import type { RunSnapshot } from '../machine/snapshot.ts';
import type { ExecutorSpec } from '../exec/area.ts';
import { resolveScenario } from '../workload/validate.ts';
import { bugName, knownBug, type KnownBug } from '../proxy/bugs.ts';
import { buildArtifact, writeArtifact } from '../report/artifact.ts';
import type { HuntCase, HuntResult } from '../results/format.ts';
import { CLEAN_CHAOS, CLEAN_SCENARIOS, cleanDesignNames, directedCases, knownBrokenDesignNames, type DirectedCase } from './directed.ts';

/** How hunt executes its runs. */
export const HUNT_EXECUTORS = ['free', 'random', 'pct'] as const;
export type HuntExecutorKind = typeof HUNT_EXECUTORS[number];

/** PCT's depth when none is given */
export const DEFAULT_PCT_DEPTH = 3;
/**
 * PCT's horizon (the steps over which its d-1 change points are drawn) for the first run of a case,
 * whose length in steps is not known yet: the executor's own default.
 */
export const FIRST_PCT_STEPS = 20_000;
/** the shortest horizon a later run gets (shorter runs: the whole run) */
const MIN_PCT_STEPS = 1_000;

export interface HuntParams {
  /** per run, ns (controlled executors: virtual ns) */
  budget: number;
  runs: number;
  /** restrict to these bugs (BUGn); empty = all */
  bugs: string[];
  /** skip the clean runs of the correct and known-broken designs */
  bugsOnly: boolean;
  /** first seed: the runs of a case use seed .. seed + runs - 1 */
  seed: number;
  artifactDir: string;
  /** the executors to compare, in this order (default: free) */
  executors?: readonly HuntExecutorKind[];
  /** pct: the bug depth d (d-1 priority change points) */
  depth?: number;
  /** pct: a fixed horizon in steps for every run instead of the per-case one (pctHorizon) */
  pctSteps?: number;
  /** runs per case under pct (default: runs) */
  pctRuns?: number;
}

/** One run of a case. */
export interface HuntRun {
  seed: number;
  /** the invariant that fired first, or null */
  finding: string | null;
  /** wall ms from the release of the CPUs to the end of the run (the machine's wallNs) */
  wall_ms: number;
  /** wall ms before that: the CPU workers' start-up */
  boot_ms: number;
  /** steps the run took (controlled executors), else null */
  steps: number | null;
  /** the step of the first violation (controlled executors), else null */
  detect_step: number | null;
  /** pct: the horizon this run's change points were drawn from */
  pct_steps?: number;
}

/** PCT's guarantee for a case: p >= 1/(n k^(d-1)) per run, with n CPUs and k steps per run. */
export interface PctBound {
  depth: number;
  n: number;
  /** median steps of the case's runs */
  k: number;
  /** the lower bound on the probability of detection per run */
  p: number;
  /** 1/p: runs expected at most, if the bug has depth <= d */
  expected_runs: number;
  /** measured: runs / detections (null: not detected) */
  measured_runs: number | null;
}

/** A case of the matrix under one executor, with its time to detection. */
export interface HuntCaseX extends HuntCase {
  executor: HuntExecutorKind;
  /** pct's depth, else null */
  depth: number | null;
  nr_cpus: number;
  run_details: HuntRun[];
  /** runs to each detection, counted from the run after the previous one (the first: from run 1) */
  runs_to_detection: number[];
  median_runs: number | null;
  /** wall ms to each detection: the wall_ms of those runs, added */
  wall_to_detection_ms: number[];
  median_wall_ms: number | null;
  /** steps to each detection: the steps of those runs (the detecting one: to its violation), added */
  steps_to_detection: number[] | null;
  median_steps: number | null;
  /** median steps per run (the k of PCT's bound) */
  median_run_steps: number | null;
  pct: PctBound | null;
}

/** The matrix under one or more executors (`hunt --json`). `results` has every case under every executor. */
export interface HuntMatrix extends HuntResult {
  executors: HuntExecutorKind[];
  depth: number;
  /** pct: the fixed horizon given, or null (per case, see pctHorizon) */
  pct_steps: number | null;
  /** runs per case under pct (`runs`: under the others) */
  pct_runs: number;
  results: HuntCaseX[];
}

/** Before each run: which one, and how many cases are done of the total. */
export interface HuntProgress {
  done: number;
  total: number;
  kind: HuntCase['kind'];
  bug: string | null;
  design: string;
  scenario: string;
  executor: HuntExecutorKind;
  /** 1-based */
  run: number;
  runs: number;
}

export interface HuntHooks {
  onProgress?(p: HuntProgress): void;
  /** stops the hunt after the running case; the result says interrupted */
  signal?: AbortSignal;
  /** each case as it finishes (what a second Ctrl-C can still print) */
  onCase?(c: HuntCaseX): void;
}

export function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * The horizon of PCT's change points for run i (0-based) of a case, given the steps of its first run.
 *
 * PCT draws its d-1 change points uniformly over the first `pctSteps` steps; its guarantee holds when
 * that is the run's length k. The executor's default (20,000) is far from it here: a 3 s budget is
 * about 13,000 steps of seed-signal-s3 but 1,340,000 of wakeq-race, so either most of the run has no
 * change point (a fixed priority schedule after the last one) or the points fall after the run's end.
 * The first run therefore uses the default and measures k; later runs take their horizon from it.
 * A run cut by its violation gives only a lower bound on k (its steps per virtual ns are no guide:
 * a livelock takes thousands of steps in no virtual time), so k is at least the default. Where the
 * bug lies in the run is not known either, and the points of a horizon much longer than that position
 * seldom land before it; so the horizon halves from run to run (k, k/2, .., k/16, then k again),
 * which puts every position down to k/32 within a factor of two of some run's horizon.
 */
export function pctHorizon(run: number, firstRunSteps: number): number {
  if (run === 0) return FIRST_PCT_STEPS;
  const k = Math.max(FIRST_PCT_STEPS, firstRunSteps);
  return Math.max(MIN_PCT_STEPS, Math.round(k / 2 ** ((run - 1) % 5)));
}

function executorSpec(kind: HuntExecutorKind, depth: number, pctSteps: number | undefined): ExecutorSpec | undefined {
  if (kind === 'free') return undefined;
  if (kind === 'random') return { kind: 'random' };
  return { kind: 'pct', depth, pctSteps };
}

type HuntTarget = DirectedCase | { design: string; scenario: string; bug?: undefined; chaos?: DirectedCase['chaos']; cpus?: number };

/** One run, timed: the run itself (the machine's wall time from the release of the CPUs to the end) and
 *  the CPU workers' start-up before it. */
async function timedRun(opts: Parameters<typeof runMachine>[0]): Promise<{ r: RunSnapshot; wall: number; boot: number }> {
  const t0 = performance.now();
  const r = await runMachine(opts);
  const total = performance.now() - t0;
  const wall = r.wallNs > 0 ? r.wallNs / 1e6 : total;
  return { r, wall, boot: Math.max(0, total - wall) };
}

async function runCase(c: HuntTarget, kind: HuntCase['kind'], executor: HuntExecutorKind, o: HuntParams,
  progress: (run: Omit<HuntProgress, 'done' | 'total'>) => void): Promise<HuntCaseX> {
  const bug: KnownBug | null = c.bug !== undefined ? knownBug(c.bug)! : null;
  const depth = o.depth ?? DEFAULT_PCT_DEPTH;
  const res: HuntCaseX = {
    kind, bug: bug ? bugName(bug.n) : null, design: c.design, scenario: c.scenario, runs: 0, detected: 0,
    expected: bug ? [bug.caughtBy, ...(bug.alsoBy ?? [])].join('/') : null, fired: {}, detect_ms: [], median_ms: null, artifacts: [], ok: false,
    executor, depth: executor === 'pct' ? depth : null, nr_cpus: 0, run_details: [],
    runs_to_detection: [], median_runs: null, wall_to_detection_ms: [], median_wall_ms: null,
    steps_to_detection: executor === 'free' ? null : [], median_steps: null, median_run_steps: null, pct: null,
  };
  const scenario = resolveScenario(c.scenario, { cpus: c.cpus });
  // chaos widens the windows of free runs; a controlled executor decides the order itself
  const chaos = executor !== 'free' ? null : c.chaos ?? (kind === 'bug' ? null : CLEAN_CHAOS);
  let firstSteps = 0;
  let sinceRuns = 0;
  let sinceWall = 0;
  let sinceSteps = 0;
  const runs = executor === 'pct' ? o.pctRuns ?? o.runs : o.runs;
  for (let i = 0; i < runs; i++) {
    const seed = (o.seed + i) >>> 0;
    progress({ kind, bug: res.bug, design: c.design, scenario: c.scenario, executor, run: i + 1, runs });
    const pctSteps = executor !== 'pct' ? undefined : o.pctSteps ?? pctHorizon(i, firstSteps);
    const { r, wall, boot } = await timedRun({
      scenario, strategy: c.design, durationNs: o.budget, seed, bugs: bug ? [bug.n] : [],
      chaos: chaos ? { p: chaos.p, maxNs: chaos.maxNs, windows: chaos.windows.length ? chaos.windows : null } : null, keepEvents: false,
      executor: executorSpec(executor, depth, pctSteps),
    });
    res.runs++;
    res.nr_cpus = r.nrCpus;
    const f = r.failure;
    const steps = r.exec ? r.exec.steps : null;
    const detectStep = f && r.exec ? (f.step ?? r.exec.steps) : null;
    if (i === 0) firstSteps = detectStep ?? steps ?? 0;
    res.run_details.push({
      seed, finding: f?.id ?? null, wall_ms: round2(wall), boot_ms: round2(boot), steps, detect_step: detectStep,
      ...(pctSteps !== undefined ? { pct_steps: pctSteps } : {}),
    });
    sinceRuns++;
    sinceWall += wall;
    sinceSteps += detectStep ?? steps ?? 0;
    if (f) {
      res.detected++;
      res.fired[f.id] = (res.fired[f.id] ?? 0) + 1;
      res.detect_ms.push(round2(f.time / 1e6));
      res.runs_to_detection.push(sinceRuns);
      res.wall_to_detection_ms.push(round2(sinceWall));
      res.steps_to_detection?.push(sinceSteps);
      sinceRuns = 0; sinceWall = 0; sinceSteps = 0;
      if (kind !== 'bug' || res.artifacts.length === 0) {
        const art = buildArtifact(r, {
          scenario: c.scenario, strategy: c.design, cpus: r.nrCpus, durationNs: o.budget, seed, bugs: bug ? [bug.n] : [], chaos: chaos ? { ...chaos } : null,
          execution: { executor, record: false, stepNs: 100, samplerMs: 50, countI10: false, ...(executor === 'pct' ? { depth } : {}) },
        });
        res.artifacts.push(writeArtifact(art, o.artifactDir));
      }
    }
  }
  res.median_ms = median(res.detect_ms);
  res.median_runs = median(res.runs_to_detection);
  res.median_wall_ms = median(res.wall_to_detection_ms);
  res.median_steps = res.steps_to_detection ? median(res.steps_to_detection) : null;
  const runSteps = res.run_details.flatMap((x) => (x.steps === null ? [] : [x.steps]));
  res.median_run_steps = median(runSteps);
  if (executor === 'pct' && res.median_run_steps !== null && res.runs > 0) res.pct = pctBound(depth, res.nr_cpus, res.median_run_steps, res.runs, res.detected);
  if (kind === 'bug') {
    const want = new Set([bug!.caughtBy, ...(bug!.alsoBy ?? [])]);
    const rightIds = Object.keys(res.fired).every((id) => want.has(id));
    // free runs race in real time: the directed set-up must catch the bug every run; a controlled
    // executor explores schedules at random: a bug found in some of its runs is found
    res.ok = rightIds && (executor === 'free' ? res.detected === res.runs : res.detected > 0);
  } else if (kind === 'clean') {
    res.ok = res.detected === 0;
  } else {
    res.ok = true; // the sketch's findings are results, not failures of the harness
  }
  return res;
}

export function pctBound(depth: number, n: number, k: number, runs: number, detected: number): PctBound {
  const expected = n * Math.max(1, k) ** (depth - 1);
  return { depth, n, k, p: 1 / expected, expected_runs: expected, measured_runs: detected > 0 ? runs / detected : null };
}

function round2(x: number): number { return Math.round(x * 100) / 100; }

/**
 * The matrix: the planted bugs (those of o.bugs, or all), then unless bugsOnly the clean and
 * known-broken designs; each case under every executor of o.executors in turn before the next case.
 */
export async function runHunt(o: HuntParams, hooks: HuntHooks = {}): Promise<HuntMatrix> {
  const executors = [...(o.executors?.length ? o.executors : ['free' as const])];
  const wanted = new Set(o.bugs);
  const cases = directedCases().filter((d) => wanted.size === 0 || wanted.has(bugName(d.bug)));
  const clean = cleanDesignNames();
  const broken = knownBrokenDesignNames();
  const total = executors.length * (cases.length + (o.bugsOnly ? 0 : (clean.length + broken.length) * CLEAN_SCENARIOS.length));
  const results: HuntCaseX[] = [];
  const progress = (run: Omit<HuntProgress, 'done' | 'total'>): void => hooks.onProgress?.({ done: results.length, total, ...run });
  const stopped = (): boolean => hooks.signal?.aborted ?? false;
  const finished = (c: HuntCaseX): void => { results.push(c); hooks.onCase?.(c); };
  const targets: [HuntTarget, HuntCase['kind']][] = cases.map((c) => [c, 'bug']);
  if (!o.bugsOnly) {
    for (const design of [...clean, ...broken]) {
      for (const scenario of CLEAN_SCENARIOS) targets.push([{ design, scenario }, broken.includes(design) ? 'sketch' : 'clean']);
    }
  }
  outer: for (const [c, kind] of targets) {
    for (const ex of executors) {
      if (stopped()) break outer;
      finished(await runCase(c, kind, ex, o, progress));
    }
  }
  return {
    budget_ns: o.budget, runs: o.runs, seed: o.seed, pass: results.every((r) => r.ok), interrupted: stopped(), results,
    executors, depth: o.depth ?? DEFAULT_PCT_DEPTH, pct_steps: o.pctSteps ?? null, pct_runs: o.pctRuns ?? o.runs,
  };
}
