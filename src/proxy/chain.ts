/**
 * The v26 proxy helpers shared by every proxy design (kernel/sched/core.c):
 * find_proxy_task() and proxy_resched_idle/deactivate/migrate_task/force_return.
 * A design changes behaviour only through the options passed to findProxyTaskV26().
 *
 * Lock rule of the chain walk: rq->lock held throughout; per hop mutex->wait_lock then
 * p->blocked_lock, both released at the end of the hop. The owner cannot go away within a hop
 * (an unlocker needs wait_lock, U3) and across hops it is pinned by being queued on this rq.
 */
import type { Cpu } from '../sched/cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { gate } from '../sync/gate.ts';
import { R, T } from '../shm/layout.ts';
import { DEQUEUE, PROXY_WAKING, TASK, TASK_ON_RQ_MIGRATING, TASK_ON_RQ_QUEUED } from '../sched/constants.ts';
import {
  attachOneTask, proxySetTaskCpu, reschedCurr, rqLock, rqUnlock, selectTaskRq, setDonor,
  setTaskCpu, taskRqLock, taskRqUnlock, tryToBlockTask, updateRqClock,
} from '../sched/core.ts';
import { blockTask, blockTaskState, deactivateTask } from '../sched/enqueue.ts';
import { wakeUpProcess } from '../sched/ttwu.ts';
import { __clearTaskBlockedOn, clearTaskBlockedOn } from '../locking/blocked-on.ts';
import { mutexOwner } from '../locking/mutex.ts';
import { EV, FPT } from '../trace/events.ts';
import { checkMidPickDrop } from '../check/invariants.ts';
import { describeCycle, findWaitCycle } from '../check/deadlock.ts';
import { METRIC } from '../trace/metrics.ts';

export const NULL_TASK = -1;

/** @kernel kernel/sched/core.c proxy_resched_idle(): rq->donor = idle, need_resched on idle */
export function proxyReschedIdle(c: Cpu, cpu: number): number {
  const idle = c.rg(cpu, R.idle);
  setDonor(c, cpu, idle);
  reschedCurr(c, cpu);
  return idle;
}

/** proxy_release_rq_lock(): zap balance callbacks (I16), drop the lock */
function proxyReleaseRqLock(c: Cpu, cpu: number, moving: number): void {
  checkMidPickDrop(c, cpu, moving);
  c.rs(cpu, R.balance_callback, 0);
  rqUnlock(c, cpu);
}

/** proxy_reacquire_rq_lock() */
function proxyReacquireRqLock(c: Cpu, cpu: number): void {
  rqLock(c, cpu, 'proxy_reacquire_rq_lock');
  updateRqClock(c, cpu);
}

/**
 * @kernel kernel/sched/core.c proxy_deactivate(). held{rq}. Returns true when the donor was dequeued.
 *  v26:   st = RD(state); if RUNNING: refuse (BUG1 drops this guard); proxy_resched_idle;
 *         try_to_block_task(rq, donor, &st, true) (refuses if a signal is pending)
 *  peter: WARN(RUNNING); proxy_resched_idle; block_task(rq, donor, st)
 */
export function proxyDeactivate(c: Cpu, cpu: number, donor: number, style: 'v26' | 'peter'): boolean {
  gate('proxy_deactivate:read_state');
  const st = c.tr(donor, T.__state);
  if (st === TASK.RUNNING) {
    if (style === 'v26' && !c.bug(1)) return false;
    if (style === 'peter') c.warn('proxy_deactivate_running', `proxy_deactivate of RUNNING ${c.name(donor)}`, donor);
  }
  // MUST precede the dequeue: afterwards ttwu may grab the donor
  proxyReschedIdle(c, cpu);
  checkMidPickDrop(c, cpu, donor);
  const done = style === 'v26' ? tryToBlockTask(c, cpu, donor, st, true) : blockTaskState(c, cpu, donor, st);
  if (done) { c.stat(R.deactivations); c.emit(EV.PROXY_DEACTIVATE, donor); }
  return done;
}

/**
 * @kernel kernel/sched/core.c proxy_migrate_task(): donor migration to the owner's CPU.
 * Affinity is ignored and wake_cpu preserved (the way home). held{rq} on entry and exit.
 *
 *   CPU0 (moves p)                          CPU1 (target)
 *   deactivate: p MIGRATING, off the list
 *   proxy_set_task_cpu(p, 1)
 *   UNLOCK(rq0)   ------ window ------>      ttwu(p) spins in __task_rq_lock while MIGRATING;
 *                                           a chain walker sees F8/F9
 *   attach_one_task: LOCK(rq1), QUEUED
 */
export function proxyMigrateTask(c: Cpu, cpu: number, p: number, target: number): void {
  if (p === c.rg(cpu, R.curr)) c.warn('proxy_migrate_curr', `proxy_migrate_task of rq->curr ${c.name(p)}`, p);
  proxyReschedIdle(c, cpu);
  deactivateTask(c, cpu, p, DEQUEUE.NOCLOCK);
  proxySetTaskCpu(c, p, target);
  c.stat(R.donor_migrations);
  c.emit(EV.PROXY_MIGRATE, p, cpu, target);
  proxyReleaseRqLock(c, cpu, p);
  gate('proxy_migrate_task:after_unlock');
  attachOneTask(c, target, p, 'proxy_migrate_task:attach_rq_lock');
  proxyReacquireRqLock(c, cpu);
}

/**
 * @kernel kernel/sched/core.c proxy_force_return(): return migration to an allowed CPU.
 * held{rq} on entry and exit; drops it and takes task_rq_lock(p) with every re-check.
 */
export function proxyForceReturn(c: Cpu, cpu: number, p: number): void {
  if (p === c.rg(cpu, R.curr)) c.warn('force_return_curr', `proxy_force_return of rq->curr ${c.name(p)}`, p);
  if (p === c.rg(cpu, R.donor)) proxyReschedIdle(c, cpu);
  proxyReleaseRqLock(c, cpu, p);
  gate('proxy_force_return:after_unlock');
  let target = -1;
  let wakeAfter = false;
  const trq = taskRqLock(c, p, 'proxy_force_return:task_rq_lock');
  if (trq !== cpu) {
    // someone moved it: that CPU handles any further migration
  } else if (c.tr(p, T.on_rq) !== TASK_ON_RQ_QUEUED) {
    // dequeued: someone else will wake us
  } else if (p === c.rg(trq, R.curr) || c.tr(p, T.on_cpu)) {
    c.warn('force_return_on_cpu', `proxy_force_return: ${c.name(p)} is current/on_cpu on rq[${trq}]`, p);
  } else if (c.bug(2)) {
    // BUG2, the v22 form: block the task, clear blocked_on, and let wake_up_process() place it.
    // If the unlock's ttwu already made p RUNNING, wake_up_process() bails at the state match.
    updateRqClock(c, trq);
    blockTask(c, trq, p, DEQUEUE.NOCLOCK | DEQUEUE.SPECIAL);
    clearTaskBlockedOn(c, p, -1);
    wakeAfter = true;
  } else {
    updateRqClock(c, trq);
    deactivateTask(c, trq, p, DEQUEUE.NOCLOCK);
    const dest = selectTaskRq(c, p, c.tr(p, T.wake_cpu));
    setTaskCpu(c, p, dest);
    target = dest;
    // BUG13: the pre-56f4b24267a6 style direct write, without p->blocked_lock
    if (c.bug(13)) __clearTaskBlockedOn(c, p, -1);
    else clearTaskBlockedOn(c, p, -1);
    c.stat(R.force_returns);
    c.emit(EV.PROXY_FORCE_RETURN, p, trq, dest);
  }
  taskRqUnlock(c, trq, p);
  gate('proxy_force_return:before_attach');
  if (target >= 0) attachOneTask(c, target, p, 'proxy_force_return:attach_rq_lock');
  if (wakeAfter) wakeUpProcess(c, p);
  proxyReacquireRqLock(c, cpu);
}

export interface FptOptions {
  /** v26: proxy_force_return for F1/F6 non-current and refused deactivation; false: design (c) deactivates */
  forceReturn: boolean;
  /** proxy_deactivate flavour: v26 (RUNNING guard + try_to_block_task) or Peter's (WARN + block_task) */
  deactivate: 'v26' | 'peter';
}

/** the tasks of the chain walked so far (per CPU worker: one walk at a time) */
let visited = new Int32Array(16);

/** `t` is one of the first `hops` tasks of the chain */
function inChain(t: number, hops: number): boolean {
  for (let k = 0; k < hops; k++) if (visited[k] === t) return true;
  return false;
}

/**
 * The chain came back to a task already in it (owner == p: recursive locking; owner earlier in the
 * chain: a circular dependency). A deadlock of the workload when the wait-for edges confirm it
 * (check/deadlock.ts): an uninterruptible cycle is reported at once (DEADLOCK, not I15/L3); one a
 * signal could break makes the CPU idle (as F11 does), and the L3 path reports it if it stays.
 * Returns false when the edges do not confirm it (the walk goes on as before).
 */
function workloadCycle(c: Cpu, from: number): boolean {
  const cyc = findWaitCycle(c.a, from);
  if (!cyc) return false;
  if (!cyc.interruptible) c.deadlock(describeCycle(cyc, (t) => c.name(t), (m) => `mutex ${m}`), cyc);
  return true;
}

function exit(c: Cpu, donor: number, id: number, p: number): void {
  c.emit(EV.FIND_PROXY_EXIT, donor, id, p);
}

/**
 * @kernel kernel/sched/core.c find_proxy_task(). held{rq}; every exit of spec §3.7 (F1..F12).
 * Returns the task to run, NULL_TASK (pick again) or rq->idle.
 */
export function findProxyTaskV26(c: Cpu, donor: number, o: FptOptions): number {
  const cpu = c.cpu;
  const curr = c.rg(cpu, R.curr);
  const nTasks = c.a.nrTasks;
  let owner = NULL_TASK;
  let currInChain = false;
  let hops = 0;
  let p = donor;
  for (;;) {
    gate('find_proxy_task:read_blocked_on');
    const bo = c.tr(p, T.blocked_on);
    if (bo === 0) break;
    if (hops >= visited.length) { const v = new Int32Array(visited.length * 2); v.set(visited); visited = v; }
    visited[hops] = p;
    if (++hops > nTasks) {
      // a blocked_on chain longer than the tasks loops: the workload's own cycle is not the design's fault
      const cyc = findWaitCycle(c.a, donor);
      if (cyc) c.deadlock(describeCycle(cyc, (t) => c.name(t), (m) => `mutex ${m}`), cyc);
      c.violation('I15', `blocked_on chain from ${c.name(donor)} longer than ${nTasks} hops`, [donor, p]);
    }
    if (hops > c.rg(cpu, R.max_chain)) c.rs(cpu, R.max_chain, hops);
    // F1
    if (bo === PROXY_WAKING) {
      if (p === curr) {
        clearTaskBlockedOn(c, p, -1);
        exit(c, donor, FPT.F1_WAKING_RUN_SELF, p);
        return p;
      }
      if (c.bug(5)) { clearTaskBlockedOn(c, p, -1); exit(c, donor, FPT.F1_WAKING_RUN_SELF, p); return p; }
      if (c.bug(3)) { exit(c, donor, FPT.F8_OWNER_REMOTE_IDLE, p); return idleExit(c, cpu); }
      exit(c, donor, o.forceReturn ? FPT.F1_WAKING_FORCE_RETURN : FPT.F7_OWNER_SLEEPING_DEACTIVATE, p);
      return o.forceReturn ? forceReturn(c, cpu, p) : deactivate(c, cpu, donor, o);
    }
    const m = bo - 1;
    // F2
    c.locks.lock(Locks.wait(m), 'find_proxy_task:wait_lock');
    c.locks.lock(Locks.blocked(p), 'find_proxy_task:blocked_lock');
    const unlockHop = (): void => { c.locks.unlock(Locks.blocked(p)); c.locks.unlock(Locks.wait(m)); };
    // F3 (__get_task_blocked_on maps PROXY_WAKING to NULL)
    const now = c.tg(p, T.blocked_on);
    if (now !== bo) {
      unlockHop();
      exit(c, donor, FPT.F3_CHAIN_CHANGED, p);
      return NULL_TASK;
    }
    // I10, observed holding p's rq lock and p->blocked_lock with p != rq->curr
    if (p !== curr && c.tr(p, T.__state) === TASK.RUNNING) {
      if (c.i10Illegal()) {
        c.violation('I10', `${c.name(p)} is TASK_RUNNING with blocked_on set outside __schedule (seen by find_proxy_task on CPU${cpu})`, [p]);
      }
    }
    // F4
    if (p === curr) currInChain = true;
    // F5
    owner = mutexOwner(c, m);
    // the chain returns to itself: a workload deadlock (recursive or circular locking)?
    if (owner >= 0 && inChain(owner, hops) && workloadCycle(c, owner)) {
      unlockHop();
      exit(c, donor, FPT.F11_OWNER_IS_P, p);
      return idleExit(c, cpu);
    }
    // F6
    if (owner < 0) {
      if (p === curr) {
        __clearTaskBlockedOn(c, p, m);
        unlockHop();
        exit(c, donor, FPT.F6_OWNER_NULL_RUN_SELF, p);
        return p;
      }
      unlockHop();
      if (c.bug(5)) { clearTaskBlockedOn(c, p, -1); exit(c, donor, FPT.F6_OWNER_NULL_RUN_SELF, p); return p; }
      if (c.bug(3)) { exit(c, donor, FPT.F8_OWNER_REMOTE_IDLE, p); return idleExit(c, cpu); }
      exit(c, donor, o.forceReturn ? FPT.F6_OWNER_NULL_FORCE_RETURN : FPT.F7_OWNER_SLEEPING_DEACTIVATE, p);
      return o.forceReturn ? forceReturn(c, cpu, p) : deactivate(c, cpu, donor, o);
    }
    // F7
    gate('find_proxy_task:read_owner_on_rq');
    if (!c.tr(owner, T.on_rq) || c.tg(owner, T.sched_delayed)) {
      unlockHop();
      if (currInChain && !c.bug(7)) { exit(c, donor, FPT.F7_OWNER_SLEEPING_IDLE, p); return idleExit(c, cpu); }
      exit(c, donor, FPT.F7_OWNER_SLEEPING_DEACTIVATE, p);
      return deactivate(c, cpu, donor, o);
    }
    // F8: read the owner's CPU once
    gate('find_proxy_task:read_owner_cpu');
    const ownerCpu = c.tr(owner, T.cpu);
    if (ownerCpu !== cpu) {
      unlockHop();
      if (currInChain && !c.bug(7)) { exit(c, donor, FPT.F8_OWNER_REMOTE_IDLE, p); return idleExit(c, cpu); }
      exit(c, donor, FPT.F8_OWNER_REMOTE_MIGRATE, p);
      proxyMigrateTask(c, cpu, p, ownerCpu);
      return NULL_TASK;
    }
    // F9
    if (c.tr(owner, T.on_rq) === TASK_ON_RQ_MIGRATING) {
      unlockHop();
      exit(c, donor, FPT.F9_OWNER_MIGRATING, p);
      return idleExit(c, cpu);
    }
    // F10 (BUG16 drops this re-check)
    gate('find_proxy_task:recheck_owner');
    if (!c.bug(16) && (c.tr(owner, T.on_rq) !== TASK_ON_RQ_QUEUED || c.tr(owner, T.cpu) !== cpu)) {
      unlockHop();
      exit(c, donor, FPT.F10_RECHECK_FAILED, p);
      return NULL_TASK;
    }
    // F11
    if (owner === p) {
      unlockHop();
      exit(c, donor, FPT.F11_OWNER_IS_P, p);
      return idleExit(c, cpu);
    }
    unlockHop();
    p = owner;
  }
  if (owner < 0) {
    exit(c, donor, FPT.E15_NO_BLOCKED_ON, p);
    return NULL_TASK;
  }
  // F12
  if (!c.tr(owner, T.on_rq)) c.warn('fpt_owner_not_queued', `find_proxy_task: owner ${c.name(owner)} not queued`, owner);
  exit(c, donor, FPT.F12_RUN_OWNER, owner);
  c.rec(METRIC.chain_length, hops);
  c.lastChain = hops;
  return owner;
}

function idleExit(c: Cpu, cpu: number): number {
  c.stat(R.proxy_idle);
  return proxyReschedIdle(c, cpu);
}

function forceReturn(c: Cpu, cpu: number, p: number): number {
  proxyForceReturn(c, cpu, p);
  return NULL_TASK;
}

function deactivate(c: Cpu, cpu: number, donor: number, o: FptOptions): number {
  if (proxyDeactivate(c, cpu, donor, o.deactivate)) return NULL_TASK;
  if (!o.forceReturn) return NULL_TASK;
  // deactivate refused (donor RUNNING, or a signal is pending): force it home
  exit(c, donor, FPT.DEACTIVATE_REFUSED_FORCE_RETURN, donor);
  return forceReturn(c, cpu, donor);
}

