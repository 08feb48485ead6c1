/**
 * affinity-donors — spec §7 T6, affinity-restricted donors.
 *
 * The CPUs are split in two halves: donors are pinned to the first half (CPU0..1 with 4 CPUs),
 * owners to the second (CPU2..3). Rapid lock churn on m0 and m1:
 *   O<c>   (fair, one per owner CPU c) loop: hold its primary mutex 800us, run 100us, hold the other
 *          mutex 200us, sleep 300us. Owners also contend with each other, so chains form.
 *   D<c>a  (fifo 70, one per donor CPU c) loop: lock m0 (50us), sleep 400us, lock_interruptible m1
 *          (50us), sleep 300us.
 *   D<c>b  (fifo 60, one per donor CPU c) loop: trylock m1 (50us), lock m1 (50us), sleep 500us,
 *          lock m0 (50us), sleep 600us.
 *   mover  (fifo 99, on the owner CPUs) loop, every ~12ms: moves each D<c>a to the next donor CPU,
 *          widens each D<c>b to all donor CPUs, moves the first owner to the next owner CPU, then
 *          puts everyone back home. Donors are often blocked (and migrated to an owner CPU as
 *          proxies) when their mask changes: the return migration must honour the new mask
 *          (BUG17's target; assert I6/I18).
 */
import type { Op, TaskSpec } from '../scenario.ts';
import {
  at, defineBuiltin, forever, lock, lockInterruptible, ms, range, run, setAffinity, sleep, trylock, us,
} from './common.ts';

export const affinityDonors = defineBuiltin({
  name: 'affinity-donors', cpus: { min: 4, default: 4 },
  summary: 'T6 affinity-restricted donors: donors pinned to CPU0..1, owners to CPU2..3, lock churn, set_affinity on donors',
  build(cpus) {
    const half = Math.floor(cpus / 2);
    const donorCpus = range(half);
    const ownerCpus = range(cpus - half, half);
    const next = (list: number[], c: number) => list[(list.indexOf(c) + 1) % list.length];
    const mutexes = ['m0', 'm1'];

    const owners: TaskSpec[] = ownerCpus.map((c, i) => {
      const primary = mutexes[i % 2];
      const other = mutexes[(i + 1) % 2];
      return {
        name: `O${c}`, policy: 'fair', affinity: [c], cpu: c, start: at(i * 0.25),
        program: [forever([lock(primary, [run(us(800))]), run(us(100)), lock(other, [run(us(200))]), sleep(us(300))])],
      };
    });
    const donors: TaskSpec[] = donorCpus.flatMap((c, i) => [
      {
        name: `D${c}a`, policy: 'fifo' as const, prio: 70, affinity: [c], cpu: c, start: at(0.5 + i * 0.3),
        program: [forever([
          lock('m0', [run(us(50))]), sleep(us(400)), lockInterruptible('m1', [run(us(50))]), sleep(us(300)),
        ])],
      },
      {
        name: `D${c}b`, policy: 'fifo' as const, prio: 60, affinity: [c], cpu: c, start: at(0.7 + i * 0.3),
        program: [forever([
          trylock('m1', [run(us(50))]), lock('m1', [run(us(50))]), sleep(us(500)),
          lock('m0', [run(us(50))]), sleep(us(600)),
        ])],
      },
    ]);

    const firstOwner = ownerCpus[0];
    const moves: Op[] = [
      ...donorCpus.flatMap((c) => [setAffinity(`D${c}a`, [next(donorCpus, c)]), sleep(ms(2))]),
      ...donorCpus.flatMap((c) => [setAffinity(`D${c}b`, donorCpus), sleep(ms(1))]),
      setAffinity(`O${firstOwner}`, [next(ownerCpus, firstOwner)]),
      sleep(ms(2)),
      ...donorCpus.flatMap((c) => [setAffinity(`D${c}a`, [c]), setAffinity(`D${c}b`, [c])]),
      setAffinity(`O${firstOwner}`, [firstOwner]),
      sleep(ms(3)),
    ];
    const mover: TaskSpec = {
      name: 'mover', policy: 'fifo', prio: 99, affinity: ownerCpus, cpu: ownerCpus[0], start: ms(2),
      program: [forever(moves)],
    };

    return {
      description:
        `Affinity-restricted donors (spec T6): donors pinned to CPUs ${donorCpus.join(',')}, owners to `
        + `CPUs ${ownerCpus.join(',')}, rapid lock churn on m0/m1, and a mover that changes the donors' `
        + 'affinity (and one owner\'s) while they are blocked.',
      duration: '2s',
      mutexes,
      tasks: [...owners, ...donors, mover],
    };
  },
});
