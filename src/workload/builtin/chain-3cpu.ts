/**
 * chain-3cpu — spec §7 T2, a blocked_on chain across three CPUs.
 *
 * Each episode (9 of them, 200ms apart, the first at 10ms) has its own tasks, started at absolute
 * times:
 *   t0      Ck   (fifo 40, pinned to CPU2) takes m2 and runs 10ms with it
 *   t0+1ms  hogk (fifo 50, pinned to CPU2) runs 40ms: it preempts Ck
 *   t0+2ms  Bk   (fifo 60, pinned to CPU1) takes m1 and runs 6ms with it
 *   t0+3ms  Ak   (fifo 80, pinned to CPU0) blocks on m1: with proxy it migrates to CPU1 (Bk's CPU)
 *   t0+8ms  Bk   blocks on m2 (owner Ck on CPU2): the chain Ak -> m1 -> Bk -> m2 -> Ck spans CPUs
 * Proxy on: the chain migrates hop by hop: Bk to CPU2, then Ak from CPU1 to CPU2; Ck runs with Ak's priority and the hog is
 * starved until Ck unlocks m2; then Bk (2ms holding m2) and Ak (1ms) return home and finish. Proxy off:
 * Ck waits for the hog (~40ms), and Bk and Ak with it.
 * With more than 3 CPUs the extra CPUs stay idle.
 */
import { at, defineBuiltin, episodes, lock, ms, run } from './common.ts';

export const CHAIN_EPISODES = 9;
export const CHAIN_FIRST_MS = 10;
export const CHAIN_PERIOD_MS = 200;

export const chain3cpu = defineBuiltin({
  name: 'chain-3cpu', cpus: { min: 3, default: 3 },
  summary: 'T2 cross-CPU chain: A (CPU0) -> m1 owned by B (CPU1) -> m2 owned by C (CPU2), a fifo 50 hog on CPU2',
  build() {
    return {
      description:
        'Cross-CPU blocked_on chain (spec T2): A (fifo 80, CPU0) waits on m1 held by B (fifo 60, CPU1), '
        + 'which waits on m2 held by C (fifo 40, CPU2); a fifo 50 hog on CPU2 preempts C. With proxy '
        + `execution C runs with A's priority and the hog is starved. ${CHAIN_EPISODES} episodes, `
        + `${CHAIN_PERIOD_MS}ms apart.`,
      duration: '2s',
      mutexes: ['m1', 'm2'],
      tasks: episodes(CHAIN_EPISODES, CHAIN_FIRST_MS, CHAIN_PERIOD_MS, (_k, t0, n) => [
        {
          name: `C${n}`, policy: 'fifo', prio: 40, affinity: [2], cpu: 2, start: at(t0),
          program: [lock('m2', [run(ms(10))])],
        },
        {
          name: `hog${n}`, policy: 'fifo', prio: 50, affinity: [2], cpu: 2, start: at(t0 + 1),
          program: [run(ms(40))],
        },
        {
          name: `B${n}`, policy: 'fifo', prio: 60, affinity: [1], cpu: 1, start: at(t0 + 2),
          program: [lock('m1', [run(ms(6)), lock('m2', [run(ms(2))])])],
        },
        {
          name: `A${n}`, policy: 'fifo', prio: 80, affinity: [0], cpu: 0, start: at(t0 + 3),
          program: [lock('m1', [run(ms(1))])],
        },
      ]),
    };
  },
});
