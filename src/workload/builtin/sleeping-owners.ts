/**
 * sleeping-owners — spec §7 T7, owners that sleep while holding a mutex, with delayed dequeue.
 *
 * Two CPUs (extra CPUs stay idle); `delayed_dequeue: 0.8`, so most sleeps of fair tasks (owners and
 * fair donors alike) leave them queued as sched_delayed. Owners live on CPU1, donors on CPU0 (some
 * may go anywhere in {0,1}), so with proxy execution the donors migrate to CPU1 and are there when
 * their owner goes to sleep. Mutexes m0 and m1 (always nested in the order m0 -> m1).
 *
 *   O1  (fair, CPU1)           loop: lock m0 { run 300us, sleep 2ms UNINTERRUPTIBLE, run 200us }, sleep 1ms
 *   O2  (fair, CPU1)           loop: lock m1 { run 200us, sleep 1ms interruptible, run 100us }, run 100us,
 *                                    lock m1 { sleep 3ms UNINTERRUPTIBLE }, sleep 1.5ms
 *   O3  (fair nice 5, {0,1})   loop: lock m0 { lock m1 { run 100us, sleep 1.5ms } }, sleep 2ms
 *                              (a chain: waiters of m0 -> O3 -> m1 -> O2, often asleep)
 *   Df1 (fair, CPU0)           loop: lock_interruptible m0 { run 100us }, sleep 500us
 *   Df2 (fair nice -5, {0,1})  loop: lock_interruptible m1 { run 100us }, run 200us, lock m0 { run 50us }, sleep 700us
 *   Dr1 (fifo 50, CPU0)        loop: lock_interruptible m0 { run 100us }, sleep 800us
 *   Dr2 (fifo 40, {0,1})       loop: lock m1 { run 50us }, sleep 1.2ms
 *   hog1 (fifo 30, CPU1)       loop: run 400us, sleep 300us (delayed donors linger while it runs)
 *   bg1 (fair, CPU1)           loop: run 1ms, sleep 200us (a delayed donor is not eligible meanwhile)
 *   sig0 (fifo 90, CPU0)       loop: every 300..700us signal Df1, Dr1, Df2, O2 (O2's interruptible
 *                              sleep inside its critical section ends early), Df1
 *   sig1 (fifo 85, CPU1)       loop: every 0.9..1.3ms signal Df2, Dr1, Df1
 *
 * What each design/bug should show:
 *   force-return (v26): an owner's sleep makes find_proxy_task deactivate its donors (fair donors
 *     possibly as sched_delayed); a signalled donor is RUNNING and is force-returned instead. Clean run;
 *     I10 (RUNNING+blocked_on) is counted, not failed. --bug BUG1 (no RUNNING guard in proxy_deactivate):
 *     a signalled donor is dequeued while RUNNING and never woken again -> I9 / L1.
 *   ttwu-return: as force-return, returns mostly from ttwu.
 *   ttwu-blocks (the seed sketch as posted): a donor deactivated while its owner sleeps and then woken by
 *     the unlock or by a signal goes through the full wakeup with blocked_on still set (BUG11 -> I10, then
 *     I9 / L1); a delayed fair donor is blocked before its sched_delayed requeue (BUG8 -> I3/I4); if
 *     TASK_WAKING is not a special state, a fair block_task(WAKING) may be delayed while ttwu activates
 *     the task elsewhere (BUG20 -> I3). Fair donors are essential: delayed dequeue only applies to them.
 *   ttwu-blocks-fixed: must run clean, signals return -EINTR promptly (eintr column).
 *   none: plain sleeping locks; a baseline for the eintr and wait numbers.
 */
import type { TaskSpec } from '../scenario.ts';
import { defineBuiltin, forever, lock, lockInterruptible, ms, run, signal, sleep, us, at, onCpu } from './common.ts';

export const sleepingOwners = defineBuiltin({
  name: 'sleeping-owners', cpus: { min: 2, default: 2 },
  summary: 'T7 sleeping owners: fair owners (CPU1) sleep holding m0/m1, fair+fifo donors (CPU0), signals, delayed_dequeue 0.8',
  build(cpus) {
    const both = [0, 1];
    const tasks: TaskSpec[] = [
      {
        name: 'O1', policy: 'fair', ...onCpu(1),
        program: [forever([lock('m0', [run(us(300)), sleep(ms(2), false), run(us(200))]), sleep(ms(1))])],
      },
      {
        name: 'O2', policy: 'fair', ...onCpu(1), start: at(0.3),
        program: [forever([
          lock('m1', [run(us(200)), sleep(ms(1)), run(us(100))]),
          run(us(100)),
          lock('m1', [sleep(ms(3), false)]),
          sleep(ms(1.5)),
        ])],
      },
      {
        name: 'O3', policy: 'fair', nice: 5, affinity: both, cpu: 1, start: at(0.6),
        program: [forever([lock('m0', [lock('m1', [run(us(100)), sleep(ms(1.5))])]), sleep(ms(2))])],
      },
      {
        name: 'Df1', policy: 'fair', ...onCpu(0), start: at(1),
        program: [forever([lockInterruptible('m0', [run(us(100))]), sleep(us(500))])],
      },
      {
        name: 'Df2', policy: 'fair', nice: -5, affinity: both, cpu: 0, start: at(1.2),
        program: [forever([
          lockInterruptible('m1', [run(us(100))]), run(us(200)), lock('m0', [run(us(50))]), sleep(us(700)),
        ])],
      },
      {
        name: 'Dr1', policy: 'fifo', prio: 50, ...onCpu(0), start: at(1.4),
        program: [forever([lockInterruptible('m0', [run(us(100))]), sleep(us(800))])],
      },
      {
        name: 'Dr2', policy: 'fifo', prio: 40, affinity: both, cpu: 0, start: at(1.6),
        program: [forever([lock('m1', [run(us(50))]), sleep(ms(1.2))])],
      },
      {
        // keeps the owners' CPU busy, so a donor deactivated as sched_delayed stays queued a while
        // instead of having its dequeue completed by the very next pick (what BUG8 needs)
        name: 'hog1', policy: 'fifo', prio: 30, ...onCpu(1), start: at(2),
        program: [forever([run(us(400)), sleep(us(300))])],
      },
      {
        // a fair background task on the owners' CPU: while it is queued, a delayed donor is not
        // eligible and stays queued as sched_delayed
        name: 'bg1', policy: 'fair', ...onCpu(1), start: at(2.5),
        program: [forever([run(ms(1)), sleep(us(200))])],
      },
      {
        name: 'sig0', policy: 'fifo', prio: 90, ...onCpu(0), start: at(3),
        program: [forever([
          sleep(us(700)), signal('Df1'),
          sleep(us(400)), signal('Dr1'),
          sleep(us(600)), signal('Df2'),
          sleep(us(300)), signal('O2'),
          sleep(us(500)), signal('Df1'),
        ])],
      },
      {
        name: 'sig1', policy: 'fifo', prio: 85, ...onCpu(1), start: at(3.5),
        program: [forever([
          sleep(ms(1.3)), signal('Df2'),
          sleep(us(900)), signal('Dr1'),
          sleep(ms(1.1)), signal('Df1'),
        ])],
      },
    ];
    return {
      description:
        'Sleeping and delayed owners (spec T7): fair owners on CPU1 sleep while holding m0/m1 (O3 holds m0 '
        + 'and waits on m1: a chain), fair and fifo donors on CPU0 lock_interruptible them, two signallers; '
        + 'delayed_dequeue 0.8. Targets BUG1, BUG8, BUG11, BUG20.'
        + (cpus > 2 ? ' CPUs 2 and up stay idle.' : ''),
      duration: '2s',
      delayed_dequeue: 0.8,
      mutexes: ['m0', 'm1'],
      tasks,
    };
  },
});
