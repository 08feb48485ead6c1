/**
 * struct mutex (kernel/locking/mutex.c): owner word with WAITERS/HANDOFF/PICKUP, wait_lock, a FIFO
 * wait list, blocked_on under blocked_lock. No optimistic spinning (M16 is not modelled: a first
 * waiter that fails sets HANDOFF and sleeps again).
 *
 * A lock operation is a resumable state machine: it runs until M11 (schedule()), leaves
 * kpc = K_MUTEX_WAIT in the task, and continues at M12 on whichever CPU next runs the task.
 * The slowpath is non-preemptible (§10 E8): the CPU loop never preempts inside it.
 */
import type { Cpu } from '../sched/cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { gate } from '../sync/gate.ts';
import { M, T } from '../shm/layout.ts';
import { EINTR, MUTEX_FLAG, MUTEX_FLAGS, PROXY_WAKING, SCHED, TASK, ownerTask, ownerWord } from '../sched/constants.ts';
import { METRIC } from '../trace/metrics.ts';
import { __clearTaskBlockedOn, __setTaskBlockedOn, setTaskBlockedOnWaking } from './blocked-on.ts';
import { signalPendingState } from '../signal/pending.ts';
import { WakeQ } from '../sched/ttwu.ts';
import { EV } from '../trace/events.ts';

export const LOCK_DONE = 0;
export const LOCK_EINTR = -EINTR;
/** the task called schedule() at M11; resume with mutexLockResume() */
export const LOCK_SCHEDULE = 1;

/** kpc value of a task waiting in mutex_lock */
export const K_MUTEX_WAIT = 1;

function ownerIdx(c: Cpu, m: number): number { return c.a.m(m) + M.owner; }

/** __mutex_owner() */
export function mutexOwner(c: Cpu, m: number): number {
  return ownerTask(Atomics.load(c.i32, ownerIdx(c, m)));
}

/** @kernel kernel/locking/mutex.c __mutex_trylock_common(). Returns true if acquired. */
function __mutexTrylockCommon(c: Cpu, p: number, m: number, handoff: boolean): boolean {
  const i32 = c.i32;
  const w = ownerIdx(c, m);
  const me = ownerWord(p);
  let owner = Atomics.load(i32, w);
  for (;;) {
    let flags = owner & MUTEX_FLAGS;
    let task = owner & ~MUTEX_FLAGS;
    if (task) {
      if (flags & MUTEX_FLAG.PICKUP) {
        if (task !== me) return false;
        flags &= ~MUTEX_FLAG.PICKUP;
      } else if (handoff) {
        if (flags & MUTEX_FLAG.HANDOFF) return false;
        flags |= MUTEX_FLAG.HANDOFF;
      } else {
        return false;
      }
    } else {
      if (flags & (MUTEX_FLAG.HANDOFF | MUTEX_FLAG.PICKUP)) {
        c.warn('mutex_flags_no_owner', `mutex ${m}: HANDOFF/PICKUP set with no owner`, p);
      }
      task = me;
    }
    const seen = Atomics.compareExchange(i32, w, owner, task | flags);
    if (seen === owner) return task === me;
    owner = seen;
  }
}

/** Instrumentation for I1: entering the critical section. */
function enterCritical(c: Cpu, p: number, m: number): void {
  const base = c.a.m(m);
  if (Atomics.add(c.i32, base + M.inside, 1) !== 0) {
    c.violation('I1', `${c.name(p)} acquired mutex ${m} while ${c.name(Atomics.load(c.i32, base + M.holder))} is inside it`, [p]);
  }
  Atomics.store(c.i32, base + M.holder, p);
  if (ownerTask(Atomics.load(c.i32, base + M.owner)) !== p) {
    c.violation('I1', `${c.name(p)} inside mutex ${m} but the owner word names ${c.name(mutexOwner(c, m))}`, [p]);
  }
  Atomics.add(c.i32, base + M.acquisitions, 1);
  const w = heldMaskWord(m);
  c.ts(p, w, c.tg(p, w) | heldMaskBit(m));
  c.ts(p, T.nr_acquired, c.tg(p, T.nr_acquired) + 1);
  c.emit(EV.MUTEX_ACQUIRE, p, m);
}

function leaveCritical(c: Cpu, p: number, m: number): void {
  const base = c.a.m(m);
  Atomics.store(c.i32, base + M.holder, -1);
  Atomics.sub(c.i32, base + M.inside, 1);
  const w = heldMaskWord(m);
  c.ts(p, w, c.tg(p, w) & ~heldMaskBit(m));
}

/** held_mask: mutex m is bit m%32 of word m/32 (64 mutexes at most, as the validator allows). */
export function heldMaskWord(m: number): number { return T.held_mask + (m >>> 5); }
export function heldMaskBit(m: number): number { return 1 << (m & 31); }

// ---- wait list (under wait_lock) ----
function waiterAdd(c: Cpu, m: number, p: number): void {
  const base = c.a.m(m);
  const n = c.i32[base + M.nr_waiters];
  c.i32[c.a.waitList(m) + n] = p;
  c.i32[base + M.nr_waiters] = n + 1;
  if (n === 0) Atomics.or(c.i32, base + M.owner, MUTEX_FLAG.WAITERS);
}

function waiterRemove(c: Cpu, m: number, p: number): void {
  const base = c.a.m(m);
  const wl = c.a.waitList(m);
  const n = c.i32[base + M.nr_waiters];
  let k = 0;
  while (k < n && c.i32[wl + k] !== p) k++;
  if (k === n) c.violation('I2', `${c.name(p)} is not on mutex ${m}'s wait list`, [p]);
  for (; k < n - 1; k++) c.i32[wl + k] = c.i32[wl + k + 1];
  c.i32[base + M.nr_waiters] = n - 1;
  // __mutex_remove_waiter(): the last waiter clears every flag
  if (n === 1) Atomics.and(c.i32, base + M.owner, ~MUTEX_FLAGS);
}

function firstWaiter(c: Cpu, m: number): number {
  return c.i32[c.a.m(m) + M.nr_waiters] > 0 ? c.i32[c.a.waitList(m)] : -1;
}

/** @kernel kernel/locking/mutex.c mutex_trylock() */
export function mutexTrylock(c: Cpu, p: number, m: number): boolean {
  gate('mutex_trylock:owner');
  const ok = __mutexTrylockCommon(c, p, m, false);
  if (ok) enterCritical(c, p, m);
  c.emit(EV.MUTEX_TRYLOCK, p, m, ok ? 1 : 0);
  return ok;
}

/**
 * @kernel kernel/locking/mutex.c __mutex_lock_common() up to M11.
 * state: TASK_UNINTERRUPTIBLE (mutex_lock) or TASK_INTERRUPTIBLE (mutex_lock_interruptible).
 */
export function mutexLock(c: Cpu, p: number, m: number, state: number): number {
  // M1: fast path
  gate('mutex_lock:fastpath');
  if (Atomics.compareExchange(c.i32, ownerIdx(c, m), 0, ownerWord(p)) === 0) {
    enterCritical(c, p, m);
    return LOCK_DONE;
  }
  if (__mutexTrylockCommon(c, p, m, false)) { enterCritical(c, p, m); return LOCK_DONE; }
  // M2
  c.locks.lock(Locks.wait(m), 'mutex_lock:wait_lock');
  // M3
  if (__mutexTrylockCommon(c, p, m, false)) {
    c.locks.unlock(Locks.wait(m));
    enterCritical(c, p, m);
    return LOCK_DONE;
  }
  // M4
  waiterAdd(c, m, p);
  // M5
  c.locks.lock(Locks.blocked(p), 'mutex_lock:blocked_lock');
  __setTaskBlockedOn(c, p, m);
  // M6 set_current_state()
  c.tw(p, T.__state, state);
  c.ts(p, T.kop_mutex, m);
  c.ts(p, T.kop_state, state);
  c.tsd(p, T.block_time, c.now());
  c.emit(EV.MUTEX_BLOCK, p, m);
  return mutexLoop(c, p, m, state);
}

/** M7..M11 with wait_lock and blocked_lock held. */
function mutexLoop(c: Cpu, p: number, m: number, state: number): number {
  // M7: a plain trylock (no handoff request at the loop top)
  if (__mutexTrylockCommon(c, p, m, false)) return acquired(c, p, m);
  // M8
  c.locks.unlock(Locks.blocked(p));
  // M9
  if (signalPendingState(c, state, p)) return interrupted(c, p, m);
  // M10
  c.locks.unlock(Locks.wait(m));
  // window M10 -> M11: state != RUNNING, blocked_on = M, still rq->curr; an unlock or a signal
  // on another CPU can land here (design c's hole 1)
  gate('mutex_lock:M10_M11');
  // M11: schedule(); the CPU loop calls __schedule and resumes us at M12
  c.ts(p, T.kpc, K_MUTEX_WAIT);
  return LOCK_SCHEDULE;
}

/** M12..M15, then back to M7. Runs when the task is next rq->curr after schedule(). */
export function mutexLockResume(c: Cpu, p: number): number {
  const m = c.tg(p, T.kop_mutex);
  const state = c.tg(p, T.kop_state);
  c.ts(p, T.kpc, 0);
  c.emit(EV.MUTEX_RESUME, p, m);
  // M12: lockless and racy, as in the kernel
  gate('mutex_lock:first_waiter');
  const first = firstWaiter(c, m) === p;
  // M13
  c.locks.lock(Locks.wait(m), 'mutex_lock:M13_wait_lock');
  c.locks.lock(Locks.blocked(p), 'mutex_lock:M13_blocked_lock');
  const old = c.tg(p, T.blocked_on);
  if (c.proxy && old !== 0) {
    // I2: with proxy on, every path that lets a blocked task run cleared blocked_on (§3.10)
    c.violation('I2', `${c.name(p)} returned from schedule() in mutex_lock with blocked_on=${old === PROXY_WAKING ? 'PROXY_WAKING' : `mutex ${old - 1}`}`, [p]);
  }
  __setTaskBlockedOn(c, p, m);
  // M14
  c.tw(p, T.__state, state);
  // M15
  if (__mutexTrylockCommon(c, p, m, first)) return acquired(c, p, m);
  // M16 (optimistic spin) not modelled; LOOP
  return mutexLoop(c, p, m, state);
}

/** ACQ: held{wait, blocked} */
function acquired(c: Cpu, p: number, m: number): number {
  __clearTaskBlockedOn(c, p, m);
  c.rec(c.tg(p, T.policy) === SCHED.FIFO ? METRIC.mutex_wait_rt : METRIC.mutex_wait_fair, c.now() - c.tgd(p, T.block_time));
  c.tsd(p, T.pw_time, 0);
  c.tw(p, T.__state, TASK.RUNNING);
  c.locks.unlock(Locks.blocked(p));
  waiterRemove(c, m, p);
  c.locks.unlock(Locks.wait(m));
  enterCritical(c, p, m);
  return LOCK_DONE;
}

/** ERR (-EINTR): held{wait} */
function interrupted(c: Cpu, p: number, m: number): number {
  if (!c.bug(12)) {
    c.locks.lock(Locks.blocked(p), 'mutex_lock:err_blocked_lock');
    __clearTaskBlockedOn(c, p, m);
    c.locks.unlock(Locks.blocked(p));
  }
  c.tw(p, T.__state, TASK.RUNNING);
  waiterRemove(c, m, p);
  c.locks.unlock(Locks.wait(m));
  const st = c.tgd(p, T.sig_time);
  if (st > 0) c.rec(METRIC.signal_eintr, c.now() - st);
  c.tsd(p, T.pw_time, 0);
  c.ts(p, T.nr_eintr, c.tg(p, T.nr_eintr) + 1);
  c.emit(EV.MUTEX_EINTR, p, m);
  return LOCK_EINTR;
}

/** @kernel kernel/locking/mutex.c mutex_unlock() + __mutex_unlock_slowpath() */
export function mutexUnlock(c: Cpu, p: number, m: number): void {
  const i32 = c.i32;
  const w = ownerIdx(c, m);
  const me = ownerWord(p);
  if (ownerTask(Atomics.load(i32, w)) !== p) {
    c.warn('unlock_not_owner', `${c.name(p)} unlocks mutex ${m} owned by ${c.name(mutexOwner(c, m))}`, p);
    return;
  }
  leaveCritical(c, p, m);
  // U1 fast path
  if (Atomics.compareExchange(i32, w, me, 0) === me) {
    c.emit(EV.MUTEX_UNLOCK, p, m, -1, 0);
    return;
  }
  const base = c.a.m(m);
  Atomics.add(i32, base + M.unlocking, 1);
  // U2
  let owner = Atomics.load(i32, w);
  let handoff = false;
  for (;;) {
    if (ownerTask(owner) !== p) c.warn('unlock_owner_changed', `mutex ${m}: owner changed under unlock`, p);
    if (owner & MUTEX_FLAG.PICKUP) c.warn('unlock_pickup', `mutex ${m}: unlock with PICKUP set`, p);
    if (owner & MUTEX_FLAG.HANDOFF) { handoff = true; break; }
    const seen = Atomics.compareExchange(i32, w, owner, owner & MUTEX_FLAGS);
    if (seen === owner) {
      if (owner & MUTEX_FLAG.WAITERS) break;
      Atomics.sub(i32, base + M.unlocking, 1);
      c.emit(EV.MUTEX_UNLOCK, p, m, -1, 0);
      return;
    }
    owner = seen;
  }
  // U3
  gate('mutex_unlock:before_wait_lock');
  c.locks.lock(Locks.wait(m), 'mutex_unlock:wait_lock');
  const wq = new WakeQ();
  // U4
  const next = firstWaiter(c, m);
  if (next >= 0) {
    setTaskBlockedOnWaking(c, next, m);
    if (c.proxy) c.emit(EV.PROXY_WAKING_SET, next, m);
    wq.add(c, next);
  }
  // U5
  if (handoff) {
    let o = Atomics.load(i32, w);
    for (;;) {
      let nw = o & MUTEX_FLAG.WAITERS;
      if (next >= 0) nw |= ownerWord(next) | MUTEX_FLAG.PICKUP;
      const seen = Atomics.compareExchange(i32, w, o, nw);
      if (seen === o) break;
      o = seen;
    }
    c.i32[base + M.handoffs]++;
  }
  // U6
  c.locks.unlock(Locks.wait(m));
  c.emit(EV.MUTEX_UNLOCK, p, m, next, handoff ? 1 : 0);
  gate('mutex_unlock:before_wake_up_q');
  wq.wakeUp(c);
  Atomics.sub(i32, base + M.unlocking, 1);
}

