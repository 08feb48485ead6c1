/**
 * `proxysim shrink`: search for a smaller reproducer of a failure artifact, on the controlled
 * executor: fewer tasks, fewer CPUs, fewer ops, shorter run/sleep durations, smaller repeat counts,
 * a run cut just after the violation, fewer steps.
 *
 * Approach: a delta-debugging loop of our own (chunk removal, ddmin-style), not fast-check's
 * shrinking, because
 *   - fast-check is a devDependency: a production install (`npm ci --omit=dev`) would leave the
 *     command without it (the layering test would not object, the runtime would);
 *   - fast-check shrinks values that its own arbitraries generated; the input here is a given
 *     scenario, and every candidate needs fix-ups (a removed task takes the signals aimed at it and
 *     the mutexes nobody uses any more with it, CPUs are renumbered) and must pass validateScenario;
 *   - one test of a candidate is a whole machine run (worker start-up alone takes a second, several on
 *     a loaded host): the search must watch a wall-time budget, cache what it ran, try the big
 *     reductions first, and retry rejected candidates with other seeds only when time is left.
 *     fast-check's shrinker does none of that.
 *
 * The loop. The current best is a scenario, its CPU count, its duration and a controlled executor
 * (random or pct, a seed) whose run shows the target violation id. A candidate is a copy with one
 * reduction, tidied (references to removed tasks, unused mutexes, CPUs beyond the count dropped) and
 * validated (rejected without a run if validateScenario refuses it). It is accepted when a run of it
 * shows the same violation id in no more steps than the original run: first with the best's
 * executor and seed; in a second round (when time is left) also the other executor and the next seed
 * (up to `tries` runs per candidate). Passes, repeated until nothing more is accepted:
 *   tasks    remove the tasks that never ran before the violation (together), then chunks of tasks
 *            (halves, quarters, ... single tasks; the least active first, those the violation names last)
 *   cpus     fewer CPUs: the CPUs the tasks name renumbered 0..k-1, or one CPU less
 *   ops      remove chunks of ops from every op list (programs, critical sections, loop bodies),
 *            a lock with its matching unlock; then unwrap (a critical section or a loop body in place
 *            of its lock or repeat)
 *   numbers  run/sleep durations to 1us or halved, repeat counts to 1 or halved (forever to 1, 2, 8),
 *            start delays removed
 * then a few more seeds for fewer steps, and a last run with the duration cut just after the
 * violation. Candidate runs use a duration a little beyond the best's violation (the controlled
 * executor's schedule does not depend on the duration, so the cut run repeats the probe run; it must
 * stop at the same step to be taken). Time for the cut run is kept while it is pending.
 *
 * A free run's artifact (--record) is first reproduced on the controlled executor: random and pct over
 * the artifact's seed and the next ones, at the artifact's duration. A run that does not end (seen:
 * pct on a CPU left with nothing to do) is stopped after HANG_FACTOR times the longest run so far and
 * counts as not reproducing.
 */
import { join } from 'node:path';
import { runMachine } from '../machine/machine.ts';
import type { RunSnapshot } from '../machine/snapshot.ts';
import type { LoadedArtifact } from '../report/load-artifact.ts';
import { buildArtifact, rerunCommand, writeArtifact, type Artifact } from '../report/artifact.ts';
import { validateScenario } from '../workload/validate.ts';
import { formatDuration, parseDuration } from '../workload/duration.ts';
import type { Op, Scenario, TaskSpec } from '../workload/scenario.ts';
import { ResultsError, ScenarioError } from '../errors.ts';
import { safeFileName, safeName, writeFileAtomic } from '../files.ts';

/** virtual ns per step, as `run --executor random|pct` uses (so that the re-run command repeats the run) */
export const STEP_NS = 100;
/** pct's depth when the artifact does not say (the CLI's default) */
export const DEFAULT_PCT_DEPTH = 3;
/** runs per candidate in the second round: own executor and seed, the other executor, the next seed, both */
export const DEFAULT_TRIES = 4;
/** a run taking this many times the longest so far (and at least HANG_MIN_MS) is taken as hung */
const HANG_FACTOR = 4;
const HANG_MIN_MS = 15_000;
/** setTimeout's longest delay */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** more seeds tried at the end for a run with fewer steps */
const SCHEDULE_SEEDS = 4;
/** a free run's artifact: controlled seeds tried per executor before giving up (or the budget ends) */
const SEARCH_SEEDS = 16;

export type ControlledKind = 'random' | 'pct';
export interface ExecChoice { kind: ControlledKind; seed: number; depth?: number }

/** What the before/after table shows. */
export interface Size { tasks: number; ops: number; cpus: number; steps: number; preemptions: number; durationNs: number }

/** A run that shows the target violation, and what ran. */
export interface Reproducer { scenario: Scenario; cpus: number; durationNs: number; exec: ExecChoice; run: RunSnapshot }

export interface ShrinkStep {
  pass: string;
  /** the reduction, e.g. "remove task T0" */
  what: string;
  from: Size;
  to: Size;
  exec: ExecChoice;
  /** ms since the start */
  atMs: number;
}

export interface ShrinkParams {
  /** wall time, ms */
  budgetMs: number;
  /** runs per candidate in the second round (1..4) */
  tries?: number;
  /** stop (Ctrl-C): the best so far is the result */
  signal?: AbortSignal;
  /** every accepted reduction, with its line ("tasks 3→2, ops 12→8") */
  onAccept?(step: ShrinkStep, line: string): void;
  /** what the search does and finds besides (reproduction, notes) */
  onNote?(line: string): void;
  /** before each run: what is tried */
  onTry?(what: string): void;
}

export interface ShrinkResult {
  /** the violation id every accepted run shows */
  target: string;
  before: Size;
  /** null: the violation could not be reproduced on the controlled executor within the budget */
  best: Reproducer | null;
  after: Size | null;
  /** the first controlled run that showed the violation (what the search started from) */
  reproduction: Size | null;
  /** the artifact's run was controlled: its steps and preemptions compare with the reproducer's
   *  (a free run's recorder counts other steps, and no preemptions) */
  comparableSteps: boolean;
  /** what is smaller than in the artifact ("tasks 3→2"); empty: nothing */
  smallerIn: string[];
  /** the reproducer is smaller than the artifact in some measure (and larger in none of tasks, ops, CPUs) */
  smaller: boolean;
  steps: ShrinkStep[];
  runs: number;
  /** candidates looked at (valid or not, run or cached) */
  candidates: number;
  wallMs: number;
  stoppedBy: 'done' | 'budget' | 'interrupted';
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Sizes and scenario edits
// ---------------------------------------------------------------------------------------------

/** Ops in a list, nested ops counted (a lock with a critical section of two runs: 3). */
export function countOps(ops: readonly Op[]): number {
  let n = 0;
  for (const op of ops) {
    n++;
    if ('critical' in op && op.critical) n += countOps(op.critical);
    if (op.op === 'repeat') n += countOps(op.body);
  }
  return n;
}

export function scenarioOps(s: Scenario): number {
  return s.tasks.reduce((n, t) => n + countOps(t.program), 0);
}

function sizeOf(r: Reproducer): Size {
  return {
    tasks: r.scenario.tasks.length, ops: scenarioOps(r.scenario), cpus: r.cpus,
    steps: r.run.exec?.steps ?? 0, preemptions: r.run.exec?.preemptions ?? 0, durationNs: r.durationNs,
  };
}

const SIZE_LABEL: [keyof Size, string][] = [
  ['tasks', 'tasks'], ['ops', 'ops'], ['cpus', 'CPUs'], ['steps', 'steps'], ['preemptions', 'preemptions'], ['durationNs', 'duration'],
];

export function sizeValue(s: Size, k: keyof Size): string {
  return k === 'durationNs' ? formatDuration(s[k]) : String(s[k]);
}

/** "tasks 3→2, ops 12→8" (what changed; the duration only when `duration`). */
export function sizeChange(a: Size, b: Size, duration = true): string {
  const parts = SIZE_LABEL.filter(([k]) => a[k] !== b[k] && (duration || k !== 'durationNs')).map(([k, l]) => `${l} ${sizeValue(a, k)}→${sizeValue(b, k)}`);
  return parts.length ? parts.join(', ') : 'no size change';
}

/** The rows of a table of sizes: [label, one value per size]. */
export function sizeRows(...sizes: (Size | null)[]): string[][] {
  return SIZE_LABEL.map(([k, l]) => [l, ...sizes.map((s) => (s ? sizeValue(s, k) : '-'))]);
}

type Path = (string | number)[];
type Json = Record<string, unknown>;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function at(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Json)[k as string];
  }
  return v;
}

/** Every op list of the scenario, outer lists first: programs, then critical sections and loop bodies. */
function opLists(s: Scenario): Path[] {
  const out: Path[] = [];
  const walk = (ops: Op[], p: Path): void => {
    out.push(p);
    ops.forEach((op, i) => {
      if ('critical' in op && Array.isArray(op.critical)) walk(op.critical, [...p, i, 'critical']);
      if (op.op === 'repeat') walk(op.body, [...p, i, 'body']);
    });
  };
  s.tasks.forEach((t, i) => walk(t.program, ['tasks', i, 'program']));
  return out.sort((a, b) => a.length - b.length);
}

/** Every op, by path. */
function allOps(s: Scenario): Path[] {
  const out: Path[] = [];
  for (const l of opLists(s)) (at(s, l) as Op[]).forEach((_, i) => out.push([...l, i]));
  return out;
}

const LOCKS = new Set(['lock', 'lock_interruptible', 'trylock']);
/** a lock op without a critical section: the mutex stays held until an unlock op */
const holdsOpen = (op: Op): string | null => (LOCKS.has(op.op) && !(op as { critical?: Op[] }).critical ? (op as { mutex: string }).mutex : null);

/** Remove ops [i, i + k) of a list, with the unlock that matches a removed lock (no critical section)
 *  later in the same list, and the lock that matches a removed unlock earlier in it. */
export function removeOps(list: Op[], i: number, k: number): Op[] {
  const drop = new Set<number>();
  for (let j = i; j < Math.min(list.length, i + k); j++) drop.add(j);
  for (const j of [...drop]) {
    const op = list[j];
    const m = holdsOpen(op);
    if (m !== null) {
      const u = list.findIndex((o, x) => x > j && !drop.has(x) && o.op === 'unlock' && o.mutex === m);
      if (u >= 0) drop.add(u);
    } else if (op.op === 'unlock') {
      for (let x = j - 1; x >= 0; x--) {
        const o = list[x];
        if (!drop.has(x) && holdsOpen(o) === op.mutex) { drop.add(x); break; }
      }
    }
  }
  return list.filter((_, j) => !drop.has(j));
}

/** CPUs the scenario names (affinities, first CPUs, set_affinity). */
function namedCpus(s: Scenario): Set<number> {
  const out = new Set<number>();
  for (const t of s.tasks) {
    for (const c of t.affinity ?? []) out.add(c);
    if (t.cpu !== undefined) out.add(t.cpu);
  }
  for (const p of allOps(s)) {
    const op = at(s, p) as Op;
    if (op.op === 'set_affinity') for (const c of op.cpus) out.add(c);
  }
  return out;
}

/** The scenario on `m` CPUs: the CPUs it names renumbered 0..k-1 when there are at most m of them,
 *  else folded (c mod m). */
export function withCpus(s0: Scenario, m: number): Scenario {
  const s = clone(s0);
  const named = [...namedCpus(s)].sort((a, b) => a - b);
  const map = new Map<number, number>(named.map((c, i) => [c, named.length <= m ? i : c % m]));
  const remap = (l: number[]): number[] => [...new Set(l.map((c) => map.get(c)!))].sort((a, b) => a - b);
  for (const t of s.tasks) {
    if (t.affinity) t.affinity = remap(t.affinity);
    if (t.cpu !== undefined) t.cpu = map.get(t.cpu)!;
  }
  for (const p of allOps(s)) {
    const op = at(s, p) as Op;
    if (op.op === 'set_affinity') op.cpus = remap(op.cpus);
  }
  s.cpus = m;
  return s;
}

/**
 * What a reduction leaves behind, tidied: ops aimed at tasks that are gone, empty loops, CPUs beyond
 * the count, a first CPU the affinity makes redundant, mutexes nobody uses. null: no valid tidy form
 * (a task left with no allowed CPU).
 */
export function tidy(s0: Scenario, cpus: number): Scenario | null {
  const s = clone(s0);
  s.cpus = cpus;
  const names = new Set(s.tasks.map((t) => t.name));
  const known = (t: string | undefined): boolean => t === undefined || t === 'self' || names.has(t);
  const used = new Set<string>();
  let ok = true;
  const fix = (ops: Op[]): Op[] => {
    const out: Op[] = [];
    for (const op of ops) {
      if (op.op === 'signal' && !known(op.task)) continue;
      if (op.op === 'set_affinity') {
        if (!known(op.task)) continue;
        op.cpus = op.cpus.filter((c) => c < cpus);
        if (!op.cpus.length) continue;
      }
      if (op.op === 'repeat') {
        op.body = fix(op.body);
        if (!op.body.length || op.times === 0) continue;
      }
      if ('critical' in op && op.critical) op.critical = fix(op.critical);
      if ('mutex' in op) used.add(op.mutex);
      out.push(op);
    }
    return out;
  };
  for (const t of s.tasks) {
    if (t.affinity) {
      t.affinity = t.affinity.filter((c) => c < cpus);
      if (!t.affinity.length) ok = false;
    }
    if (t.cpu !== undefined && (t.cpu >= cpus || (t.affinity && !t.affinity.includes(t.cpu)))) delete t.cpu;
    // the first allowed CPU is the default
    if (t.cpu !== undefined && t.affinity && t.affinity[0] === t.cpu) delete t.cpu;
    t.program = fix(t.program);
  }
  s.mutexes = s.mutexes.filter((m) => used.has(m));
  return ok ? s : null;
}

export function removeTasks(s0: Scenario, drop: readonly string[]): Scenario {
  const s = clone(s0);
  s.tasks = s.tasks.filter((t) => !drop.includes(t.name));
  return s;
}

/** Whole microseconds (what a program word holds), at least 1. */
const usText = (ns: number): string => `${Math.max(1, Math.round(ns / 1000))}us`;

/**
 * A run length just past a violation at `tNs`: 5% (at least 1us) more, rounded up to two
 * significant digits of its unit (67.3us -> 71us, 50.01ms -> 53ms); at most `maxNs`.
 */
export function cutDuration(tNs: number, maxNs: number): number {
  const want = Math.max(1000, tNs + Math.max(tNs / 20, 1000));
  const unit = want < 1e6 ? 1e3 : want < 1e9 ? 1e6 : 1e9;
  const x = want / unit;
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  const ns = Math.round(Math.ceil(x / step - 1e-9) * step * unit);
  return Math.min(maxNs, ns);
}

// ---------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------

interface Candidate { scenario: Scenario; cpus: number }

class Shrinker {
  readonly notes: string[] = [];
  readonly steps: ShrinkStep[] = [];
  runs = 0;
  candidates = 0;
  best: Reproducer | null = null;
  reproduction: Size | null = null;
  /** no more runs: the budget (or an interruption) ended the search */
  stopped: 'budget' | 'interrupted' | null = null;
  private readonly t0 = Date.now();
  private readonly deadline: number;
  private readonly cache = new Map<string, RunSnapshot | null>();
  private readonly wall: number[] = [];
  private readonly target: string;
  private readonly origDuration: number;
  private readonly depth: number;
  /** an accepted run takes at most this many steps (the original run's) */
  private stepsCap = Infinity;
  /** second round: runs per candidate */
  private level = 1;
  /** tasks named by the violation (tried last when removing tasks) */
  private involved = new Set<string>();

  constructor(private readonly l: LoadedArtifact, private readonly p: ShrinkParams) {
    this.deadline = this.t0 + p.budgetMs;
    this.target = l.art.violation!.id;
    this.origDuration = l.art.duration_ns;
    this.depth = l.art.execution.depth ?? DEFAULT_PCT_DEPTH;
  }

  private note(line: string): void {
    this.notes.push(line);
    this.p.onNote?.(line);
  }

  elapsedMs(): number { return Date.now() - this.t0; }

  /** Time for `n` more runs before the deadline (a run is expected to take the mean of the last ones). */
  private hasTime(n = 1): boolean {
    return !this.p.signal?.aborted && Date.now() + this.estimate() * n <= this.deadline;
  }

  /** ms a run is expected to take: the mean of the last ones */
  private estimate(): number {
    const recent = this.wall.slice(-5);
    return recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
  }

  /** The best run is not yet cut just after its violation: one run is kept for that. */
  private cutPending(): boolean {
    const b = this.best;
    return b !== null && cutDuration(this.violationNs(b.run), this.origDuration) < b.durationNs;
  }

  /** Time for a run (and the cut run, when it is pending); when there is none the search stops. */
  private canRun(): boolean {
    if (this.stopped) return false;
    if (this.p.signal?.aborted) { this.stopped = 'interrupted'; return false; }
    if (!this.hasTime(this.cutPending() ? 2 : 1)) { this.stopped = 'budget'; return false; }
    return true;
  }

  private execText(x: ExecChoice): string {
    return `${x.kind}${x.kind === 'pct' ? ` depth ${x.depth}` : ''} seed ${x.seed}`;
  }

  /** One controlled run (cached: a run is a pure function of what goes in). null: it failed to run
   *  or was stopped by the budget. */
  private async run(scenario: Scenario, cpus: number, durationNs: number, x: ExecChoice, what: string, cap = 0, keepForCut = true): Promise<RunSnapshot | null> {
    const key = JSON.stringify([scenario, cpus, durationNs, x.kind, x.seed, x.depth ?? 0]);
    if (this.cache.has(key)) return this.cache.get(key)!;
    this.p.onTry?.(`${what} (${this.execText(x)})`);
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    // a run that does not end (the executor waiting on itself) must not eat the budget: a candidate's
    // run gets HANG_FACTOR times the longest run so far (at least HANG_MIN_MS), the first one the budget
    const hangMs = this.wall.length ? Math.max(HANG_MIN_MS, HANG_FACTOR * Math.max(...this.wall)) : Infinity;
    let hung = false;
    // (the time kept for the cut run is not given to a candidate's)
    const toDeadline = Math.max(0, this.deadline - (keepForCut && this.cutPending() ? this.estimate() : 0) - Date.now());
    const timer = setTimeout(() => { hung = hangMs < toDeadline; stop(); }, Math.min(toDeadline, hangMs, MAX_TIMER_MS));
    this.p.signal?.addEventListener('abort', stop);
    const t = Date.now();
    let r: RunSnapshot | null = null;
    try {
      r = await runMachine({
        scenario, strategy: this.l.art.strategy, cpus, durationNs, seed: x.seed, bugs: this.l.bugs,
        countI10: this.l.art.execution.count_i10, samplerMs: this.l.art.execution.sampler_ms, keepEvents: false,
        executor: { kind: x.kind, depth: x.kind === 'pct' ? x.depth : undefined, stepNs: STEP_NS, ...(cap ? { recordCap: cap } : {}) },
        abortSignal: ac.signal,
      });
    } catch (e) {
      this.note(`${what}: the run failed: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      clearTimeout(timer);
      this.p.signal?.removeEventListener('abort', stop);
    }
    this.runs++;
    if (r?.interrupted) {
      if (hung && !this.p.signal?.aborted) {
        this.note(`${what} (${this.execText(x)}): no end after ${((Date.now() - t) / 1000).toFixed(1)} s at step ${r.exec?.steps ?? '?'}: stopped, taken as not reproducing`);
        return null;
      }
      this.stopped ??= this.p.signal?.aborted ? 'interrupted' : 'budget';
      return null;
    }
    this.wall.push(Date.now() - t);
    const crash = r?.findings.find((f) => f.kind === 'crash' && f.id === 'crash');
    if (crash && r?.failure?.id !== this.target) {
      this.note(`${what}: ${crash.msg.split('\n')[0]}`);
      // start-up trouble on a loaded host is not an answer about this candidate: not cached
      if (/not ready|exited .*before it was ready/.test(crash.msg)) return r;
    }
    this.cache.set(key, r);
    return r;
  }

  private shows(r: RunSnapshot | null): r is RunSnapshot {
    return r !== null && !r.interrupted && r.failure?.id === this.target;
  }

  private violationNs(r: RunSnapshot): number {
    return r.failure && r.failure.time > 0 ? r.failure.time : r.elapsedNs;
  }

  /** The duration candidates run with: past the best's violation (twice as far, at least 50us more);
   *  a failing run stops at its violation, so this bounds only the runs that do not fail. */
  private probeDuration(): number {
    const t = this.violationNs(this.best!.run);
    return cutDuration(Math.max(2 * t, t + 50_000), this.origDuration);
  }

  /** The executors a candidate is tried with: the best's first. */
  private tries(): ExecChoice[] {
    const b = this.best!.exec;
    const other: ControlledKind = b.kind === 'random' ? 'pct' : 'random';
    const mk = (kind: ControlledKind, seed: number): ExecChoice => ({ kind, seed: seed >>> 0, ...(kind === 'pct' ? { depth: this.depth } : {}) });
    // (seeds 0 and 1 start the same generator)
    const next = b.seed === 0 ? 2 : b.seed + 1;
    return [mk(b.kind, b.seed), mk(other, b.seed), mk(b.kind, next), mk(other, next)].slice(0, this.level);
  }

  private accept(pass: string, what: string, next: Reproducer): void {
    const from = sizeOf(this.best!);
    this.best = next;
    const to = sizeOf(next);
    const step: ShrinkStep = { pass, what, from, to, exec: next.exec, atMs: this.elapsedMs() };
    this.steps.push(step);
    // (a candidate runs a little longer than the best's violation: its duration is cut at the end)
    const change = sizeChange(from, to, pass === 'duration');
    const line = change === 'no size change' ? `${pass}: ${what} (${this.execText(next.exec)})` : `${pass}: ${change} (${what}; ${this.execText(next.exec)})`;
    this.p.onAccept?.(step, `${line} [${(step.atMs / 1000).toFixed(1)} s]`);
  }

  /** Try a reduction; true when it was accepted (it is then the best). */
  private async attempt(pass: string, what: string, c: Candidate | null): Promise<boolean> {
    if (this.stopped || c === null) return false;
    const tidied = tidy(c.scenario, c.cpus);
    if (tidied === null) return false;
    this.candidates++;
    let scenario: Scenario;
    try {
      scenario = validateScenario(tidied, 'shrink candidate');
    } catch (e) {
      if (e instanceof ScenarioError) return false;
      throw e;
    }
    const b = this.best!;
    if (c.cpus === b.cpus && JSON.stringify(scenario) === JSON.stringify(b.scenario)) return false;
    const durationNs = this.probeDuration();
    const cap = Math.max(1 << 16, Number.isFinite(this.stepsCap) ? this.stepsCap * 4 : 0);
    for (const x of this.tries()) {
      if (!this.canRun()) return false;
      const r = await this.run(scenario, c.cpus, durationNs, x, `${pass}: ${what}`, cap);
      if (this.shows(r) && (r.exec?.steps ?? 0) <= this.stepsCap) {
        this.accept(pass, what, { scenario, cpus: c.cpus, durationNs, exec: x, run: r });
        return true;
      }
    }
    return false;
  }

  // ---- reproduction ----

  async reproduce(): Promise<boolean> {
    const { art } = this.l;
    const e = art.execution;
    let scenario = clone(this.l.scenario);
    scenario.cpus = art.cpus;
    delete scenario.description;
    delete scenario.duration;
    if (!/-shrunk$/.test(scenario.name)) scenario.name = safeName(`${scenario.name}-shrunk`);
    const original = validateScenario(scenario, 'shrink: the artifact\'s scenario');
    // tidied (unused mutexes, redundant first CPUs dropped): the same run, said shorter
    let tidied = original;
    try { tidied = validateScenario(tidy(original, art.cpus), 'shrink: the artifact\'s scenario, tidied'); } catch { /* the original */ }
    const tried: string[] = [];
    const found = async (s: Scenario, durationNs: number, x: ExecChoice, what: string): Promise<boolean> => {
      if (!this.canRun()) return false;
      const r = await this.run(s, art.cpus, durationNs, x, what);
      if (r) tried.push(`${this.execText(x)} → ${r.failure?.id ?? 'no violation'}`);
      if (!this.shows(r)) return false;
      this.best = { scenario: s, cpus: art.cpus, durationNs, exec: x, run: r };
      return true;
    };
    if (art.chaos && e.executor === 'free') this.note(`the artifact's run had chaos (p ${art.chaos.p}); the controlled executor explores interleavings instead`);
    if (e.step_ns !== STEP_NS && e.executor !== 'free') this.note(`the artifact's run took ${e.step_ns} ns per step; the search uses ${STEP_NS} (as "run" does)`);
    let ok = false;
    if (e.executor === 'random' || e.executor === 'pct') {
      const x: ExecChoice = { kind: e.executor, seed: art.seed, ...(e.executor === 'pct' ? { depth: this.depth } : {}) };
      const t = art.violation!.time_ns;
      const cut = cutDuration(t, art.duration_ns);
      ok = await found(tidied, cut, x, 'the original, cut after its violation');
      if (!ok && tidied !== original) ok = await found(original, cut, x, 'the original as written, cut after its violation');
      if (!ok && cut < art.duration_ns) ok = await found(original, art.duration_ns, x, 'the original');
      if (!ok && !this.stopped) this.note(`${this.execText(x)} did not show ${this.target} again: searching other seeds`);
    } else {
      this.note(`a ${e.executor} run: searching a controlled reproduction (random and pct over seeds, ${formatDuration(art.duration_ns)} each)`);
    }
    for (let k = 0; !ok && k < SEARCH_SEEDS && !this.stopped; k++) {
      const seed = (art.seed + k) >>> 0;
      for (const kind of ['random', 'pct'] as const) {
        if (ok || this.stopped) break;
        if ((e.executor === kind) && k === 0) continue;
        ok = await found(tidied, art.duration_ns, { kind, seed, ...(kind === 'pct' ? { depth: this.depth } : {}) }, 'the original');
      }
    }
    if (!ok) {
      this.note(`${this.target} not reproduced on the controlled executor (${tried.length} run${tried.length === 1 ? '' : 's'}${tried.length ? `: ${tried.join(', ')}` : ''})`);
      return false;
    }
    const r = this.best!.run;
    this.reproduction = sizeOf(this.best!);
    this.stepsCap = Math.max(r.exec?.steps ?? 0, e.executor === 'random' || e.executor === 'pct' ? e.steps : 0);
    const names = r.names;
    this.involved = new Set((r.failure?.tasks ?? []).map((t) => names[t]).filter((n): n is string => n !== undefined));
    for (const t of this.l.art.tasks_involved ?? []) this.involved.add(t.name);
    this.note(`reproduced: ${this.target} by ${this.execText(this.best!.exec)} at step ${r.failure?.step ?? '?'} `
      + `(${r.exec?.steps ?? 0} steps, ${r.exec?.preemptions ?? 0} preemptions, ${formatDuration(this.violationNs(r))} virtual) [${(this.elapsedMs() / 1000).toFixed(1)} s]`);
    return true;
  }

  // ---- passes ----

  private async passTasks(): Promise<boolean> {
    let any = false;
    // the tasks that never ran before the violation, together: the likeliest to go
    const idle = this.quietTasks();
    if (idle.length) {
      const what = `remove the tasks that never ran: ${idle.join(', ')}`;
      if (await this.attempt('tasks', what, { scenario: removeTasks(this.best!.scenario, idle), cpus: this.best!.cpus })) any = true;
    }
    // then chunks (halves, quarters, ... single tasks), the least active first, the involved last
    const order = (): string[] => {
      const b = this.best!;
      const switches = new Map(b.run.kernel.tasks.map((t) => [t.name, t.nr_switches]));
      const ts = b.scenario.tasks.map((t) => t.name);
      const rank = (n: string): number => (this.involved.has(n) ? 1e12 : 0) + (switches.get(n) ?? 0);
      return ts.map((n, i) => ({ n, i })).sort((a, b2) => rank(a.n) - rank(b2.n) || a.i - b2.i).map((x) => x.n);
    };
    for (let k = Math.max(1, Math.floor(order().length / 2)); k >= 1 && !this.stopped; k = Math.floor(k / 2)) {
      let i = 0;
      for (;;) {
        const names = order();
        if (names.length <= 1 || i >= names.length) break;
        const chunk = names.slice(i, i + k);
        if (chunk.length >= names.length) break;
        const what = `remove task${chunk.length > 1 ? 's' : ''} ${chunk.join(', ')}`;
        if (await this.attempt('tasks', what, { scenario: removeTasks(this.best!.scenario, chunk), cpus: this.best!.cpus })) { any = true; continue; }
        if (this.stopped) return any;
        i += k;
      }
    }
    return any;
  }

  /** Tasks of the best run that were never switched in and are not named by the violation (not all of them). */
  private quietTasks(): string[] {
    const b = this.best!;
    const ran = new Set(b.run.kernel.tasks.filter((t) => t.nr_switches > 0).map((t) => t.name));
    const quiet = b.scenario.tasks.map((t) => t.name).filter((n) => !ran.has(n) && !this.involved.has(n));
    return quiet.length < b.scenario.tasks.length ? quiet : [];
  }

  private async passCpus(): Promise<boolean> {
    const b = this.best!;
    if (b.cpus <= 1) return false;
    const k = Math.max(1, namedCpus(b.scenario).size);
    const counts = [...new Set([k, b.cpus - 1])].filter((m) => m >= 1 && m < b.cpus).sort((x, y) => x - y);
    for (const m of counts) {
      if (await this.attempt('cpus', `${m} CPU${m > 1 ? 's' : ''}`, { scenario: withCpus(this.best!.scenario, m), cpus: m })) return true;
      if (this.stopped) break;
    }
    return false;
  }

  private async passOps(): Promise<boolean> {
    let any = false;
    for (let li = 0; li < opLists(this.best!.scenario).length && !this.stopped; li++) {
      const path = opLists(this.best!.scenario)[li];
      const list0 = at(this.best!.scenario, path) as Op[] | undefined;
      if (!Array.isArray(list0) || list0.length === 0) continue;
      const isProgram = path.length === 3;
      const label = this.where(path);
      for (let k = Math.max(1, Math.floor(list0.length / 2)); k >= 1 && !this.stopped; k = Math.floor(k / 2)) {
        let i = 0;
        for (;;) {
          const list = at(this.best!.scenario, path) as Op[] | undefined;
          if (!Array.isArray(list) || i >= list.length) break;
          if (isProgram && k >= list.length) break;
          const s = clone(this.best!.scenario);
          const parent = at(s, path.slice(0, -1)) as Json;
          parent[path[path.length - 1] as string] = removeOps(list, i, k);
          const what = `${label}: remove ${k > 1 ? `ops ${i}..${Math.min(list.length, i + k) - 1}` : `op ${i} (${list[i].op})`}`;
          if (await this.attempt('ops', what, { scenario: s, cpus: this.best!.cpus })) { any = true; continue; }
          if (this.stopped) return any;
          i += k;
        }
      }
    }
    // unwrap: a critical section or a loop body in place of its lock or repeat
    for (let oi = 0; oi < allOps(this.best!.scenario).length && !this.stopped; oi++) {
      const p = allOps(this.best!.scenario)[oi];
      const op = at(this.best!.scenario, p) as Op;
      const inner = op.op === 'repeat' ? op.body : 'critical' in op ? op.critical : undefined;
      if (!inner) continue;
      const s = clone(this.best!.scenario);
      const list = at(s, p.slice(0, -1)) as Op[];
      list.splice(p[p.length - 1] as number, 1, ...clone(inner));
      if (await this.attempt('ops', `${this.where(p)}: ${op.op === 'repeat' ? 'the loop body' : 'the critical section'} without its ${op.op}`, { scenario: s, cpus: this.best!.cpus })) {
        any = true;
        oi--;
      }
    }
    return any;
  }

  private async passNumbers(): Promise<boolean> {
    let any = false;
    // run and sleep durations, repeat counts
    for (let oi = 0; oi < allOps(this.best!.scenario).length && !this.stopped; oi++) {
      const p = allOps(this.best!.scenario)[oi];
      const op = at(this.best!.scenario, p) as Op;
      let values: { set: (o: Json) => void; what: string }[] = [];
      if (op.op === 'run' || op.op === 'sleep') {
        const ns = parseDuration(op.for);
        const cur = Math.max(1, Math.round(ns / 1000));
        values = [...new Set([1, Math.floor(cur / 2)])].filter((u) => u >= 1 && u < cur)
          .map((u) => ({ set: (o: Json) => { o.for = `${u}us`; }, what: `${op.op} ${op.for} → ${u}us` }));
      } else if (op.op === 'repeat') {
        const t = op.times;
        const to = t < 0 ? [1, 2, 8] : [...new Set([1, Math.floor(t / 2)])].filter((n) => n >= 1 && n < t);
        values = to.map((n) => ({ set: (o: Json) => { o.times = n; }, what: `repeat ${t < 0 ? 'forever' : `${t}x`} → ${n}x` }));
      }
      for (const v of values) {
        const s = clone(this.best!.scenario);
        v.set(at(s, p) as Json);
        if (await this.attempt('numbers', `${this.where(p)}: ${v.what}`, { scenario: s, cpus: this.best!.cpus })) { any = true; break; }
        if (this.stopped) return any;
      }
    }
    // start delays
    for (let ti = 0; ti < this.best!.scenario.tasks.length && !this.stopped; ti++) {
      const t: TaskSpec = this.best!.scenario.tasks[ti];
      if (t.start === undefined) continue;
      const ns = parseDuration(t.start);
      const options = ns > 2000 ? [undefined, usText(ns / 2)] : [undefined];
      for (const v of options) {
        const s = clone(this.best!.scenario);
        if (v === undefined) delete s.tasks[ti].start; else s.tasks[ti].start = v;
        if (await this.attempt('numbers', `${t.name}: start ${t.start} → ${v ?? '0'}`, { scenario: s, cpus: this.best!.cpus })) { any = true; break; }
        if (this.stopped) return any;
      }
    }
    return any;
  }

  /** Other seeds of the final scenario: a run with fewer steps (or as many and fewer preemptions). */
  private async passSchedule(): Promise<void> {
    const b0 = this.best!;
    const kinds: ControlledKind[] = [b0.exec.kind, b0.exec.kind === 'random' ? 'pct' : 'random'];
    const durationNs = this.probeDuration();
    for (let k = 2; k < 2 + SCHEDULE_SEEDS && !this.stopped; k++) {
      for (const kind of kinds) {
        if (!this.canRun()) return;
        const b = this.best!;
        const x: ExecChoice = { kind, seed: (b0.exec.seed + k) >>> 0, ...(kind === 'pct' ? { depth: this.depth } : {}) };
        const r = await this.run(b.scenario, b.cpus, durationNs, x, 'schedule: fewer steps');
        if (!this.shows(r)) continue;
        const [s, q] = [r.exec?.steps ?? 0, r.exec?.preemptions ?? 0];
        const [bs, bq] = [b.run.exec?.steps ?? 0, b.run.exec?.preemptions ?? 0];
        if (s < bs || (s === bs && q < bq)) this.accept('schedule', 'fewer steps', { ...b, durationNs, exec: x, run: r });
      }
    }
  }

  /** The best run again with its duration cut just after the violation. */
  private async cut(): Promise<void> {
    const b = this.best!;
    const cut = cutDuration(this.violationNs(b.run), this.origDuration);
    if (cut >= b.durationNs || this.p.signal?.aborted) return;
    if (!this.hasTime()) {
      this.note(`no time left to cut the run to ${formatDuration(cut)}: it stays at ${formatDuration(b.durationNs)}`);
      return;
    }
    const r = await this.run(b.scenario, b.cpus, cut, b.exec, `cut the run to ${formatDuration(cut)}`, 0, false);
    if (this.shows(r) && r.failure?.step === b.run.failure?.step) this.accept('duration', `cut after the violation`, { ...b, durationNs: cut, run: r });
    else if (r !== null) this.note(`the run cut to ${formatDuration(cut)} did not repeat the violation at step ${b.run.failure?.step}: kept ${formatDuration(b.durationNs)}`);
  }

  private where(p: Path): string {
    const t = this.best!.scenario.tasks[p[1] as number]?.name ?? `tasks[${p[1]}]`;
    const rest = p.slice(2).map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
    return `${t} ${rest.replace(/^\./, '')}`;
  }

  async search(tries: number): Promise<void> {
    const rounds: (() => Promise<boolean>)[] = [() => this.passTasks(), () => this.passCpus(), () => this.passOps(), () => this.passNumbers()];
    for (const level of [...new Set([1, Math.max(1, Math.min(DEFAULT_TRIES, tries))])]) {
      this.level = level;
      let progress = true;
      while (progress && !this.stopped) {
        progress = false;
        for (const pass of rounds) {
          if (await pass()) progress = true;
          if (this.stopped) break;
        }
      }
    }
    this.level = 1;
    await this.passSchedule();
    // the cut run comes last, with any time left (also when the budget stopped the search)
    await this.cut();
  }
}

/** Search for a smaller reproducer of a loaded artifact. Throws a ResultsError for an artifact
 *  that names no violation. */
export async function shrinkArtifact(l: LoadedArtifact, p: ShrinkParams): Promise<ShrinkResult> {
  const { art } = l;
  if (!art.violation) {
    throw new ResultsError([{ file: l.file, path: 'violation', message: 'null: the artifact names no violation to reproduce' }]);
  }
  const before: Size = {
    tasks: l.scenario.tasks.length, ops: scenarioOps(l.scenario), cpus: art.cpus,
    steps: art.execution.steps, preemptions: art.execution.preemptions, durationNs: art.duration_ns,
  };
  const s = new Shrinker(l, p);
  const t0 = Date.now();
  let stoppedBy: ShrinkResult['stoppedBy'] = 'done';
  if (await s.reproduce()) {
    await s.search(p.tries ?? DEFAULT_TRIES);
    stoppedBy = p.signal?.aborted ? 'interrupted' : s.stopped ?? 'done';
  } else {
    stoppedBy = p.signal?.aborted ? 'interrupted' : s.stopped ?? 'done';
  }
  const after = s.best ? sizeOf(s.best) : null;
  const comparableSteps = art.execution.executor === 'random' || art.execution.executor === 'pct';
  const smallerIn = after === null ? [] : SIZE_LABEL
    .filter(([k]) => (comparableSteps || (k !== 'steps' && k !== 'preemptions')) && after[k] < before[k])
    .map(([k, label]) => `${label} ${sizeValue(before, k)}→${sizeValue(after, k)}`);
  const smaller = after !== null && smallerIn.length > 0 && (['tasks', 'ops', 'cpus'] as const).every((k) => after[k] <= before[k]);
  return {
    target: art.violation.id, before, best: s.best, after, reproduction: s.reproduction, comparableSteps, smallerIn, smaller,
    steps: s.steps, runs: s.runs, candidates: s.candidates,
    wallMs: Date.now() - t0, stoppedBy, notes: s.notes,
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

export interface ShrinkFiles {
  scenarioFile: string;
  artifactFile: string;
  artifact: Artifact;
  /** the command that re-runs the small case */
  rerun: string;
  replay: string | null;
  /** the scenario as written */
  scenario: Scenario;
}

/** The shrunk scenario as a regression case: its duration and CPU count, and a description that says
 *  where it comes from and how it fails. */
export function regressionScenario(l: LoadedArtifact, res: ShrinkResult, file: string): Scenario {
  const b = res.best!;
  const cmd = rerunOf(l, b, file);
  const x = b.exec;
  const desc = `Shrunk by "proxysim shrink" from ${l.art.scenario.name} (${res.before.tasks} tasks, ${res.before.ops} ops, ${res.before.cpus} CPUs): `
    + `${res.target} under ${l.art.strategy}${l.art.bugs.length ? ` with ${l.art.bugs.join(', ')}` : ''} `
    + `on --executor ${x.kind}${x.kind === 'pct' ? ` --depth ${x.depth}` : ''} --seed ${x.seed}, at step ${b.run.failure?.step ?? '?'}. Re-run: ${cmd}`;
  const { name, description: _d, cpus: _c, duration: _du, ...rest } = b.scenario;
  return { name, description: desc, cpus: b.cpus, duration: formatDuration(b.durationNs).replace(/\s/g, ''), ...rest };
}

function rerunOf(l: LoadedArtifact, b: Reproducer, file: string): string {
  return rerunCommand({
    scenario: file, strategy: l.art.strategy, cpus: b.cpus, durationNs: b.durationNs, seed: b.exec.seed, bugs: l.bugs, chaos: null,
    execution: { executor: b.exec.kind, ...(b.exec.kind === 'pct' ? { depth: b.exec.depth } : {}), stepNs: STEP_NS, samplerMs: l.art.execution.sampler_ms, countI10: l.art.execution.count_i10 },
  });
}

/** Write the scenario file and the artifact of the best run into `dir`. A WriteError if one cannot be written. */
export function writeShrunk(l: LoadedArtifact, res: ShrinkResult, dir: string): ShrinkFiles {
  const b = res.best;
  if (!b) throw new Error('writeShrunk: no reproducer');
  const scenarioFile = join(dir, safeFileName([b.scenario.name, l.art.strategy, res.target], `-seed${b.exec.seed}.scenario.json`));
  const scenario = regressionScenario(l, res, scenarioFile);
  // what is written is what `run --scenario <file>` loads
  validateScenario(JSON.parse(JSON.stringify(scenario)), scenarioFile);
  writeFileAtomic(scenarioFile, compactJson(scenario) + '\n', 'shrunk scenario');
  const x = b.exec;
  const artifact = buildArtifact({ ...b.run, scenario }, {
    scenario: scenarioFile, strategy: l.art.strategy, cpus: b.cpus, durationNs: b.durationNs, seed: x.seed, bugs: l.bugs, chaos: null,
    execution: { executor: x.kind, ...(x.kind === 'pct' ? { depth: x.depth } : {}), stepNs: STEP_NS, samplerMs: l.art.execution.sampler_ms, countI10: l.art.execution.count_i10 },
  });
  const artifactFile = writeArtifact(artifact, dir);
  return { scenarioFile, artifactFile, artifact, rerun: artifact.command, replay: artifact.replay_command, scenario };
}

/** JSON as a person reads it: what fits on a line (an op, a short list) on one line, the rest indented. */
export function compactJson(v: unknown, width = 100, indent = '', lead = 0): string {
  const flat = inlineJson(v);
  if (typeof v !== 'object' || v === null || indent.length + lead + flat.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + compactJson(x, width, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v as Json).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, width, inner, JSON.stringify(k).length + 2)}`).join(',\n')}\n${indent}}`;
}

function inlineJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inlineJson).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const e = Object.entries(v).filter(([, x]) => x !== undefined);
    return e.length ? `{ ${e.map(([k, x]) => `${JSON.stringify(k)}: ${inlineJson(x)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(v);
}
