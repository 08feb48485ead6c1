/**
 * pi-basic — spec §7 T3, priority inversion.
 *
 * L (fair) loops: lock m0, run 20ms, unlock, sleep 1ms. H (fifo 90) starts at 2ms and loops: lock m0,
 * run 1ms, unlock, sleep 5ms. Med (fifo 50), one pure CPU hog per CPU, starts at 3ms.
 *
 *   t=0   L takes m0 and starts its 20ms critical section
 *   t=2   H preempts L, blocks on m0
 *   t=3   Med wakes. Proxy on: H (prio 90) stays the donor, L runs on H's behalf, Med gets no CPU
 *         while H waits; H's wait ~ the rest of L's critical section (~18ms). Proxy off: Med (50)
 *         beats L (fair) and never sleeps, so L never releases m0 and H waits for the whole run:
 *         that unbounded wait IS the inversion.
 *
 * After H's first acquisition, L (fair) is starved by the RT hog in both modes, so H never waits
 * again: the run shows one inversion episode, which is the comparison that matters
 * (proxy on: one wait of ~18ms; proxy off: one wait as long as the run).
 *
 * With N CPUs there is one Med per CPU (pinned), L and H may run anywhere (both first woken on CPU0).
 */
import type { TaskSpec } from '../scenario.ts';
import { defineBuiltin, forever, lock, ms, range, run, sleep } from './common.ts';

export const piBasic = defineBuiltin({
  name: 'pi-basic', cpus: { min: 1, default: 1 },
  summary: 'T3 priority inversion: L (fair) holds m0, H (fifo 90) blocks on it, Med (fifo 50) hogs every CPU',
  build(cpus) {
    const hog = (name: string, cpu: number | undefined): TaskSpec => ({
      name,
      policy: 'fifo',
      prio: 50,
      ...(cpu === undefined ? {} : { affinity: [cpu], cpu }),
      start: ms(3),
      program: [forever([run(ms(10))])],
    });
    const hogs = cpus === 1 ? [hog('Med', undefined)] : range(cpus).map((c) => hog(`Med${c}`, c));
    return {
      description:
        'Priority inversion (spec T3). L (fair) holds m0 for 20ms; H (fifo 90) blocks on m0 at 2ms; '
        + `Med (fifo 50, one per CPU) hogs the CPU${cpus === 1 ? '' : 's'} from 3ms. With proxy execution `
        + 'Med gets no CPU while H waits and H waits ~ the rest of L\'s critical section; without it H '
        + 'waits for the whole run.',
      duration: '2s',
      mutexes: ['m0'],
      tasks: [
        {
          name: 'L', policy: 'fair', cpu: 0,
          program: [forever([lock('m0', [run(ms(20))]), sleep(ms(1))])],
        },
        {
          name: 'H', policy: 'fifo', prio: 90, cpu: 0, start: ms(2),
          program: [forever([lock('m0', [run(ms(1))]), sleep(ms(5))])],
        },
        ...hogs,
      ],
    };
  },
});
