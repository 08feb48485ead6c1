/**
 * wakeq-race — the wake_q race behind BUG18 (spec §3.4 and §6): three fair tasks, one per CPU,
 * hammer one mutex with tiny critical sections.
 *
 *   CPU0 (U unlocks)                     CPU1 (W waits)                   CPU2 (X)
 *   U3..U4: wake_q_add(W)                                                 steals m0 (fast path)
 *   wake_up_q: wake_up_process(W) ---->  W runs, M15 fails: sets HANDOFF,
 *   (BUG18: W's wake_q.next not yet       sleeps again
 *    cleared: a chaos delay here)                                         unlock: HANDOFF -> m0 handed
 *                                                                         to W | PICKUP; wake_q_add(W)
 *                                                                         fails: "already queued"
 *   clears W's wake_q.next               W sleeps owning m0 (PICKUP): every other task blocks -> L1
 *
 * With the kernel's order (next cleared before the wakeup) the second add succeeds. Run with
 * `--chaos 1 --chaos-max 2ms --chaos-window wake_up_q:after_wake` to widen the window.
 */
import { defineBuiltin, forever, lock, run, us } from './common.ts';

export const wakeqRace = defineBuiltin({
  name: 'wakeq-race', cpus: { min: 2, default: 3 },
  summary: 'BUG18 set-up: one fair task per CPU hammers m0 with tiny critical sections (wake_q add/clear race)',
  build(cpus) {
    return {
      description: 'One fair task per CPU locks m0 for 30us, then runs 20us, forever: unlocks and steals overlap constantly.',
      duration: '2s',
      mutexes: ['m0'],
      tasks: Array.from({ length: cpus }, (_, c) => ({
        name: `T${c}`, policy: 'fair' as const, affinity: [c], cpu: c,
        program: [forever([lock('m0', [run(us(30))]), run(us(20))])],
      })),
    };
  },
});
