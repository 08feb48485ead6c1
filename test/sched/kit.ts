/**
 * Test kit: an initialised arena (src/machine.ts buildArena, no workers) and a kernel context on the
 * test's own thread, plus helpers that write scheduler state into the arena by hand.
 */
import { buildArena } from '../../src/workload/boot.ts';
import type { Arena } from '../../src/shm/arena.ts';
import { M, R, T } from '../../src/shm/layout.ts';
import { Cpu, Violation, type CpuMessage } from '../../src/sched/cpu.ts';
import { designByName } from '../../src/proxy/index.ts';
import { TASK, TASK_ON_RQ_QUEUED } from '../../src/sched/constants.ts';
import type { Scenario, TaskSpec } from '../../src/workload/scenario.ts';

export type Strategy = 'none' | 'force-return';

const idle = (n: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({ name: n, policy: 'fair', program: [{ op: 'run', for: '1ms' }], ...extra });

/** 2 CPUs, 2 mutexes; tasks A, B (fair, any CPU, start on CPU0), C (FIFO 10), D (fair, pinned to CPU0). */
export function smallScenario(over: Partial<Scenario> = {}): Scenario {
  return {
    name: 'unit',
    cpus: 2,
    mutexes: ['m0', 'm1'],
    tasks: [
      idle('A', { cpu: 0 }),
      idle('B', { cpu: 0 }),
      idle('C', { policy: 'fifo', prio: 10, cpu: 1 }),
      idle('D', { affinity: [0] }),
    ],
    ...over,
  };
}

export interface Kit {
  a: Arena;
  names: string[];
  /** kernel context of CPU0 on the test's thread */
  c: Cpu;
  msgs: CpuMessage[];
  id(name: string): number;
  warns(): string[];
}

export function kit(strategy: Strategy = 'none', s: Scenario = smallScenario(), cpu = 0, bugs = 0): Kit {
  const { arena: a, names } = buildArena({ scenario: s, strategy, seed: 1 });
  const design = designByName(strategy);
  if (!design) throw new Error(`no design ${strategy}`);
  const msgs: CpuMessage[] = [];
  const c = new Cpu(a, cpu, design, bugs, (m) => msgs.push(m));
  c.names = names;
  return {
    a, names, c, msgs,
    id(name: string): number {
      const k = names.indexOf(name, a.nrCpus);
      if (k < 0) throw new Error(`no task ${name}`);
      return k;
    },
    warns: () => msgs.filter((m) => m.type === 'warn').map((m) => m.id ?? ''),
  };
}

/** Run f and return the Violation it throws. */
export function violationOf(f: () => unknown): Violation {
  try { f(); } catch (e) {
    if (e instanceof Violation) return e;
    throw e;
  }
  throw new Error('expected a Violation, nothing was thrown');
}

// ---- raw arena writes (no locks, no checks): for planting states and faults ----

export function tset(a: Arena, p: number, off: number, v: number): void { a.i32[a.t(p) + off] = v; }
export function tget(a: Arena, p: number, off: number): number { return a.i32[a.t(p) + off]; }
export function rset(a: Arena, cpu: number, off: number, v: number): void { a.i32[a.rq(cpu) + off] = v; }
export function rget(a: Arena, cpu: number, off: number): number { return a.i32[a.rq(cpu) + off]; }
export function mset(a: Arena, m: number, off: number, v: number): void { a.i32[a.m(m) + off] = v; }
export function mget(a: Arena, m: number, off: number): number { return a.i32[a.m(m) + off]; }

export function queueOf(a: Arena, cpu: number): number[] {
  const n = rget(a, cpu, R.nr_queued);
  return Array.from(a.i32.subarray(a.queue(cpu), a.queue(cpu) + n));
}

export function waitersOf(a: Arena, m: number): number[] {
  const n = mget(a, m, M.nr_waiters);
  return Array.from(a.i32.subarray(a.waitList(m), a.waitList(m) + n));
}

/** Append p to rq[cpu]'s list as a queued runnable task, keeping every count consistent. */
export function placeQueued(a: Arena, p: number, cpu: number, state: number = TASK.RUNNING): void {
  const n = rget(a, cpu, R.nr_queued);
  a.i32[a.queue(cpu) + n] = p;
  rset(a, cpu, R.nr_queued, n + 1);
  rset(a, cpu, R.nr_running, rget(a, cpu, R.nr_running) + 1);
  tset(a, p, T.list_cpu, cpu);
  tset(a, p, T.on_rq, TASK_ON_RQ_QUEUED);
  tset(a, p, T.cpu, cpu);
  tset(a, p, T.__state, state);
}

/** Make queued task p the running rq->curr (and donor) of cpu; the old curr (idle) goes off-CPU. */
export function makeCurr(a: Arena, p: number, cpu: number): void {
  const old = rget(a, cpu, R.curr);
  tset(a, old, T.on_cpu, 0);
  rset(a, cpu, R.curr, p);
  rset(a, cpu, R.donor, p);
  tset(a, p, T.on_cpu, 1);
}

/** Append p to mutex m's wait list (and set WAITERS), as waiterAdd does. */
export function addWaiter(a: Arena, m: number, p: number): void {
  const n = mget(a, m, M.nr_waiters);
  a.i32[a.waitList(m) + n] = p;
  mset(a, m, M.nr_waiters, n + 1);
  mset(a, m, M.owner, mget(a, m, M.owner) | 1);
}
