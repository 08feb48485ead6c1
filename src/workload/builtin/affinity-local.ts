/**
 * affinity-local — BUG17 (spec §4(b)(iii), §6): a donor whose affinity changes while it is a donor on
 * the CPU that is its own wake_cpu, for the ttwu-return design.
 *
 * Two CPUs (extra CPUs stay idle), one mutex m0:
 *   O    (fair, pinned to CPU0)           loop: lock m0 { run 3ms }, sleep 300us
 *   D    (fifo 50, {0,1}, first on CPU0)  loop: lock m0 { run 100us }, sleep 200us
 *   flip (fifo 90, pinned to CPU1)        loop: set_affinity(D, [0]), sleep 500us,
 *                                               set_affinity(D, [1]), sleep 700us,
 *                                               set_affinity(D, [0,1]), sleep 300us
 *
 * O holds m0 ~90% of the time, so D is nearly always blocked on it. set_affinity(D, [0]) brings D home
 * to CPU0 (a plain {1} <-> {0,1} toggle is not enough: after its first return to CPU1, D's wakeups keep
 * it on CPU1 and it only ever donates remotely); there D preempts O, blocks on m0 and stays as O's
 * donor (a local donor: wake_cpu == 0, no migration). Then flip sets D's mask to {1} while D is that
 * donor: affine_move_task() leaves a current donor in place (E7), so the move is deferred to the
 * return, and D sits on CPU0 = its wake_cpu with a mask that excludes CPU0. The {0,1} phase lets D
 * stay wherever it is. When O unlocks, D gets PROXY_WAKING and is woken:
 *   ttwu-return: proxy_needs_return() returns a task whose wake_cpu != this CPU; here D's wake_cpu is
 *     CPU0 = this CPU. The replica's design also checks the mask (clean run); with --bug BUG17 it
 *     "trusts wake_cpu", keeps D on CPU0 and clears blocked_on: D runs on a CPU outside its mask ->
 *     I18 (queued, blocked_on == NULL, outside the mask) or I6 at the switch (I6 fires within the
 *     first ~100 events).
 *   force-return: the F1/F6 force return always places D through select_task_rq within its mask: clean.
 *   ttwu-blocks(-fixed): every wakeup of a blocked task goes through select_task_rq: clean for affinity.
 *   none: no donors at all; D sleeps and its wakeup honours the mask: clean (baseline).
 * When D's mask is {1} while it sleeps, its next lock makes it a remote donor (CPU1 -> CPU0), which is
 * the ordinary proxy migration + return path, exercised in between.
 */
import { at, defineBuiltin, forever, lock, ms, run, setAffinity, sleep, us } from './common.ts';

export const affinityLocal = defineBuiltin({
  name: 'affinity-local', cpus: { min: 2, default: 2 },
  summary: 'BUG17 local donor: D (fifo 50) donates to O on CPU0 while flip (CPU1) cycles D\'s mask {0} -> {1} -> {0,1}',
  build(cpus) {
    return {
      description:
        'BUG17 target (design ttwu-return): owner O (fair, CPU0) holds m0 for 3ms at a time; donor D (fifo 50, '
        + 'allowed {0,1}, first woken on CPU0) locks m0 and donates locally on CPU0; flip (fifo 90, CPU1) cycles '
        + 'D\'s affinity {0} -> {1} -> {0,1} every 0.3-0.7ms, so D\'s mask often excludes its wake_cpu (CPU0) '
        + 'while it is a donor there.' + (cpus > 2 ? ' CPUs 2 and up stay idle.' : ''),
      duration: '2s',
      mutexes: ['m0'],
      tasks: [
        {
          name: 'O', policy: 'fair', affinity: [0], cpu: 0,
          program: [forever([lock('m0', [run(ms(3))]), sleep(us(300))])],
        },
        {
          name: 'D', policy: 'fifo', prio: 50, affinity: [0, 1], cpu: 0, start: at(0.5),
          program: [forever([lock('m0', [run(us(100))]), sleep(us(200))])],
        },
        {
          name: 'flip', policy: 'fifo', prio: 90, affinity: [1], cpu: 1, start: at(1),
          program: [forever([
            setAffinity('D', [0]), sleep(us(500)),
            setAffinity('D', [1]), sleep(us(700)),
            setAffinity('D', [0, 1]), sleep(us(300)),
          ])],
        },
      ],
    };
  },
});
