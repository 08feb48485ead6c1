/**
 * football — spec §7 T4, ksched_football (kernel/sched/test_ksched_football.c in
 * johnstultz-work/linux-dev): "across N CPUs, the top N priority tasks are always running".
 *
 * Players per team = number of CPUs (N, default 2, --cpus honoured). All SCHED_FIFO, with the kernel's
 * rt_priority numbers (in the scenario format, as in the kernel, a higher number = higher priority):
 *   referee 20 > fans 15 > defense-hi 10 > offense 5 > defense-mid 3 > defense-low 2.
 * Player i of every team is first woken on CPU i (affinity: all CPUs); mutexes low<i>, mid<i>.
 *
 *   t=0     referee       sleeps for the game (just under the default run) and exits
 *   t=10ms  def-low<i>    (fifo 2)  lock(low<i>), then loops run 200us + yield forever, holding it
 *   t=20ms  def-mid<i>    (fifo 3)  lock(mid<i>), then lock(low<i>): blocks -> chain mid<i> -> low<i>
 *   t=30ms  def-hi<i>     (fifo 10) lock(mid<i>): blocks -> chain def-hi<i> -> def-mid<i> -> def-low<i>
 *   t=40ms  offense<i>    (fifo 5)  loops run 100us + yield ("schedule(); ball++")
 *   t=50ms  fan<i>        (fifo 15) loops run 1ms / sleep 2ms (perturbation)
 * (player i starts 0.1ms*i after the team's time). The 10ms gaps are far above the start-up jitter of
 * the CPU worker threads: with 2ms gaps a late worker woke a whole team line-up at once and
 * defense-hi took mid<i> before defense-mid, so no chain formed.
 *
 * The kernel spawns offense before defense-hi and resets the ball once everybody checked in; here the
 * ball is the offense's CPU time (runtime_ms), counted from the start, so defense-hi starts first and
 * the chains are complete before the offense exists. The kernel's defense threads loop on schedule();
 * here they run 200us between yields so that their CPU time shows up.
 *
 * How a checker should judge it (the ball = total runtime of the offense<i> tasks):
 *   none         negative control: defense-hi<i> and defense-mid<i> sleep on their mutexes, so the
 *                runnable tasks are fans (15, a third of the time), offense (5) and defense-low (2).
 *                The offense outranks the defense-low<i> that holds the mutex defense-hi (10) waits
 *                for: it runs nearly all the time, defense-low starves and nobody ever unlocks. The ball
 *                moves a lot (offense runtime ~ the run length per CPU, minus the fans' share).
 *   proxy designs (force-return, ttwu-return, ttwu-blocks, ttwu-blocks-fixed): each defense-hi<i> stays
 *                queued as a donor of priority 10 and def-low<i> runs on its behalf, so on every CPU a
 *                task of priority >= 10 (a fan or a defense-hi donor) is always runnable: the offense
 *                should get little or no runtime. The strict "ball == 0" check needs global RT placement
 *                (push/pull or wakeup placement on the lowest-priority CPU); with per-CPU-only RT
 *                scheduling a small ball is a balancing artefact, not a proxy bug. A large ball (close to
 *                the `none` run) means donation does not work.
 * No mutex is ever released, so no return migration happens: the scenario tests donation and chain
 * walking (two hops: def-hi -> mid -> def-mid -> low -> def-low), not the return designs.
 */
import type { TaskSpec } from '../scenario.ts';
import { at, defineBuiltin, forever, lock, ms, range, run, sleep, us } from './common.ts';

/** SCHED_FIFO priorities of ksched_football (higher number = higher priority, as rt_priority). */
export const FOOTBALL_PRIO = {
  referee: 20,
  fan: 15,
  defenseHi: 10,
  offense: 5,
  defenseMid: 3,
  defenseLow: 2,
} as const;

/** Start times (ms) of each team: the order matters (see the header). */
export const FOOTBALL_START_MS = {
  defenseLow: 10,
  defenseMid: 20,
  defenseHi: 30,
  offense: 40,
  fan: 50,
} as const;

const DURATION_MS = 2000;

export const football = defineBuiltin({
  name: 'football', cpus: { min: 1, default: 2 },
  summary: 'T4 ksched_football: per CPU a defense chain hi(10)->mid(3)->low(2) over two mutexes; offense (5) must not run under proxy',
  build(cpus) {
    const players = range(cpus);
    const all = range(cpus);
    const player = (name: string, prio: number, i: number, startMs: number, program: TaskSpec['program']): TaskSpec => ({
      name, policy: 'fifo', prio, affinity: all, cpu: i, start: at(startMs + i * 0.1), program,
    });
    // run + yield: a CPU hog that still goes through schedule() every 200us, like the kernel's loops.
    const spin = (d: string) => forever([run(d), { op: 'yield' }]);

    const tasks: TaskSpec[] = [
      {
        name: 'referee', policy: 'fifo', prio: FOOTBALL_PRIO.referee, affinity: all, cpu: 0,
        program: [sleep(ms(DURATION_MS - 50), false), { op: 'exit' }],
      },
      ...players.map((i) => player(`def-low${i}`, FOOTBALL_PRIO.defenseLow, i, FOOTBALL_START_MS.defenseLow,
        [lock(`low${i}`, [spin(us(200))])])),
      ...players.map((i) => player(`def-mid${i}`, FOOTBALL_PRIO.defenseMid, i, FOOTBALL_START_MS.defenseMid,
        [lock(`mid${i}`, [lock(`low${i}`, [spin(us(200))])])])),
      ...players.map((i) => player(`def-hi${i}`, FOOTBALL_PRIO.defenseHi, i, FOOTBALL_START_MS.defenseHi,
        [lock(`mid${i}`, [spin(us(200))])])),
      ...players.map((i) => player(`offense${i}`, FOOTBALL_PRIO.offense, i, FOOTBALL_START_MS.offense,
        [spin(us(100))])),
      ...players.map((i) => player(`fan${i}`, FOOTBALL_PRIO.fan, i, FOOTBALL_START_MS.fan,
        [forever([run(ms(1)), sleep(ms(2))])])),
    ];

    return {
      description:
        `ksched_football (spec T4) with ${cpus} player${cpus === 1 ? '' : 's'} per team: defense-low (fifo 2) `
        + 'holds low<i>, defense-mid (fifo 3) holds mid<i> and waits on low<i>, defense-hi (fifo 10) waits on '
        + 'mid<i>; offense (fifo 5) spins, fans (fifo 15) run 1ms / sleep 2ms, the referee (fifo 20) sleeps. '
        + 'The ball is the offense\'s runtime: large under strategy none, ~0 with proxy execution.',
      duration: `${DURATION_MS / 1000}s`,
      mutexes: players.flatMap((i) => [`low${i}`, `mid${i}`]),
      tasks,
    };
  },
});
