/**
 * Deadlocks of the workload, not of the design: lockdep's "possible recursive locking" (a task
 * locks a mutex it holds) and "possible circular locking dependency" (T1 holds a and waits for b,
 * T2 holds b and waits for a). A scenario written so is broken whatever the scheduler does; the
 * verdict names the cycle as the scenario's problem (finding kind 'deadlock', id DEADLOCK) instead
 * of the design failure it would otherwise surface as (I15 chain length, L3 proxy livelock,
 * L1/L4/L5 without proxy).
 *
 * The wait-for edge p -> o is taken only when it is the workload's own doing, from fields the tasks
 * write themselves: p is inside mutex_lock(m) (kpc = K_MUTEX_WAIT, kop_mutex = m), m's owner word
 * names o, and o entered m's critical section (held_mask bit m). A handoff in flight (owner word
 * set, PICKUP, not yet entered) is no edge, and neither is a stale blocked_on left by a design bug.
 * Read either over the quiescent arena (the watchdog) or from find_proxy_task with the chain's tasks
 * queued on its rq, where none of them can run, so none can change what it holds or waits on.
 */
import type { Arena } from '../shm/arena.ts';
import { M, T } from '../shm/layout.ts';
import { TASK, ownerTask } from '../sched/constants.ts';
import { K_MUTEX_WAIT, heldMaskBit, heldMaskWord } from '../locking/mutex.ts';

export const DEADLOCK_ID = 'DEADLOCK';

/** A wait-for cycle: tasks[k] holds mutexes[k-1] (cyclically) and waits for mutexes[k], held by tasks[k+1]. */
export interface WaitCycle {
  tasks: number[];
  mutexes: number[];
  /** some task of the cycle waits interruptibly (a signal could break the cycle with -EINTR) */
  interruptible: boolean;
}

/** The mutex p waits for in mutex_lock and the task holding it, or null (no workload edge). */
export function waitsFor(a: Arena, p: number): { m: number; owner: number } | null {
  if (p < a.nrCpus || p >= a.nrTasks) return null;
  const i32 = a.i32;
  const t = a.t(p);
  if (Atomics.load(i32, t + T.kpc) !== K_MUTEX_WAIT || i32[t + T.exited]) return null;
  const m = Atomics.load(i32, t + T.kop_mutex);
  if (m < 0 || m >= a.nrMutexes) return null;
  const owner = ownerTask(Atomics.load(i32, a.m(m) + M.owner));
  if (owner < a.nrCpus || owner >= a.nrTasks) return null;
  if (!(Atomics.load(i32, a.t(owner) + heldMaskWord(m)) & heldMaskBit(m))) return null;
  return { m, owner };
}

/**
 * Follow the wait-for edges from `start`; the cycle they run into, if any (start itself may only
 * wait into it). `done` (optional) marks tasks already followed by an earlier call, for a scan of
 * every task in O(tasks).
 */
export function findWaitCycle(a: Arena, start: number, done?: Uint8Array): WaitCycle | null {
  const path: number[] = [];
  const via: number[] = [];
  for (let p = start; path.length <= a.nrTasks;) {
    const k = path.indexOf(p);
    if (k >= 0) {
      const tasks = path.slice(k);
      const mutexes = via.slice(k);
      const interruptible = tasks.some((t) => (a.i32[a.t(t) + T.kop_state] & (TASK.INTERRUPTIBLE | TASK.WAKEKILL)) !== 0);
      return { tasks, mutexes, interruptible };
    }
    if (done) { if (done[p]) return null; done[p] = 1; }
    const e = waitsFor(a, p);
    if (!e) return null;
    path.push(p);
    via.push(e.m);
    p = e.owner;
  }
  return null;
}

/** Every wait-for cycle of the arena (read it quiescent). */
export function findWaitCycles(a: Arena): WaitCycle[] {
  const done = new Uint8Array(a.nrTasks);
  const out: WaitCycle[] = [];
  for (let p = a.nrCpus; p < a.nrTasks; p++) {
    if (done[p]) continue;
    const c = findWaitCycle(a, p, done);
    if (c) out.push(c);
  }
  return out;
}

/** lockdep's wording, with the cycle spelled out. */
export function describeCycle(c: Pick<WaitCycle, 'tasks' | 'mutexes'>, task: (t: number) => string, mutex: (m: number) => string): string {
  const n = c.tasks.length;
  if (n === 1) {
    const [t] = c.tasks;
    const [m] = c.mutexes;
    return `possible recursive locking in the workload: ${task(t)} is trying to acquire ${mutex(m)} but already holds it (deadlock)`;
  }
  const steps = c.tasks.map((t, k) => `${task(t)} holds ${mutex(c.mutexes[(k + n - 1) % n])} and waits for ${mutex(c.mutexes[k])}`);
  const arrow = [...c.tasks.map((t, k) => `${task(t)} -[${mutex(c.mutexes[k])}]->`), task(c.tasks[0])].join(' ');
  return `possible circular locking dependency in the workload: ${steps.join('; ')} (deadlock: ${arrow})`;
}

/** A key naming a cycle whatever task it is entered from. */
export function cycleKey(c: WaitCycle): string {
  return [...c.tasks].sort((x, y) => x - y).join(',');
}
