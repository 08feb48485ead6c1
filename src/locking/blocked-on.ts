/**
 * p->blocked_on helpers (include/linux/sched.h). Every write holds p->blocked_lock (I17); every
 * helper asserts it, as the kernel's lockdep_assert_held(&p->blocked_lock) does.
 *
 * Encoding: 0 = NULL, -1 = PROXY_WAKING, m+1 = waiting on mutex m.
 * Who moves it: mutex_lock M5/M13 sets M; unlock U4 sets PROXY_WAKING (proxy on) or NULL (off);
 * find_proxy_task F1/F6 (run-self), proxy_force_return and the mutex ACQ/ERR paths set NULL.
 */
import type { Cpu } from '../sched/cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { T } from '../shm/layout.ts';
import { PROXY_WAKING, blockedOnMutex } from '../sched/constants.ts';

/** task_is_blocked(): proxy enabled and blocked_on != NULL (PROXY_WAKING counts as blocked). */
export function taskIsBlocked(c: Cpu, p: number): boolean {
  return c.proxy && c.tr(p, T.blocked_on) !== 0;
}

function assertBlockedLock(c: Cpu, p: number, where: string): void {
  if (!c.locks.isHeld(Locks.blocked(p))) {
    c.violation('I17', `${where}: ${c.name(p)}->blocked_on written without ${c.name(p)}->blocked_lock`, [p]);
  }
}

/** __set_task_blocked_on(p, m) */
export function __setTaskBlockedOn(c: Cpu, p: number, m: number): void {
  assertBlockedLock(c, p, '__set_task_blocked_on');
  const old = c.tg(p, T.blocked_on);
  // M13 re-sets the same mutex; anything else but NULL warns (PROXY_WAKING there does, §10 E1)
  if (old !== 0 && old !== blockedOnMutex(m)) {
    c.warn('set_blocked_on', `${c.name(p)}->blocked_on was ${old} when set to mutex ${m}`, p);
  }
  c.tw(p, T.blocked_on, blockedOnMutex(m));
}

/** __clear_task_blocked_on(p, m): m = -1 means "whatever it is" (the kernel's NULL argument) */
export function __clearTaskBlockedOn(c: Cpu, p: number, m: number): void {
  assertBlockedLock(c, p, '__clear_task_blocked_on');
  const old = c.tg(p, T.blocked_on);
  if (m >= 0 && old !== 0 && old !== PROXY_WAKING && old !== blockedOnMutex(m)) {
    c.warn('clear_blocked_on', `${c.name(p)}->blocked_on ${old} cleared as mutex ${m}`, p);
  }
  c.tw(p, T.blocked_on, 0);
}

/** clear_task_blocked_on(): takes blocked_lock itself */
export function clearTaskBlockedOn(c: Cpu, p: number, m: number): void {
  c.locks.lock(Locks.blocked(p), 'clear_task_blocked_on:blocked_lock');
  __clearTaskBlockedOn(c, p, m);
  c.locks.unlock(Locks.blocked(p));
}

/**
 * set_task_blocked_on_waking(p, m): blocked_on (if set) -> PROXY_WAKING; with proxy disabled the
 * unlock clears it instead. m = -1: no check of which mutex. Takes blocked_lock itself.
 */
export function setTaskBlockedOnWaking(c: Cpu, p: number, m: number): void {
  c.locks.lock(Locks.blocked(p), 'set_task_blocked_on_waking:blocked_lock');
  const old = c.tg(p, T.blocked_on);
  if (m >= 0 && old !== 0 && old !== PROXY_WAKING && old !== blockedOnMutex(m)) {
    c.warn('blocked_on_waking', `${c.name(p)} marked waking for mutex ${m} but blocked on ${old - 1}`, p);
  }
  if (old !== 0) {
    // BUG4: clear instead of PROXY_WAKING, letting a donor be picked where it sits
    c.tw(p, T.blocked_on, c.proxy && !c.bug(4) ? PROXY_WAKING : 0);
    if (c.proxy && c.tgd(p, T.pw_time) === 0) c.tsd(p, T.pw_time, c.now());
  }
  c.locks.unlock(Locks.blocked(p));
}
