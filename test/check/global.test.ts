import { beforeEach, describe, expect, it } from 'vitest';
import type { Arena } from '../../src/shm/arena.ts';
import { M, R, T } from '../../src/shm/layout.ts';
import { checkGlobal, countI10 } from '../../src/check/global.ts';
import {
  MUTEX_FLAG, PROXY_WAKING, TASK, TASK_ON_RQ_MIGRATING, blockedOnMutex, ownerWord,
} from '../../src/sched/constants.ts';
import {
  addWaiter, kernelCpu, makeCurr, mset, placeQueued, rget, rset, tset,
} from '../helpers/kernel.ts';

let a: Arena;
let names: string[];
let A: number, B: number, C: number, D: number;

const check = (proxy = true) => checkGlobal(a, { proxy, names });

/**
 * A consistent, busy state: A runs on CPU0 (curr, queued), B queued on CPU0, C runs on CPU1,
 * D (pinned to CPU0) sleeps. Every fault below is planted on top of it.
 */
beforeEach(() => {
  const k = kernelCpu({ strategy: 'force-return' });
  ({ a, names } = k);
  [A, B, C, D] = ['A', 'B', 'C', 'D'].map((n) => k.id(n));
});

function busy(): void {
  placeQueued(a, A, 0);
  makeCurr(a, A, 0);
  placeQueued(a, B, 0);
  placeQueued(a, C, 1);
  makeCurr(a, C, 1);
  tset(a, D, T.__state, TASK.INTERRUPTIBLE);
}

describe('checkGlobal', () => {
  it('a freshly built arena is clean, with and without proxy', () => {
    expect(check(true)).toBeNull();
    expect(check(false)).toBeNull();
    expect(countI10(a)).toEqual([]);
  });

  it('the busy baseline is clean', () => {
    busy();
    expect(check()).toBeNull();
  });

  it('I3: a task on two rq lists', () => {
    busy();
    // B also on rq1's list (counts of rq1 kept consistent so that I4 stays quiet)
    a.i32[a.queue(1) + rget(a, 1, R.nr_queued)] = B;
    rset(a, 1, R.nr_queued, rget(a, 1, R.nr_queued) + 1);
    rset(a, 1, R.nr_running, rget(a, 1, R.nr_running) + 1);
    const v = check();
    expect(v?.id).toBe('I3');
    expect(v?.msg).toBe('B is on rq[0] and rq[1] lists');
    expect(v?.tasks).toEqual([B]);
  });

  it('I3: listed with the wrong task_cpu, listed with on_rq=0, QUEUED but on no list', () => {
    busy();
    tset(a, B, T.cpu, 1);
    expect(check()?.msg).toBe("B on rq[0]'s list but task_cpu=1");
    tset(a, B, T.cpu, 0);
    tset(a, B, T.on_rq, 0);
    expect(check()?.msg).toBe("B on rq[0]'s list with on_rq=0");
    tset(a, B, T.on_rq, 1);
    expect(check()).toBeNull();
    tset(a, D, T.on_rq, 1);
    const v = check();
    expect(v?.id).toBe('I3');
    expect(v?.msg).toBe('D has on_rq=QUEUED but is on no rq list');
  });

  it('I4: nr_running differs from the list length', () => {
    busy();
    rset(a, 0, R.nr_running, 3);
    const v = check();
    expect(v?.id).toBe('I4');
    expect(v?.msg).toBe('rq[0]: nr_running=3 but 2 tasks on its list');
  });

  it('I4: the sum of nr_running differs from the tasks with on_rq=QUEUED (an idle task on a list)', () => {
    busy();
    placeQueued(a, 1, 1); // swapper/1 queued on its own rq: per-rq counts agree
    const v = check();
    expect(v?.id).toBe('I4');
    expect(v?.msg).toBe('sum of nr_running 4 != 3 tasks with on_rq=QUEUED');
  });

  it('I13: a task left MIGRATING at a quiescent point', () => {
    busy();
    tset(a, D, T.on_rq, TASK_ON_RQ_MIGRATING);
    expect(check()?.id).toBe('I13');
  });

  it('I5: the same task is curr of two rqs', () => {
    busy();
    // C leaves CPU1 (back to its list only), A becomes curr of CPU1 too
    rset(a, 1, R.curr, A);
    rset(a, 1, R.donor, A);
    tset(a, C, T.on_cpu, 0);
    const v = check();
    expect(v?.id).toBe('I5');
    expect(v?.msg).toBe('A is curr of CPU0 and CPU1');
    expect(v?.tasks).toEqual([A]);
  });

  it('I5: curr with on_cpu=0, curr with a foreign task_cpu, on_cpu=1 without being curr', () => {
    busy();
    tset(a, C, T.on_cpu, 0);
    expect(check()?.msg).toBe('C is rq[1]->curr with on_cpu=0');
    tset(a, C, T.on_cpu, 1);
    tset(a, B, T.on_cpu, 1);
    expect(check()?.msg).toBe('B has on_cpu=1 but is no CPU\'s curr');
    expect(check()?.id).toBe('I5');
  });

  it('I9: a RUNNING task with on_rq=0, on_cpu=0 and no ttwu in flight', () => {
    busy();
    tset(a, D, T.__state, TASK.RUNNING);
    const v = check();
    expect(v?.id).toBe('I9');
    expect(v?.msg).toContain('D is TASK_RUNNING but dequeued and off-CPU');
    expect(v?.tasks).toEqual([D]);
    // not lost while a waker holds it: ttwu in progress, or queued on a wake_q
    tset(a, D, T.ttwu_active, 1);
    expect(check()).toBeNull();
    tset(a, D, T.ttwu_active, 0);
    tset(a, D, T.wake_q_next, 1);
    expect(check()).toBeNull();
    tset(a, D, T.wake_q_next, 0);
    // nor after do_exit
    tset(a, D, T.exited, 1);
    expect(check()).toBeNull();
  });

  it('I11: TASK_WAKING with no wakeup in flight', () => {
    busy();
    tset(a, D, T.__state, TASK.WAKING);
    expect(check()?.id).toBe('I11');
    tset(a, D, T.ttwu_active, 1);
    expect(check()).toBeNull();
  });

  it('I1: a mutex with inside=2', () => {
    busy();
    mset(a, 0, M.owner, ownerWord(A));
    mset(a, 0, M.holder, A);
    mset(a, 0, M.inside, 1);
    expect(check()).toBeNull();
    mset(a, 0, M.inside, 2);
    const v = check();
    expect(v?.id).toBe('I1');
    expect(v?.msg).toBe('mutex 0: 2 tasks inside the critical section');
  });

  it('I1: the task inside is not the owner', () => {
    busy();
    mset(a, 1, M.owner, ownerWord(B));
    mset(a, 1, M.holder, A);
    mset(a, 1, M.inside, 1);
    expect(check()?.id).toBe('I1');
    expect(check()?.msg).toBe('mutex 1: A is inside but the owner word names B');
  });

  it('I1: WAITERS flag with an empty wait list, and waiters without the flag', () => {
    busy();
    mset(a, 0, M.owner, ownerWord(A) | MUTEX_FLAG.WAITERS);
    const v = check();
    expect(v?.id).toBe('I1');
    expect(v?.msg).toBe('mutex 0: WAITERS flag 1 but 0 waiters');
    mset(a, 0, M.owner, ownerWord(A));
    mset(a, 0, M.nr_waiters, 1);
    a.i32[a.waitList(0)] = D;
    tset(a, D, T.blocked_on, blockedOnMutex(0));
    expect(check()?.msg).toBe('mutex 0: WAITERS flag 0 but 1 waiters');
  });

  it('I1: PICKUP without an owner, PICKUP with HANDOFF, HANDOFF without WAITERS', () => {
    busy();
    addWaiter(a, 0, D);
    tset(a, D, T.blocked_on, blockedOnMutex(0));
    mset(a, 0, M.owner, ownerWord(D) | MUTEX_FLAG.WAITERS | MUTEX_FLAG.PICKUP);
    expect(check()).toBeNull();
    mset(a, 0, M.owner, MUTEX_FLAG.WAITERS | MUTEX_FLAG.PICKUP);
    expect(check()?.msg).toBe('mutex 0: PICKUP with no owner or with HANDOFF');
    mset(a, 0, M.owner, ownerWord(D) | MUTEX_FLAG.WAITERS | MUTEX_FLAG.PICKUP | MUTEX_FLAG.HANDOFF);
    expect(check()?.msg).toBe('mutex 0: PICKUP with no owner or with HANDOFF');
    mset(a, 1, M.owner, ownerWord(A) | MUTEX_FLAG.HANDOFF);
    mset(a, 0, M.owner, ownerWord(A) | MUTEX_FLAG.WAITERS);
    expect(check()?.msg).toBe('mutex 1: HANDOFF/PICKUP without WAITERS');
    expect(check()?.id).toBe('I1');
  });

  it('I2: blocked_on names a mutex whose wait list does not hold the task', () => {
    busy();
    // D waits on mutex 0 owned by A: legal
    mset(a, 0, M.owner, ownerWord(A));
    addWaiter(a, 0, D);
    tset(a, D, T.blocked_on, blockedOnMutex(0));
    tset(a, D, T.__state, TASK.UNINTERRUPTIBLE);
    expect(check()).toBeNull();
    // ... but says it waits on mutex 1
    tset(a, D, T.blocked_on, blockedOnMutex(1));
    let v = check();
    expect(v?.id).toBe('I2');
    expect(v?.msg).toBe('D->blocked_on = mutex 1 but it is not on that wait list');
    expect(v?.tasks).toEqual([D]);
    // a task on no wait list at all
    tset(a, D, T.blocked_on, blockedOnMutex(0));
    tset(a, B, T.blocked_on, blockedOnMutex(0));
    v = check();
    expect(v?.id).toBe('I2');
    expect(v?.tasks).toEqual([B]);
    // PROXY_WAKING is always in the domain
    tset(a, B, T.blocked_on, PROXY_WAKING);
    expect(check()).toBeNull();
  });

  it('I2 with proxy off too: blocked_on = M off M\'s wait list is a violation, whatever kpc says', () => {
    busy();
    tset(a, B, T.blocked_on, blockedOnMutex(0));
    expect(check(false)?.id).toBe('I2');
    tset(a, B, T.kpc, 1);
    expect(check(false)?.id).toBe('I2');
    expect(check(true)?.id).toBe('I2');
  });

  it('I18: a queued task with blocked_on=NULL outside its cpus_mask under proxy', () => {
    busy();
    placeQueued(a, D, 1); // D is pinned to CPU0
    const v = check(true);
    expect(v?.id).toBe('I18');
    expect(v?.msg).toBe('D is queued on CPU1 outside its affinity with blocked_on=NULL');
    expect(v?.tasks).toEqual([D]);
    // a proxy-migrated donor (blocked_on = M, on M's wait list) may sit there
    mset(a, 0, M.owner, ownerWord(C));
    addWaiter(a, 0, D);
    tset(a, D, T.blocked_on, blockedOnMutex(0));
    tset(a, D, T.__state, TASK.UNINTERRUPTIBLE);
    expect(check(true)).toBeNull();
    // PROXY_WAKING still counts as blocked
    tset(a, D, T.blocked_on, PROXY_WAKING);
    expect(check(true)).toBeNull();
    // back to NULL: I18 again; exempt while an affinity move is pending; not checked with proxy off
    tset(a, D, T.blocked_on, 0);
    expect(check(true)?.id).toBe('I18');
    expect(check(false)).toBeNull();
    tset(a, D, T.affinity_pending, 1);
    expect(check(true)).toBeNull();
  });

  it('countI10 lists RUNNING tasks with blocked_on set that are not on a CPU', () => {
    busy();
    tset(a, B, T.blocked_on, PROXY_WAKING);
    tset(a, A, T.blocked_on, blockedOnMutex(1)); // on_cpu: not counted
    expect(countI10(a)).toEqual([B]);
  });

  it('reports the first fault in check order (I3/I4 before I5 before I9 before I1/I2)', () => {
    busy();
    tset(a, D, T.__state, TASK.RUNNING);       // I9
    mset(a, 0, M.inside, 2);                   // I1
    expect(check()?.id).toBe('I9');
    rset(a, 1, R.curr, A);                     // I5
    expect(check()?.id).toBe('I5');
    rset(a, 0, R.nr_running, 7);               // I4
    expect(check()?.id).toBe('I4');
  });
});
