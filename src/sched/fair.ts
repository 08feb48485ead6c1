/**
 * The fair class, simplified (documented in the README):
 *  - vruntime advances by delta * NICE_0_LOAD / weight while the task is the scheduling context;
 *  - pick = minimum vruntime (a scan of the rq list; delayed tasks are candidates, and picking one
 *    completes its dequeue, as pick_next_entity does);
 *  - while a task is not queued its vruntime is kept relative to its old rq's min_vruntime
 *    (the pre-EEVDF CFS convention), so migrations need no other hook;
 *  - a waking task is placed no earlier than min_vruntime - SCHED_LATENCY/2;
 *  - tick preemption after a 3 ms slice if another fair task is queued; wakeup preemption when the
 *    woken task's vruntime is more than 1 ms behind the donor's.
 *  - delayed dequeue (sched_delayed): a sleeping fair task stays queued with the configured
 *    probability instead of by lag.
 */
import type { Cpu } from './cpu.ts';
import { T, R } from '../shm/layout.ts';
import { ENQUEUE, SCHED } from './constants.ts';

export const SCHED_SLICE_NS = 3_000_000;
export const SCHED_LATENCY_NS = 6_000_000;
export const WAKEUP_GRAN_NS = 1_000_000;

export function isFair(c: Cpu, p: number): boolean { return c.tg(p, T.policy) === SCHED.NORMAL; }

/** enqueue_entity(): held{rq} */
export function enqueueFair(c: Cpu, cpu: number, p: number, flags: number): void {
  const minv = c.rgd(cpu, R.min_vruntime);
  let v = c.tgd(p, T.vruntime) + minv;
  if (flags & ENQUEUE.WAKEUP) v = Math.max(v, minv - SCHED_LATENCY_NS / 2);
  c.tsd(p, T.vruntime, v);
}

/** dequeue_entity(): held{rq}; keep vruntime relative while off the queue */
export function dequeueFair(c: Cpu, cpu: number, p: number): void {
  c.tsd(p, T.vruntime, c.tgd(p, T.vruntime) - c.rgd(cpu, R.min_vruntime));
}

/** update_curr(): charge the scheduling context (rq->donor). held{rq} */
export function updateCurr(c: Cpu, cpu: number): void {
  const d = c.rg(cpu, R.donor);
  if (c.isIdleTask(d)) return;
  const now = c.rgd(cpu, R.clock);
  const delta = now - c.tgd(d, T.exec_start);
  c.tsd(d, T.exec_start, now);
  if (delta <= 0) return;
  c.tsd(d, T.sum_exec_runtime, c.tgd(d, T.sum_exec_runtime) + delta);
  if (isFair(c, d)) {
    c.tsd(d, T.vruntime, c.tgd(d, T.vruntime) + (delta * 1024) / c.tg(d, T.weight));
    updateMinVruntime(c, cpu);
  }
}

/** min_vruntime only moves forward: max(old, min over queued fair tasks). held{rq} */
export function updateMinVruntime(c: Cpu, cpu: number): void {
  const q = c.a.queue(cpu);
  const n = c.rg(cpu, R.nr_queued);
  let min = Infinity;
  for (let k = 0; k < n; k++) {
    const p = c.i32[q + k];
    if (isFair(c, p)) min = Math.min(min, c.tgd(p, T.vruntime));
  }
  if (min !== Infinity && min > c.rgd(cpu, R.min_vruntime)) c.rsd(cpu, R.min_vruntime, min);
}

/**
 * pick_next_entity(): the queued fair task with the least vruntime, or -1. held{rq}
 * A sched_delayed entity went to sleep with negative lag, so it is not eligible while another
 * entity is: it is picked (and its dequeue completed) only when nothing else is queued. This is
 * what keeps delayed tasks queued for a while, as EEVDF does.
 */
export function pickFair(c: Cpu, cpu: number): number {
  const q = c.a.queue(cpu);
  const n = c.rg(cpu, R.nr_queued);
  let best = -1;
  let bv = Infinity;
  let delayed = -1;
  for (let k = 0; k < n; k++) {
    const p = c.i32[q + k];
    if (!isFair(c, p)) continue;
    if (c.tg(p, T.sched_delayed)) { if (delayed < 0) delayed = p; continue; }
    const v = c.tgd(p, T.vruntime);
    if (v < bv) { bv = v; best = p; }
  }
  return best >= 0 ? best : delayed;
}

/** yield_task_fair(): go behind everyone. held{rq} */
export function yieldFair(c: Cpu, cpu: number, p: number): void {
  const q = c.a.queue(cpu);
  const n = c.rg(cpu, R.nr_queued);
  let max = c.tgd(p, T.vruntime);
  for (let k = 0; k < n; k++) {
    const o = c.i32[q + k];
    if (o !== p && isFair(c, o)) max = Math.max(max, c.tgd(o, T.vruntime) + 1);
  }
  c.tsd(p, T.vruntime, max);
}

/** check_preempt_tick(): slice used up and someone else waits. held{rq} */
export function fairTickPreempt(c: Cpu, cpu: number, donor: number): boolean {
  if (c.rg(cpu, R.nr_running) < 2) return false;
  return c.tgd(donor, T.sum_exec_runtime) - c.tgd(donor, T.slice_start) > SCHED_SLICE_NS;
}
