/**
 * Liveness watchdog (spec §5 L1-L5), run by the host on the quiescent arena at every
 * stop-the-world sample. Thresholds are counted in scheduler events (picks, unlocks, CPU loop
 * steps), not wall time, so a slow or loaded machine does not false-alarm.
 *
 *  L1 lost wakeup   a task is wake-eligible (RUNNING, or an interruptible sleeper with a signal
 *                   pending, or the first waiter of a free / handed-off mutex) but nothing is in
 *                   flight to run it, across two samples more than L1_PICKS picks + ticks apart
 *  L2 stranded donor (a metric) a queued task with blocked_on = PROXY_WAKING, or RUNNING with
 *                   blocked_on set: counted per sample, longest streak reported
 *  L3 proxy livelock  checked in the CPUs (find_proxy_task keeps returning NULL/idle for the
 *                   same donor: see sched/core.ts)
 *  L4 mutex progress  a waiter neither acquires nor gets -EINTR within L4 unlocks of its mutex
 *  L5 global progress runnable tasks exist, the CPUs loop, but no task completes an op
 *
 * Checked first: a wait-for cycle of the workload (check/deadlock.ts; lockdep's recursive or
 * circular locking), which would otherwise show as L1/L4/L5 or as nothing (tasks blocked forever,
 * above all without proxy). It is the scenario's DEADLOCK, not the design's failure: at once when
 * every waiter of the cycle waits uninterruptibly, else when the same cycle stayed over L1_PICKS.
 */
import type { Arena } from '../shm/arena.ts';
import { M, R, T } from '../shm/layout.ts';
import { MUTEX_FLAG, PROXY_WAKING, TASK, TASK_ON_RQ_QUEUED, ownerTask } from '../sched/constants.ts';
import { K_MUTEX_WAIT } from '../locking/mutex.ts';
import type { GlobalViolation } from './global.ts';
import { DEADLOCK_ID, cycleKey, describeCycle, findWaitCycles } from './deadlock.ts';

export const L1_PICKS = 200;
export const L5_STEPS = 2_000_000;

export class Watchdog {
  private readonly eligibleSince = new Map<number, number>(); // task -> picks when first seen
  /** task -> [acquisitions of its mutex, its own acquisitions + -EINTRs] when this wait was first seen */
  private readonly waitingSince = new Map<number, [number, number]>();
  private readonly strandedStreak = new Map<number, number>();
  /** interruptible wait-for cycles seen: key -> picks when first seen */
  private readonly cycleSince = new Map<string, number>();
  private lastOps = -1;
  private lastSteps = 0;
  strandedObservations = 0;
  strandedLongest = 0;

  constructor(private readonly a: Arena, private readonly names: string[], private readonly mutexNames: readonly string[] = []) {}

  private name(p: number): string { return this.names[p] ?? `task[${p}]`; }

  observe(): GlobalViolation | null {
    const a = this.a;
    const i32 = a.i32;
    const tg = (p: number, f: number): number => i32[a.t(p) + f];
    let picks = 0;
    let steps = 0;
    // the watchdog's clock: picks and ticks (a deadlocked machine still ticks on its idle CPUs)
    for (let c = 0; c < a.nrCpus; c++) { picks += i32[a.rq(c) + R.nr_picks] + i32[a.rq(c) + R.nr_ticks]; steps += i32[a.rq(c) + R.steps]; }
    const deadlock = this.deadlock(picks);
    if (deadlock) return deadlock;
    let ops = 0;
    let runnable = 0;
    const l4 = 1000 + 100 * a.nrTasks;
    for (let p = a.nrCpus; p < a.nrTasks; p++) {
      ops += tg(p, T.nr_ops);
      if (tg(p, T.exited)) { this.eligibleSince.delete(p); this.waitingSince.delete(p); continue; }
      const st = tg(p, T.__state);
      const onRq = tg(p, T.on_rq);
      const bo = tg(p, T.blocked_on);
      if (onRq === TASK_ON_RQ_QUEUED && bo === 0 && !tg(p, T.sched_delayed)) runnable++;
      // L1
      let eligible = st === TASK.RUNNING;
      if ((st & TASK.INTERRUPTIBLE) && tg(p, T.sigpending)) eligible = true;
      const waiting = tg(p, T.kpc) === K_MUTEX_WAIT;
      const m = tg(p, T.kop_mutex);
      if (waiting && m >= 0 && m < a.nrMutexes) {
        const w = i32[a.m(m) + M.owner];
        const first = i32[a.m(m) + M.nr_waiters] > 0 && i32[a.waitList(m)] === p;
        if (first && (ownerTask(w) < 0 || (ownerTask(w) === p && (w & MUTEX_FLAG.PICKUP)))) eligible = true;
      }
      const inFlight = onRq !== 0 || tg(p, T.on_cpu) !== 0 || st === TASK.WAKING || tg(p, T.wake_q_next) !== 0 ||
        tg(p, T.ttwu_active) !== 0 || (waiting && m >= 0 && i32[a.m(m) + M.unlocking] > 0);
      if (eligible && !inFlight) {
        const since = this.eligibleSince.get(p);
        if (since === undefined) this.eligibleSince.set(p, picks);
        else if (picks - since > L1_PICKS) {
          return { id: 'L1', msg: `lost wakeup: ${this.name(p)} (state 0x${st.toString(16)}${waiting ? `, first waiter of a free mutex ${m}` : ''}) has been wake-eligible with nothing in flight for ${picks - since} picks`, tasks: [p] };
        }
      } else this.eligibleSince.delete(p);
      // L4
      if (waiting && m >= 0 && m < a.nrMutexes) {
        const acq = i32[a.m(m) + M.acquisitions];
        const own = tg(p, T.nr_acquired) + tg(p, T.nr_eintr);
        const since = this.waitingSince.get(p);
        // a different wait than the one seen before (the task got or gave up a lock meanwhile)
        if (since === undefined || since[1] !== own) this.waitingSince.set(p, [acq, own]);
        else if (acq - since[0] > l4) {
          return { id: 'L4', msg: `mutex progress: ${this.name(p)} waits on mutex ${m} while it was acquired ${acq - since[0]} times by others`, tasks: [p] };
        }
      } else this.waitingSince.delete(p);
      // L2 (metric)
      const stranded = onRq === TASK_ON_RQ_QUEUED && !tg(p, T.on_cpu) && (bo === PROXY_WAKING || (bo !== 0 && st === TASK.RUNNING));
      if (stranded) {
        const n = (this.strandedStreak.get(p) ?? 0) + 1;
        this.strandedStreak.set(p, n);
        this.strandedObservations++;
        this.strandedLongest = Math.max(this.strandedLongest, n);
      } else this.strandedStreak.delete(p);
    }
    // L5
    if (this.lastOps >= 0 && ops === this.lastOps && runnable > 0 && steps - this.lastSteps > L5_STEPS) {
      return { id: 'L5', msg: `global progress: ${runnable} runnable tasks, ${steps - this.lastSteps} CPU loop steps, no program op completed`, tasks: [] };
    }
    if (ops !== this.lastOps) { this.lastOps = ops; this.lastSteps = steps; }
    return null;
  }

  /** A wait-for cycle of the workload: at once if no waiter of it can be interrupted, else once it
   *  has lasted L1_PICKS picks (a signal could still break it with -EINTR). */
  private deadlock(picks: number): GlobalViolation | null {
    const seen = new Set<string>();
    for (const cyc of findWaitCycles(this.a)) {
      let report = !cyc.interruptible;
      if (!report) {
        const key = cycleKey(cyc);
        seen.add(key);
        const since = this.cycleSince.get(key);
        if (since === undefined) this.cycleSince.set(key, picks);
        else report = picks - since > L1_PICKS;
      }
      if (report) {
        const msg = describeCycle(cyc, (t) => this.name(t), (m) => this.mutexNames[m] ?? `mutex ${m}`);
        return { id: DEADLOCK_ID, kind: 'deadlock', msg, tasks: cyc.tasks };
      }
    }
    for (const k of [...this.cycleSince.keys()]) if (!seen.has(k)) this.cycleSince.delete(k);
    return null;
  }
}
