/**
 * ksched_football (T4) on real CPU workers, with its negative control. The ball (the offense's CPU
 * time) is measured on controlled runs (src/exec, random schedule, seed 1): in virtual time, so it does
 * not depend on how much real CPU time the host gave each worker. The scenario's phases are 10 ms
 * apart, far above the stretch of a kernel path under the controlled executor: the default 1 ms tick.
 */
import { describe, expect, it } from 'vitest';
import { runControlled, failures } from '../helpers/run.ts';
import { resolveScenario } from '../../src/workload/validate.ts';

const TICK_NS = 1_000_000;

describe('football', () => {
  it('none: the ball moves (negative control holds); force-return: the offense is kept off the CPUs', async () => {
    const off = await runControlled('football', 'none', 600, 1, { tickNs: TICK_NS });
    expect(failures(off)).toEqual([]);
    expect(off.suite.ball_ms).toBeGreaterThan(0);
    const on = await runControlled('football', 'force-return', 600, 1, { tickNs: TICK_NS });
    expect(failures(on)).toEqual([]);
    expect(on.suite.ball_ms!).toBeLessThan(off.suite.ball_ms! / 4);
  });

  it('a broken suite (offense below every defender) trips the negative control under none', async () => {
    const s = resolveScenario('football');
    for (const t of s.tasks) if (t.name.startsWith('offense')) t.prio = 1;
    const r = await runControlled(s, 'none', 600, 1, { tickNs: TICK_NS });
    expect(r.suite.ball_ms).toBe(0);
    expect(failures(r)).toEqual([expect.stringMatching(/^violation SUITE: football negative control/)]);
  });
});
