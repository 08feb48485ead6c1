/**
 * JIT warm-up of a CPU worker on a private arena, before the real run starts: without it the first
 * milliseconds of a run execute cold code ~100x slower, which shifts every scenario's early timing.
 * Runs a one-CPU machine where two tasks contend for a mutex, sleep and yield, for `ms` of wall time.
 */
import { buildArena } from '../workload/boot.ts';
import { Cpu } from '../sched/cpu.ts';
import { CpuLoop } from './cpu-loop.ts';
import { designByName } from '../proxy/index.ts';
import type { Scenario } from '../workload/scenario.ts';

const WARM: Scenario = {
  name: 'warmup', cpus: 1, mutexes: ['m'],
  tasks: ['a', 'b', 'c'].map((name, k) => ({
    name, policy: k === 2 ? 'fifo' : 'fair', ...(k === 2 ? { prio: 10 } : {}),
    program: [{ op: 'repeat', times: -1, body: [
      { op: 'lock_interruptible', mutex: 'm', critical: [{ op: 'run', for: '50us' }, { op: 'yield' }] },
      { op: 'trylock', mutex: 'm', critical: [{ op: 'run', for: '20us' }] },
      { op: 'sleep', for: '100us' },
      ...(k === 2 ? [{ op: 'signal' as const, task: 'a' }] : []),
    ] }],
  })),
};

export function warmUp(design: string, ms: number): void {
  const { arena, names } = buildArena({ scenario: WARM, strategy: design, seed: 1, ringSize: 1024, tickNs: 200_000 });
  arena.t0 = Number(process.hrtime.bigint());
  arena.setHdr('park', 0);
  const c = new Cpu(arena, 0, designByName(design)!, 0, () => {});
  c.names = names;
  const loop = new CpuLoop(c);
  const end = arena.now() + ms * 1e6;
  while (arena.now() < end) loop.iteration();
}
