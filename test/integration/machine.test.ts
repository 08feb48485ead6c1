/** The machine on real CPU workers: 2 and 4 CPUs, clean runs, crash handling, layout refusal. */
import { describe, expect, it } from 'vitest';
import { run, failures } from '../helpers/run.ts';
import { Arena, LayoutMismatchError } from '../../src/shm/arena.ts';
import { H } from '../../src/shm/layout.ts';
import { OP_WORDS } from '../../src/workload/program.ts';
import type { Scenario } from '../../src/workload/scenario.ts';

const churn = (cpus: number): Scenario => ({
  name: 'churn', cpus, mutexes: ['m0', 'm1'],
  tasks: Array.from({ length: cpus * 3 }, (_, k) => ({
    name: `t${k}`, policy: k % 3 === 0 ? 'fifo' : 'fair', ...(k % 3 === 0 ? { prio: 10 + k } : {}),
    program: [{ op: 'repeat', times: -1, body: [
      { op: 'lock', mutex: `m${k % 2}`, critical: [{ op: 'run', for: '200us' }] },
      { op: 'lock_interruptible', mutex: 'm1', critical: [{ op: 'run', for: '100us' }, { op: 'yield' }] },
      { op: 'trylock', mutex: 'm0', critical: [{ op: 'run', for: '50us' }] },
      { op: 'sleep', for: '300us' },
      { op: 'signal', task: `t${(k + 1) % (cpus * 3)}` },
    ] }],
  })) as Scenario['tasks'],
});

describe('machine', () => {
  for (const cpus of [2, 4]) {
    for (const strategy of ['none', 'force-return']) {
      it(`${cpus} CPUs, ${strategy}: lock churn with signals runs clean, every CPU works`, async () => {
        const r = await run(churn(cpus), strategy, 400, { cpus });
        expect(failures(r)).toEqual([]);
        // the sampler ran (how often depends on how much of the host the run got)
        expect(r.samples).toBeGreaterThan(0);
        const acq = r.kernel.mutexes[0].acquisitions + r.kernel.mutexes[1].acquisitions;
        expect(acq).toBeGreaterThan(50);
        for (const rq of r.kernel.rqs) expect(rq.nr_switches).toBeGreaterThan(0);
      });
    }
  }

  it('an exception in a CPU aborts every CPU and is reported with CPU and task (crash)', async () => {
    const r = await run(churn(2), 'force-return', 2000, { cpus: 2, corruptProgram: { task: 't1', word: 0 * OP_WORDS, value: 99 } });
    const crash = r.findings.find((f) => f.kind === 'crash');
    expect(crash?.msg).toMatch(/bad opcode 99/);
    expect(crash?.tasks).toEqual([r.names.indexOf('t1')]);
    expect(r.elapsedNs).toBeLessThan(1.5e9); // stopped early, not at the end of the run
  });

  it('a worker refuses an arena with another layout hash', () => {
    const a = Arena.create({ nr_cpus: 1, nr_tasks: 2, nr_mutexes: 1, prog_len: 4, ring_size: 16 });
    a.i32[H.layout_hash] ^= 1;
    expect(() => Arena.attach(a.sab)).toThrow(LayoutMismatchError);
    expect(() => Arena.attach(a.sab)).toThrow(/refusing to attach/);
  });
});
