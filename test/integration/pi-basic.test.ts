/**
 * Priority inversion (spec T3) on real CPU workers. Asserts the order of events, not times:
 * without proxy execution the medium-priority hog runs while H waits for L's mutex;
 * with proxy execution (v26) L runs on H's behalf and the hog gets no CPU while H waits.
 * The order is asserted on controlled runs (src/exec): in virtual time, H starts at 2 ms and blocks
 * on L's m0 whatever the host's load (a free run's CPU worker stalled past 2 ms let H take m0 first).
 * With one CPU the schedule has a single choice at every step: the seed changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { run, runControlled, id, failures } from '../helpers/run.ts';
import { EV } from '../../src/trace/events.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';

/** [from, to) of H's first mutex wait */
function firstWait(r: RunSnapshot, h: number): [number, number] {
  const b = r.events.find((e) => e.type === EV.MUTEX_BLOCK && e.task === h);
  expect(b, 'H blocked on m0').toBeDefined();
  const end = r.events.find((e) => e.time >= b!.time && e.task === h && (e.type === EV.MUTEX_ACQUIRE || e.type === EV.MUTEX_EINTR));
  return [b!.time, end ? end.time : Infinity];
}

function switchesTo(r: RunSnapshot, t: number, from: number, to: number) {
  return r.events.filter((e) => e.type === EV.SCHED_SWITCH && e.a === t && e.time >= from && e.time < to);
}

describe('pi-basic', () => {
  it('none: the hog runs while H waits (the inversion)', async () => {
    const r = await runControlled('pi-basic', 'none', 300, 1);
    expect(failures(r)).toEqual([]);
    const [from, to] = firstWait(r, id(r, 'H'));
    expect(to, 'L never lets go of m0: H waits for the whole run').toBe(Infinity);
    expect(switchesTo(r, id(r, 'Med'), from, to).length).toBeGreaterThan(0);
    expect(r.events.some((e) => e.type === EV.PROXY_RUN)).toBe(false);
  });

  it('force-return: L runs for H, the hog gets no CPU while H waits', async () => {
    const r = await runControlled('pi-basic', 'force-return', 300, 1);
    expect(failures(r)).toEqual([]);
    const h = id(r, 'H');
    const [from, to] = firstWait(r, h);
    expect(to).toBeLessThan(Infinity); // H got the mutex
    expect(switchesTo(r, id(r, 'Med'), from, to)).toEqual([]);
    const proxy = r.events.find((e) => e.type === EV.PROXY_RUN && e.task === h);
    expect(proxy?.a).toBe(id(r, 'L'));
    expect(proxy!.time).toBeGreaterThanOrEqual(from);
  });

  it('N-CPU version (2 CPUs, one hog per CPU) runs clean under both strategies', async () => {
    // free running: no order is asserted, only what holds under any interleaving
    for (const s of ['none', 'force-return']) {
      const r = await run('pi-basic', s, 200, { cpus: 2 });
      expect(failures(r), s).toEqual([]);
      expect(r.samples).toBeGreaterThan(0);
    }
  });
});
