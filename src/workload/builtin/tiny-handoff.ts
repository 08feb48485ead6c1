/**
 * tiny-handoff — the subject of the exhaustive search (`--executor exhaustive`, src/machine/explore.ts):
 * the smallest run in which a donor is migrated to its owner's CPU and handed back.
 *
 * Exactly two CPUs, one mutex, two tasks that each take m0 once and exit; no `run`, no sleep, so
 * virtual time never reaches an idle CPU's next timer check and every branch point of a schedule is
 * a real interleaving of the two tasks:
 *
 *   A (fair, pinned to CPU0)   lock m0 { }, exit
 *   B (fair, pinned to CPU1)   lock m0 { }, exit
 *
 * With no preemption (the executor's default: the CPU that runs goes on) one task is done before the
 * other starts. One preemption while the first holds m0 makes the second block on it: it becomes a
 * donor, proxy_migrate_task() moves it to the owner's CPU (outside its affinity), the unlock marks it
 * PROXY_WAKING and the return migration sends it home.
 *
 * What each design/bug shows (`--executor exhaustive --preemptions 1`; none fails without a preemption;
 * each found at the 16th of the 46 schedules):
 *   force-return, ttwu-return: every schedule clean (the search is exhausted).
 *   force-return --bug BUG4 (unlock clears blocked_on instead of PROXY_WAKING): the woken donor is
 *     picked where it sits, on the owner's CPU -> I6.
 *   force-return --bug BUG5 (no return migration): the same, by the F1 path -> I6.
 *   force-return --bug BUG7 (curr_in_chain checks dropped): the donor is migrated while it still
 *     runs -> I5.
 *   force-return --bug BUG13 (blocked_on written without blocked_lock, in the return) -> I17.
 *   force-return --bug BUG3 (PROXY_WAKING exits idle instead of returning): a livelock -> L3, which
 *     needs 20k fruitless picks (~100k steps): hence the duration, far longer than a clean run
 *     (under 200 steps, 20 us of virtual time).
 *   force-return --bug BUG2 is not reached: it needs a signal (seed-signal-s2).
 */
import { defineBuiltin, lock, onCpu } from './common.ts';

export const tinyHandoff = defineBuiltin({
  name: 'tiny-handoff', cpus: { min: 2, max: 2, default: 2 },
  summary: 'exhaustive-search subject: A (CPU0) and B (CPU1) each lock m0 once and exit; one preemption makes a donor',
  build() {
    return {
      description:
        'Two fair tasks pinned to CPU0 and CPU1 each lock and unlock m0 once, then exit. Small enough for '
        + '--executor exhaustive: with one preemption inside a critical section the other task blocks, is '
        + 'migrated to the owner\'s CPU as a donor and must be returned home after the unlock.',
      duration: '20ms',
      mutexes: ['m0'],
      tasks: [
        { name: 'A', policy: 'fair', ...onCpu(0), program: [lock('m0', [])] },
        { name: 'B', policy: 'fair', ...onCpu(1), program: [lock('m0', [])] },
      ],
    };
  },
});
