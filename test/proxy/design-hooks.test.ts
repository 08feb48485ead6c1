/**
 * The wakeup-side hooks of the return-migration designs, driven one interleaving at a time on the
 * test's thread: design (b) ttwu-return (ttwuRunnableButWaking, ttwuRunnableBlocked ->
 * proxy_needs_return, ttwuCurrent) and design (c) ttwu-blocks / ttwu-blocks-fixed
 * (ttwuRunnableBlocked's refusal, ttwuFullWakeup, ttwuCurrent, signalPendingBlocked).
 *
 * Each test plants the exact state (queues, rq->curr/donor, blocked_on, mutex owner and waiters),
 * runs the kernel functions a CPU would run (mutex_unlock, send_signal, try_to_wake_up, __schedule,
 * sched_setaffinity), plays "the other CPU" at a named gate window where the race lives, and
 * asserts the state that results. Every planted-bug toggle covered here is run both ways: the fixed
 * path gives the right state, the toggle gives the wrong one or trips the invariant its record names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  clearGate, directed, queueOf, rget, rset, violationOf, waitersOf, type Directed,
} from '../helpers/kernel.ts';
import { setGateHook } from '../../src/sync/gate.ts';
import { M, R, T } from '../../src/shm/layout.ts';
import {
  PROXY_WAKING, SM, TASK, TASK_NORMAL, TASK_ON_RQ_QUEUED, blockedOnMutex, ownerTask,
} from '../../src/sched/constants.ts';
import { __schedule, setCpusAllowed } from '../../src/sched/core.ts';
import { tryToWakeUp } from '../../src/sched/ttwu.ts';
import { LOCK_DONE, LOCK_EINTR, LOCK_SCHEDULE, mutexLock, mutexLockResume, mutexUnlock } from '../../src/locking/mutex.ts';
import { sendSignal } from '../../src/signal/signal.ts';
import { checkGlobal } from '../../src/check/global.ts';
import { designByName } from '../../src/proxy/index.ts';
import { ttwuReturn } from '../../src/proxy/ttwu-return.ts';
import { ttwuBlocks, ttwuBlocksFixed } from '../../src/proxy/ttwu-blocks.ts';
import { EV, FPT } from '../../src/trace/events.ts';

afterEach(() => clearGate());

const M0 = 0;

/**
 * A full wakeup whose task is still on a CPU spins at T7 until that CPU switches away. On the test's
 * one thread nothing else would ever run: fail at once instead of spinning forever.
 */
function noEndlessOnCpuWait(d: Directed): void {
  for (let p = d.a.nrCpus; p < d.a.nrTasks; p++) {
    if (d.a.i32[d.a.t(p) + T.__state] === TASK.WAKING && d.a.i32[d.a.t(p) + T.on_cpu] === 1) {
      throw new Error(`try_to_wake_up would wait forever for ${d.names[p]}->on_cpu: it still runs on CPU${d.a.i32[d.a.t(p) + T.cpu]}`);
    }
  }
}

/**
 * Run each hook once, the first time its gate window is passed. Hooks nest: the code a hook runs
 * passes gates too (e.g. the unlocker's ttwu reaching its on_cpu wait inside the M10..M11 window).
 * Without a hook of its own, the on_cpu wait is guarded (noEndlessOnCpuWait).
 * Returns the windows whose hook ran, in order.
 */
function atGates(d: Directed, hooks: Record<string, () => void>): string[] {
  const fired: string[] = [];
  setGateHook((w) => {
    const f = hooks[w];
    if (f !== undefined && !fired.includes(w)) { fired.push(w); f(); return; }
    if (w === 'try_to_wake_up:on_cpu_wait') noEndlessOnCpuWait(d);
  });
  return fired;
}

/** directed() with the on_cpu wait guarded from the start */
function machine(opts: Parameters<typeof directed>[0]): Directed {
  const d = directed(opts);
  atGates(d, {});
  return d;
}

/** the global invariants (the sampler's check) on the planted machine, judged as the design would */
/** A (fifo 50) is rq0->curr, about to lock m0; B (fair) is rq1->curr and holds m0. */
function waiterAndOwnerRunning(strategy: string, bugs: number[]): Directed {
  const d = machine({
    cpus: 2, strategy, bugs,
    tasks: [{ name: 'A', policy: 'fifo', prio: 50, affinity: [0] }, { name: 'B', policy: 'fair', affinity: [1] }],
  });
  d.enqueue('B', 1);
  d.setCurr('B', 1);
  d.enqueue('A', 0);
  d.setCurr('A', 0);
  d.hold(M0, 'B', []);
  return d;
}

function global(d: Directed, strategy: string): string | null {
  const design = designByName(strategy)!;
  const v = checkGlobal(d.a, { proxy: design.proxy, names: d.names, runningBlockedIllegal: design.runningBlockedIllegal });
  return v ? v.id : null;
}

const rq = (d: Directed, cpu: number, f: number): number => rget(d.a, cpu, f);
const idleOf = (d: Directed, cpu: number): number => rq(d, cpu, R.idle);
const warns = (d: Directed): string[] => d.msgs.filter((m) => m.type === 'warn').map((m) => m.id);
const has = (d: Directed, type: number, task: number): boolean => d.events().some((e) => e.type === type && e.task === task);

/** where a task sits: the fields I3/I5 relate */
function place(d: Directed, name: string) {
  return {
    cpu: d.tg(name, T.cpu), list: d.tg(name, T.list_cpu), on_rq: d.tg(name, T.on_rq), on_cpu: d.tg(name, T.on_cpu),
    state: d.tg(name, T.__state), blocked_on: d.tg(name, T.blocked_on),
  };
}
const queuedRunning = (cpu: number) => ({ cpu, list: cpu, on_rq: TASK_ON_RQ_QUEUED, on_cpu: 0, state: TASK.RUNNING, blocked_on: 0 });

// =====================================================================================================
// design (b): ttwu-return
// =====================================================================================================

/**
 * A (fifo 50, pinned to CPU0) was donor-migrated to CPU1, where its mutex owner B (fair, pinned to
 * CPU1) runs on A's behalf: rq1->curr = B, rq1->donor = A, A->wake_cpu = 0 (the way home).
 */
function foreignDonor(strategy: string, state: number, bugs: number[] = []): Directed {
  const d = machine({
    cpus: 2, strategy, bugs,
    tasks: [{ name: 'A', policy: 'fifo', prio: 50, affinity: [0] }, { name: 'B', policy: 'fair', affinity: [1] }],
  });
  d.enqueue('B', 1);
  d.setCurr('B', 1);
  d.enqueue('A', 1, state);
  d.ts('A', T.wake_cpu, 0);
  d.hold(M0, 'B', ['A']);
  rset(d.a, 1, R.donor, d.id('A'));
  expect(global(d, strategy)).toBeNull();
  return d;
}

/**
 * A (fifo 50, allowed {0,1}, home CPU0) is a local donor: queued on CPU0 (= its wake_cpu), blocked
 * on m0 owned by O (fair, pinned to CPU0), which runs on A's behalf (rq0->curr = O, rq0->donor = A).
 */
function localDonor(bugs: number[] = []): Directed {
  const d = machine({
    cpus: 2, strategy: 'ttwu-return', bugs,
    tasks: [{ name: 'A', policy: 'fifo', prio: 50, affinity: [0, 1], cpu: 0 }, { name: 'O', policy: 'fair', affinity: [0] }],
  });
  d.enqueue('O', 0);
  d.setCurr('O', 0);
  d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
  d.ts('A', T.wake_cpu, 0);
  d.hold(M0, 'O', ['A']);
  rset(d.a, 0, R.donor, d.id('A'));
  expect(global(d, 'ttwu-return')).toBeNull();
  return d;
}

describe('design (b) ttwu-return: ttwuRunnableButWaking', () => {
  it('lets try_to_wake_up go on past a failed state match only for a RUNNING task with blocked_on == PROXY_WAKING', () => {
    const d = foreignDonor('ttwu-return', TASK.RUNNING);
    const A = d.id('A');
    const hook = ttwuReturn.ttwuRunnableButWaking!;
    const cases: [number, number, boolean][] = [
      [TASK.RUNNING, PROXY_WAKING, true],
      [TASK.RUNNING, blockedOnMutex(M0), false], // signalled, lock still held: nothing to return yet
      [TASK.RUNNING, 0, false],
      [TASK.UNINTERRUPTIBLE, PROXY_WAKING, false], // the state matches anyway: the hook is not asked
    ];
    for (const [state, bo, want] of cases) {
      d.ts('A', T.__state, state);
      d.ts('A', T.blocked_on, bo);
      expect(hook(d.cpu[0], A), `state ${state} blocked_on ${bo}`).toBe(want);
    }
    // the designs without a wakeup-side return do not have the hook at all
    expect(designByName('force-return')!.ttwuRunnableButWaking).toBeUndefined();
    expect(ttwuBlocksFixed.ttwuRunnableButWaking).toBeUndefined();
  });

  it('a RUNNING donor still blocked on a mutex is not woken: ttwu bails, nothing moves', () => {
    const d = foreignDonor('ttwu-return', TASK.RUNNING);
    const before = place(d, 'A');
    expect(tryToWakeUp(d.cpu[0], d.id('A'), TASK_NORMAL, 0)).toBe(false);
    expect(place(d, 'A')).toEqual(before);
    expect(before).toMatchObject({ cpu: 1, list: 1, blocked_on: blockedOnMutex(M0) });
    expect(rq(d, 1, R.donor)).toBe(d.id('A'));
    expect(has(d, EV.TTWU_FAIL, d.id('A'))).toBe(true);
  });
});

describe('design (b) ttwu-return: ttwuRunnableBlocked -> proxy_needs_return', () => {
  for (const [label, state] of [['RUNNING (signalled earlier)', TASK.RUNNING], ['sleeping (UNINTERRUPTIBLE)', TASK.UNINTERRUPTIBLE]] as const) {
    it(`the unlock's wakeup returns a ${label} foreign donor to an allowed CPU with blocked_on cleared`, () => {
      const d = foreignDonor('ttwu-return', state);
      const A = d.id('A');
      mutexUnlock(d.cpu[1], d.id('B'), M0);
      // returned by the wakeup itself: dequeued from CPU1 (MIGRATING), placed by select_task_rq on CPU0
      expect(place(d, 'A')).toEqual(queuedRunning(0));
      expect(d.tg('A', T.wake_cpu)).toBe(0);
      expect(queueOf(d.a, 1)).toEqual([d.id('B')]);
      expect(queueOf(d.a, 0)).toEqual([A]);
      // A stopped being CPU1's donor before it was dequeued (proxy_resched_idle), and CPU1 reschedules
      expect(rq(d, 1, R.donor)).toBe(idleOf(d, 1));
      expect(rq(d, 1, R.curr)).toBe(d.id('B'));
      expect(rq(d, 1, R.need_resched)).toBe(1);
      expect(rq(d, 1, R.force_returns)).toBe(1);
      expect(d.events().some((e) => e.type === EV.PROXY_FORCE_RETURN && e.task === A && e.a === 1)).toBe(true);
      expect(has(d, EV.TTWU_FAIL, A)).toBe(false);
      expect(waitersOf(d.a, M0)).toEqual([A]);
      expect(global(d, 'ttwu-return')).toBeNull();
      // CPU1 goes back to B on its own context; A runs at home and takes the lock
      __schedule(d.cpu[1], SM.NONE);
      expect(rq(d, 1, R.donor)).toBe(d.id('B'));
      __schedule(d.cpu[0], SM.NONE);
      expect(rq(d, 0, R.curr)).toBe(A);
      expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_DONE);
      expect(ownerTask(d.a.i32[d.a.m(M0) + M.owner])).toBe(A);
      expect(d.msgs).toEqual([]);
    });
  }

  it('contrast, force-return: the same wakeup of a RUNNING + PROXY_WAKING donor bails; only CPU1\'s next pick returns it', () => {
    const d = foreignDonor('force-return', TASK.RUNNING);
    mutexUnlock(d.cpu[1], d.id('B'), M0);
    expect(place(d, 'A')).toMatchObject({ cpu: 1, list: 1, on_rq: TASK_ON_RQ_QUEUED, state: TASK.RUNNING, blocked_on: PROXY_WAKING });
    expect(rq(d, 1, R.donor)).toBe(d.id('A'));
    expect(has(d, EV.TTWU_FAIL, d.id('A'))).toBe(true);
    __schedule(d.cpu[1], SM.NONE); // F1: proxy_force_return
    expect(place(d, 'A')).toEqual(queuedRunning(0));
  });

  it('the p == rq->curr guard: a task still running its mutex_lock (M10..M11) is not dequeued; its pending affinity move waits for the switch', () => {
    // A runs on CPU1 (its wake_cpu) and blocks on m0 held by O (CPU0). Between M10 and M11, CPU0
    // restricts A to {0} (A is running: the move is left to the stopper) and O unlocks: A is
    // PROXY_WAKING, its wake_cpu is no longer allowed, but it is rq1->curr: it must not be dequeued.
    const d = machine({
      cpus: 2, strategy: 'ttwu-return',
      tasks: [{ name: 'A', policy: 'fifo', prio: 50, affinity: [0, 1], cpu: 1 }, { name: 'O', policy: 'fair', affinity: [0] }],
    });
    const A = d.id('A');
    d.enqueue('O', 0);
    d.setCurr('O', 0);
    d.enqueue('A', 1);
    d.setCurr('A', 1);
    d.ts('A', T.wake_cpu, 1);
    d.hold(M0, 'O', []);
    const fired = atGates(d, {
      'mutex_lock:M10_M11': () => {
        setCpusAllowed(d.cpu[0], A, 1 << 0);
        expect(d.tg('A', T.affinity_pending)).toBe(1);
        mutexUnlock(d.cpu[0], d.id('O'), M0);
      },
    });
    expect(mutexLock(d.cpu[1], A, M0, TASK.UNINTERRUPTIBLE)).toBe(LOCK_SCHEDULE);
    expect(fired).toEqual(['mutex_lock:M10_M11']);
    // woken in place: still queued on CPU1 and running there, blocked_on cleared, not migrated
    expect(place(d, 'A')).toEqual({ cpu: 1, list: 1, on_rq: TASK_ON_RQ_QUEUED, on_cpu: 1, state: TASK.RUNNING, blocked_on: 0 });
    expect(rq(d, 1, R.curr)).toBe(A);
    expect(d.tg('A', T.nr_migrations)).toBe(0);
    expect(has(d, EV.PROXY_FORCE_RETURN, A)).toBe(false);
    expect(global(d, 'ttwu-return')).toBeNull();
    // M11: A leaves CPU1, the stopper moves it to its new mask, where it runs and takes the lock
    __schedule(d.cpu[1], SM.NONE);
    expect(rq(d, 1, R.curr)).toBe(idleOf(d, 1));
    expect(place(d, 'A')).toEqual(queuedRunning(0));
    expect(d.tg('A', T.affinity_pending)).toBe(0);
    expect(global(d, 'ttwu-return')).toBeNull();
    __schedule(d.cpu[0], SM.NONE);
    expect(rq(d, 0, R.curr)).toBe(A);
    expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_DONE);
  });

  for (const bug21 of [false, true]) {
    it(`stay path (wake_cpu == this CPU, allowed)${bug21 ? ' with BUG21: A is left rq->donor unblocked, and a setaffinity in the __schedule window lets it run outside its mask (I6)' : ': A stays, stops being the donor, and a later setaffinity moves it'}`, () => {
      const d = localDonor(bug21 ? [21] : []);
      const A = d.id('A');
      mutexUnlock(d.cpu[0], d.id('O'), M0);
      // both ways: woken in place, blocked_on cleared, no return migration
      expect(place(d, 'A')).toEqual(queuedRunning(0));
      expect(d.tg('A', T.nr_migrations)).toBe(0);
      expect(has(d, EV.PROXY_FORCE_RETURN, A)).toBe(false);
      expect(rq(d, 0, R.force_returns)).toBe(0);
      expect(rq(d, 0, R.curr)).toBe(d.id('O'));
      expect(rq(d, 0, R.need_resched)).toBe(1);
      // the global check cannot tell the two apart
      expect(global(d, 'ttwu-return')).toBeNull();
      // the fix: A is no longer the donor; BUG21: the scheduling context is a task that is not blocked
      expect(rq(d, 0, R.donor)).toBe(bug21 ? A : idleOf(d, 0));

      // sched_setaffinity(A, {1}) from CPU1 while CPU0 enters __schedule (BUG21's directed window)
      const fired = atGates(d, { '__schedule:rq_lock': () => setCpusAllowed(d.cpu[1], A, 1 << 1) });
      if (bug21) {
        // affine_move_task skips a current donor: A is left on CPU0, then picked there
        expect(violationOf(() => __schedule(d.cpu[0], SM.NONE)).id).toBe('I6');
        expect(fired).toEqual(['__schedule:rq_lock']);
        expect(d.tg('A', T.cpu)).toBe(0);
        expect(d.tg('A', T.cpus_mask)).toBe(1 << 1);
      } else {
        __schedule(d.cpu[0], SM.NONE);
        expect(fired).toEqual(['__schedule:rq_lock']);
        expect(place(d, 'A')).toEqual(queuedRunning(1));
        expect(rq(d, 0, R.curr)).toBe(d.id('O'));
        expect(rq(d, 0, R.donor)).toBe(d.id('O'));
        expect(global(d, 'ttwu-return')).toBeNull();
      }
    });
  }

  for (const bug17 of [false, true]) {
    it(`affinity changed while A is a local donor, then the unlock${bug17 ? ' with BUG17 (trust wake_cpu == this CPU): A stays outside its mask (I18, then I6)' : ': A is returned to its new mask'}`, () => {
      const d = localDonor(bug17 ? [17] : []);
      const A = d.id('A');
      // between U4 (A is PROXY_WAKING) and the wakeup, CPU1 restricts A to {1}: A is rq0's donor,
      // so affine_move_task leaves it where it is (§10 E7)
      const fired = atGates(d, {
        'mutex_unlock:before_wake_up_q': () => {
          expect(d.tg('A', T.blocked_on)).toBe(PROXY_WAKING);
          setCpusAllowed(d.cpu[1], A, 1 << 1);
          expect(d.tg('A', T.cpu)).toBe(0);
        },
      });
      mutexUnlock(d.cpu[0], d.id('O'), M0);
      expect(fired).toEqual(['mutex_unlock:before_wake_up_q']);
      expect(d.tg('A', T.cpus_mask)).toBe(1 << 1);
      expect(rq(d, 0, R.donor)).toBe(idleOf(d, 0));
      if (bug17) {
        expect(place(d, 'A')).toEqual(queuedRunning(0));
        expect(global(d, 'ttwu-return')).toBe('I18');
        expect(violationOf(() => __schedule(d.cpu[0], SM.NONE)).id).toBe('I6');
      } else {
        expect(place(d, 'A')).toEqual(queuedRunning(1));
        expect(rq(d, 0, R.force_returns)).toBe(1);
        expect(global(d, 'ttwu-return')).toBeNull();
        __schedule(d.cpu[0], SM.NONE);
        expect(rq(d, 0, R.curr)).toBe(d.id('O'));
        __schedule(d.cpu[1], SM.NONE);
        expect(rq(d, 1, R.curr)).toBe(A);
        expect(mutexLockResume(d.cpu[1], A)).toBe(LOCK_DONE);
      }
    });
  }
});

// =====================================================================================================
// T0: waking current (an interrupt on the task's own CPU between M6 and M11)
// =====================================================================================================

describe('ttwuCurrent: a wakeup of current inside its mutex_lock (M10..M11)', () => {
  const cases: { strategy: string; bugs: number[]; clears: boolean }[] = [
    { strategy: 'ttwu-return', bugs: [], clears: true },
    { strategy: 'ttwu-blocks-fixed', bugs: [], clears: true },
    { strategy: 'ttwu-blocks-fixed', bugs: [11], clears: false },
    { strategy: 'ttwu-blocks', bugs: [], clears: false },
    { strategy: 'force-return', bugs: [], clears: false },
  ];
  for (const { strategy, bugs, clears } of cases) {
    it(`${strategy}${bugs.length ? ` +BUG${bugs[0]}` : ''}: blocked_on ${clears ? 'cleared' : 'kept'} by the p == current path`, () => {
      const d = waiterAndOwnerRunning(strategy, bugs);
      const A = d.id('A');
      let woke: boolean | undefined;
      const fired = atGates(d, { 'mutex_lock:M10_M11': () => { woke = tryToWakeUp(d.cpu[0], A, TASK_NORMAL, 0); } });
      expect(mutexLock(d.cpu[0], A, M0, TASK.UNINTERRUPTIBLE)).toBe(LOCK_SCHEDULE);
      expect(fired).toEqual(['mutex_lock:M10_M11']);
      expect(woke).toBe(true);
      expect(d.tg('A', T.__state)).toBe(TASK.RUNNING);
      expect(d.tg('A', T.blocked_on)).toBe(clears ? 0 : blockedOnMutex(M0));
      expect(waitersOf(d.a, M0)).toEqual([A]);
      if (!designByName(strategy)!.runningBlockedIllegal) return;
      // M11 on CPU0: the owner is on CPU1 and A is still curr in its own chain: idle first (F8)
      __schedule(d.cpu[0], SM.NONE);
      if (clears) {
        // not blocked: A simply runs again and retries the lock
        expect(rq(d, 0, R.curr)).toBe(A);
        expect(global(d, strategy)).toBeNull();
        expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_SCHEDULE);
        expect(d.tg('A', T.blocked_on)).toBe(blockedOnMutex(M0));
      } else {
        // BUG11 (hole 4, p == current): a RUNNING task with blocked_on left queued off-CPU (I10)
        expect(rq(d, 0, R.curr)).toBe(idleOf(d, 0));
        expect(place(d, 'A')).toMatchObject({ on_rq: TASK_ON_RQ_QUEUED, on_cpu: 0, state: TASK.RUNNING, blocked_on: blockedOnMutex(M0) });
        expect(global(d, strategy)).toBe('I10');
        expect(violationOf(() => __schedule(d.cpu[0], SM.NONE)).id).toBe('I10');
      }
    });
  }
});

// =====================================================================================================
// design (c): ttwu-blocks-fixed (and ttwu-blocks, the sketch as posted, where every hole is open)
// =====================================================================================================

/** each hole: the fixed design, the fixed design with its toggle, the literal sketch */
function holeCases(bug: number): { label: string; strategy: string; bugs: number[]; open: boolean }[] {
  return [
    { label: 'ttwu-blocks-fixed', strategy: ttwuBlocksFixed.name, bugs: [], open: false },
    { label: `ttwu-blocks-fixed +BUG${bug}`, strategy: ttwuBlocksFixed.name, bugs: [bug], open: true },
    { label: 'ttwu-blocks (as posted)', strategy: ttwuBlocks.name, bugs: [], open: true },
  ];
}

describe('design (c) ttwuRunnableBlocked: a blocked task is refused by ttwu_runnable and placed by the full wakeup', () => {
  it('the unlock\'s wakeup of a foreign donor: block_task(TASK_WAKING), then select_task_rq puts it home', () => {
    const d = foreignDonor(ttwuBlocksFixed.name, TASK.UNINTERRUPTIBLE);
    const A = d.id('A');
    let midway: ReturnType<typeof place> | undefined;
    let donorMidway = -1;
    const fired = atGates(d, {
      // the waker's full wakeup, waiting for A to be off any CPU: A is already dequeued, WAKING
      'try_to_wake_up:on_cpu_wait': () => { midway = place(d, 'A'); donorMidway = rq(d, 1, R.donor); },
    });
    mutexUnlock(d.cpu[1], d.id('B'), M0);
    expect(fired).toEqual(['try_to_wake_up:on_cpu_wait']);
    expect(midway).toEqual({ cpu: 1, list: -1, on_rq: 0, on_cpu: 0, state: TASK.WAKING, blocked_on: 0 });
    // the donor was reset to the owner before the dequeue (proxy_reset_donor)
    expect(donorMidway).toBe(d.id('B'));
    expect(place(d, 'A')).toEqual(queuedRunning(0));
    expect(queueOf(d.a, 1)).toEqual([d.id('B')]);
    expect(rq(d, 1, R.donor)).toBe(d.id('B'));
    expect(rq(d, 1, R.need_resched)).toBe(1);
    expect(d.events().some((e) => e.type === EV.PROXY_FORCE_RETURN && e.task === A && e.a === 1)).toBe(true);
    expect(global(d, ttwuBlocksFixed.name)).toBeNull();
    __schedule(d.cpu[0], SM.NONE);
    expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_DONE);
    expect(warns(d)).toEqual([]);
  });

  for (const { label, strategy, bugs, open } of holeCases(10)) {
    it(`${label}: a signal to the current donor ${open ? 'dequeues it while it is still rq->donor (I8)' : 'resets rq->donor first; the donor gets -EINTR at home'}`, () => {
      const d = foreignDonor(strategy, TASK.INTERRUPTIBLE, bugs);
      const A = d.id('A');
      d.ts('A', T.kop_state, TASK.INTERRUPTIBLE); // mutex_lock_interruptible
      sendSignal(d.cpu[0], A, idleOf(d, 0));
      // either way A left CPU1 and was placed at home, RUNNING and no longer blocked
      expect(place(d, 'A')).toEqual(queuedRunning(0));
      expect(queueOf(d.a, 1)).toEqual([d.id('B')]);
      if (open) {
        expect(rq(d, 1, R.donor)).toBe(A);
        expect(global(d, strategy)).toBe('I8');
      } else {
        expect(rq(d, 1, R.donor)).toBe(d.id('B'));
        expect(global(d, strategy)).toBeNull();
        // the signal is seen at once (spec 4(d): immediate -EINTR), not after the owner unlocks
        __schedule(d.cpu[0], SM.NONE);
        expect(rq(d, 0, R.curr)).toBe(A);
        expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_EINTR);
        expect(waitersOf(d.a, M0)).toEqual([]);
        expect(d.tg('A', T.blocked_on)).toBe(0);
      }
    });
  }

  for (const { label, strategy, bugs, open } of holeCases(9)) {
    it(`${label}: the unlock lands between M10 and M11 while the waiter is rq->curr: ${open ? 'the running task is dequeued and blocked again by its own __schedule (I3)' : 'a plain wakeup in place'}`, () => {
      const d = waiterAndOwnerRunning(strategy, bugs);
      const A = d.id('A');
      const fired = atGates(d, {
        // CPU1: B unlocks m0; A is its first waiter
        'mutex_lock:M10_M11': () => mutexUnlock(d.cpu[1], d.id('B'), M0),
        // the unlocker's ttwu went the full way and waits for A to leave CPU0: CPU0 reaches M11
        'try_to_wake_up:on_cpu_wait': () => __schedule(d.cpu[0], SM.NONE),
      });
      if (open) {
        expect(violationOf(() => mutexLock(d.cpu[0], A, M0, TASK.UNINTERRUPTIBLE)).id).toBe('I3');
        expect(fired).toEqual(['mutex_lock:M10_M11', 'try_to_wake_up:on_cpu_wait']);
        return;
      }
      expect(mutexLock(d.cpu[0], A, M0, TASK.UNINTERRUPTIBLE)).toBe(LOCK_SCHEDULE);
      expect(fired).toEqual(['mutex_lock:M10_M11']); // no full wakeup
      expect(place(d, 'A')).toEqual({ cpu: 0, list: 0, on_rq: TASK_ON_RQ_QUEUED, on_cpu: 1, state: TASK.RUNNING, blocked_on: 0 });
      expect(rq(d, 0, R.curr)).toBe(A);
      expect(global(d, strategy)).toBeNull();
      __schedule(d.cpu[0], SM.NONE);
      expect(rq(d, 0, R.curr)).toBe(A);
      expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_DONE);
    });
  }

  for (const { label, strategy, bugs, open } of holeCases(11)) {
    it(`${label}: a donor deactivated under a sleeping owner, then signalled, is woken by the full path ${open ? 'with blocked_on still set (I10)' : 'with blocked_on cleared (ttwuFullWakeup)'}`, () => {
      const d = machine({
        cpus: 2, strategy, bugs,
        tasks: [{ name: 'A', policy: 'fifo', prio: 50, affinity: [0] }, { name: 'B', policy: 'fair', affinity: [1] }],
      });
      const A = d.id('A');
      // A was donor-migrated to CPU1; its owner B is asleep holding m0
      d.enqueue('A', 1, TASK.INTERRUPTIBLE);
      d.ts('A', T.wake_cpu, 0);
      d.hold(M0, 'B', ['A']);
      d.ts('A', T.kop_state, TASK.INTERRUPTIBLE);
      __schedule(d.cpu[1], SM.NONE);
      expect(d.events().some((e) => e.type === EV.FIND_PROXY_EXIT && e.task === A && e.a === FPT.F7_OWNER_SLEEPING_DEACTIVATE)).toBe(true);
      expect(place(d, 'A')).toMatchObject({ on_rq: 0, list: -1, state: TASK.INTERRUPTIBLE, blocked_on: blockedOnMutex(M0) });
      sendSignal(d.cpu[0], A, idleOf(d, 0));
      expect(place(d, 'A')).toMatchObject({ cpu: 0, list: 0, on_rq: TASK_ON_RQ_QUEUED, state: TASK.RUNNING });
      if (open) {
        expect(d.tg('A', T.blocked_on)).toBe(blockedOnMutex(M0));
        expect(global(d, strategy)).toBe('I10');
        expect(violationOf(() => __schedule(d.cpu[0], SM.NONE)).id).toBe('I10');
      } else {
        expect(d.tg('A', T.blocked_on)).toBe(0);
        expect(global(d, strategy)).toBeNull();
        __schedule(d.cpu[0], SM.NONE);
        expect(rq(d, 0, R.curr)).toBe(A);
        expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_EINTR);
      }
    });
  }

  for (const bug8 of [false, true]) {
    it(`a sched_delayed fair donor is signalled: ${bug8 ? 'BUG8 handles blocked_on before the requeue: the delayed task is not dequeued and is enqueued twice (I3)' : 'requeued first, then refused and placed once'}`, () => {
      const d = machine({
        cpus: 2, strategy: ttwuBlocksFixed.name, bugs: bug8 ? [8] : [],
        tasks: [{ name: 'A', policy: 'fair', affinity: [0] }, { name: 'B', policy: 'fair', affinity: [1] }],
      });
      const A = d.id('A');
      // A's deactivation under its sleeping owner B was a delayed dequeue: still listed on CPU1
      d.enqueue('A', 1, TASK.INTERRUPTIBLE);
      d.ts('A', T.sched_delayed, 1);
      d.ts('A', T.wake_cpu, 0);
      d.hold(M0, 'B', ['A']);
      if (bug8) {
        expect(violationOf(() => sendSignal(d.cpu[0], A, idleOf(d, 0))).id).toBe('I3');
        expect(warns(d)).toContain('dequeue_delayed_again');
        return;
      }
      sendSignal(d.cpu[0], A, idleOf(d, 0));
      expect(place(d, 'A')).toEqual(queuedRunning(0));
      expect(d.tg('A', T.sched_delayed)).toBe(0);
      expect(queueOf(d.a, 1)).toEqual([]);
      expect(global(d, ttwuBlocksFixed.name)).toBeNull();
      expect(warns(d)).toEqual([]);
    });
  }

  for (const bug20 of [false, true]) {
    it(`TASK_WAKING ${bug20 ? 'not special (BUG20): the refusal\'s block_task is delayed, the task stays listed and is activated elsewhere too (I3)' : 'special: the refusal\'s block_task really dequeues a fair task even when every sleep would be delayed'}`, () => {
      const d = machine({
        cpus: 2, strategy: ttwuBlocksFixed.name, bugs: bug20 ? [20] : [],
        tasks: [{ name: 'A', policy: 'fair', affinity: [0] }, { name: 'B', policy: 'fair', affinity: [1] }],
      });
      d.a.setHdr('delayed_ppm', 1_000_000); // every fair sleep-dequeue that may be delayed is
      const A = d.id('A');
      d.enqueue('A', 1, TASK.INTERRUPTIBLE);
      d.ts('A', T.wake_cpu, 0);
      d.hold(M0, 'B', ['A']);
      if (bug20) {
        expect(violationOf(() => sendSignal(d.cpu[0], A, idleOf(d, 0))).id).toBe('I3');
        return;
      }
      sendSignal(d.cpu[0], A, idleOf(d, 0));
      expect(place(d, 'A')).toEqual(queuedRunning(0));
      expect(d.tg('A', T.sched_delayed)).toBe(0);
      expect(global(d, ttwuBlocksFixed.name)).toBeNull();
    });
  }
});

describe('design (c) signalPendingBlocked: try_to_block_task finds a signal pending for a mutex waiter', () => {
  for (const strategy of [ttwuBlocksFixed.name, ttwuBlocks.name]) {
    const fixed = strategy === ttwuBlocksFixed.name;
    it(`${strategy}: ${fixed ? 'blocked_on cleared: the waiter stays RUNNING, not blocked, and returns -EINTR' : 'blocked_on -> PROXY_WAKING: a RUNNING blocked task is left queued (I10), and the next pick dequeues it for good (E3 hole 6)'}`, () => {
      const d = machine({
        cpus: 2, strategy,
        tasks: [
          { name: 'A', policy: 'fifo', prio: 50, affinity: [0] },
          { name: 'C', policy: 'fifo', prio: 90, affinity: [0] },
          { name: 'B', policy: 'fair', affinity: [1] },
        ],
      });
      const A = d.id('A');
      d.enqueue('B', 1);
      d.setCurr('B', 1);
      d.hold(M0, 'B', []);
      d.enqueue('A', 0);
      d.setCurr('A', 0);
      d.enqueue('C', 0); // woken meanwhile, higher priority: wins CPU0's next pick
      expect(mutexLock(d.cpu[0], A, M0, TASK.INTERRUPTIBLE)).toBe(LOCK_SCHEDULE);
      // a sender on CPU1 has set TIF_SIGPENDING when CPU0 reads prev_state; its ttwu comes after
      const fired = atGates(d, { '__schedule:prev_state': () => d.ts('A', T.sigpending, 1) });
      __schedule(d.cpu[0], SM.NONE);
      expect(fired).toEqual(['__schedule:prev_state']);
      expect(rq(d, 0, R.curr)).toBe(d.id('C'));
      expect(tryToWakeUp(d.cpu[1], A, TASK.INTERRUPTIBLE, 0)).toBe(false); // A is RUNNING already
      expect(place(d, 'A')).toMatchObject({ cpu: 0, list: 0, on_rq: TASK_ON_RQ_QUEUED, state: TASK.RUNNING });
      // C goes to sleep: A is picked next
      d.ts('C', T.__state, TASK.INTERRUPTIBLE);
      if (fixed) {
        expect(d.tg('A', T.blocked_on)).toBe(0);
        expect(global(d, strategy)).toBeNull();
        __schedule(d.cpu[0], SM.NONE);
        expect(rq(d, 0, R.curr)).toBe(A);
        expect(mutexLockResume(d.cpu[0], A)).toBe(LOCK_EINTR);
        expect(warns(d)).toEqual([]);
      } else {
        expect(d.tg('A', T.blocked_on)).toBe(PROXY_WAKING);
        expect(global(d, strategy)).toBe('I10');
        __schedule(d.cpu[0], SM.NONE);
        // F1 (not current) -> deactivate: WARN on RUNNING, then block_task: a RUNNING task nobody queues
        expect(warns(d)).toContain('proxy_deactivate_running');
        expect(place(d, 'A')).toMatchObject({ on_rq: 0, list: -1, on_cpu: 0, state: TASK.RUNNING });
        expect(rq(d, 0, R.curr)).toBe(idleOf(d, 0));
        expect(tryToWakeUp(d.cpu[1], A, TASK_NORMAL, 0)).toBe(false); // and no wakeup can bring it back
      }
    });
  }
});
