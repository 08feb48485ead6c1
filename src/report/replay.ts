/**
 * A replay of a failure artifact: its scenario on the controlled executor, following the recorded
 * order of steps (and a free run's clock reads); and the drawing of its last steps.
 */
import { runMachine } from '../machine/machine.ts';
import { traceContext, type RunSnapshot } from '../machine/snapshot.ts';
import type { LoadedArtifact } from './load-artifact.ts';
import { replayExecutor } from './recording.ts';
import { drawInterleaving } from './interleaving.ts';
import { ftraceLine } from '../trace/ftrace.ts';
import { EV } from '../trace/events.ts';

export interface ReplayRun {
  id: string | null;
  step: number | null;
  same: boolean;
  divergence: NonNullable<RunSnapshot['exec']>['divergence'];
  wallMs: number;
}

/** One replay of a loaded artifact. */
export async function replayOnce(l: LoadedArtifact, keepEvents: boolean, onProgress?: (f: number) => void): Promise<RunSnapshot> {
  const { art, scenario, bugs } = l;
  return runMachine({
    scenario, strategy: art.strategy, cpus: art.cpus, durationNs: art.duration_ns, seed: art.seed, bugs,
    countI10: art.execution.count_i10, samplerMs: art.execution.sampler_ms, keepEvents,
    executor: replayExecutor(art.execution), onProgress,
  });
}

/** The last steps before the violation, one column per CPU, with the ftrace lines of each step. */
export function draw(r: RunSnapshot, last: number): string[] {
  const x = r.exec;
  if (!x || !x.times) return [];
  const ctx = traceContext(r);
  const cur = Array.from({ length: r.nrCpus }, (_, c) => c);
  const events = r.events.map((e) => {
    const line = ftraceLine(ctx, e, cur[e.cpu]);
    if (e.type === EV.SCHED_SWITCH) cur[e.cpu] = e.a;
    return { ...e, line };
  });
  const upTo = r.failure?.step ?? x.order.length - 1;
  return drawInterleaving({
    nrCpus: r.nrCpus, order: x.order, times: x.times, events, upTo, last,
    violation: r.failure ? `${r.failure.id}: ${r.failure.msg}` : undefined,
  });
}
