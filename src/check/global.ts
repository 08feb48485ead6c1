/**
 * Global invariants, checked over the whole arena while every CPU is parked at a safe point
 * (no spinlock held, no operation half done). Spec §5: I1 (owner word), I2, I3, I4, I5, I8, I9, I11, I18;
 * I10 is counted here for the designs where RUNNING + blocked_on is legal.
 */
import type { Arena } from '../shm/arena.ts';
import { M, R, T } from '../shm/layout.ts';
import { MUTEX_FLAG, PROXY_WAKING, TASK, TASK_ON_RQ_MIGRATING, TASK_ON_RQ_QUEUED, ownerTask } from '../sched/constants.ts';

export interface GlobalViolation {
  id: string; msg: string; tasks: number[];
  /** a deadlock of the workload (check/deadlock.ts), not a violation of the design */
  kind?: 'deadlock';
}

export interface GlobalCheckOptions {
  proxy: boolean;
  names: string[];
  /** design (c): RUNNING + blocked_on is illegal outside __schedule (I10 is a violation) */
  runningBlockedIllegal?: boolean;
}

export function checkGlobal(a: Arena, o: GlobalCheckOptions): GlobalViolation | null {
  const i32 = a.i32;
  const name = (t: number): string => o.names[t] ?? `task[${t}]`;
  const tg = (p: number, f: number): number => i32[a.t(p) + f];
  const nCpus = a.nrCpus;
  const nTasks = a.nrTasks;
  // I3 + I4
  const seen = new Int32Array(nTasks).fill(-1);
  let queuedTotal = 0;
  for (let cpu = 0; cpu < nCpus; cpu++) {
    const rq = a.rq(cpu);
    const n = i32[rq + R.nr_queued];
    if (n !== i32[rq + R.nr_running]) {
      return { id: 'I4', msg: `rq[${cpu}]: nr_running=${i32[rq + R.nr_running]} but ${n} tasks on its list`, tasks: [] };
    }
    queuedTotal += i32[rq + R.nr_running];
    for (let k = 0; k < n; k++) {
      const p = i32[a.queue(cpu) + k];
      if (seen[p] !== -1) return { id: 'I3', msg: `${name(p)} is on rq[${seen[p]}] and rq[${cpu}] lists`, tasks: [p] };
      seen[p] = cpu;
      if (tg(p, T.cpu) !== cpu) return { id: 'I3', msg: `${name(p)} on rq[${cpu}]'s list but task_cpu=${tg(p, T.cpu)}`, tasks: [p] };
      if (tg(p, T.on_rq) !== TASK_ON_RQ_QUEUED) return { id: 'I3', msg: `${name(p)} on rq[${cpu}]'s list with on_rq=${tg(p, T.on_rq)}`, tasks: [p] };
    }
  }
  let onRqQueued = 0;
  for (let p = nCpus; p < nTasks; p++) {
    const onRq = tg(p, T.on_rq);
    if (onRq === TASK_ON_RQ_QUEUED) {
      onRqQueued++;
      if (seen[p] === -1) return { id: 'I3', msg: `${name(p)} has on_rq=QUEUED but is on no rq list`, tasks: [p] };
    } else if (onRq === 0 && seen[p] !== -1) {
      return { id: 'I3', msg: `${name(p)} has on_rq=0 but is on rq[${seen[p]}]'s list`, tasks: [p] };
    } else if (onRq === TASK_ON_RQ_MIGRATING) {
      return { id: 'I13', msg: `${name(p)} is TASK_ON_RQ_MIGRATING at a quiescent point`, tasks: [p] };
    }
  }
  if (onRqQueued !== queuedTotal) {
    return { id: 'I4', msg: `sum of nr_running ${queuedTotal} != ${onRqQueued} tasks with on_rq=QUEUED`, tasks: [] };
  }
  // I5
  const currOf = new Int32Array(nTasks).fill(-1);
  for (let cpu = 0; cpu < nCpus; cpu++) {
    const curr = i32[a.rq(cpu) + R.curr];
    if (tg(curr, T.is_idle)) continue;
    if (currOf[curr] !== -1) return { id: 'I5', msg: `${name(curr)} is curr of CPU${currOf[curr]} and CPU${cpu}`, tasks: [curr] };
    currOf[curr] = cpu;
    if (tg(curr, T.on_cpu) !== 1) return { id: 'I5', msg: `${name(curr)} is rq[${cpu}]->curr with on_cpu=0`, tasks: [curr] };
    if (tg(curr, T.cpu) !== cpu) return { id: 'I5', msg: `${name(curr)} is rq[${cpu}]->curr with task_cpu=${tg(curr, T.cpu)}`, tasks: [curr] };
  }
  for (let p = nCpus; p < nTasks; p++) {
    if (tg(p, T.on_cpu) && currOf[p] === -1) return { id: 'I5', msg: `${name(p)} has on_cpu=1 but is no CPU's curr`, tasks: [p] };
  }
  // I8: every rq->donor is idle or queued on that rq
  for (let cpu = 0; cpu < nCpus; cpu++) {
    const d = i32[a.rq(cpu) + R.donor];
    if (tg(d, T.is_idle)) continue;
    if (tg(d, T.on_rq) !== TASK_ON_RQ_QUEUED || tg(d, T.list_cpu) !== cpu) {
      return { id: 'I8', msg: `rq[${cpu}]->donor is ${name(d)}, which is not queued on rq[${cpu}] (on_rq=${tg(d, T.on_rq)}, list ${tg(d, T.list_cpu)})`, tasks: [d] };
    }
  }
  // I10 (design c): no RUNNING task off-CPU with blocked_on set
  if (o.runningBlockedIllegal) {
    for (let p = nCpus; p < nTasks; p++) {
      if (tg(p, T.__state) === TASK.RUNNING && tg(p, T.blocked_on) !== 0 && tg(p, T.on_cpu) === 0) {
        return { id: 'I10', msg: `${name(p)} is TASK_RUNNING with blocked_on set outside __schedule`, tasks: [p] };
      }
    }
  }
  // I9: a RUNNING task nobody runs, queues or wakes
  for (let p = nCpus; p < nTasks; p++) {
    if (tg(p, T.exited)) continue;
    if (tg(p, T.__state) === TASK.RUNNING && tg(p, T.on_rq) === 0 && tg(p, T.on_cpu) === 0 &&
        tg(p, T.ttwu_active) === 0 && tg(p, T.wake_q_next) === 0) {
      return { id: 'I9', msg: `${name(p)} is TASK_RUNNING but dequeued and off-CPU: nobody will ever wake it (lost task)`, tasks: [p] };
    }
  }
  // I11: TASK_WAKING only while a waker holds p->pi_lock (try_to_wake_up in flight): at a
  // quiescent point no wakeup is half done (the wakelist is not modelled)
  for (let p = nCpus; p < nTasks; p++) {
    if (tg(p, T.__state) === TASK.WAKING && tg(p, T.ttwu_active) === 0) {
      return { id: 'I11', msg: `${name(p)} is TASK_WAKING with no try_to_wake_up() in flight`, tasks: [p] };
    }
  }
  // I1 (owner word) and I2 (blocked_on domain)
  const waitsOn = new Int32Array(nTasks).fill(-1);
  for (let m = 0; m < a.nrMutexes; m++) {
    const mb = a.m(m);
    const w = i32[mb + M.owner];
    const nw = i32[mb + M.nr_waiters];
    const inside = i32[mb + M.inside];
    if (inside > 1) return { id: 'I1', msg: `mutex ${m}: ${inside} tasks inside the critical section`, tasks: [] };
    if (inside === 1 && ownerTask(w) !== i32[mb + M.holder]) {
      return { id: 'I1', msg: `mutex ${m}: ${name(i32[mb + M.holder])} is inside but the owner word names ${ownerTask(w) < 0 ? 'nobody' : name(ownerTask(w))}`, tasks: [i32[mb + M.holder]] };
    }
    if ((w & MUTEX_FLAG.PICKUP) && (ownerTask(w) < 0 || (w & MUTEX_FLAG.HANDOFF))) return { id: 'I1', msg: `mutex ${m}: PICKUP with no owner or with HANDOFF`, tasks: [] };
    if ((w & (MUTEX_FLAG.HANDOFF | MUTEX_FLAG.PICKUP)) && !(w & MUTEX_FLAG.WAITERS)) return { id: 'I1', msg: `mutex ${m}: HANDOFF/PICKUP without WAITERS`, tasks: [] };
    if (((w & MUTEX_FLAG.WAITERS) !== 0) !== (nw > 0)) return { id: 'I1', msg: `mutex ${m}: WAITERS flag ${(w & 1)} but ${nw} waiters`, tasks: [] };
    for (let k = 0; k < nw; k++) waitsOn[i32[a.waitList(m) + k]] = m;
  }
  for (let p = nCpus; p < nTasks; p++) {
    const bo = tg(p, T.blocked_on);
    // (with proxy off a signalled waiter runs with blocked_on = M, §10 E1, but it is still listed)
    if (bo > 0 && waitsOn[p] !== bo - 1) {
      return { id: 'I2', msg: `${name(p)}->blocked_on = mutex ${bo - 1} but it is not on that wait list`, tasks: [p] };
    }
    // I18: a queued task with blocked_on == NULL sits on an allowed CPU
    if (o.proxy && bo === 0 && tg(p, T.on_rq) === TASK_ON_RQ_QUEUED && !tg(p, T.affinity_pending) &&
        !(tg(p, T.cpus_mask) & (1 << tg(p, T.cpu)))) {
      return { id: 'I18', msg: `${name(p)} is queued on CPU${tg(p, T.cpu)} outside its affinity with blocked_on=NULL`, tasks: [p] };
    }
    void PROXY_WAKING;
  }
  return null;
}

/** I10 observations (RUNNING with blocked_on set, not curr): a violation only for design (c). */
export function countI10(a: Arena): number[] {
  const out: number[] = [];
  for (let p = a.nrCpus; p < a.nrTasks; p++) {
    const b = a.t(p);
    if (a.i32[b + T.__state] === TASK.RUNNING && a.i32[b + T.blocked_on] !== 0 && a.i32[b + T.on_cpu] === 0) out.push(p);
  }
  return out;
}
