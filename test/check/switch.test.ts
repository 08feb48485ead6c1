import { afterEach, describe, expect, it } from 'vitest';
import { R, T } from '../../src/shm/layout.ts';
import { checkMidPickDrop, checkSwitch } from '../../src/check/invariants.ts';
import { PROXY_WAKING, TASK, blockedOnMutex } from '../../src/sched/constants.ts';
import {
  kernelCpu, makeCurr, placeQueued, rset, tset, violationOf, type KernelCpu, type Strategy,
} from '../helpers/kernel.ts';

let k: KernelCpu;
afterEach(() => { expect(k.c.locks.held).toEqual([]); });

/**
 * CPU0 about to switch from idle (prev) to `next`, which the class picked: queued on rq0, donor.
 * CPU1 runs C.
 */
function setup(strategy: Strategy): { A: number; B: number; C: number; D: number; idle: number } {
  k = kernelCpu({ strategy });
  const { a } = k;
  const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((n) => k.id(n));
  placeQueued(a, C, 1);
  makeCurr(a, C, 1);
  placeQueued(a, A, 0);
  placeQueued(a, B, 0);
  rset(a, 0, R.donor, A);
  return { A, B, C, D, idle: 0 };
}

describe('checkSwitch (S9 invariants)', () => {
  for (const s of ['none', 'force-return'] as const) {
    it(`${s}: a legal switch passes`, () => {
      const { A, idle } = setup(s);
      expect(() => checkSwitch(k.c, 0, idle, A)).not.toThrow();
      expect(k.msgs).toEqual([]);
    });

    it(`${s}: next whose cpus_mask excludes the CPU is I6`, () => {
      const { A, idle } = setup(s);
      tset(k.a, A, T.cpus_mask, 0b10);
      const v = violationOf(() => checkSwitch(k.c, 0, idle, A));
      expect(v.id).toBe('I6');
      expect(v.message).toBe('I6: A runs on CPU0 outside its affinity 0x2');
      expect(v.tasks).toEqual([A]);
      expect(k.msgs.map((m) => [m.type, m.id])).toEqual([['violation', 'I6']]);
      expect(k.a.hdr('abort')).toBe(1);
    });

    it(`${s}: I6 is exempt while an affinity move is pending (§10 E7)`, () => {
      const { A, idle } = setup(s);
      tset(k.a, A, T.cpus_mask, 0b10);
      tset(k.a, A, T.affinity_pending, 1);
      expect(() => checkSwitch(k.c, 0, idle, A)).not.toThrow();
    });

    it(`${s}: next with on_cpu=1 that is another rq's curr is I5`, () => {
      const { C, idle } = setup(s);
      // C is CPU1's curr; CPU0 tries to switch to it too
      tset(k.a, C, T.cpu, 0);
      const v = violationOf(() => checkSwitch(k.c, 0, idle, C));
      expect(v.id).toBe('I5');
      expect(v.message).toBe('I5: C picked on CPU0 while it is rq[1]->curr');
    });

    it(`${s}: next with on_cpu=1 that is nobody's curr (switch still finishing) is I5`, () => {
      const { B, idle } = setup(s);
      tset(k.a, B, T.on_cpu, 1);
      expect(violationOf(() => checkSwitch(k.c, 0, idle, B)).message).toBe('I5: B picked on CPU0 while on_cpu=1');
    });

    it(`${s}: next whose task_cpu is another CPU is I5`, () => {
      const { A, idle } = setup(s);
      tset(k.a, A, T.cpu, 1);
      const v = violationOf(() => checkSwitch(k.c, 0, idle, A));
      expect(v.id).toBe('I5');
      expect(v.message).toContain('task_cpu=1');
    });

    it(`${s}: prev == next (no switch) with on_cpu=1 is fine`, () => {
      const { A } = setup(s);
      makeCurr(k.a, A, 0);
      expect(() => checkSwitch(k.c, 0, A, A)).not.toThrow();
    });

    it(`${s}: switching to idle is never checked`, () => {
      const { A } = setup(s);
      makeCurr(k.a, A, 0);
      tset(k.a, 0, T.cpus_mask, 0); // even a nonsense idle task
      expect(() => checkSwitch(k.c, 0, A, 0)).not.toThrow();
    });
  }

  it('force-return: next with blocked_on = a mutex is I7', () => {
    const { A, idle } = setup('force-return');
    tset(k.a, A, T.blocked_on, blockedOnMutex(1));
    const v = violationOf(() => checkSwitch(k.c, 0, idle, A));
    expect(v.id).toBe('I7');
    expect(v.message).toBe('I7: A switched in on CPU0 with blocked_on=mutex 1');
  });

  it('force-return: next with blocked_on = PROXY_WAKING is I7', () => {
    const { A, idle } = setup('force-return');
    tset(k.a, A, T.blocked_on, PROXY_WAKING);
    const v = violationOf(() => checkSwitch(k.c, 0, idle, A));
    expect(v.id).toBe('I7');
    expect(v.message).toContain('blocked_on=PROXY_WAKING');
  });

  it('none: blocked_on is not checked with proxy off (a signalled waiter runs with blocked_on=M, §10 E1)', () => {
    const { A, idle } = setup('none');
    tset(k.a, A, T.blocked_on, blockedOnMutex(1));
    expect(() => checkSwitch(k.c, 0, idle, A)).not.toThrow();
  });

  it('force-return: proxying the owner for a blocked donor passes; for an unblocked donor is I8', () => {
    const { A, B, idle } = setup('force-return');
    // B (donor) waits on mutex 0, owned by A, which runs on its behalf
    tset(k.a, B, T.blocked_on, blockedOnMutex(0));
    tset(k.a, B, T.__state, TASK.UNINTERRUPTIBLE);
    rset(k.a, 0, R.donor, B);
    expect(() => checkSwitch(k.c, 0, idle, A)).not.toThrow();
    tset(k.a, B, T.blocked_on, 0);
    const v = violationOf(() => checkSwitch(k.c, 0, idle, A));
    expect(v.id).toBe('I8');
    expect(v.message).toContain('for donor B which is not blocked');
  });

  it('force-return: a donor not queued on this rq is I8', () => {
    const { A, idle } = setup('force-return');
    tset(k.a, A, T.list_cpu, 1);
    const v = violationOf(() => checkSwitch(k.c, 0, idle, A));
    expect(v.id).toBe('I8');
    expect(v.message).toContain('rq[0]->donor A is not queued on this rq');
  });

  it('checkMidPickDrop: dropping the rq lock with rq->donor being moved is I16', () => {
    const { A, B } = setup('force-return');
    expect(() => checkMidPickDrop(k.c, 0, B)).not.toThrow();
    expect(violationOf(() => checkMidPickDrop(k.c, 0, A)).id).toBe('I16');
  });
});
