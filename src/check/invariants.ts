/**
 * Invariants checked at the point of the operation, with its locks held (spec §5).
 * The global ones (run by the stop-the-world sampler over the whole arena) are in global.ts.
 * Every check ends in Cpu.violation(), which stops the machine and writes the failure artifact.
 */
import type { Cpu } from '../sched/cpu.ts';
import { R, T } from '../shm/layout.ts';
import { TASK_ON_RQ_QUEUED } from '../sched/constants.ts';

/**
 * At S9 (__schedule, rq->curr := next), held{rq}:
 *  I5 one CPU per task, I6 affinity, I7 blocked never executes, I8 donor/curr consistency.
 */
export function checkSwitch(c: Cpu, cpu: number, prev: number, next: number): void {
  const donor = c.rg(cpu, R.donor);
  if (c.isIdleTask(next)) return;
  // I5: next is on no other CPU (on_cpu is only ours if next is still prev)
  if (next !== prev && c.tr(next, T.on_cpu)) {
    for (let k = 0; k < c.a.nrCpus; k++) {
      if (k !== cpu && c.rr(k, R.curr) === next) {
        c.violation('I5', `${c.name(next)} picked on CPU${cpu} while it is rq[${k}]->curr`, [next]);
      }
    }
    c.violation('I5', `${c.name(next)} picked on CPU${cpu} while on_cpu=1`, [next]);
  }
  if (c.tr(next, T.cpu) !== cpu) {
    c.violation('I5', `${c.name(next)} picked on CPU${cpu} but task_cpu=${c.tr(next, T.cpu)}`, [next]);
  }
  // I6 (§10 E7: exempt while an affinity move is pending)
  if (!(c.tg(next, T.cpus_mask) & (1 << cpu)) && !c.tr(next, T.affinity_pending)) {
    c.violation('I6', `${c.name(next)} runs on CPU${cpu} outside its affinity 0x${c.tg(next, T.cpus_mask).toString(16)}`, [next]);
  }
  if (!c.proxy) return;
  // I7
  const bo = c.tr(next, T.blocked_on);
  if (bo !== 0) {
    c.violation('I7', `${c.name(next)} switched in on CPU${cpu} with blocked_on=${bo === -1 ? 'PROXY_WAKING' : `mutex ${bo - 1}`}`, [next]);
  }
  // I8
  if (donor !== next) {
    if (c.tr(donor, T.blocked_on) === 0) {
      c.violation('I8', `CPU${cpu} runs ${c.name(next)} for donor ${c.name(donor)} which is not blocked`, [donor, next]);
    }
    if (c.tr(next, T.on_rq) !== TASK_ON_RQ_QUEUED || c.tg(next, T.list_cpu) !== cpu || c.tg(next, T.sched_delayed)) {
      c.violation('I8', `CPU${cpu} proxies ${c.name(next)} which is not queued here`, [donor, next]);
    }
  }
  if (c.tr(donor, T.on_rq) !== TASK_ON_RQ_QUEUED || c.tg(donor, T.list_cpu) !== cpu) {
    c.violation('I8', `rq[${cpu}]->donor ${c.name(donor)} is not queued on this rq`, [donor]);
  }
}

/** I16: before a mid-pick rq-lock drop, rq->donor is not the task being moved or dequeued. */
export function checkMidPickDrop(c: Cpu, cpu: number, moving: number): void {
  if (c.rg(cpu, R.donor) === moving) {
    c.violation('I16', `rq[${cpu}] drops its lock mid-pick with rq->donor = ${c.name(moving)} being moved`, [moving]);
  }
}
