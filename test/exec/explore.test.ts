/**
 * The exhaustive (CHESS-style, preemption-bounded) search of src/machine/explore.ts: the branching
 * rule on hand-made records, then on real CPU workers the tiny-handoff scenario exhausted on a
 * correct design and BUG4 found with one preemption, its schedule replayed.
 */
import { describe, expect, it } from 'vitest';
import { branches, explore, guardForced, prefixOf } from '../../src/machine/explore.ts';
import { runMachine, type MachineOptions } from '../../src/machine/machine.ts';
import { W_CPU_LOOP, W_HOST, W_IDLE, packStep, stepCpu, stepWindow } from '../../src/exec/area.ts';
import { STARVE_STEPS } from '../../src/exec/baton.ts';
import { BUG } from '../../src/proxy/bugs.ts';
import { designByName } from '../../src/proxy/index.ts';
import { resolveScenario } from '../../src/workload/validate.ts';
import { parseDuration } from '../../src/workload/duration.ts';

const HOST = packStep(-1, W_HOST);
const at = (cpu: number, w = W_CPU_LOOP): number => packStep(cpu, w);
const cpus = (p: Int32Array): number[] => Array.from(p, stepCpu);
const root = { length: 0, cost: 0 };
/** each branch as [its prefix's CPUs, its cost] */
const shape = (b: ReturnType<typeof branches>) => b.children.map((c) => [cpus(prefixOf(c)), c.cost]);

describe('explore: the branches of a run', () => {
  // CPU0 takes steps 0..2, CPU1 step 3; CPU1 is enabled at 0 and 1, CPU0 no longer at 3
  const order = Int32Array.from([at(0, 5), at(0, 6), at(0, 7), at(1, 8)]);
  const masks = Int32Array.from([3, 3, 1, 2]);

  it('k = 0: only the free choice at step 0 (nobody ran before it)', () => {
    const b = branches(order, masks, root, 0, 2);
    expect(shape(b)).toEqual([[[1], 0]]);
  });

  it('k = 1: switching away from an enabled CPU costs one; a branch keeps the steps before it', () => {
    const b = branches(order, masks, root, 1, 2);
    expect(shape(b)).toEqual([[[1], 0], [[0, 1], 1]]);
    // the steps before the branch point keep their windows; the alternative CPU gets the window of
    // its next step in the run (CPU1 stood at window 8 all along)
    expect(Array.from(prefixOf(b.children[1]), stepWindow)).toEqual([5, 8]);
    expect(b.children.every((c) => !c.windowUnknown)).toBe(true);
  });

  it('branches only past the parent\'s prefix, adding to the parent\'s cost', () => {
    const b = branches(order, masks, { length: 1, cost: 1 }, 2, 2);
    expect(shape(b)).toEqual([[[0, 1], 2]]);
    expect(branches(order, masks, { length: 1, cost: 1 }, 1, 2).children).toEqual([]);
  });

  it('a branch is known by its CPUs: the same CPUs with other windows are the same schedule', () => {
    const other = Int32Array.from([at(0, 1), at(0, 2), at(0, 3), at(1, 4)]);
    const a = branches(order, masks, root, 1, 2).children.map((c) => c.key);
    expect(new Set(a).size).toBe(a.length);
    expect(branches(other, masks, root, 1, 2).children.map((c) => c.key)).toEqual(a);
    const third = Int32Array.from([at(0), at(1), at(0), at(1)]);
    expect(branches(third, Int32Array.from([3, 3, 3, 3]), root, 1, 2).children.map((c) => c.key)).not.toContain(a[1]);
  });

  it('the host\'s sample starts afresh: the next choice is free', () => {
    const o = Int32Array.from([at(0), HOST, at(0), at(0)]);
    const m = Int32Array.from([3, 0, 3, 3]);
    const b = branches(o, m, root, 0, 2);
    expect(shape(b)).toEqual([[[1], 0], [[0, -1, 1], 0]]);
  });

  it('an alternative CPU that never steps again gets window 0 (the executor will say it diverged)', () => {
    const b = branches(Int32Array.from([at(0, 5)]), Int32Array.from([3]), root, 0, 2);
    expect(b.children).toHaveLength(1);
    expect(b.children[0].windowUnknown).toBe(true);
    expect(stepWindow(prefixOf(b.children[0])[0])).toBe(0);
  });

  it('after the stop, no branch to a CPU that would only leave its loop; one inside the kernel still', () => {
    // the run stopped at step 2: CPU1 stands in the idle wait until step 4, then inside the kernel (window 9)
    const o = Int32Array.from([at(0), at(0), at(0), at(0), at(1, W_IDLE), at(0), at(1, 9)]);
    const m = Int32Array.from([1, 1, 3, 3, 2, 3, 2]);
    const b = branches(o, m, root, 1, 2, 2);
    expect(b.afterStop).toBe(2);
    expect(b.children.map((c) => [cpus(prefixOf(c)), stepWindow(c.step)])).toEqual([[[0, 0, 0, 0, 1, 1], 9]]);
    expect(branches(o, m, root, 1, 2).children).toHaveLength(3);
  });

  it('a step the starvation guard decided has no branches', () => {
    // CPU0 runs while CPU1 stands enabled from step 0; the guard makes CPU1 run once it waited more
    // than STARVE_STEPS * nrCpus steps
    const limit = STARVE_STEPS * 2;
    const n = limit + 2;
    const o = new Int32Array(n).fill(at(0));
    o[limit + 1] = at(1);
    const m = new Int32Array(n).fill(3);
    const forced = guardForced(o, m, 2);
    expect(Array.from(forced).map((f, i) => (f ? i : -1)).filter((i) => i >= 0)).toEqual([limit + 1]);
    const b = branches(o, m, root, 1, 2);
    expect(b.guardForced).toBe(1);
    expect(b.children).toHaveLength(limit + 1); // steps 0..limit, not the forced one
  });
});

describe('explore on CPU workers: tiny-handoff', () => {
  const scenario = resolveScenario('tiny-handoff', {});
  const machine = (strategy: string, bugs: number[] = []): Omit<MachineOptions, 'executor'> =>
    ({ scenario, strategy, durationNs: parseDuration(scenario.duration!), seed: 1, bugs });

  it('force-return with one preemption: exhausted, clean; the search is the same twice', async () => {
    // (two runs at a time: each run's CPUs take turns, so one run keeps about one core busy)
    const a = await explore(machine('force-return'), { preemptions: 1, parallel: 2 });
    console.info(`tiny-handoff, force-return, preemptions 1: exhausted, ${a.explored} schedules `
      + `(${a.perPreemptions.join(' + ')} by preemptions), ${a.wallMs} ms`);
    expect(a.failing).toBeNull();
    expect(a.stop).toBe('exhausted');
    expect(a.exhausted).toBe(true);
    expect(a.explored).toBeGreaterThan(1);
    expect(a.perPreemptions[0]).toBeGreaterThanOrEqual(1);
    expect(a.perPreemptions[1]).toBeGreaterThan(0);
    // every run followed its prefix, windows included, and ended with every task exited
    expect([a.overridden, a.divergent, a.truncated, a.unfinished]).toEqual([0, 0, 0, 0]);
    // the search's order and count do not depend on timing: k = 0 twice (the k = 1 search costs ~46 runs)
    const z1 = await explore(machine('force-return'), { preemptions: 0 });
    const z2 = await explore(machine('force-return'), { preemptions: 0, parallel: 2 });
    expect(z1.exhausted && z2.exhausted).toBe(true);
    expect([z2.explored, z2.perPreemptions]).toEqual([z1.explored, z1.perPreemptions]);
    expect(a.perPreemptions[0]).toBe(z1.explored);
  }, 900_000);

  it('BUG4 (listed for force-return) needs one preemption; the failing schedule replays to the same finding', async () => {
    expect(designByName('force-return')!.bugs.some((b) => b.bug.n === 4)).toBe(true);
    const none = await explore(machine('force-return', [4]), { preemptions: 0 });
    expect(none.failing).toBeNull();
    expect(none.exhausted).toBe(true);

    const r = await explore(machine('force-return', [4]), { preemptions: 1, parallel: 2 });
    expect(r.stop).toBe('failure');
    const f = r.failing!;
    const finding = f.snapshot.failure!;
    console.info(`tiny-handoff, force-return --bug BUG4, preemptions 1: ${finding.id} at step ${finding.step} `
      + `of schedule ${f.index} (prefix of ${f.schedule.length} steps, ${f.preemptions} preemption): ${finding.msg}`);
    expect(f.preemptions).toBe(1);
    expect([BUG[4].caughtBy, ...(BUG[4].alsoBy ?? [])]).toContain(finding.id);
    expect(finding.step).toBeGreaterThanOrEqual(f.schedule.length);

    const again = await runMachine({ ...machine('force-return', [4]), executor: { kind: 'prefix', schedule: f.schedule } });
    expect(again.failure?.id).toBe(finding.id);
    expect(again.failure?.step).toBe(finding.step);
    expect(again.exec!.divergence).toBeNull();
  }, 900_000);
});
