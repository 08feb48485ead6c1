/**
 * affinity-local — BUG17 (spec §4(b)(iii), §6): a donor whose affinity changes while it is a donor on
 * the CPU that is its own wake_cpu, for the ttwu-return design.
 *
 * Two CPUs (extra CPUs stay idle), one mutex m0:
 *   O    (fair, pinned to CPU0)           loop: lock m0 { run 3ms }, sleep 300us
 *   D    (fifo 50, {0,1}, first on CPU0)  loop: lock m0 { run 100us }, sleep 200us
 *   flip (fifo 90, pinned to CPU1)        loop: set_affinity(D, [1]), sleep 600us,
 *                                               set_affinity(D, [0,1]), sleep 900us
 *
 * D preempts O on CPU0 and blocks on m0: it stays on CPU0 as O's donor (a local donor: wake_cpu == 0,
 * no migration). flip keeps moving D's mask between {1} and {0,1}: about 40% of the time D's mask
 * excludes CPU0 while D is a donor queued there. affine_move_task() leaves a current donor in place
 * (E7), so the move is deferred to the return. When O unlocks, D gets PROXY_WAKING and is woken:
 *   ttwu-return: proxy_needs_return() only returns a task whose wake_cpu != this CPU; D's wake_cpu is
 *     CPU0 = this CPU, so "trusting wake_cpu" (BUG17) keeps D on CPU0 and clears blocked_on: D runs on a
 *     CPU outside its mask -> I18 (queued, blocked_on == NULL, outside the mask) then I6 at the switch.
 *     A correct design checks the mask (or falls back to select_task_rq / force return).
 *   force-return: the F1/F6 force return always places D through select_task_rq within its mask: clean.
 *   ttwu-blocks(-fixed): every wakeup of a blocked task goes through select_task_rq: clean for affinity.
 *   none: no donors at all; D sleeps and its wakeup honours the mask: clean (baseline).
 * When D's mask is {1} while it sleeps, its next lock makes it a remote donor (CPU1 -> CPU0), which is
 * the ordinary proxy migration + return path, exercised in between.
 */
import type { Scenario } from '../scenario.ts';
import { at, defineBuiltin, forever, lock, ms, run, setAffinity, sleep, us } from './common.ts';

export const affinityLocal = defineBuiltin({
  name: 'affinity-local',
  summary: 'BUG17 local donor: D (fifo 50) donates to O on CPU0 while flip (CPU1) toggles D\'s mask between {1} and {0,1}',
  defaultCpus: 2,
  minCpus: 2,
  build(cpus: number): Scenario {
    return {
      name: 'affinity-local',
      description:
        'BUG17 target (design ttwu-return): owner O (fair, CPU0) holds m0 for 3ms at a time; donor D (fifo 50, '
        + 'allowed {0,1}, first woken on CPU0) locks m0 and donates locally on CPU0; flip (fifo 90, CPU1) sets '
        + 'D\'s affinity to {1} and back to {0,1} every 0.6-0.9ms, so D\'s mask often excludes its wake_cpu '
        + 'while it is a donor.' + (cpus > 2 ? ' CPUs 2 and up stay idle.' : ''),
      cpus,
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
          program: [forever([setAffinity('D', [1]), sleep(us(600)), setAffinity('D', [0, 1]), sleep(us(900))])],
        },
      ],
    };
  },
});
