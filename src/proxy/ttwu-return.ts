/**
 * Design (b): return migration inside try_to_wake_up() (Stultz, v23 7/9), on top of v26 whose
 * proxy_force_return() stays as the fallback.
 *
 *   ttwu(p): state mismatch, but p is RUNNING + PROXY_WAKING ("runnable but waking"): go on
 *   ttwu_runnable(p), after the delayed requeue: proxy_needs_return(rq, p)?
 *       -> p dequeued with on_rq = MIGRATING, blocked_on = NULL, and the full wakeup places it
 *          through select_task_rq() (always an allowed CPU).
 *
 *   CPU0 (unlocker)                       CPU1 (p queued here as a donor, home CPU0)
 *   U4: p->blocked_on = PROXY_WAKING
 *   U6: ttwu(p) -> ttwu_runnable
 *       LOCK(rq1); proxy_needs_return:
 *         p is rq1->donor -> proxy_resched_idle(rq1)
 *         deactivate_task: MIGRATING     (rq1 cannot pick p any more)
 *       UNLOCK(rq1); WAKING; select_task_rq -> CPU0; activate on rq0
 *
 * The hazards the spec lists (§4(b)): a MIGRATING task must not go through the wakelist (not
 * modelled: ttwu_queue always locks the target rq), and `wake_cpu == this cpu` must not be trusted
 * when the affinity changed meanwhile (BUG17 trusts it). One more that proxysim found (BUG21):
 *
 *   CPU0 (O unlocks; D donor at home)       CPU1
 *   ttwu(D) -> proxy_needs_return:
 *     wake_cpu == 0, allowed: stay;
 *     blocked_on = NULL (D still rq->donor)
 *                                           sched_setaffinity(D, {1}): D is a current donor ->
 *                                           affine_move_task skips it
 *   __schedule: D picked, not blocked ->
 *   runs on CPU0 outside {1}  (I6)
 *
 * Fixed here by dropping D as donor (proxy_resched_idle) on the stay path.
 */
import type { ProxyDesign } from './design.ts';
import type { Cpu } from '../sched/cpu.ts';
import { findProxyTaskV26, proxyReschedIdle } from './chain.ts';
import { BUG } from './bugs.ts';
import { Locks } from '../sync/spinlock.ts';
import { R, T } from '../shm/layout.ts';
import { DEQUEUE, PROXY_WAKING, TASK } from '../sched/constants.ts';
import { cpuAllowed, reschedCurr } from '../sched/core.ts';
import { deactivateTask } from '../sched/enqueue.ts';
import { __clearTaskBlockedOn, clearTaskBlockedOn } from '../locking/blocked-on.ts';
import { EV } from '../trace/events.ts';

/** proxy_needs_return(rq, p): held{pi, rq} */
function proxyNeedsReturn(c: Cpu, cpu: number, p: number): boolean {
  let ret = false;
  c.locks.lock(Locks.blocked(p), 'proxy_needs_return:blocked_lock');
  if (c.tg(p, T.blocked_on) === PROXY_WAKING) {
    const home = c.tr(p, T.wake_cpu) === cpu && (c.bug(17) || cpuAllowed(c, p, cpu));
    if (p !== c.rg(cpu, R.curr) && !home) {
      if (p === c.rg(cpu, R.donor)) proxyReschedIdle(c, cpu);
      deactivateTask(c, cpu, p, DEQUEUE.NOCLOCK); // on_rq = MIGRATING until ttwu_queue activates it
      c.emit(EV.PROXY_FORCE_RETURN, p, cpu, -1);
      c.stat(R.force_returns);
      ret = true;
    }
    else if (p === c.rg(cpu, R.donor) && !c.bug(21)) {
      // proxysim's fix: staying here, p must stop being the donor now; left as rq->donor while it
      // is no longer blocked, a setaffinity skips it (affine_move_task leaves current donors)
      // and the next pick runs it outside its new mask (BUG21 keeps v23's behaviour)
      proxyReschedIdle(c, cpu);
    }
    __clearTaskBlockedOn(c, p, -1);
    reschedCurr(c, cpu);
  }
  c.locks.unlock(Locks.blocked(p));
  return ret;
}

export const ttwuReturn: ProxyDesign = {
  name: 'ttwu-return',
  summary: 'return migration in try_to_wake_up() (proxy_needs_return, Stultz v23), force-return as fallback',
  proxy: true,
  wakingIsSpecial: false,
  status: 'correct',
  bugs: [
    // setaffinity on a current donor at home, then the unlock
    { bug: BUG[17], exposedBy: { scenario: 'affinity-local' } },
    // the stay path of proxy_needs_return leaves a no-longer-blocked current donor behind
    // (chaos on entering __schedule widens the window between the stay decision and the next pick)
    { bug: BUG[21], exposedBy: { scenario: 'affinity-local', chaos: { p: 0.5, maxNs: 300_000, windows: ['__schedule:rq_lock'] } } },
  ],
  findProxyTask(c, donor) {
    return findProxyTaskV26(c, donor, { forceReturn: true, deactivate: 'v26' });
  },
  ttwuCurrent(c, p) {
    if (c.tr(p, T.blocked_on) !== 0) clearTaskBlockedOn(c, p, -1);
  },
  ttwuRunnableButWaking(c, p) {
    return c.tr(p, T.__state) === TASK.RUNNING && c.tr(p, T.blocked_on) === PROXY_WAKING;
  },
  ttwuRunnableBlocked(c, cpu, p, phase) {
    if (phase !== 'after-delayed') return false;
    return proxyNeedsReturn(c, cpu, p);
  },
};
