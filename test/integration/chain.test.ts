/** chain-3cpu (spec T2): the blocked_on chain migrates hop by hop to the CPU of the last owner. */
import { describe, expect, it } from 'vitest';
import { runControlled, id, failures } from '../helpers/run.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';
import { EV } from '../../src/trace/events.ts';

describe('chain-3cpu under force-return', () => {
  it('in every episode A and B end up on CPU2 where C runs for A; A moved hop by hop through CPU1', async () => {
    // A controlled run (random schedule, seed 1): the same on any host, so every episode's chain forms
    // as scripted (A blocks on m1 while B holds it, then B blocks on m2 while C holds it) and every
    // one is checked. Episodes 1-5 start at 10, 210, ..., 810 ms and are over 50 ms later.
    const r = await runControlled('chain-3cpu', 'force-return', 900, 1);
    expect(failures(r)).toEqual([]);
    for (const n of [1, 2, 3, 4, 5]) {
      const [A, B, C] = ['A', 'B', 'C'].map((x) => id(r, `${x}${n}`));
      expect(formedIn(r, n), `episode ${n}: A${n} blocked on m1 before B${n} blocked on m2, and B${n} got m2`).toBe(true);
      const migs = (t: number) => r.events.filter((e) => e.type === EV.PROXY_MIGRATE && e.task === t).map((e) => [e.a, e.b]);
      expect(migs(B)[0], `B${n} migrates to C's CPU`).toEqual([1, 2]);
      expect(migs(A).slice(0, 2), `A${n} hops 0 -> 1 -> 2`).toEqual([[0, 1], [1, 2]]);
      expect(r.events.some((e) => e.type === EV.PROXY_RUN && e.task === A && e.a === C), `C${n} runs for A${n}`).toBe(true);
      // C runs with A's priority: the hog (fifo 50 < A's 80) gets CPU2 back only after C let go of m2
      const hog = id(r, `hog${n}`);
      const cUnlocks = r.events.find((e) => e.type === EV.MUTEX_UNLOCK && e.task === C && e.a === 1);
      expect(cUnlocks, `C${n} unlocks m2`).toBeDefined();
      const aProxy = r.events.find((e) => e.type === EV.PROXY_RUN && e.task === A && e.a === C)!;
      expect(r.events.filter((e) => e.type === EV.SCHED_SWITCH && e.a === hog && e.time > aProxy.time && e.time < cUnlocks!.time),
        `hog${n} gets no CPU while C${n} runs for A${n}`).toEqual([]);
    }
  });
});

/** episode n's chain formed as scripted: A blocked before B did, and B got m2 */
function formedIn(r: RunSnapshot, n: number): boolean {
  const [A, B] = ['A', 'B'].map((x) => id(r, `${x}${n}`));
  const at = (type: number, t: number) => r.events.find((e) => e.type === type && e.task === t);
  const aBlocks = at(EV.MUTEX_BLOCK, A);
  const bBlocks = at(EV.MUTEX_BLOCK, B);
  const bGetsM2 = r.events.some((e) => e.type === EV.MUTEX_ACQUIRE && e.task === B && e.a === 1);
  return Boolean(aBlocks && bBlocks && bGetsM2 && aBlocks.time < bBlocks.time);
}
