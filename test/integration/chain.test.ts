/** chain-3cpu (spec T2): the blocked_on chain migrates hop by hop to the CPU of the last owner. */
import { describe, expect, it } from 'vitest';
import { run, id, failures } from '../helpers/run.ts';
import { EV } from '../../src/trace/events.ts';

describe('chain-3cpu under force-return', () => {
  it('A and B end up on CPU2 where C runs for A; A moved hop by hop through CPU1', async () => {
    const r = await run('chain-3cpu', 'force-return', 620);
    expect(failures(r)).toEqual([]);
    let hopByHop = 0;
    for (const n of [1, 2, 3]) {
      const A = id(r, `A${n}`);
      const B = id(r, `B${n}`);
      const C = id(r, `C${n}`);
      const migs = (t: number) => r.events.filter((e) => e.type === EV.PROXY_MIGRATE && e.task === t).map((e) => [e.a, e.b]);
      expect(migs(B)[0], `B${n} migrates to C's CPU`).toEqual([1, 2]);
      const am = migs(A);
      expect(am.some(([, to]) => to === 2), `A${n} reaches CPU2`).toBe(true);
      if (am[0]?.[0] === 0 && am[0]?.[1] === 1 && am[1]?.[0] === 1 && am[1]?.[1] === 2) hopByHop++;
      expect(r.events.some((e) => e.type === EV.PROXY_RUN && e.task === A && e.a === C), `C${n} runs for A${n}`).toBe(true);
    }
    expect(hopByHop).toBeGreaterThan(0);
    expect(Math.max(...r.findings.map(() => 0), 0)).toBe(0);
  });
});
