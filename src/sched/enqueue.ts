/**
 * Enqueue/dequeue primitives (kernel/sched/core.c, sched.h). All run with the rq lock held.
 *
 * The rq "list" is one array per runqueue holding every queued task in FIFO order, including the
 * running one and sched_delayed ones (nr_running counts them all). The classes pick from it.
 * The list membership checks here are I3 at the point of the operation.
 */
import type { Cpu } from './cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { R, T } from '../shm/layout.ts';
import { DEQUEUE, ENQUEUE, TASK_ON_RQ_MIGRATING, TASK_ON_RQ_QUEUED, isSpecialTaskState } from './constants.ts';
import { dequeueFair, enqueueFair, isFair, updateMinVruntime } from './fair.ts';

function listAdd(c: Cpu, cpu: number, p: number): void {
  const lc = c.tg(p, T.list_cpu);
  if (lc !== -1) {
    c.violation('I3', `${c.name(p)} enqueued on rq[${cpu}] while already on rq[${lc}]'s list`, [p]);
  }
  const n = c.rg(cpu, R.nr_queued);
  c.i32[c.a.queue(cpu) + n] = p;
  c.rs(cpu, R.nr_queued, n + 1);
  c.ts(p, T.list_cpu, cpu);
}

function listDel(c: Cpu, cpu: number, p: number): void {
  const q = c.a.queue(cpu);
  const n = c.rg(cpu, R.nr_queued);
  let k = 0;
  while (k < n && c.i32[q + k] !== p) k++;
  if (k === n) c.violation('I3', `dequeue of ${c.name(p)} which is not on rq[${cpu}]'s list`, [p]);
  for (; k < n - 1; k++) c.i32[q + k] = c.i32[q + k + 1];
  c.rs(cpu, R.nr_queued, n - 1);
  c.ts(p, T.list_cpu, -1);
}

/** Move p to the tail of its rq list (sched_yield, RT FIFO). held{rq} */
export function listRequeueTail(c: Cpu, cpu: number, p: number): void {
  listDel(c, cpu, p);
  listAdd(c, cpu, p);
}

/** @kernel kernel/sched/core.c enqueue_task() */
export function enqueueTask(c: Cpu, cpu: number, p: number, flags: number): void {
  c.locks.assertHeld(Locks.rq(cpu), 'enqueue_task');
  if (flags & ENQUEUE.DELAYED) {
    // requeue_delayed_entity(): a delayed task becomes an ordinary queued one again
    if (!c.tg(p, T.sched_delayed)) c.warn('enqueue_delayed_not_delayed', `ENQUEUE_DELAYED on ${c.name(p)} which is not delayed`, p);
    c.ts(p, T.sched_delayed, 0);
    return;
  }
  listAdd(c, cpu, p);
  c.rs(cpu, R.nr_running, c.rg(cpu, R.nr_running) + 1);
  if (isFair(c, p)) enqueueFair(c, cpu, p, flags);
}

/**
 * @kernel kernel/sched/core.c dequeue_task()
 * Returns false when the fair class chose a delayed dequeue (the task stays queued, sched_delayed=1).
 */
export function dequeueTask(c: Cpu, cpu: number, p: number, flags: number): boolean {
  c.locks.assertHeld(Locks.rq(cpu), 'dequeue_task');
  if ((flags & DEQUEUE.SLEEP) && !(flags & DEQUEUE.DELAYED) && c.tg(p, T.sched_delayed)) {
    // A sleep-dequeue of an entity that is already delayed: the fair class considers it gone
    // and does nothing (the kernel requeues delayed tasks first; BUG8 forgets to).
    c.warn('dequeue_delayed_again', `block of ${c.name(p)} which is already sched_delayed`, p);
    return false;
  }
  if (isFair(c, p) && (flags & DEQUEUE.SLEEP) && !(flags & (DEQUEUE.SPECIAL | DEQUEUE.DELAYED))) {
    const ppm = c.a.hdr('delayed_ppm');
    if (ppm > 0 && c.tg(p, T.sched_delayed) === 0 && c.rnd() * 1e6 < ppm) {
      c.ts(p, T.sched_delayed, 1);
      return false;
    }
  }
  c.ts(p, T.sched_delayed, 0);
  listDel(c, cpu, p);
  c.rs(cpu, R.nr_running, c.rg(cpu, R.nr_running) - 1);
  if (isFair(c, p)) { updateMinVruntime(c, cpu); dequeueFair(c, cpu, p); }
  return true;
}

/** @kernel kernel/sched/core.c activate_task() */
export function activateTask(c: Cpu, cpu: number, p: number, flags: number): void {
  if (c.tr(p, T.on_rq) === TASK_ON_RQ_MIGRATING) flags |= ENQUEUE.MIGRATED;
  // I5: a task still running on another CPU must never become runnable here
  if (c.tr(p, T.on_cpu) && c.rr(cpu, R.curr) !== p) {
    c.violation('I5', `${c.name(p)} activated on rq[${cpu}] while it still runs (on_cpu=1) elsewhere`, [p]);
  }
  enqueueTask(c, cpu, p, flags);
  c.tw(p, T.on_rq, TASK_ON_RQ_QUEUED);
}

/** @kernel kernel/sched/core.c deactivate_task(): on_rq = MIGRATING, then dequeue */
export function deactivateTask(c: Cpu, cpu: number, p: number, flags: number): void {
  if (flags & DEQUEUE.SLEEP) c.warn('deactivate_sleep', 'deactivate_task with DEQUEUE_SLEEP', p);
  c.tw(p, T.on_rq, TASK_ON_RQ_MIGRATING);
  dequeueTask(c, cpu, p, flags);
}

/** @kernel kernel/sched/sched.h __block_task(): publishes on_rq = 0 last; after it p is not ours */
export function __blockTask(c: Cpu, _cpu: number, p: number): void {
  c.tw(p, T.on_rq, 0);
}

/** @kernel kernel/sched/core.c block_task() */
export function blockTask(c: Cpu, cpu: number, p: number, flags: number): boolean {
  if (dequeueTask(c, cpu, p, flags | DEQUEUE.SLEEP)) { __blockTask(c, cpu, p); return true; }
  return false;
}

/** block_task(rq, p, task_state) of the later trees / Peter's sketch: flags from the state */
export function blockTaskState(c: Cpu, cpu: number, p: number, state: number): boolean {
  const flags = DEQUEUE.NOCLOCK | (isSpecialTaskState(state, c.wakingIsSpecial()) ? DEQUEUE.SPECIAL : 0);
  return blockTask(c, cpu, p, flags);
}

