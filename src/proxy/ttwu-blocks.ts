/**
 * Design (c): Peter Zijlstra's sketch in the seed thread: ttwu_runnable() refuses to wake a
 * blocked task; it blocks it with TASK_WAKING (a special state, so the dequeue is real) and lets
 * the normal wakeup place it through select_task_rq(). proxy_force_return() is gone: the
 * find_proxy_task() edge cases deactivate the donor instead. Intended invariant (Prateek):
 * TASK_RUNNING with blocked_on set is illegal outside __schedule() (I10).
 *
 * `ttwu-blocks` is the sketch as posted; `ttwu-blocks-fixed` closes the holes of spec §4(c):
 *   hole 1 (BUG9)  p == rq->curr (between M10 and M11): do not dequeue a running task
 *   hole 2 (BUG10) p == rq->donor: reset the donor before the dequeue
 *   hole 3 (BUG8)  requeue a sched_delayed task before the blocked_on handling
 *   hole 4 (BUG11) clear blocked_on on the full-wakeup and p == current paths too
 *   E3(6)          try_to_block_task's signal path clears blocked_on instead of PROXY_WAKING
 * Each hole reopens on the fixed design with its --bug toggle; the literal design has them all.
 *
 * Hole 1, as posted:
 *   CPU0 (A in mutex_lock, rq0->curr)        CPU1 (unlocker)
 *   M10: UNLOCK(wait_lock)
 *                                             U4: A->blocked_on = PROXY_WAKING; ttwu(A)
 *                                             ttwu_runnable: block_task(A, WAKING): on_rq = 0
 *                                             T5: A->__state = WAKING; spin on A->on_cpu
 *   M11: __schedule: prev_state = WAKING,
 *        not blocked -> block_task(A) again: A is on no list (I3)
 */
import type { ProxyDesign } from './design.ts';
import type { Cpu } from '../sched/cpu.ts';
import { findProxyTaskV26 } from './chain.ts';
import { BUG } from './bugs.ts';
import { Locks } from '../sync/spinlock.ts';
import { R, T } from '../shm/layout.ts';
import { TASK } from '../sched/constants.ts';
import { reschedCurr, setDonor } from '../sched/core.ts';
import { blockTaskState } from '../sched/enqueue.ts';
import { __clearTaskBlockedOn, clearTaskBlockedOn } from '../locking/blocked-on.ts';
import { EV } from '../trace/events.ts';

function make(literal: boolean): ProxyDesign {
  /** is hole n open: always in the literal sketch, by --bug BUGn in the fixed one */
  const open = (c: Cpu, bug: number): boolean => literal || c.bug(bug);

  /** ttwu_runnable's refusal: held{pi, rq}. Returns true when p was dequeued for a full wakeup. */
  function refuse(c: Cpu, cpu: number, p: number): boolean {
    if (c.tr(p, T.blocked_on) === 0) return false; // lockless pre-check
    c.locks.lock(Locks.blocked(p), 'ttwu_runnable:blocked_lock');
    if (c.tg(p, T.blocked_on) === 0) { c.locks.unlock(Locks.blocked(p)); return false; }
    if (p === c.rg(cpu, R.curr) && !open(c, 9)) {
      // still running its own mutex_lock (M10..M11): a plain wakeup, without blocked_on
      __clearTaskBlockedOn(c, p, -1);
      c.locks.unlock(Locks.blocked(p));
      return false;
    }
    if (p === c.rg(cpu, R.donor) && !open(c, 10)) {
      // proxy_reset_donor(): the owner runs on its own context until the next pick
      setDonor(c, cpu, c.rg(cpu, R.curr));
      reschedCurr(c, cpu);
    }
    blockTaskState(c, cpu, p, TASK.WAKING);
    __clearTaskBlockedOn(c, p, -1);
    c.locks.unlock(Locks.blocked(p));
    c.emit(EV.PROXY_FORCE_RETURN, p, cpu, -1);
    c.stat(R.force_returns);
    return true;
  }

  return {
    name: literal ? 'ttwu-blocks' : 'ttwu-blocks-fixed',
    summary: literal
      ? 'the seed sketch as posted: ttwu_runnable blocks a blocked task (TASK_WAKING), no force return'
      : 'the seed sketch with the holes of spec 4(c) closed (curr/donor guards, delayed first, clears on every wake path)',
    proxy: true,
    wakingIsSpecial: true,
    runningBlockedIllegal: true,
    // as posted, every hole is open: there is nothing left to plant
    status: literal ? 'known-broken' : 'correct',
    bugs: literal ? [] : [
      { bug: BUG[8], exposedBy: { scenario: 'sleeping-owners' } },
      { bug: BUG[9], exposedBy: { scenario: 'wake-current', chaos: { p: 0.3, maxNs: 200_000, windows: ['mutex_lock:M10_M11'] } } },
      // a signal to the current donor while its owner runs for it
      { bug: BUG[10], exposedBy: { scenario: 'seed-signal-s3' } },
      // the even episodes: the signal reaches a deactivated donor through the full wakeup
      { bug: BUG[11], exposedBy: { scenario: 'seed-signal' } },
      { bug: BUG[20], exposedBy: { scenario: 'sleeping-owners' } },
    ],
    findProxyTask(c, donor) {
      return findProxyTaskV26(c, donor, { forceReturn: false, deactivate: 'peter' });
    },
    ttwuRunnableBlocked(c, cpu, p, phase) {
      if ((phase === 'before-delayed') !== open(c, 8)) return false;
      return refuse(c, cpu, p);
    },
    ttwuFullWakeup(c, p) {
      if (!open(c, 11) && c.tr(p, T.blocked_on) !== 0) clearTaskBlockedOn(c, p, -1);
    },
    ttwuCurrent(c, p) {
      if (!open(c, 11) && c.tr(p, T.blocked_on) !== 0) clearTaskBlockedOn(c, p, -1);
    },
    signalPendingBlocked(c, p) {
      if (literal) {
        // as v26 (E2's reading of the issue): PROXY_WAKING; with deactivate instead of force
        // return this leaves a RUNNING + blocked task for the next pick (E3 hole 6)
        c.locks.lock(Locks.blocked(p), 'try_to_block_task:blocked_lock');
        if (c.tg(p, T.blocked_on) !== 0) c.tw(p, T.blocked_on, -1);
        c.locks.unlock(Locks.blocked(p));
      } else {
        clearTaskBlockedOn(c, p, -1);
      }
    },
  };
}

export const ttwuBlocks = make(true);
export const ttwuBlocksFixed = make(false);
