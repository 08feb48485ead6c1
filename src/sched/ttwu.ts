/**
 * try_to_wake_up() and wake_q (kernel/sched/core.c).
 *
 * The order of the lockless reads matters and is kept: __state (under pi_lock, racing with the
 * task itself) -> on_rq -> on_cpu -> task_cpu.  JS Atomics are sequentially consistent, so the
 * kernel's barriers are implied; the gates mark where the races live.
 *
 *   CPU0 (waker)                         CPU1 (p going to sleep)
 *   ------------                         -----------------------
 *                                        set_current_state(S)
 *   ttwu: LOCK(p->pi_lock)               __schedule: LOCK(rq1)
 *   state_match(S) ok                    prev_state = S
 *   RD(p->on_rq) == 1 ?                  block_task: on_rq = 0   (release, last)
 *     yes -> ttwu_runnable (waits rq1)   ...pick, switch...
 *     no  -> WAKING; spin on on_cpu  <-- prev->on_cpu = 0 (release)
 *            select_task_rq; activate
 */
import type { Cpu } from './cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { gate } from '../sync/gate.ts';
import { T } from '../shm/layout.ts';
import { ENQUEUE, TASK, TASK_ON_RQ_QUEUED, WF } from './constants.ts';
import { activateTask, enqueueTask } from './enqueue.ts';
import {
  __taskRqLock, rqLock, rqUnlock, selectTaskRq, setTaskCpu, updateRqClock, wakeupPreempt,
} from './core.ts';
import { EV } from '../trace/events.ts';

/** ttwu_state_match() (the RT saved_state path is not modelled) */
function ttwuStateMatch(c: Cpu, p: number, state: number): boolean {
  return (c.tr(p, T.__state) & state) !== 0;
}

/**
 * @kernel kernel/sched/core.c try_to_wake_up()
 * Returns true when p was woken (success), false when the state did not match.
 */
export function tryToWakeUp(c: Cpu, p: number, state: number, wakeFlags: number): boolean {
  Atomics.add(c.i32, c.a.t(p) + T.ttwu_active, 1);
  try {
    return __tryToWakeUp(c, p, state, wakeFlags);
  } finally {
    Atomics.sub(c.i32, c.a.t(p) + T.ttwu_active, 1);
  }
}

function __tryToWakeUp(c: Cpu, p: number, state: number, wf: number): boolean {
  // T0: waking current (an interrupt on p's own CPU): no locks, serialized by IRQs off
  if (c.cpu >= 0 && p === c.current) {
    c.design.ttwuCurrent?.(c, p);
    if (!ttwuStateMatch(c, p, state)) return false;
    c.tw(p, T.__state, TASK.RUNNING);
    c.emit(EV.SCHED_WAKING, p, c.cpu, -1);
    return true;
  }
  // T1
  c.locks.lock(Locks.pi(p), 'try_to_wake_up:pi_lock');
  let success = true;
  // T2
  if (!ttwuStateMatch(c, p, state)) {
    if (!c.design.ttwuRunnableButWaking?.(c, p)) {
      c.emit(EV.TTWU_FAIL, p, c.tr(p, T.__state), c.tr(p, T.blocked_on) !== 0 ? 1 : 0);
      c.locks.unlock(Locks.pi(p));
      return false;
    }
    success = false; // design (b): go on to return-migrate a RUNNING + PROXY_WAKING donor
  }
  c.emit(EV.SCHED_WAKING, p, c.tr(p, T.cpu), c.cpu >= 0 ? c.current : -1);
  // T4
  gate('try_to_wake_up:read_on_rq');
  if (c.tr(p, T.on_rq) !== 0 && ttwuRunnable(c, p, wf)) {
    c.locks.unlock(Locks.pi(p));
    return success;
  }
  // T5
  c.tw(p, T.__state, TASK.WAKING);
  c.design.ttwuFullWakeup?.(c, p);
  // T6: the wakelist is not modelled: ttwu_queue always takes the target rq lock (T10).
  // T7
  gate('try_to_wake_up:on_cpu_wait');
  for (let k = 0; c.tr(p, T.on_cpu) !== 0; k++) c.relax(k);
  // T8
  const cpu = selectTaskRq(c, p, c.tr(p, T.wake_cpu));
  // T9
  if (c.tr(p, T.cpu) !== cpu) {
    wf |= WF.MIGRATED;
    setTaskCpu(c, p, cpu);
  }
  // T10 ttwu_queue()
  gate('ttwu_queue:before_rq_lock');
  rqLock(c, cpu, 'ttwu_queue:rq_lock');
  updateRqClock(c, cpu);
  ttwuDoActivate(c, cpu, p, wf);
  rqUnlock(c, cpu);
  c.locks.unlock(Locks.pi(p));
  return success;
}

/** @kernel kernel/sched/core.c ttwu_do_activate() held{rq} */
export function ttwuDoActivate(c: Cpu, cpu: number, p: number, wf: number): void {
  let en = ENQUEUE.WAKEUP | ENQUEUE.NOCLOCK;
  if (wf & WF.MIGRATED) en |= ENQUEUE.MIGRATED;
  activateTask(c, cpu, p, en);
  wakeupPreempt(c, cpu, p);
  ttwuDoWakeup(c, p);
  c.emit(EV.SCHED_WAKEUP, p, cpu);
}

/** ttwu_do_wakeup(): WRITE_ONCE(p->__state, TASK_RUNNING) */
function ttwuDoWakeup(c: Cpu, p: number): void {
  c.tw(p, T.__state, TASK.RUNNING);
  c.tinc(p, T.nr_wakeups);
  // wakeup latency runs until the task is switched in (not for a task still on its CPU)
  if (!c.tr(p, T.on_cpu) && c.tgd(p, T.wake_time) === 0) c.tsd(p, T.wake_time, c.now());
}

/**
 * @kernel kernel/sched/core.c ttwu_runnable(): p is (or was) queued. held{pi}
 * Returns 1 when the wakeup is done here, 0 to continue with a full wakeup.
 */
function ttwuRunnable(c: Cpu, p: number, wf: number): boolean {
  const cpu = __taskRqLock(c, p, 'ttwu_runnable:rq_lock');
  if (c.tr(p, T.on_rq) !== TASK_ON_RQ_QUEUED) {
    rqUnlock(c, cpu);
    return false;
  }
  updateRqClock(c, cpu);
  const hook = c.design.ttwuRunnableBlocked;
  // a design may refuse the wakeup of a blocked task here: before the delayed requeue (the seed's
  // sketch as posted, BUG8) or after it; it then continues with a full wakeup
  if (hook && hook(c, cpu, p, 'before-delayed')) { rqUnlock(c, cpu); return false; }
  if (c.tg(p, T.sched_delayed)) enqueueTask(c, cpu, p, ENQUEUE.DELAYED | ENQUEUE.NOCLOCK);
  if (hook && hook(c, cpu, p, 'after-delayed')) { rqUnlock(c, cpu); return false; }
  if (!c.tr(p, T.on_cpu)) wakeupPreempt(c, cpu, p);
  const blocked = c.tr(p, T.blocked_on) !== 0 ? 1 : 0;
  ttwuDoWakeup(c, p);
  c.emit(EV.TTWU_RUNNABLE, p, cpu, blocked);
  rqUnlock(c, cpu);
  void wf;
  return true;
}

/** wake_up_process() */
export function wakeUpProcess(c: Cpu, p: number): boolean {
  return tryToWakeUp(c, p, TASK.INTERRUPTIBLE | TASK.UNINTERRUPTIBLE, 0);
}

// ---------------------------------------------------------------- wake_q

/** A wake_q_head on the stack of the code that builds it. */
export class WakeQ {
  readonly tasks: number[] = [];
  /** @kernel kernel/sched/core.c wake_q_add(): cmpxchg(p->wake_q.next, NULL, TAIL) */
  add(c: Cpu, p: number): void {
    if (Atomics.compareExchange(c.i32, c.a.t(p) + T.wake_q_next, 0, 1) !== 0) return; // someone else wakes it
    this.tasks.push(p);
  }
  /** @kernel kernel/sched/core.c wake_up_q(): clear next BEFORE waking (BUG18 reverses it) */
  wakeUp(c: Cpu): void {
    for (const p of this.tasks) {
      if (c.bug(18)) {
        wakeUpProcess(c, p);
        gate('wake_up_q:after_wake');
        Atomics.store(c.i32, c.a.t(p) + T.wake_q_next, 0);
      } else {
        Atomics.store(c.i32, c.a.t(p) + T.wake_q_next, 0);
        gate('wake_up_q:before_wake');
        wakeUpProcess(c, p);
      }
    }
    this.tasks.length = 0;
  }
}

