/**
 * Suite-level checks: what a whole scenario must show, beyond the invariants.
 *
 * football (ksched_football): the ball is the offense's CPU time. Under `none` (no proxy) the
 * offense outranks the defense's lock owners and must run: if the ball does not move there, the
 * suite itself is broken (a negative control). Under proxy execution the defense's donation keeps
 * the offense off the CPUs; with per-CPU scheduling and no RT push/pull, a ball > 0 there is a
 * balancing metric, not a proxy bug (spec T4), so it is reported, not failed.
 */
import type { TaskState } from '../shm/dump.ts';

export interface SuiteResult {
  ball_ms?: number;
  failure?: { id: string; msg: string };
}

export function suiteChecks(tasks: readonly TaskState[], scenario: string, proxy: boolean, elapsedNs: number): SuiteResult {
  if (!scenario.startsWith('football')) return {};
  let ball = 0;
  for (const t of tasks) if (/^offense/.test(t.name)) ball += t.exec_runtime;
  const ball_ms = Math.round(ball / 1e4) / 100;
  if (!proxy && ball === 0 && elapsedNs > 300e6) {
    return { ball_ms, failure: { id: 'SUITE', msg: 'football negative control: under none the offense never ran (the ball did not move): the suite is broken' } };
  }
  return { ball_ms };
}
