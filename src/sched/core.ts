/**
 * The scheduler core: __schedule(), pick_next_task(), try_to_block_task(), the tick,
 * wakeup_preempt(), placement and migration helpers.                (kernel/sched/core.c)
 *
 * Serialization rules (as in kernel/sched/core.c):
 *
 *   Lock order, outer to inner (the order itself is data in sync/lockdep.ts):
 *     p->siglock -> p->pi_lock -> rq->lock -> mutex->wait_lock -> p->blocked_lock
 *   Two rq locks only in ascending CPU order; v26 proxy code never nests two rq locks.
 *
 *   rq->lock protects the rq list, nr_running, rq->curr, rq->donor, and for every task queued on
 *   that rq: on_rq, on_cpu, sched_delayed, list_cpu. task_cpu(p) of a queued task changes only
 *   under the old rq lock with on_rq == MIGRATING around the move. p->pi_lock serializes wakeups of p
 *   and, with the rq lock, its affinity and class. p->blocked_lock serializes p->blocked_on.
 *   Lockless reads (READ_ONCE) use Cpu.tr() and pass the gate.
 */
import type { Cpu } from './cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { gate } from '../sync/gate.ts';
import { R, T } from '../shm/layout.ts';
import {
  DEQUEUE, SM, TASK, TASK_ON_RQ_MIGRATING, TASK_ON_RQ_QUEUED, isSpecialTaskState,
} from './constants.ts';
import { activateTask, blockTask, deactivateTask, listRequeueTail } from './enqueue.ts';
import { WAKEUP_GRAN_NS, fairTickPreempt, isFair, pickFair, updateCurr, yieldFair } from './fair.ts';
import { isRt, pickRt } from './rt.ts';
import { EV } from '../trace/events.ts';
import { signalPendingState } from '../signal/pending.ts';
import { setTaskBlockedOnWaking, taskIsBlocked } from '../locking/blocked-on.ts';
import { checkSwitch } from '../check/invariants.ts';
import { describeCycle, findWaitCycle } from '../check/deadlock.ts';
import { METRIC } from '../trace/metrics.ts';

// ---------------------------------------------------------------- locking helpers

export function rqLock(c: Cpu, cpu: number, window: string): void { c.locks.lock(Locks.rq(cpu), window); }
export function rqUnlock(c: Cpu, cpu: number): void { c.locks.unlock(Locks.rq(cpu)); }

/**
 * @kernel kernel/sched/core.c __task_rq_lock(): caller holds p->pi_lock. Returns the locked CPU.
 *   loop: rq = task_rq(p); lock; if still task_rq(p) and not MIGRATING: done; else unlock, spin.
 */
export function __taskRqLock(c: Cpu, p: number, window: string): number {
  c.locks.assertHeld(Locks.pi(p), '__task_rq_lock');
  for (let iter = 0; ; iter++) {
    gate('__task_rq_lock:read_cpu');
    const cpu = c.tr(p, T.cpu);
    rqLock(c, cpu, window);
    if (cpu === c.tr(p, T.cpu) && c.tr(p, T.on_rq) !== TASK_ON_RQ_MIGRATING) return cpu;
    rqUnlock(c, cpu);
    waitNotMigrating(c, p);
  }
}

/** @kernel kernel/sched/core.c task_rq_lock(): pi_lock then the task's rq lock. */
export function taskRqLock(c: Cpu, p: number, window: string): number {
  for (;;) {
    c.locks.lock(Locks.pi(p), window);
    gate('task_rq_lock:read_cpu');
    const cpu = c.tr(p, T.cpu);
    rqLock(c, cpu, window);
    if (cpu === c.tr(p, T.cpu) && c.tr(p, T.on_rq) !== TASK_ON_RQ_MIGRATING) return cpu;
    rqUnlock(c, cpu);
    c.locks.unlock(Locks.pi(p));
    waitNotMigrating(c, p);
  }
}

export function taskRqUnlock(c: Cpu, cpu: number, p: number): void {
  rqUnlock(c, cpu);
  c.locks.unlock(Locks.pi(p));
}

/** Bound on a MIGRATING wait before I13 calls it a deadlock (iterations of cpu_relax). */
export const MIGRATING_SPIN_LIMIT = 2_000_000;

function waitNotMigrating(c: Cpu, p: number): void {
  for (let k = 0; c.tr(p, T.on_rq) === TASK_ON_RQ_MIGRATING; k++) {
    c.relax(k);
    if (k > MIGRATING_SPIN_LIMIT) {
      c.violation('I13', `CPU${c.cpu} waited too long for ${c.name(p)} to leave TASK_ON_RQ_MIGRATING`, [p]);
    }
  }
}

export function updateRqClock(c: Cpu, cpu: number): void {
  const now = c.now();
  if (now > c.rgd(cpu, R.clock)) c.rsd(cpu, R.clock, now);
}

// ---------------------------------------------------------------- preemption

/** @kernel kernel/sched/core.c resched_curr(): set TIF_NEED_RESCHED, IPI a remote CPU */
export function reschedCurr(c: Cpu, cpu: number): void {
  const base = c.a.rq(cpu);
  if (Atomics.exchange(c.i32, base + R.need_resched, 1) === 1) return;
  if (cpu !== c.cpu) {
    Atomics.add(c.i32, base + R.ipi, 1);
    Atomics.notify(c.i32, base + R.ipi);
  }
}

/** @kernel kernel/sched/core.c wakeup_preempt(): compares against the DONOR. held{rq} */
export function wakeupPreempt(c: Cpu, cpu: number, p: number): void {
  const d = c.rg(cpu, R.donor);
  if (d === p) return;
  if (c.isIdleTask(d)) { reschedCurr(c, cpu); return; }
  if (isRt(c, p)) {
    if (!isRt(c, d) || c.tg(p, T.prio) < c.tg(d, T.prio)) reschedCurr(c, cpu);
    return;
  }
  if (isFair(c, d)) {
    updateCurr(c, cpu);
    if (c.tgd(p, T.vruntime) + WAKEUP_GRAN_NS < c.tgd(d, T.vruntime)) reschedCurr(c, cpu);
  }
}

// ---------------------------------------------------------------- placement

export function cpuAllowed(c: Cpu, p: number, cpu: number): boolean {
  return (c.tg(p, T.cpus_mask) & (1 << cpu)) !== 0;
}

/** idle_cpu(): lockless */
function idleCpu(c: Cpu, cpu: number): boolean {
  return c.isIdleTask(c.rr(cpu, R.curr)) && c.rr(cpu, R.nr_running) === 0;
}

/**
 * @kernel kernel/sched/core.c select_task_rq(): always an allowed CPU. held{pi}
 * RT: the allowed CPU whose donor has the lowest priority (find_lowest_rq at wakeup), preferring
 * wake_cpu. Fair: wake_cpu if idle, else any idle allowed CPU, else wake_cpu, else the least loaded.
 */
export function selectTaskRq(c: Cpu, p: number, wakeCpu: number): number {
  const n = c.a.nrCpus;
  const allowedWake = cpuAllowed(c, p, wakeCpu);
  gate('select_task_rq:read_rqs');
  if (isRt(c, p)) {
    const lvl = (cpu: number): number => {
      if (idleCpu(c, cpu)) return 1000;
      return c.tr(c.rr(cpu, R.donor), T.prio);
    };
    let best = allowedWake ? wakeCpu : -1;
    let bl = best >= 0 ? lvl(best) : -1;
    if (bl > c.tg(p, T.prio)) return best;
    for (let k = 0; k < n; k++) {
      const cpu = (wakeCpu + k) % n;
      if (!cpuAllowed(c, p, cpu)) continue;
      const l = lvl(cpu);
      if (l > bl) { bl = l; best = cpu; }
    }
    return best >= 0 ? best : fallbackCpu(c, p);
  }
  if (allowedWake && idleCpu(c, wakeCpu)) return wakeCpu;
  for (let k = 0; k < n; k++) {
    const cpu = (wakeCpu + k) % n;
    if (cpuAllowed(c, p, cpu) && idleCpu(c, cpu)) return cpu;
  }
  if (allowedWake) return wakeCpu;
  let best = -1;
  let bn = Infinity;
  for (let cpu = 0; cpu < n; cpu++) {
    if (!cpuAllowed(c, p, cpu)) continue;
    const nr = c.rr(cpu, R.nr_running);
    if (nr < bn) { bn = nr; best = cpu; }
  }
  return best >= 0 ? best : fallbackCpu(c, p);
}

function fallbackCpu(c: Cpu, p: number): number {
  c.warn('select_fallback_rq', `${c.name(p)} has no allowed CPU`, p);
  return 0;
}

/** @kernel kernel/sched/sched.h __set_task_cpu() */
export function __setTaskCpu(c: Cpu, p: number, cpu: number): void {
  c.tw(p, T.cpu, cpu);
  c.tw(p, T.wake_cpu, cpu);
}

/**
 * @kernel kernel/sched/core.c set_task_cpu(): needs pi_lock or the old rq lock (I12).
 * __set_task_cpu runs always (it resets wake_cpu, §10 E4); only the accounting is conditional.
 */
export function setTaskCpu(c: Cpu, p: number, cpu: number): void {
  const st = c.tr(p, T.__state);
  const onRq = c.tr(p, T.on_rq);
  if (st !== TASK.RUNNING && st !== TASK.WAKING && onRq === 0) {
    c.violation('I12', `set_task_cpu(${c.name(p)}, ${cpu}) of a sleeping, dequeued task (state ${st})`, [p]);
  }
  const old = c.tr(p, T.cpu);
  if (!c.locks.isHeld(Locks.pi(p)) && !c.locks.isHeld(Locks.rq(old))) {
    c.violation('I12', `set_task_cpu(${c.name(p)}) without pi_lock or rq[${old}]->lock`, [p]);
  }
  if (st === TASK.RUNNING && isFair(c, p) && onRq !== 0 && onRq !== TASK_ON_RQ_MIGRATING) {
    c.warn('set_task_cpu_queued', `set_task_cpu of a queued running fair task ${c.name(p)}`, p);
  }
  if (old !== cpu) {
    c.tinc(p, T.nr_migrations);
    c.emit(EV.SCHED_MIGRATE, p, old, cpu);
  }
  __setTaskCpu(c, p, cpu);
}

/** @kernel kernel/sched/core.c proxy_set_task_cpu(): donor migration keeps wake_cpu (the way home) */
export function proxySetTaskCpu(c: Cpu, p: number, cpu: number): void {
  const wake = c.tr(p, T.wake_cpu);
  const old = c.tr(p, T.cpu);
  if (old !== cpu) { c.tinc(p, T.nr_migrations); c.emit(EV.SCHED_MIGRATE, p, old, cpu); }
  __setTaskCpu(c, p, cpu);
  c.tw(p, T.wake_cpu, wake);
}

/** @kernel kernel/sched/core.c attach_one_task() (used by the proxy helpers) */
export function attachOneTask(c: Cpu, cpu: number, p: number, window: string): void {
  rqLock(c, cpu, window);
  updateRqClock(c, cpu);
  if (c.tr(p, T.cpu) !== cpu) c.warn('attach_task_rq', `attach_one_task: task_rq(${c.name(p)}) != rq[${cpu}]`, p);
  activateTask(c, cpu, p, 0);
  wakeupPreempt(c, cpu, p);
  rqUnlock(c, cpu);
}

// ---------------------------------------------------------------- blocking and picking

/** @kernel kernel/sched/core.c try_to_block_task(). Returns true when prev was dequeued. held{rq} */
export function tryToBlockTask(c: Cpu, cpu: number, p: number, st: number, shouldBlock: boolean): boolean {
  if (signalPendingState(c, st, p)) {
    c.tw(p, T.__state, TASK.RUNNING);
    // blocked_on (if set) -> PROXY_WAKING: the task must go through a return before it runs.
    if (c.proxy) {
      if (c.design.signalPendingBlocked) c.design.signalPendingBlocked(c, p);
      else setTaskBlockedOnWaking(c, p, -1);
    }
    return false;
  }
  if (!shouldBlock) return false;
  const flags = DEQUEUE.NOCLOCK | (isSpecialTaskState(st, c.wakingIsSpecial()) ? DEQUEUE.SPECIAL : 0);
  const done = blockTask(c, cpu, p, flags);
  c.emit(EV.BLOCK, p, st, done ? 0 : 1);
  return true;
}

/**
 * pick_next_task(): walk the classes high to low (RT, fair, idle). A picked sched_delayed task has
 * its dequeue completed and the pick repeats. Mutex-blocked tasks are ordinary candidates: that is
 * what makes them donors. held{rq}
 */
export function pickNextTask(c: Cpu, cpu: number): number {
  c.stat(R.nr_picks);
  for (;;) {
    let p = pickRt(c, cpu);
    if (p < 0) p = pickFair(c, cpu);
    if (p < 0) return c.rg(cpu, R.idle);
    if (c.tg(p, T.sched_delayed)) {
      blockTask(c, cpu, p, DEQUEUE.DELAYED | DEQUEUE.NOCLOCK);
      continue;
    }
    if (c.tr(p, T.affinity_pending) && !cpuAllowed(c, p, cpu) && c.tr(p, T.blocked_on) === 0) {
      // the stopper (migration_cpu_stop) outranks every class: it runs first and moves p away
      return c.rg(cpu, R.idle);
    }
    return p;
  }
}

/** The task runs now: close its wakeup and return-migration latencies. held{rq} */
function recordRunLatencies(c: Cpu, p: number): void {
  const now = c.now();
  const w = c.tgd(p, T.wake_time);
  if (w > 0) { c.rec(METRIC.wakeup_latency, now - w); c.tsd(p, T.wake_time, 0); }
  const pw = c.tgd(p, T.pw_time);
  if (pw > 0 && c.tr(p, T.blocked_on) === 0) { c.rec(METRIC.return_migration, now - pw); c.tsd(p, T.pw_time, 0); }
}

/** L3 proxy livelock: find_proxy_task keeps giving NULL/idle for the same donor. */
export const L3_LIMIT = 20_000;
function proxyNoProgress(c: Cpu, donor: number): void {
  if (c.l3Donor === donor) c.l3Streak++;
  else { c.l3Donor = donor; c.l3Streak = 1; }
  if (c.l3Streak > L3_LIMIT) {
    // the donor waits in a wait-for cycle of the workload (one a signal could have broken, and none
    // did): the scenario deadlocked, the design did not livelock
    const cyc = findWaitCycle(c.a, donor);
    if (cyc) c.deadlock(describeCycle(cyc, (t) => c.name(t), (m) => `mutex ${m}`), cyc);
    c.violation('L3', `proxy livelock on CPU${c.cpu}: find_proxy_task returned NULL/idle for donor ${c.name(donor)} ${c.l3Streak} times in a row`, [donor]);
  }
}

/** rq->donor = next, with set_next_entity()'s bookkeeping. held{rq} */
export function setDonor(c: Cpu, cpu: number, next: number): void {
  if (c.rg(cpu, R.donor) === next) return;
  c.rs(cpu, R.donor, next);
  c.tsd(next, T.exec_start, c.rgd(cpu, R.clock));
  c.tsd(next, T.slice_start, c.tgd(next, T.sum_exec_runtime));
}

/**
 * @kernel kernel/sched/core.c __schedule()
 * Called by the CPU loop on behalf of rq->curr (prev). On return rq->curr is the task to run.
 */
export function __schedule(c: Cpu, mode: number): void {
  const cpu = c.cpu;
  const idle = c.idle;
  rqLock(c, cpu, '__schedule:rq_lock');
  c.rs(cpu, R.in_schedule, 1);
  const prev = c.rg(cpu, R.curr);
  const prevDonor = c.rg(cpu, R.donor);
  updateRqClock(c, cpu);
  updateCurr(c, cpu);

  // S2: read prev->__state once; pairs with ttwu's on_rq check
  gate('__schedule:prev_state');
  const prevState = c.tr(prev, T.__state);
  if (mode !== SM.PREEMPT && prevState !== TASK.RUNNING && prev !== idle) {
    // mutex-blocked tasks (blocked_on != NULL, incl. PROXY_WAKING) stay queued as donors
    tryToBlockTask(c, cpu, prev, prevState, !taskIsBlocked(c, prev));
  }

  let next: number;
  let keepResched = false;
  for (;;) {
    // S4: no balance callback may be pending at the top of the pick loop
    if (c.rg(cpu, R.balance_callback) !== 0) {
      c.violation('I16', `rq[${cpu}] balance callback pending at the top of the pick loop`, []);
    }
    next = pickNextTask(c, cpu);
    setDonor(c, cpu, next);
    if (next === idle || c.tr(next, T.blocked_on) === 0) c.l3Streak = 0;
    if (c.proxy && next !== idle && c.tr(next, T.blocked_on) !== 0) {
      const donor = next;
      c.emit(EV.PICK_DONOR, donor);
      c.tinc(donor, T.nr_donated);
      next = c.design.findProxyTask(c, donor);
      if (next < 0 || next === idle) proxyNoProgress(c, donor);
      else c.l3Streak = 0;
      if (next < 0) { c.rs(cpu, R.balance_callback, 0); continue; }
      if (next === idle) { c.rs(cpu, R.balance_callback, 0); keepResched = true; break; }
      if (next !== donor) {
        c.stat(R.proxy_picks);
        c.tinc(next, T.nr_proxied);
        c.emit(EV.PROXY_RUN, donor, next, c.lastChain);
      }
    }
    break;
  }
  if (!keepResched) Atomics.store(c.i32, c.rqI + R.need_resched, 0);

  checkSwitch(c, cpu, prev, next);
  if (next !== idle) recordRunLatencies(c, next);
  // a task that runs here with an affinity move pending (e.g. returned to by find_proxy_task's
  // run-self exits): the stopper is still queued and runs next
  if (next !== idle && c.tr(next, T.affinity_pending) && !cpuAllowed(c, next, cpu)) reschedCurr(c, cpu);

  if (prev !== next) {
    c.rs(cpu, R.curr, next);
    c.tw(next, T.on_cpu, 1);
    c.stat(R.nr_switches);
    c.ts(next, T.nr_switches, c.tg(next, T.nr_switches) + 1);
    c.emit(EV.SCHED_SWITCH, prev, next, mode === SM.PREEMPT && prevState !== TASK.RUNNING ? -1 : prevState, c.rg(cpu, R.donor));
    // finish_task(): smp_store_release(&prev->on_cpu, 0); after this, ttwu may take prev.
    // prev's "stack" is free from here: release the execution marker the CPU loop checks (I5)
    Atomics.compareExchange(c.i32, c.a.t(prev) + T.exec_cpu, cpu, -1);
    gate('finish_task:on_cpu_clear');
    c.tw(prev, T.on_cpu, 0);
  }
  c.rs(cpu, R.in_schedule, 0);
  rqUnlock(c, cpu);
  // the stopper's work for a task that just stopped being curr or donor here
  if (prev !== next && c.tr(prev, T.affinity_pending)) affineMoveTask(c, prev);
  if (prevDonor !== prev && prevDonor !== idle && c.tr(prevDonor, T.affinity_pending)) affineMoveTask(c, prevDonor);
}

// ---------------------------------------------------------------- tick, yield, affinity

/** @kernel kernel/sched/core.c sched_tick(): accounting and slice preemption on the DONOR */
export function schedulerTick(c: Cpu): void {
  const cpu = c.cpu;
  rqLock(c, cpu, 'sched_tick:rq_lock');
  c.stat(R.nr_ticks);
  updateRqClock(c, cpu);
  updateCurr(c, cpu);
  const d = c.rg(cpu, R.donor);
  if (!c.isIdleTask(d) && isFair(c, d) && fairTickPreempt(c, cpu, d)) reschedCurr(c, cpu);
  rqUnlock(c, cpu);
}

/** @kernel kernel/sched/syscalls.c do_sched_yield() */
export function doSchedYield(c: Cpu, p: number): void {
  const cpu = c.cpu;
  rqLock(c, cpu, 'do_sched_yield:rq_lock');
  updateRqClock(c, cpu);
  updateCurr(c, cpu);
  if (c.tg(p, T.list_cpu) === cpu) {
    if (isFair(c, p)) yieldFair(c, cpu, p);
    else listRequeueTail(c, cpu, p);
  }
  rqUnlock(c, cpu);
  __schedule(c, SM.NONE);
}

/**
 * @kernel kernel/sched/core.c move_queued_task(): held{pi, rq(from)} on entry and on return.
 * Drops rq(from) in the middle: p is MIGRATING with cpu = dest, on no list.
 */
export function moveQueuedTask(c: Cpu, from: number, p: number, dest: number): void {
  deactivateTask(c, from, p, DEQUEUE.NOCLOCK);
  setTaskCpu(c, p, dest);
  rqUnlock(c, from);
  rqLock(c, dest, 'move_queued_task:dest_rq_lock');
  updateRqClock(c, dest);
  activateTask(c, dest, p, 0);
  wakeupPreempt(c, dest, p);
  rqUnlock(c, dest);
  rqLock(c, from, 'move_queued_task:relock');
}

/**
 * @kernel kernel/sched/core.c __set_cpus_allowed_ptr() + affine_move_task(), simplified:
 * the new mask is installed at once; a queued task on a now-disallowed CPU is moved; a running one
 * gets affinity_pending and a resched (the stopper), and is moved when it leaves the CPU.
 * A current donor that is not curr is skipped (§10 E7).
 */
export function setCpusAllowed(c: Cpu, p: number, mask: number): void {
  const cpu = taskRqLock(c, p, 'sched_setaffinity:task_rq_lock');
  updateRqClock(c, cpu);
  c.ts(p, T.cpus_mask, mask);
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  c.ts(p, T.nr_cpus_allowed, n);
  c.emit(EV.SET_AFFINITY, p, mask);
  if (!(mask & (1 << cpu))) {
    if (c.rg(cpu, R.curr) === p) {
      // running: the stopper moves it once it has left the CPU
      c.tw(p, T.affinity_pending, 1);
      reschedCurr(c, cpu);
    } else if (c.rg(cpu, R.donor) === p) {
      // affine_move_task() skips a current donor (§10 E7): a blocked donor is placed by
      // find_proxy_task's return paths; one that is no longer blocked stays here (see ttwu-return)
    } else if (c.tr(p, T.on_rq) === TASK_ON_RQ_QUEUED) {
      if (c.tg(p, T.sched_delayed)) {
        blockTask(c, cpu, p, DEQUEUE.DELAYED | DEQUEUE.NOCLOCK);
      } else {
        moveQueuedTask(c, cpu, p, selectTaskRq(c, p, c.tg(p, T.wake_cpu)));
      }
    }
  }
  taskRqUnlock(c, cpu, p);
}

/**
 * migration_cpu_stop() for a task with a pending affinity move that has just stopped being curr or
 * donor here. Nothing to do if it is allowed here now, or not queued (its wakeup places it); still
 * curr or donor: the move stays pending for the next __schedule.
 */
export function affineMoveTask(c: Cpu, p: number): void {
  const cpu = taskRqLock(c, p, 'migration_cpu_stop:task_rq_lock');
  if (cpuAllowed(c, p, cpu) || c.tr(p, T.on_rq) !== TASK_ON_RQ_QUEUED || c.tg(p, T.sched_delayed)) {
    c.tw(p, T.affinity_pending, 0);
  } else if (c.rg(cpu, R.curr) !== p && c.rg(cpu, R.donor) !== p) {
    c.tw(p, T.affinity_pending, 0);
    updateRqClock(c, cpu);
    moveQueuedTask(c, cpu, p, selectTaskRq(c, p, c.tg(p, T.wake_cpu)));
  }
  taskRqUnlock(c, cpu, p);
}

