/**
 * The run summary: one JSON document (for --json and scripts) and its text rendering.
 */
import type { RunSnapshot } from '../machine/snapshot.ts';
import type { Finding } from '../machine/findings.ts';
import { SCHED } from '../sched/constants.ts';
import type { WaitStats } from '../trace/waits.ts';
import { METRICS, METRIC_UNIT, percentilesOf, type MetricName, type Percentiles } from '../trace/metrics.ts';
import { textTable } from './text-table.ts';
import { bugName } from '../proxy/bugs.ts';

export interface TaskSummary {
  name: string;
  pid: number;
  policy: 'fifo' | 'fair';
  prio: number;
  affinity: number[];
  runtime_ms: number;
  exec_ms: number;
  switches: number;
  wakeups: number;
  migrations: number;
  mutex_acquired: number;
  eintr: number;
  trylock_failed: number;
  signals: number;
  proxied: number;
  donated: number;
  ops: number;
  last_lock_result: number;
  state: number;
}

export interface CpuSummary {
  cpu: number;
  switches: number;
  idle_pct: number;
  proxy_picks: number;
  donor_migrations: number;
  force_returns: number;
  deactivations: number;
  proxy_idle: number;
  max_chain: number;
}

export interface RunSummary {
  scenario: string;
  strategy: string;
  cpus: number;
  duration_ms: number;
  elapsed_ms: number;
  seed: number;
  bugs: string[];
  tasks: TaskSummary[];
  cpus_detail: CpuSummary[];
  mutexes: { name: string; acquisitions: number; handoffs: number }[];
  waits: (Omit<WaitStats, 'task' | 'mutex' | 'inverters'> & { task: string; mutex: string; inverters: Record<string, number> })[];
  proxy: { proxy_picks: number; donor_migrations: number; force_returns: number; deactivations: number; longest_chain: number };
  /** latency percentiles by metric (ns, chain_length in hops) */
  latency: Record<string, Percentiles>;
  /** suite-level results (football: ball_ms = the offense's CPU time) */
  suite: RunSnapshot['suite'];
  /** L2: stranded-donor observations */
  liveness: RunSnapshot['liveness'];
  findings: Finding[];
  warnings: number;
  i10_observed: number;
  samples: number;
  events: number;
  events_lost: number;
  interrupted: boolean;
  chaos: RunSnapshot['chaos'];
  verdict: RunSnapshot['verdict'];
  /** the executor's account (controlled runs and --record): steps, preemptions; times are virtual when controlled */
  execution: { executor: string; steps: number; preemptions: number; virtual_time: boolean; record_full: boolean; divergence: NonNullable<RunSnapshot['exec']>['divergence'] } | null;
  /** a failed run: its failure artifact and the command that re-runs it */
  artifact?: string;
  rerun?: string;
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

export function summarize(r: RunSnapshot): RunSummary {
  const k = r.kernel;
  const tasks: TaskSummary[] = k.tasks.slice(r.nrCpus).map((t) => ({
    name: t.name, pid: t.pid,
    policy: t.policy === SCHED.FIFO ? 'fifo' : 'fair', prio: t.prio,
    affinity: [...Array(r.nrCpus).keys()].filter((c) => t.cpus_mask & (1 << c)),
    runtime_ms: ms(t.sum_exec_runtime), exec_ms: ms(t.exec_runtime),
    switches: t.nr_switches, wakeups: t.nr_wakeups, migrations: t.nr_migrations,
    mutex_acquired: t.nr_acquired, eintr: t.nr_eintr, trylock_failed: t.nr_trylock_fail,
    signals: t.nr_signals, proxied: t.nr_proxied, donated: t.nr_donated,
    ops: t.nr_ops, last_lock_result: t.last_lock_result, state: t.__state,
  }));
  const elapsed = r.elapsedNs || 1;
  const cpus: CpuSummary[] = k.rqs.map((rq) => ({
    cpu: rq.cpu, switches: rq.nr_switches, idle_pct: Math.round((rq.idle_ns / elapsed) * 1000) / 10,
    proxy_picks: rq.proxy_picks, donor_migrations: rq.donor_migrations,
    force_returns: rq.force_returns, deactivations: rq.deactivations,
    proxy_idle: rq.proxy_idle, max_chain: rq.max_chain,
  }));
  const mutexes = r.scenario.mutexes.map((name, m) => ({ name, acquisitions: k.mutexes[m].acquisitions, handoffs: k.mutexes[m].handoffs }));
  const waits = r.waits.map((w) => ({
    ...w, task: r.names[w.task], mutex: r.scenario.mutexes[w.mutex] ?? `m${w.mutex}`,
    inverters: Object.fromEntries(Object.entries(w.inverters).map(([t, v]) => [r.names[Number(t)], ms(v)])),
  }));
  const sum = (key: keyof CpuSummary): number => cpus.reduce((s, c) => s + (c[key] as number), 0);
  return {
    scenario: r.scenario.name, strategy: r.strategy, cpus: r.nrCpus, duration_ms: ms(r.durationNs), elapsed_ms: ms(r.elapsedNs),
    seed: r.seed, bugs: r.bugs.map((b) => bugName(b)), tasks, cpus_detail: cpus, mutexes, waits,
    proxy: { proxy_picks: sum('proxy_picks'), donor_migrations: sum('donor_migrations'), force_returns: sum('force_returns'), deactivations: sum('deactivations'), longest_chain: Math.max(0, ...cpus.map((c) => c.max_chain)) },
    latency: Object.fromEntries(METRICS.filter((m) => r.histograms[m]).map((m) => [m, percentilesOf(r.histograms[m])])),
    liveness: r.liveness,
    suite: r.suite,
    findings: r.findings, warnings: k.header.nr_warns, i10_observed: r.i10, samples: r.samples,
    events: r.eventsSeen, events_lost: r.eventsLost, interrupted: r.interrupted, chaos: r.chaos,
    verdict: r.verdict,
    execution: r.exec ? {
      executor: r.exec.record ? 'free (recorded)' : r.exec.kind, steps: r.exec.steps, preemptions: r.exec.preemptions,
      virtual_time: !r.exec.record, record_full: r.exec.full, divergence: r.exec.divergence,
    } : null,
  };
}

export function renderSummary(s: RunSummary): string {
  const out: string[] = [];
  out.push(`proxysim: scenario=${s.scenario} strategy=${s.strategy} cpus=${s.cpus} duration=${s.duration_ms}ms seed=${s.seed}${s.bugs.length ? ` bugs=${s.bugs.join(',')}` : ''}`);
  out.push('');
  out.push(textTable(
    ['task', 'pol', 'prio', 'cpus', 'runtime_ms', 'exec_ms', 'switches', 'wakeups', 'migr', 'locks', 'eintr', 'try_fail', 'signals', 'proxied', 'donated'],
    s.tasks.map((t) => [t.name, t.policy, t.prio, t.affinity.join(','), t.runtime_ms, t.exec_ms, t.switches, t.wakeups, t.migrations, t.mutex_acquired, t.eintr, t.trylock_failed, t.signals, t.proxied, t.donated]),
  ));
  out.push('');
  out.push(textTable(
    ['cpu', 'switches', 'idle%', 'proxy_picks', 'donor_migr', 'force_ret', 'deact', 'proxy_idle', 'max_chain'],
    s.cpus_detail.map((c) => [`cpu${c.cpu}`, c.switches, c.idle_pct, c.proxy_picks, c.donor_migrations, c.force_returns, c.deactivations, c.proxy_idle, c.max_chain]),
  ));
  if (s.waits.length) {
    out.push('');
    out.push('mutex waits (inversion = CPU time of lower-priority tasks outside the owner chain while the waiter waited):');
    out.push(textTable(
      ['waiter', 'mutex', 'waits', 'total_ms', 'max_ms', 'owner_ran_ms', 'inversion_ms', 'ran while waiting (lower prio)'],
      s.waits.map((w) => [w.task, w.mutex, w.waits, ms(w.totalNs), ms(w.maxNs), ms(w.ownerRanNs), ms(w.inversionNs),
        Object.entries(w.inverters).map(([k, v]) => `${k} ${v}ms`).join(', ') || '-']),
    ));
  }
  const lat = Object.entries(s.latency);
  if (lat.length) {
    out.push('');
    out.push('latency (us; chain_length in hops):');
    const f = (m: string, v: number): string | number => (METRIC_UNIT[m as MetricName] === 'hops' ? v : Math.round(v / 100) / 10);
    out.push(textTable(['metric', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      lat.map(([m, p]) => [m, p.count, f(m, p.p50), f(m, p.p90), f(m, p.p99), f(m, p.p999), f(m, p.max)])));
  }
  out.push('');
  out.push(`proxy: picks=${s.proxy.proxy_picks} donor_migrations=${s.proxy.donor_migrations} force_returns=${s.proxy.force_returns} deactivations=${s.proxy.deactivations} longest_chain=${s.proxy.longest_chain}`);
  if (s.suite.ball_ms !== undefined) out.push(`football: the ball moved ${s.suite.ball_ms} ms (offense CPU time)${s.strategy === 'none' ? ' - the negative control needs > 0' : ''}`);
  if (s.chaos) {
    const fired = Object.entries(s.chaos.fired).sort((x, y) => y[1] - x[1]);
    const total = fired.reduce((n, [, v]) => n + v, 0);
    const passed = Object.values(s.chaos.passed).reduce((n, v) => n + v, 0);
    out.push(`chaos: ${total} delays injected at ${fired.length} windows (${passed} gate passes)${fired.length ? `; most: ${fired.slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`);
  }
  if (s.execution) {
    const e = s.execution;
    out.push(`executor: ${e.executor}: ${e.steps} steps${e.virtual_time ? `, ${e.preemptions} preemptions; times are virtual` : ''}`
      + `${e.record_full ? ' (the record filled up: the run was cut there)' : ''}`
      + `${e.divergence ? `; left the record at step ${e.divergence.step} (CPU${e.divergence.cpu}: ${e.divergence.got}, recorded ${e.divergence.want})` : ''}`);
  }
  out.push(`liveness: stranded donors seen in ${s.liveness.stranded_observations} samples (longest ${s.liveness.stranded_longest_samples} samples in a row)`);
  out.push(`checks: ${s.samples} stop-the-world samples, ${s.events} events${s.events_lost ? ` (${s.events_lost} lost)` : ''}, ${s.warnings} warnings, I10 (RUNNING+blocked_on) observed ${s.i10_observed}x`);
  for (const f of s.findings) {
    if (f.kind === 'deadlock') {
      // the workload's own deadlock: the scenario is wrong, the design is not on trial
      out.push(`!!! DEADLOCK in the workload (a scenario problem, not a violation of the design)${f.cpu >= 0 ? `, seen on CPU${f.cpu}` : ''}: ${f.msg}`);
      continue;
    }
    out.push(`${f.kind === 'warn' ? 'WARN' : '!!!'} ${f.kind} ${f.id}${f.cpu >= 0 ? ` on CPU${f.cpu}` : ''}: ${f.msg}${f.held?.length ? ` [held: ${f.held.join(', ')}]` : ''}`);
  }
  const failure = s.findings.find((f) => f.kind !== 'warn');
  const end = s.verdict === 'PASS' ? 'SUCCESS' : s.verdict === 'FAIL' ? 'FAILURE' : 'INTERRUPTED';
  out.push(`End of test: ${end}${s.verdict === 'FAIL' && failure?.kind === 'deadlock' ? ' (the scenario deadlocks itself: fix the workload)' : ''}`);
  return out.join('\n');
}

