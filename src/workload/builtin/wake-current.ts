/**
 * wake-current — spec §7 T8, wakeups that hit a task while it is still current in the mutex slowpath.
 *
 * Two CPUs (extra CPUs stay idle). Four waiters hammer lock_interruptible(m0) with tiny critical
 * sections while two fifo 90 signallers (one per CPU) signal them every 100..300us, so many signals
 * arrive while a waiter is between set_current_state(TASK_INTERRUPTIBLE) (M6) and schedule() (M11): the
 * ttwu then sees p == rq->curr (the "wake current" path, T0). Two owners, one per CPU, keep m0 busy with
 * short critical sections, so the unlocks (and the PROXY_WAKING / wakeups they issue) often come from
 * the other CPU at the same moment.
 *
 *   W0 (fifo 30, CPU0)  W1 (fair, CPU0)  W2 (fifo 20, CPU1)  W3 (fair nice -3, {0,1})
 *                        loop: lock_interruptible m0 { run 50us }, sleep 40/60/50/70us
 *                        (the short sleep matters: without it the fifo waiter W0 re-locks m0 through
 *                        the fast path before the woken first waiter, queued behind it on CPU0, ever
 *                        runs; with no RT throttling that waiter then starves for CPU and L4 fires)
 *   H0 (fair, CPU0)      loop: lock m0 { run 150us }, sleep 100us
 *   H1 (fair, CPU1)      loop: lock m0 { run 300us }, run 100us
 *   S0 (fifo 90, CPU0)   loop: sleep 100..300us, signal a waiter (W2, W0, W3, W1, ...)
 *   S1 (fifo 90, CPU1)   loop: the same with other periods and order (W0, W3, W1, W2, ...)
 *
 * What each design/bug should show:
 *   force-return / ttwu-return: clean; a waiter signalled before M11 sees the pending signal in the
 *     slowpath and returns -EINTR (eintr column grows), a signal landing after the block is handled by
 *     the RUNNING guard of try_to_block_task / proxy_deactivate (I10 counted, not failed).
 *   ttwu-blocks (seed sketch as posted): BUG9 — ttwu_runnable on a blocked task that is still rq->curr
 *     block_task()s a running task; its own __schedule then blocks it again: double dequeue -> I3/I4, or
 *     a task running with on_rq=0 -> I5. BUG11's p == current path: a wakeup of current between M6 and
 *     M11 does not clear blocked_on -> RUNNING+blocked (I10) then deactivate of a RUNNING task -> I9/L1.
 *   ttwu-blocks-fixed: must run clean.
 *   none: plain mutex + signal stress (baseline eintr numbers).
 */
import type { Op, TaskSpec } from '../scenario.ts';
import { at, defineBuiltin, forever, lock, lockInterruptible, run, signal, sleep, us, onCpu } from './common.ts';

export const WAKE_CURRENT_WAITERS = ['W0', 'W1', 'W2', 'W3'] as const;

/** A signaller's loop: sleep periods[i], signal order[i]. */
function signaller(periodsUs: number[], order: string[]): Op[] {
  return order.flatMap((w, i) => [sleep(us(periodsUs[i % periodsUs.length])), signal(w)]);
}

export const wakeCurrent = defineBuiltin({
  name: 'wake-current', cpus: { min: 2, default: 2 },
  summary: 'T8 wake-current: 4 waiters lock_interruptible m0 while 2 signallers hit them every 100-300us, owners on both CPUs',
  build(cpus) {
    const both = [0, 1];
    const waiterLoop = (pauseUs: number): Op[] => [forever([lockInterruptible('m0', [run(us(50))]), sleep(us(pauseUs))])];
    const tasks: TaskSpec[] = [
      { name: 'H0', policy: 'fair', ...onCpu(0), start: at(10), program: [forever([lock('m0', [run(us(150))]), sleep(us(100))])] },
      { name: 'H1', policy: 'fair', ...onCpu(1), start: at(10.1), program: [forever([lock('m0', [run(us(300))]), run(us(100))])] },
      { name: 'W0', policy: 'fifo', prio: 30, ...onCpu(0), start: at(10.5), program: waiterLoop(40) },
      { name: 'W1', policy: 'fair', ...onCpu(0), start: at(10.6), program: waiterLoop(60) },
      { name: 'W2', policy: 'fifo', prio: 20, ...onCpu(1), start: at(10.7), program: waiterLoop(50) },
      { name: 'W3', policy: 'fair', nice: -3, affinity: both, cpu: 1, start: at(10.8), program: waiterLoop(70) },
      {
        name: 'S0', policy: 'fifo', prio: 90, ...onCpu(0), start: at(12),
        program: [forever(signaller([100, 170, 240, 300, 130], ['W2', 'W0', 'W3', 'W1', 'W0', 'W2', 'W1', 'W3']))],
      },
      {
        name: 'S1', policy: 'fifo', prio: 90, ...onCpu(1), start: at(12.05),
        program: [forever(signaller([150, 110, 280, 210], ['W0', 'W3', 'W1', 'W2', 'W3', 'W1', 'W2', 'W0']))],
      },
    ];
    return {
      description:
        'Wake-current injection (spec T8): waiters W0..W3 loop on lock_interruptible(m0) with 50us critical '
        + 'sections, owners H0 (CPU0) and H1 (CPU1) keep m0 busy, signallers S0/S1 (fifo 90) signal the '
        + 'waiters every 100-300us, often between set_current_state and schedule(). Targets BUG9 and the '
        + 'p == current path of BUG11.' + (cpus > 2 ? ' CPUs 2 and up stay idle.' : ''),
      duration: '2s',
      mutexes: ['m0'],
      tasks,
    };
  },
});
