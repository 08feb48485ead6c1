/**
 * The one post-run snapshot: what ran, the kernel's state at the end under the kernel's field names
 * (shm/dump.ts), what the run saw (events, findings, samples, histograms), the analyses done once
 * (mutex waits, suite checks) and the one verdict. Everything downstream (summary, artifact, trace
 * export, stress record, hunt, exit code) reads this, never the arena.
 */
import type { Arena } from '../shm/arena.ts';
import { dumpArena, type ArenaDump } from '../shm/dump.ts';
import type { Scenario } from '../workload/scenario.ts';
import type { TraceEvent } from '../trace/ring.ts';
import type { TraceContext } from '../trace/ftrace.ts';
import type { WaitStats } from '../trace/waits.ts';
import type { HistogramSet } from '../trace/metrics.ts';
import { suiteChecks, type SuiteResult } from './suites.ts';
import { judge, type Finding, type Verdict } from './findings.ts';
import type { ExecResult } from '../exec/area.ts';

export interface LivenessMetrics {
  /** L2: samples in which some donor was stranded (PROXY_WAKING, or RUNNING + blocked_on) */
  stranded_observations: number;
  /** L2: the longest a single donor stayed stranded, in samples */
  stranded_longest_samples: number;
}

export interface RunSnapshot {
  // ---- what ran ----
  scenario: Scenario;
  strategy: string;
  seed: number;
  /** planted bugs (BUGn numbers) */
  bugs: number[];
  nrCpus: number;
  durationNs: number;
  /** arena ns from the start to the stop (or to the end of start-up when it failed) */
  elapsedNs: number;
  /** host wall time from the start to the end (differs from elapsedNs when time is virtual) */
  wallNs: number;
  interrupted: boolean;
  /** task names by id (the first nrCpus are the idle tasks swapper/<cpu>) */
  names: string[];
  // ---- the kernel at the end, by kernel field names ----
  kernel: ArenaDump;
  // ---- what the run saw ----
  /** every event when the run kept them (a trace), else the last 64 of each CPU; merged by time */
  events: TraceEvent[];
  /** events drained from the rings over the whole run (kept or not) */
  eventsSeen: number;
  eventsLost: number;
  findings: Finding[];
  /** stop-the-world samples taken */
  samples: number;
  /** I10 (RUNNING + blocked_on) observations, where it is legal */
  i10: number;
  liveness: LivenessMetrics;
  /** latency histograms (encoded HdrHistogram V2, compressed base64), by metric */
  histograms: Record<string, string>;
  chaos: { fired: Record<string, number>; passed: Record<string, number> } | null;
  /** the executor's account (controlled runs and --record): steps, preemptions, the order */
  exec: ExecResult | null;
  // ---- analysed once ----
  /** every mutex wait: who waited, how long, how much of it the owner chain ran, the inversion
   *  (analysed while the run went, batch by batch: trace/waits.ts) */
  waits: WaitStats[];
  /** suite-level results (football's ball) */
  suite: SuiteResult;
  // ---- judged once ----
  verdict: Verdict;
  /** the first finding that is not a warning (null: none) */
  failure: Finding | null;
}

/** What the machine hands over when it has stopped: the stopped arena, and what the run saw. */
export type SnapshotInput = Omit<RunSnapshot, 'nrCpus' | 'kernel' | 'histograms' | 'suite' | 'verdict' | 'failure'> & {
  arena: Arena;
  /** the design proxies (football's negative control runs without) */
  proxy: boolean;
  /** the CPUs' histograms, added; the inversion of each wait is recorded into it here */
  histograms: HistogramSet;
};

/** Read the stopped machine once and judge it. */
export function takeSnapshot(x: SnapshotInput): RunSnapshot {
  const kernel = dumpArena(x.arena, x.names, x.scenario.mutexes);
  const nrCpus = x.arena.nrCpus;
  for (const w of x.waits) for (const v of w.perWait) x.histograms.record('inversion', v);
  const suite = suiteChecks(kernel.tasks, x.scenario.name, x.proxy, x.elapsedNs);
  const findings = [...x.findings];
  if (suite.failure && !x.interrupted && !findings.some((f) => f.kind !== 'warn')) {
    findings.push({ kind: 'violation', id: suite.failure.id, msg: suite.failure.msg, cpu: -1, tasks: [], time: x.elapsedNs });
  }
  const { arena: _arena, proxy: _proxy, ...seen } = x;
  return { ...seen, nrCpus, kernel, findings, histograms: x.histograms.encode(), suite, ...judge(findings, x.interrupted) };
}

/** What the trace exporters need to name tasks, pids, priorities and mutexes. */
export function traceContext(s: RunSnapshot): TraceContext {
  const task = (t: number) => (t >= 0 && t < s.kernel.tasks.length ? s.kernel.tasks[t] : undefined);
  return {
    names: s.names, nrCpus: s.nrCpus,
    pidOf: (t) => task(t)?.pid ?? -1,
    prioOf: (t) => task(t)?.prio ?? -1,
    mutexName: (m) => s.scenario.mutexes[m] ?? `m${m}`,
  };
}
