import { afterEach, describe, expect, it } from 'vitest';
import { R, T } from '../../src/shm/layout.ts';
import { Locks } from '../../src/sync/spinlock.ts';
import { LockdepError } from '../../src/sync/lockdep.ts';
import { Violation } from '../../src/sched/cpu.ts';
import {
  activateTask, blockTask, deactivateTask, dequeueTask, enqueueTask, listRequeueTail,
} from '../../src/sched/enqueue.ts';
import { DEQUEUE, ENQUEUE, TASK_ON_RQ_MIGRATING, TASK_ON_RQ_QUEUED } from '../../src/sched/constants.ts';
import { kernelCpu, queueOf, rget, smallScenario, tget, violationOf, type KernelCpu } from '../helpers/kernel.ts';

let k: KernelCpu;
afterEach(() => {
  // every test leaves no lock held
  if (k) expect(k.c.locks.held).toEqual([]);
});

/** run f with rq[cpu]->lock held by k.c, always releasing it */
function underRq<X>(cpu: number, f: () => X): X {
  k.c.locks.lock(Locks.rq(cpu), 'test');
  try { return f(); } finally { k.c.locks.unlock(Locks.rq(cpu)); }
}

describe('enqueue/dequeue primitives (planted faults)', () => {
  it('enqueueTask appends to the rq list and counts it', () => {
    k = kernelCpu();
    const { c, a } = k;
    const A = k.id('A');
    const B = k.id('B');
    underRq(0, () => { enqueueTask(c, 0, A, 0); enqueueTask(c, 0, B, 0); });
    expect(queueOf(a, 0)).toEqual([A, B]);
    expect(rget(a, 0, R.nr_running)).toBe(2);
    expect(rget(a, 0, R.nr_queued)).toBe(2);
    expect(tget(a, A, T.list_cpu)).toBe(0);
    expect(tget(a, B, T.list_cpu)).toBe(0);
    // enqueue_task itself does not touch on_rq: activate_task does
    expect(tget(a, A, T.on_rq)).toBe(0);
  });

  it('enqueueTask twice for the same task is I3 and stops the machine', () => {
    k = kernelCpu();
    const { c, a } = k;
    const A = k.id('A');
    const v = underRq(0, () => {
      enqueueTask(c, 0, A, 0);
      return violationOf(() => enqueueTask(c, 0, A, 0));
    });
    expect(v).toBeInstanceOf(Violation);
    expect(v.id).toBe('I3');
    expect(v.message).toMatch(/^I3: A enqueued on rq\[0\] while already on rq\[0\]'s list/);
    expect(v.tasks).toEqual([A]);
    // the list is unchanged by the refused enqueue
    expect(queueOf(a, 0)).toEqual([A]);
    expect(rget(a, 0, R.nr_running)).toBe(1);
    // the violation was reported once and raised the abort flag (cpu+1)
    expect(k.msgs.filter((m) => m.type === 'violation').map((m) => m.id)).toEqual(['I3']);
    expect(a.hdr('abort')).toBe(1);
    expect(a.hdr('nr_violations')).toBe(1);
  });

  it('enqueueing on another rq while listed on this one is I3 too', () => {
    k = kernelCpu();
    const { c } = k;
    const A = k.id('A');
    underRq(0, () => enqueueTask(c, 0, A, 0));
    const v = underRq(1, () => violationOf(() => enqueueTask(c, 1, A, 0)));
    expect(v.id).toBe('I3');
    expect(v.message).toContain("enqueued on rq[1] while already on rq[0]'s list");
  });

  it('dequeueTask of a task that is not queued is I3', () => {
    k = kernelCpu();
    const { c, a } = k;
    const A = k.id('A');
    const B = k.id('B');
    const v = underRq(0, () => {
      enqueueTask(c, 0, A, 0);
      return violationOf(() => dequeueTask(c, 0, B, 0));
    });
    expect(v.id).toBe('I3');
    expect(v.message).toContain("dequeue of B which is not on rq[0]'s list");
    expect(queueOf(a, 0)).toEqual([A]);
  });

  it('dequeueTask on the wrong rq is I3', () => {
    k = kernelCpu();
    const { c } = k;
    const A = k.id('A');
    underRq(0, () => enqueueTask(c, 0, A, 0));
    expect(underRq(1, () => violationOf(() => dequeueTask(c, 1, A, 0))).id).toBe('I3');
  });

  it('activateTask sets on_rq = QUEUED; deactivateTask sets MIGRATING and unlinks; nr_running follows', () => {
    k = kernelCpu();
    const { c, a } = k;
    const A = k.id('A');
    const B = k.id('B');
    const C = k.id('C');
    underRq(0, () => {
      activateTask(c, 0, A, ENQUEUE.WAKEUP);
      activateTask(c, 0, B, ENQUEUE.WAKEUP);
      activateTask(c, 0, C, ENQUEUE.WAKEUP);
    });
    expect(tget(a, A, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(tget(a, C, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(queueOf(a, 0)).toEqual([A, B, C]);
    expect(rget(a, 0, R.nr_running)).toBe(3);

    underRq(0, () => deactivateTask(c, 0, B, DEQUEUE.NOCLOCK));
    expect(tget(a, B, T.on_rq)).toBe(TASK_ON_RQ_MIGRATING);
    expect(tget(a, B, T.list_cpu)).toBe(-1);
    expect(queueOf(a, 0)).toEqual([A, C]);
    expect(rget(a, 0, R.nr_running)).toBe(2);
    expect(rget(a, 0, R.nr_queued)).toBe(2);
    expect(k.warns()).toEqual([]);

    // the migrating task lands on the other rq (as attach_one_task does)
    underRq(1, () => activateTask(c, 1, B, 0));
    expect(tget(a, B, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(queueOf(a, 1)).toEqual([B]);
    expect(rget(a, 1, R.nr_running)).toBe(1);
    expect(rget(a, 0, R.nr_running) + rget(a, 1, R.nr_running)).toBe(3);
  });

  it('deactivateTask with DEQUEUE_SLEEP warns', () => {
    k = kernelCpu();
    const { c } = k;
    const A = k.id('A');
    underRq(0, () => { activateTask(c, 0, A, 0); deactivateTask(c, 0, A, DEQUEUE.SLEEP | DEQUEUE.SPECIAL); });
    expect(k.warns()).toEqual(['deactivate_sleep']);
  });

  it('blockTask dequeues and publishes on_rq = 0', () => {
    k = kernelCpu();
    const { c, a } = k;
    const A = k.id('A');
    const C = k.id('C');
    underRq(0, () => { activateTask(c, 0, A, 0); activateTask(c, 0, C, 0); });
    const done = underRq(0, () => blockTask(c, 0, A, DEQUEUE.NOCLOCK));
    expect(done).toBe(true);
    expect(tget(a, A, T.on_rq)).toBe(0);
    expect(tget(a, A, T.list_cpu)).toBe(-1);
    expect(tget(a, A, T.sched_delayed)).toBe(0);
    expect(queueOf(a, 0)).toEqual([C]);
    expect(rget(a, 0, R.nr_running)).toBe(1);
    // a second block of the same task is a dequeue of a task not queued
    expect(underRq(0, () => violationOf(() => blockTask(c, 0, A, DEQUEUE.NOCLOCK))).id).toBe('I3');
  });

  it('with delayed dequeue a fair task stays queued (sched_delayed) and ENQUEUE_DELAYED requeues it', () => {
    k = kernelCpu({ scenario: smallScenario({ delayed_dequeue: 1 }) });
    const { c, a } = k;
    const A = k.id('A');
    const C = k.id('C');
    underRq(0, () => { activateTask(c, 0, A, 0); activateTask(c, 0, C, 0); });
    expect(underRq(0, () => blockTask(c, 0, A, DEQUEUE.NOCLOCK))).toBe(false);
    expect(tget(a, A, T.sched_delayed)).toBe(1);
    expect(tget(a, A, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(queueOf(a, 0)).toEqual([A, C]);
    expect(rget(a, 0, R.nr_running)).toBe(2);
    // SPECIAL forbids the delay; an RT task is never delayed
    expect(underRq(0, () => blockTask(c, 0, C, DEQUEUE.NOCLOCK))).toBe(true);
    expect(tget(a, C, T.on_rq)).toBe(0);
    // requeue: the flag is cleared, the list is not touched
    underRq(0, () => enqueueTask(c, 0, A, ENQUEUE.DELAYED));
    expect(tget(a, A, T.sched_delayed)).toBe(0);
    expect(queueOf(a, 0)).toEqual([A]);
    expect(rget(a, 0, R.nr_running)).toBe(1);
    expect(k.warns()).toEqual([]);
    // DEQUEUE_SPECIAL: really dequeued
    expect(underRq(0, () => blockTask(c, 0, A, DEQUEUE.NOCLOCK | DEQUEUE.SPECIAL))).toBe(true);
    expect(tget(a, A, T.on_rq)).toBe(0);
    expect(rget(a, 0, R.nr_running)).toBe(0);
  });

  it('ENQUEUE_DELAYED on a task that is not delayed warns', () => {
    k = kernelCpu();
    const A = k.id('A');
    underRq(0, () => { activateTask(k.c, 0, A, 0); enqueueTask(k.c, 0, A, ENQUEUE.DELAYED); });
    expect(k.warns()).toEqual(['enqueue_delayed_not_delayed']);
    expect(queueOf(k.a, 0)).toEqual([A]);
  });

  it('listRequeueTail moves a task behind the others', () => {
    k = kernelCpu();
    const { c, a } = k;
    const [A, B, C] = [k.id('A'), k.id('B'), k.id('C')];
    underRq(0, () => { for (const p of [A, B, C]) activateTask(c, 0, p, 0); listRequeueTail(c, 0, A); });
    expect(queueOf(a, 0)).toEqual([B, C, A]);
    expect(rget(a, 0, R.nr_running)).toBe(3);
  });

  it('enqueueTask / dequeueTask without the rq lock are lockdep not-held errors', () => {
    k = kernelCpu();
    const { c, a } = k;
    const A = k.id('A');
    let e: unknown;
    try { enqueueTask(c, 0, A, 0); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(LockdepError);
    expect((e as LockdepError).kind).toBe('not-held');
    expect((e as LockdepError).message).toContain('enqueue_task requires rq[0]->lock held on CPU0');
    expect(queueOf(a, 0)).toEqual([]);
    // holding another rq's lock is not enough
    e = undefined;
    underRq(1, () => { try { activateTask(c, 0, A, 0); } catch (x) { e = x; } });
    expect((e as LockdepError).kind).toBe('not-held');
    expect(tget(a, A, T.on_rq)).toBe(0);
    // nor may one dequeue without it
    underRq(0, () => enqueueTask(c, 0, A, 0));
    e = undefined;
    try { dequeueTask(c, 0, A, 0); } catch (x) { e = x; }
    expect((e as LockdepError).kind).toBe('not-held');
    expect((e as LockdepError).message).toContain('dequeue_task');
    expect(queueOf(a, 0)).toEqual([A]);
  });
});
