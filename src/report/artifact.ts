/**
 * The failure artifact: everything needed to understand and re-run a failed case, in one JSON
 * file, plus the ftrace-style dump of the last events and the exact command that re-runs it.
 */
import { join } from 'node:path';
import { traceContext, type RunSnapshot } from '../machine/snapshot.ts';
import type { Finding } from '../machine/findings.ts';
import type { ArenaDump } from '../shm/dump.ts';
import { bugName } from '../proxy/bugs.ts';
import { lockName } from '../sync/lockdep.ts';
import { ftraceLine } from '../trace/ftrace.ts';
import type { TraceEvent } from '../trace/ring.ts';
import { EV, EV_NAME } from '../trace/events.ts';
import { safeFileName, writeFileAtomic } from '../files.ts';
import { formatDuration } from '../workload/duration.ts';
import { executionSection, type ExecutionSection, type ExecutionSpec } from './recording.ts';

/** 2: the execution section (executor, violation step, the record a replay follows) */
export const ARTIFACT_VERSION = 2;
export const LAST_EVENTS_PER_CPU = 64;

export interface RerunSpec {
  /** the scenario argument as given (built-in name or file) */
  scenario: string;
  strategy: string;
  cpus: number;
  durationNs: number;
  seed: number;
  bugs: number[];
  chaos: { p: number; maxNs: number; windows: string[] } | null;
  /** how the run was executed (default: free, not recorded) */
  execution?: ExecutionSpec & { record?: boolean };
}

/** The command line that re-runs the case. */
export function rerunCommand(s: RerunSpec): string {
  const q = (x: string): string => (/^[\w./:-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`);
  const parts = ['npm', 'start', '--', 'run', '--scenario', q(s.scenario), '--strategy', s.strategy, '--cpus', String(s.cpus),
    '--duration', formatDuration(s.durationNs).replace(/\s/g, ''), '--seed', String(s.seed)];
  for (const b of s.bugs) parts.push('--bug', bugName(b));
  const e = s.execution;
  if (e && e.executor !== 'free' && e.executor !== 'replay') {
    parts.push('--executor', e.executor);
    if (e.executor === 'pct' && e.depth !== undefined) parts.push('--depth', String(e.depth));
    if (e.executor === 'exhaustive' && e.preemptionBound !== undefined) parts.push('--preemptions', String(e.preemptionBound));
  }
  if (e?.record) parts.push('--record');
  if (e?.countI10) parts.push('--count-i10');
  if (s.chaos && (!e || e.executor === 'free')) {
    parts.push('--chaos', String(s.chaos.p), '--chaos-max', formatDuration(s.chaos.maxNs).replace(/\s/g, ''));
    for (const w of s.chaos.windows) parts.push('--chaos-window', q(w));
  }
  return parts.join(' ');
}

/** The last `n` events of every CPU, merged by time. */
export function lastEvents(events: readonly TraceEvent[], nrCpus: number, n = LAST_EVENTS_PER_CPU): TraceEvent[] {
  const per: TraceEvent[][] = Array.from({ length: nrCpus }, () => []);
  for (const e of events) per[e.cpu]?.push(e);
  return per.flatMap((l) => l.slice(-n)).sort((x, y) => x.time - y.time || x.cpu - y.cpu || x.seq - y.seq);
}

export interface Artifact {
  proxysim_failure: number;
  command: string;
  scenario: RunSnapshot['scenario'];
  scenario_arg: string;
  strategy: string;
  bugs: string[];
  seed: number;
  cpus: number;
  duration_ns: number;
  chaos: RerunSpec['chaos'];
  chaos_fired: Record<string, number> | null;
  violation: { kind: string; id: string; message: string; cpu: number; time_ns: number } | null;
  findings: Finding[];
  tasks_involved: { id: number; name: string }[];
  locks_held: { cpu: number; held: string[]; spinning_on: string | null }[];
  last_events: (TraceEvent & { name: string; line: string })[];
  arena: ArenaDump;
  /** how it was executed, and what `proxysim replay` follows */
  execution: ExecutionSection;
  /** the command that replays the record (null: nothing recorded) */
  replay_command: string | null;
}

export function buildArtifact(r: RunSnapshot, spec: RerunSpec): Artifact {
  const first = r.failure;
  const tctx = traceContext(r);
  const lname = (l: number): string => lockName(l, (t) => r.names[t] ?? `task[${t}]`);
  const locks = r.kernel.rqs.map((rq, c) => ({
    cpu: c,
    held: rq.held.slice(0, Math.min(rq.held_depth, rq.held.length)).map(lname),
    spinning_on: rq.spinning_on >= 0 ? lname(rq.spinning_on) : null,
  }));
  // the task current on each CPU, followed through the switches (unknown before the first one: idle)
  const cur = Array.from({ length: r.nrCpus }, (_, c) => c);
  const last = lastEvents(r.events, r.nrCpus).map((e) => {
    const line = ftraceLine(tctx, e, cur[e.cpu]);
    if (e.type === EV.SCHED_SWITCH) cur[e.cpu] = e.a;
    return { ...e, name: EV_NAME[e.type] ?? String(e.type), line };
  });
  const involved = [...new Set(r.findings.filter((f) => f.kind !== 'warn').flatMap((f) => f.tasks))];
  return {
    proxysim_failure: ARTIFACT_VERSION,
    command: rerunCommand(spec),
    scenario: r.scenario, scenario_arg: spec.scenario, strategy: r.strategy, bugs: r.bugs.map((b) => bugName(b)), seed: r.seed,
    cpus: r.nrCpus, duration_ns: r.durationNs, chaos: spec.chaos, chaos_fired: r.chaos?.fired ?? null,
    violation: first ? { kind: first.kind, id: first.id, message: first.msg, cpu: first.cpu, time_ns: first.time } : null,
    findings: r.findings,
    tasks_involved: involved.map((t) => ({ id: t, name: r.names[t] ?? `task[${t}]` })),
    locks_held: locks,
    last_events: last,
    arena: r.kernel,
    execution: executionSection(r, spec.execution ?? { executor: 'free', stepNs: 100, samplerMs: 50, countI10: false }),
    replay_command: null,
  };
}

/** The artifact's file name: `<scenario>__<strategy>__<violation id>-seed<seed>-<time>.json`, every
 *  name made safe (safeName: nothing from a scenario can lead outside the artifact folder). */
export function artifactFileName(art: Artifact, now = new Date()): string {
  const v = art.violation;
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return safeFileName([art.scenario.name, art.strategy, v ? v.id : 'fail'], `-seed${art.seed >>> 0}-${stamp}.json`);
}

/** Write the artifact in `dir` (created if need be); returns its path. A WriteError if it cannot be written. */
export function writeArtifact(art: Artifact, dir: string): string {
  const path = join(dir, artifactFileName(art));
  if (art.execution?.record) art.replay_command = `npm start -- replay ${/^[\w./:-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`}`;
  writeFileAtomic(path, JSON.stringify(art, null, 1) + '\n', 'failure artifact');
  return path;
}

/** What the terminal shows: the last events as ftrace lines, the violation, the re-run command. */
export function renderArtifact(art: Artifact, path: string, lines = 40): string {
  const out: string[] = [];
  out.push(`--- last ${Math.min(lines, art.last_events.length)} events (all CPUs, by time) ---`);
  for (const e of art.last_events.slice(-lines)) out.push(e.line);
  if (art.violation) out.push(`!!! ${art.violation.id}: ${art.violation.message}`);
  for (const l of art.locks_held) if (l.held.length || l.spinning_on) out.push(`    CPU${l.cpu} holds [${l.held.join(', ')}]${l.spinning_on ? ` spinning on ${l.spinning_on}` : ''}`);
  out.push(`failure artifact: ${path}`);
  out.push(`re-run: ${art.command}`);
  if (art.replay_command) out.push(`replay: ${art.replay_command}   (the recorded interleaving, step by step)`);
  else if (art.execution?.executor === 'free') out.push('replay: not recorded (run again with --record, or on a controlled executor: --executor random|pct)');
  return out.join('\n');
}
