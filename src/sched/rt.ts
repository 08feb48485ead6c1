/**
 * The RT class (SCHED_FIFO only): the highest priority (lowest kernel prio) wins; among equals, the
 * first in the rq list (FIFO: enqueue appends, yield moves to the tail). No RR slices, no push/pull:
 * placement happens at wakeup (select_task_rq picks the CPU running the lowest priority).
 */
import type { Cpu } from './cpu.ts';
import { T, R } from '../shm/layout.ts';
import { SCHED } from './constants.ts';

export function isRt(c: Cpu, p: number): boolean { return c.tg(p, T.policy) === SCHED.FIFO; }

/** pick_next_rt_entity(): held{rq} */
export function pickRt(c: Cpu, cpu: number): number {
  const q = c.a.queue(cpu);
  const n = c.rg(cpu, R.nr_queued);
  let best = -1;
  let bp = 1000;
  for (let k = 0; k < n; k++) {
    const p = c.i32[q + k];
    if (!isRt(c, p)) continue;
    const pr = c.tg(p, T.prio);
    if (pr < bp) { bp = pr; best = p; }
  }
  return best;
}
