/**
 * struct mutex state transitions (spec §3.3-§3.4) driven on the test's thread with CPU0's kernel
 * context: owner word (task | WAITERS/HANDOFF/PICKUP), FIFO wait list, blocked_on, and what the
 * unlock's wakeup does to the waiter. Scheduler state around the calls is set up by hand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { M, R, T } from '../../src/shm/layout.ts';
import { Locks } from '../../src/sync/spinlock.ts';
import { checkGlobal, countI10 } from '../../src/check/global.ts';
import {
  K_MUTEX_WAIT, LOCK_DONE, LOCK_EINTR, LOCK_SCHEDULE, mutexLock, mutexLockResume, mutexOwner,
  mutexTrylock, mutexUnlock,
} from '../../src/locking/mutex.ts';
import { blockTask } from '../../src/sched/enqueue.ts';
import {
  DEQUEUE, EINTR, MUTEX_FLAG, PROXY_WAKING, TASK, TASK_ON_RQ_QUEUED, blockedOnMutex, ownerWord,
} from '../../src/sched/constants.ts';
import {
  kernelCpu, makeCurr, mget, placeQueued, queueOf, rget, smallScenario, tget, tset, violationOf, waitersOf, type KernelCpu, type Strategy,
} from '../helpers/kernel.ts';

const { WAITERS, HANDOFF, PICKUP } = MUTEX_FLAG;
const M0 = 0;
const D_STATE = TASK.UNINTERRUPTIBLE;

let k: KernelCpu;
afterEach(() => {
  if (!k) return;
  expect(k.c.locks.held).toEqual([]);
  expect(k.a.hdr('nr_violations')).toBe(0);
});

const owner = (m = M0): number => mget(k.a, m, M.owner);
const st = (p: number): number => tget(k.a, p, T.__state);
const bo = (p: number): number => tget(k.a, p, T.blocked_on);
const global = (proxy: boolean) => checkGlobal(k.a, { proxy, names: k.names });

/**
 * A is running on CPU0 (rq->curr, queued); B, C, D have never run (UNINTERRUPTIBLE, on_rq=0).
 * CPU1 is idle.
 */
function setup(strategy: Strategy, bugs: number[] = []): { A: number; B: number; C: number; D: number } {
  k = kernelCpu({ strategy, bugs });
  const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((n) => k.id(n));
  placeQueued(k.a, A, 0);
  makeCurr(k.a, A, 0);
  return { A, B, C, D };
}

/**
 * What __schedule() does to a task that returned LOCK_SCHEDULE (M11): with proxy off it is
 * dequeued (try_to_block_task -> block_task); with proxy on it stays queued as a donor.
 * Either way it leaves the CPU.
 */
function scheduleOut(p: number): void {
  const { c, a } = k;
  if (!c.proxy && tget(a, p, T.on_rq) === TASK_ON_RQ_QUEUED) {
    const cpu = tget(a, p, T.cpu);
    c.locks.lock(Locks.rq(cpu), 'test:schedule');
    try { blockTask(c, cpu, p, DEQUEUE.NOCLOCK); } finally { c.locks.unlock(Locks.rq(cpu)); }
  }
  tset(a, p, T.on_cpu, 0);
}

describe('mutex_lock / mutex_unlock', () => {
  it('held_mask keeps 64 mutexes apart (mutex 32 + k does not alias mutex k)', () => {
    k = kernelCpu({ strategy: 'none', scenario: smallScenario({ mutexes: Array.from({ length: 64 }, (_, m) => `m${m}`) }) });
    const A = k.id('A');
    placeQueued(k.a, A, 0);
    makeCurr(k.a, A, 0);
    for (const m of [0, 33, 63]) expect(mutexLock(k.c, A, m, D_STATE)).toBe(LOCK_DONE);
    expect([tget(k.a, A, T.held_mask), tget(k.a, A, T.held_mask + 1)]).toEqual([1, (1 << 1) | (1 << 31)]);
    mutexUnlock(k.c, A, 33);
    expect([tget(k.a, A, T.held_mask), tget(k.a, A, T.held_mask + 1)]).toEqual([1, 1 << 31]);
    mutexUnlock(k.c, A, 0);
    mutexUnlock(k.c, A, 63);
    expect([tget(k.a, A, T.held_mask), tget(k.a, A, T.held_mask + 1)]).toEqual([0, 0]);
  });

  it('a free mutex is taken on the fast path: owner word = the task, no flags, no wait', () => {
    const { A } = setup('none');
    expect(mutexLock(k.c, A, M0, D_STATE)).toBe(LOCK_DONE);
    expect(owner()).toBe(ownerWord(A));
    expect(mutexOwner(k.c, M0)).toBe(A);
    expect(mget(k.a, M0, M.inside)).toBe(1);
    expect(mget(k.a, M0, M.holder)).toBe(A);
    expect(mget(k.a, M0, M.acquisitions)).toBe(1);
    expect(tget(k.a, A, T.held_mask)).toBe(1 << M0);
    expect(bo(A)).toBe(0);
    expect(st(A)).toBe(TASK.RUNNING);
    expect(waitersOf(k.a, M0)).toEqual([]);
    // uncontended unlock: fast path back to 0
    mutexUnlock(k.c, A, M0);
    expect(owner()).toBe(0);
    expect(mget(k.a, M0, M.inside)).toBe(0);
    expect(mget(k.a, M0, M.holder)).toBe(-1);
    expect(tget(k.a, A, T.held_mask)).toBe(0);
    expect(k.warns()).toEqual([]);
  });

  for (const s of ['none', 'force-return'] as const) {
    it(`${s}: a second locker goes to schedule() with blocked_on set, on the wait list, WAITERS set`, () => {
      const { A, B } = setup(s);
      expect(mutexLock(k.c, A, M0, D_STATE)).toBe(LOCK_DONE);
      expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
      expect(waitersOf(k.a, M0)).toEqual([B]);
      expect(owner()).toBe(ownerWord(A) | WAITERS);
      expect(bo(B)).toBe(blockedOnMutex(M0));
      expect(st(B)).toBe(D_STATE);
      expect(tget(k.a, B, T.kpc)).toBe(K_MUTEX_WAIT);
      expect(tget(k.a, B, T.kop_mutex)).toBe(M0);
      expect(tget(k.a, B, T.kop_state)).toBe(D_STATE);
      // A still owns it and is alone inside
      expect(mget(k.a, M0, M.inside)).toBe(1);
      expect(mget(k.a, M0, M.holder)).toBe(A);
      expect(mutexTrylock(k.c, B, M0)).toBe(false);
      expect(owner()).toBe(ownerWord(A) | WAITERS);
      expect(k.warns()).toEqual([]);
    });
  }

  it('none: the unlock clears the waiter\'s blocked_on and wakes it (full wakeup of a dequeued sleeper)', () => {
    const { A, B } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    scheduleOut(B);
    expect(tget(k.a, B, T.on_rq)).toBe(0);

    mutexUnlock(k.c, A, M0);
    // U2: the owner task is released, WAITERS stays (B is still on the list until it takes the lock)
    expect(owner()).toBe(WAITERS);
    expect(waitersOf(k.a, M0)).toEqual([B]);
    expect(mget(k.a, M0, M.inside)).toBe(0);
    // U4 with proxy off: blocked_on cleared, not PROXY_WAKING
    expect(bo(B)).toBe(0);
    // U6: woken through the full path: placed on the idle CPU1 (CPU0 runs A), RUNNING
    expect(st(B)).toBe(TASK.RUNNING);
    expect(tget(k.a, B, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(tget(k.a, B, T.cpu)).toBe(1);
    expect(queueOf(k.a, 1)).toEqual([B]);
    expect(rget(k.a, 1, R.need_resched)).toBe(1);
    expect(tget(k.a, B, T.nr_wakeups)).toBe(1);
    expect(tget(k.a, B, T.wake_q_next)).toBe(0);
    expect(tget(k.a, B, T.ttwu_active)).toBe(0);
    expect(mget(k.a, M0, M.unlocking)).toBe(0);
    expect(global(false)).toBeNull();

    // B runs again (M12..): first waiter, lock free -> acquires; last waiter clears every flag
    expect(mutexLockResume(k.c, B)).toBe(LOCK_DONE);
    expect(owner()).toBe(ownerWord(B));
    expect(waitersOf(k.a, M0)).toEqual([]);
    expect(bo(B)).toBe(0);
    expect(st(B)).toBe(TASK.RUNNING);
    expect(tget(k.a, B, T.kpc)).toBe(0);
    expect(mget(k.a, M0, M.holder)).toBe(B);
    expect(mget(k.a, M0, M.acquisitions)).toBe(2);
    expect(k.warns()).toEqual([]);
    expect(global(false)).toBeNull();
  });

  it('none: a waiter still queued (between M10 and M11) is woken by ttwu_runnable and stays put', () => {
    const { A, B } = setup('none');
    placeQueued(k.a, B, 0, TASK.RUNNING);
    mutexLock(k.c, A, M0, D_STATE);
    expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    mutexUnlock(k.c, A, M0);
    expect(bo(B)).toBe(0);
    expect(st(B)).toBe(TASK.RUNNING);
    expect(tget(k.a, B, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(tget(k.a, B, T.cpu)).toBe(0);
    expect(queueOf(k.a, 0)).toEqual([A, B]);
    expect(queueOf(k.a, 1)).toEqual([]);
    expect(global(false)).toBeNull();
  });

  it('force-return: the unlock marks the queued donor PROXY_WAKING and ttwu makes it RUNNING in place', () => {
    const { A, B } = setup('force-return');
    // with proxy on, the waiter stays queued as a donor after schedule()
    placeQueued(k.a, B, 0, TASK.RUNNING);
    mutexLock(k.c, A, M0, D_STATE);
    expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    scheduleOut(B);
    expect(tget(k.a, B, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(countI10(k.a)).toEqual([]);

    mutexUnlock(k.c, A, M0);
    expect(bo(B)).toBe(PROXY_WAKING);
    expect(owner()).toBe(WAITERS);
    expect(waitersOf(k.a, M0)).toEqual([B]);
    expect(st(B)).toBe(TASK.RUNNING);
    expect(tget(k.a, B, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(queueOf(k.a, 0)).toEqual([A, B]);
    // v26 (§3.5): a queued donor can be RUNNING with blocked_on set (counted as I10, not a violation)
    expect(countI10(k.a)).toEqual([B]);
    expect(global(true)).toBeNull();
    expect(k.warns()).toEqual([]);
  });

  it('force-return: a waiter that comes back from schedule() with blocked_on still set is I2', () => {
    const { A, B } = setup('force-return');
    placeQueued(k.a, B, 0, TASK.RUNNING);
    mutexLock(k.c, A, M0, D_STATE);
    mutexLock(k.c, B, M0, D_STATE);
    mutexUnlock(k.c, A, M0);
    expect(bo(B)).toBe(PROXY_WAKING);
    // nobody ran find_proxy_task/proxy_force_return to clear it
    const v = violationOf(() => mutexLockResume(k.c, B));
    expect(v.id).toBe('I2');
    expect(v.message).toContain('returned from schedule() in mutex_lock with blocked_on=PROXY_WAKING');
    // the check fires at M13 with wait_lock and blocked_lock held: release them for the next test
    expect(k.c.locks.held).toEqual([Locks.wait(M0), Locks.blocked(B)]);
    k.c.locks.unlock(Locks.blocked(B));
    k.c.locks.unlock(Locks.wait(M0));
    Atomics.store(k.a.i32, k.a.hdrIndex('nr_violations'), 0);
  });

  it('force-return: after the return path cleared blocked_on the waiter acquires', () => {
    const { A, B } = setup('force-return');
    placeQueued(k.a, B, 0, TASK.RUNNING);
    mutexLock(k.c, A, M0, D_STATE);
    mutexLock(k.c, B, M0, D_STATE);
    mutexUnlock(k.c, A, M0);
    tset(k.a, B, T.blocked_on, 0); // what find_proxy_task F1 / proxy_force_return does
    expect(mutexLockResume(k.c, B)).toBe(LOCK_DONE);
    expect(owner()).toBe(ownerWord(B));
    expect(bo(B)).toBe(0);
  });

  it('FIFO: the unlock wakes only the first waiter; WAITERS stays while others wait', () => {
    const { A, B, D } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    expect(mutexLock(k.c, D, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    expect(waitersOf(k.a, M0)).toEqual([B, D]);
    mutexUnlock(k.c, A, M0);
    expect(st(B)).toBe(TASK.RUNNING);
    expect(bo(B)).toBe(0);
    expect(st(D)).toBe(D_STATE);
    expect(bo(D)).toBe(blockedOnMutex(M0));
    expect(tget(k.a, D, T.on_rq)).toBe(0);
    expect(mutexLockResume(k.c, B)).toBe(LOCK_DONE);
    expect(waitersOf(k.a, M0)).toEqual([D]);
    expect(owner()).toBe(ownerWord(B) | WAITERS);
    expect(global(false)).toBeNull();
  });

  it('mutex_trylock fails on a held mutex and succeeds on a free one', () => {
    const { A, B } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    expect(mutexTrylock(k.c, B, M0)).toBe(false);
    expect(owner()).toBe(ownerWord(A));
    expect(mget(k.a, M0, M.holder)).toBe(A);
    expect(mget(k.a, M0, M.inside)).toBe(1);
    expect(tget(k.a, B, T.held_mask)).toBe(0);
    // a trylock never queues
    expect(waitersOf(k.a, M0)).toEqual([]);
    expect(bo(B)).toBe(0);
    expect(mutexTrylock(k.c, B, 1)).toBe(true);
    expect(owner(1)).toBe(ownerWord(B));
    expect(tget(k.a, B, T.held_mask)).toBe(1 << 1);
    mutexUnlock(k.c, A, M0);
    expect(mutexTrylock(k.c, B, M0)).toBe(true);
    expect(owner()).toBe(ownerWord(B));
  });

  it('a mutex released with only WAITERS set can be stolen, keeping the flag', () => {
    const { A, B, C } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    mutexLock(k.c, B, M0, D_STATE);
    scheduleOut(B);
    mutexUnlock(k.c, A, M0);
    expect(owner()).toBe(WAITERS);
    expect(mutexLock(k.c, C, M0, D_STATE)).toBe(LOCK_DONE);
    expect(owner()).toBe(ownerWord(C) | WAITERS);
    expect(waitersOf(k.a, M0)).toEqual([B]);
    expect(k.warns()).toEqual([]);
  });

  it('handoff: a first waiter that fails after schedule() sets HANDOFF; the next unlock hands over with PICKUP', () => {
    const { A, B, C, D } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    scheduleOut(B);
    mutexUnlock(k.c, A, M0);          // wakes B, the lock is free ...
    expect(mutexTrylock(k.c, C, M0)).toBe(true); // ... and C steals it before B runs
    expect(owner()).toBe(ownerWord(C) | WAITERS);

    // B comes back as the first waiter, finds the lock taken: asks for a handoff and sleeps again
    expect(mutexLockResume(k.c, B)).toBe(LOCK_SCHEDULE);
    expect(owner()).toBe(ownerWord(C) | WAITERS | HANDOFF);
    expect(waitersOf(k.a, M0)).toEqual([B]);
    expect(bo(B)).toBe(blockedOnMutex(M0));
    expect(st(B)).toBe(D_STATE);
    expect(tget(k.a, B, T.kpc)).toBe(K_MUTEX_WAIT);
    scheduleOut(B);
    expect(tget(k.a, B, T.on_rq)).toBe(0);
    expect(global(false)).toBeNull();

    // C unlocks: HANDOFF means the owner word goes straight to B | PICKUP, never through 0
    mutexUnlock(k.c, C, M0);
    expect(owner()).toBe(ownerWord(B) | WAITERS | PICKUP);
    expect(mget(k.a, M0, M.handoffs)).toBe(1);
    expect(mget(k.a, M0, M.inside)).toBe(0);
    expect(bo(B)).toBe(0);
    expect(st(B)).toBe(TASK.RUNNING);
    expect(tget(k.a, B, T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(global(false)).toBeNull();

    // PICKUP is for B only
    expect(mutexTrylock(k.c, D, M0)).toBe(false);
    expect(mutexLock(k.c, A, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    expect(waitersOf(k.a, M0)).toEqual([B, A]);
    expect(owner()).toBe(ownerWord(B) | WAITERS | PICKUP);

    // B picks it up: PICKUP cleared; WAITERS stays for A
    expect(mutexLockResume(k.c, B)).toBe(LOCK_DONE);
    expect(owner()).toBe(ownerWord(B) | WAITERS);
    expect(waitersOf(k.a, M0)).toEqual([A]);
    expect(mget(k.a, M0, M.holder)).toBe(B);
    expect(mget(k.a, M0, M.acquisitions)).toBe(3);
    expect(k.warns()).toEqual([]);
  });

  it('handoff with force-return: the handed-over waiter is marked PROXY_WAKING', () => {
    const { A, B, C } = setup('force-return');
    placeQueued(k.a, B, 1, TASK.RUNNING);
    mutexLock(k.c, A, M0, D_STATE);
    mutexLock(k.c, B, M0, D_STATE);
    // B spuriously back from schedule (blocked_on cleared by a return path) while A still holds it
    tset(k.a, B, T.blocked_on, 0);
    expect(mutexLockResume(k.c, B)).toBe(LOCK_SCHEDULE);
    expect(owner()).toBe(ownerWord(A) | WAITERS | HANDOFF);
    expect(bo(B)).toBe(blockedOnMutex(M0));
    mutexUnlock(k.c, A, M0);
    expect(owner()).toBe(ownerWord(B) | WAITERS | PICKUP);
    expect(bo(B)).toBe(PROXY_WAKING);
    expect(mutexTrylock(k.c, C, M0)).toBe(false);
    expect(global(true)).toBeNull();
  });

  it('mutex_lock_interruptible with a signal pending returns -EINTR and leaves no trace', () => {
    const { A, B } = setup('none');
    placeQueued(k.a, B, 1);
    makeCurr(k.a, B, 1);
    mutexLock(k.c, A, M0, D_STATE);
    tset(k.a, B, T.sigpending, 1);
    expect(mutexLock(k.c, B, M0, TASK.INTERRUPTIBLE)).toBe(LOCK_EINTR);
    expect(LOCK_EINTR).toBe(-EINTR);
    expect(waitersOf(k.a, M0)).toEqual([]);
    expect(owner()).toBe(ownerWord(A)); // last waiter gone: WAITERS cleared
    expect(bo(B)).toBe(0);
    expect(st(B)).toBe(TASK.RUNNING);
    expect(tget(k.a, B, T.nr_eintr)).toBe(1);
    expect(tget(k.a, B, T.kpc)).toBe(0);
    expect(global(true)).toBeNull();
  });

  it('an uninterruptible mutex_lock ignores a pending signal', () => {
    const { A, B } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    tset(k.a, B, T.sigpending, 1);
    expect(mutexLock(k.c, B, M0, D_STATE)).toBe(LOCK_SCHEDULE);
    expect(waitersOf(k.a, M0)).toEqual([B]);
    expect(bo(B)).toBe(blockedOnMutex(M0));
  });

  it('BUG12 (planted): the -EINTR path leaves blocked_on set, which the global check reports as I2', () => {
    const { A, B } = setup('none', [12]);
    placeQueued(k.a, B, 1);
    makeCurr(k.a, B, 1); // B runs on CPU1 when it calls mutex_lock_interruptible
    mutexLock(k.c, A, M0, D_STATE);
    tset(k.a, B, T.sigpending, 1);
    expect(mutexLock(k.c, B, M0, TASK.INTERRUPTIBLE)).toBe(LOCK_EINTR);
    expect(waitersOf(k.a, M0)).toEqual([]);
    expect(bo(B)).toBe(blockedOnMutex(M0));
    expect(global(true)?.id).toBe('I2');
  });

  it('unlock by a task that does not own the mutex warns and changes nothing', () => {
    const { A, B } = setup('none');
    mutexLock(k.c, A, M0, D_STATE);
    mutexUnlock(k.c, B, M0);
    expect(k.warns()).toEqual(['unlock_not_owner']);
    expect(owner()).toBe(ownerWord(A));
    expect(mget(k.a, M0, M.inside)).toBe(1);
  });
});
