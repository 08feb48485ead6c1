/**
 * handoff-storm — spec §7 T5, a mutex handoff storm.
 *
 * Two mutexes (m0, m1), 8 tasks per CPU (16 on the default 2 CPUs, at most 32), all looping forever.
 * Each task's shape is chosen by a PRNG seeded with its index, so the scenario is the same on every
 * run, and task k has the same policy and loop whatever the CPU count, except whom it signals (more
 * CPUs add tasks):
 *   - policy: about half fifo (prio 10..60), the rest fair (nice -5..5); first woken on CPU k % cpus,
 *     allowed everywhere;
 *   - a loop body of 2..4 steps (at least one lock), each one of
 *       lock / lock_interruptible / trylock of m0 or m1 with a short (50..200us, 70%) or long (1..2ms)
 *       critical section, sometimes nested m0 -> m1 (always in that order: no ABBA deadlock),
 *       a short run (20..100us), a short sleep (50..300us), a yield;
 *   - fifo tasks sleep 100..400us after every critical section, and every loop ends with a sleep:
 *     there is no RT throttling, so a fifo task that re-locks at once would keep stealing the mutex
 *     from a woken first waiter that never gets its CPU (CPU starvation, not a mutex bug: L4 fires);
 *   - every third task also signals another task each iteration (the lock_interruptible waiters then
 *     return -EINTR, and their wakeups race with unlocks);
 *   - task k starts at 10ms + 0.2ms*k (after the CPU workers' start-up jitter).
 * The gaps between critical sections are short, so the mutexes are nearly always contended: a woken
 * first waiter often finds the lock taken again by a task that came in through the fast path or the
 * optimistic spin, fails, and sets HANDOFF; the next unlock must hand the lock to it (PICKUP).
 *
 * What to look for (all designs): I1 (exclusion, HANDOFF/PICKUP only consumed by the designated
 * waiter), I2 (blocked_on domain), L1 (lost wakeups), L4 (every waiter acquires or returns -EINTR
 * within a bounded number of unlocks). With proxy execution on, donor migrations and returns happen
 * constantly (owners and donors on both CPUs); under `none` it is a plain mutex stress test. No task
 * is pinned, so I6/I18 can only fire on a broken return migration.
 */
import type { Op, TaskSpec } from '../scenario.ts';
import { defineBuiltin, forever, lock, lockInterruptible, range, run, signal, sleep, trylock, us, at } from './common.ts';
import { Rng } from './prng.ts';

export const HANDOFF_TASKS_PER_CPU = 8;
export const HANDOFF_MAX_TASKS = 32;

const MUTEXES = ['m0', 'm1'] as const;

function criticalSection(r: Rng): Op[] {
  return r.chance(0.7) ? [run(us(r.int(50, 200)))] : [run(us(r.int(1000, 2000)))];
}

type LockKind = 'lock' | 'lock_interruptible' | 'trylock';

function lockOp(kind: LockKind, mutex: string, critical: Op[]): Op {
  return kind === 'lock' ? lock(mutex, critical)
    : kind === 'trylock' ? trylock(mutex, critical)
      : lockInterruptible(mutex, critical);
}

function step(r: Rng): Op {
  const what = r.weighted([[6, 'lock'], [1, 'nested'], [1, 'run'], [1, 'sleep'], [1, 'yield']] as const);
  const kind = (): LockKind => r.weighted([[3, 'lock'], [3, 'lock_interruptible'], [2, 'trylock']] as const);
  switch (what) {
    case 'lock':
      return lockOp(kind(), r.pick(MUTEXES), criticalSection(r));
    case 'nested':
      return lockOp(kind(), 'm0', [run(us(r.int(20, 100))), lockOp(kind(), 'm1', criticalSection(r))]);
    case 'run':
      return run(us(r.int(20, 100)));
    case 'sleep':
      return sleep(us(r.int(50, 300)));
    case 'yield':
      return { op: 'yield' };
  }
}

const isLock = (o: Op): boolean => o.op === 'lock' || o.op === 'lock_interruptible' || o.op === 'trylock';

/** Task k of a storm with n tasks (n only chooses whom task k signals). */
function stormTask(k: number, n: number, cpus: number): TaskSpec {
  const r = new Rng(0x5eed0000 + k);
  const fifo = r.chance(0.5);
  const steps: Op[] = range(r.int(2, 4)).map(() => step(r));
  // Make sure every task takes a lock each iteration.
  if (!steps.some(isLock)) steps.push(lockOp('lock', r.pick(MUTEXES), criticalSection(r)));
  // A fifo task sleeps after each of its critical sections: otherwise (there is no RT throttling) it
  // would take the mutex back through the fast path before the woken first waiter, queued behind it
  // on its CPU, ever runs: that waiter would starve for CPU, not for the mutex (and trip L4).
  const body: Op[] = fifo ? steps.flatMap((o) => (isLock(o) ? [o, sleep(us(r.int(100, 400)))] : [o])) : steps;
  if (k % 3 === 2) body.push(signal(`t${(k + 1 + r.int(0, n - 2)) % n}`));
  if (body[body.length - 1].op !== 'sleep') body.push(sleep(us(r.int(50, 300))));
  return {
    name: `t${k}`,
    ...(fifo ? { policy: 'fifo' as const, prio: r.int(10, 60) } : { policy: 'fair' as const, nice: r.int(-5, 5) }),
    cpu: k % cpus,
    start: at(10 + k * 0.2),
    program: [forever(body)],
  };
}

export const handoffStorm = defineBuiltin({
  name: 'handoff-storm', cpus: { min: 1, default: 2 },
  summary: 'T5 mutex handoff storm: 8 tasks per CPU (max 32) on m0/m1, lock/lock_interruptible/trylock, short and long sections, signals',
  build(cpus) {
    const n = Math.min(HANDOFF_TASKS_PER_CPU * cpus, HANDOFF_MAX_TASKS);
    return {
      description:
        `Mutex handoff storm (spec T5): ${n} tasks on m0/m1 mixing lock, lock_interruptible and trylock with `
        + 'short (50-200us) and long (1-2ms) critical sections, nested m0->m1, every third task signals '
        + 'another one. Contention is constant, so failed first waiters set HANDOFF.',
      duration: '2s',
      mutexes: [...MUTEXES],
      tasks: range(n).map((k) => stormTask(k, n, cpus)),
    };
  },
});
