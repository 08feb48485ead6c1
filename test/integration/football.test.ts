/** ksched_football (T4) on real CPU workers, with its negative control. */
import { describe, expect, it } from 'vitest';
import { run, failures } from '../helpers/run.ts';
import { resolveScenario } from '../../src/workload/validate.ts';

describe('football', () => {
  it('none: the ball moves (negative control holds); force-return: the offense is kept off the CPUs', async () => {
    const off = await run('football', 'none', 600);
    expect(failures(off)).toEqual([]);
    expect(off.suite.ball_ms).toBeGreaterThan(0);
    const on = await run('football', 'force-return', 600);
    expect(failures(on)).toEqual([]);
    expect(on.suite.ball_ms!).toBeLessThan(off.suite.ball_ms! / 4);
  });

  it('a broken suite (offense below every defender) trips the negative control under none', async () => {
    const s = resolveScenario('football');
    for (const t of s.tasks) if (t.name.startsWith('offense')) t.prio = 1;
    const r = await run(s, 'none', 600);
    expect(r.suite.ball_ms).toBe(0);
    expect(failures(r)).toEqual([expect.stringMatching(/^violation SUITE: football negative control/)]);
  });
});
