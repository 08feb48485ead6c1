/**
 * The kernel test kit: an initialised arena (buildArena, no CPU workers) and kernel `Cpu` contexts
 * on the test's own thread, plus ways to put scheduler state into the arena by hand.
 *
 * - `kernelCpu()`: one CPU's kernel context on `smallScenario()` (or a given scenario), arena as
 *   booted (tasks asleep on their start timers). For unit tests of kernel functions and checks.
 * - `directed()`: a context per simulated CPU, start timers disarmed, task states placed by name.
 *   This is the controlled way into a race window: the gate hook (`onceAtGate`) runs "the other CPU"
 *   at a named window.
 * - raw arena accessors (`tget`/`tset`, `rget`/`rset`, `mget`/`mset`) and state planters
 *   (`placeQueued`, `makeCurr`, `addWaiter`): plain stores, no locks, no checks, for planting states
 *   and faults.
 */
import { buildArena } from '../../src/workload/boot.ts';
import { Cpu, Violation } from '../../src/sched/cpu.ts';
import { designByName } from '../../src/proxy/index.ts';
import { Locks } from '../../src/sync/spinlock.ts';
import { setGateHook } from '../../src/sync/gate.ts';
import { M, R, T } from '../../src/shm/layout.ts';
import { activateTask } from '../../src/sched/enqueue.ts';
import { TASK, TASK_ON_RQ_QUEUED, MUTEX_FLAG, ownerWord, blockedOnMutex } from '../../src/sched/constants.ts';
import { RingReader, mergeByTime, type TraceEvent } from '../../src/trace/ring.ts';
import type { Scenario, TaskSpec } from '../../src/workload/scenario.ts';
import type { Arena } from '../../src/shm/arena.ts';

export type Strategy = 'none' | 'force-return';

/** What a kernel context reports (a WARN_ON_ONCE or a violation): the argument of its callback. */
export type KernelReport = Parameters<ConstructorParameters<typeof Cpu>[4]>[0];

/** Task id by name (idle tasks are `swapper/<cpu>`, ids 0..nrCpus-1). */
export function taskId(names: readonly string[], name: string): number {
  const k = names.indexOf(name);
  if (k < 0) throw new Error(`no task ${name}`);
  return k;
}

/** Build the arena and a factory of kernel contexts on it that post into one message list. */
function boot(scenario: Scenario, strategy: string, bugs: readonly number[], ringSize?: number) {
  const { arena: a, names } = buildArena({ scenario, strategy, seed: 1, bugs, ringSize });
  const design = designByName(strategy);
  if (!design) throw new Error(`no design ${strategy}`);
  const mask = bugs.reduce((m, b) => m | (1 << b), 0);
  const msgs: KernelReport[] = [];
  const cpuContext = (c: number): Cpu => {
    const x = new Cpu(a, c, design, mask, (m) => msgs.push(m));
    x.names = names;
    return x;
  };
  return { a, names, msgs, cpuContext };
}

// ---- one CPU's kernel context on a small scenario ----

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

export interface KernelCpu {
  a: Arena;
  names: string[];
  /** the kernel context of one CPU (CPU0 unless asked) on the test's thread */
  c: Cpu;
  msgs: KernelReport[];
  id(name: string): number;
  /** ids of the WARN_ON messages posted so far */
  warns(): string[];
}

export function kernelCpu(opts: { strategy?: Strategy; scenario?: Scenario; cpu?: number; bugs?: number[] } = {}): KernelCpu {
  const { a, names, msgs, cpuContext } = boot(opts.scenario ?? smallScenario(), opts.strategy ?? 'none', opts.bugs ?? []);
  return {
    a, names, msgs,
    c: cpuContext(opts.cpu ?? 0),
    id: (name) => taskId(names, name),
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

// ---- raw arena access (no locks, no checks): for planting states and faults ----

/** task p's i32 field */
export function tget(a: Arena, p: number, off: number): number { return a.i32[a.t(p) + off]; }
export function tset(a: Arena, p: number, off: number, v: number): void { a.i32[a.t(p) + off] = v; }
/** rq[cpu]'s i32 field */
export function rget(a: Arena, cpu: number, off: number): number { return a.i32[a.rq(cpu) + off]; }
export function rset(a: Arena, cpu: number, off: number, v: number): void { a.i32[a.rq(cpu) + off] = v; }
/** mutex m's i32 field */
export function mget(a: Arena, m: number, off: number): number { return a.i32[a.m(m) + off]; }
export function mset(a: Arena, m: number, off: number, v: number): void { a.i32[a.m(m) + off] = v; }

/** rq[cpu]'s task list */
export function queueOf(a: Arena, cpu: number): number[] {
  const n = rget(a, cpu, R.nr_queued);
  return Array.from(a.i32.subarray(a.queue(cpu), a.queue(cpu) + n));
}

/** mutex m's wait list */
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

/** Make queued task p the running rq->curr (and donor) of cpu; the old curr goes off-CPU. */
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
  mset(a, m, M.owner, mget(a, m, M.owner) | MUTEX_FLAG.WAITERS);
}

// ---- directed tests: every CPU's context, states placed by task name ----

export interface Directed {
  a: Arena;
  names: string[];
  cpu: Cpu[];
  msgs: KernelReport[];
  id(name: string): number;
  /** enqueue a task on a CPU's rq (activate_task under that rq lock) */
  enqueue(name: string, cpu: number, state?: number): void;
  /** make a queued task rq->curr of its CPU (on_cpu = 1) */
  setCurr(name: string, cpu: number): void;
  /** owner holds mutex m with these waiters (blocked_on set, on the wait list) */
  hold(mutex: number, owner: string | null, waiters: string[]): void;
  /** move a queued task between rq lists by raw stores (what another CPU's migration left behind) */
  rawMove(name: string, from: number, to: number): void;
  tg(name: string, f: number): number;
  ts(name: string, f: number, v: number): void;
  events(): TraceEvent[];
}

export function directed(opts: { cpus: number; tasks: Partial<TaskSpec>[]; mutexes?: number; strategy?: string; bugs?: number[] }): Directed {
  const scenario: Scenario = {
    name: 'directed', cpus: opts.cpus, mutexes: Array.from({ length: opts.mutexes ?? 1 }, (_, k) => `m${k}`),
    tasks: opts.tasks.map((t, k) => ({ name: t.name ?? `t${k}`, policy: t.policy ?? 'fair', ...t, program: t.program ?? [{ op: 'run', for: '1s' }] })) as TaskSpec[],
  };
  const { a, names, msgs, cpuContext } = boot(scenario, opts.strategy ?? 'force-return', opts.bugs ?? [], 4096);
  a.t0 = Number(process.hrtime.bigint());
  a.setHdr('park', 0);
  const cpu = Array.from({ length: opts.cpus }, (_, c) => cpuContext(c));
  // nobody sleeps on a start timer in directed tests
  for (let p = opts.cpus; p < a.nrTasks; p++) tset(a, p, T.timer_armed, 0);
  const reader = new RingReader(a);
  const evs: TraceEvent[] = [];
  const id = (n: string): number => taskId(names, n);
  const d: Directed = {
    a, names, cpu, msgs, id,
    enqueue(name, c, state = TASK.RUNNING) {
      const p = id(name);
      const x = cpu[c];
      tset(a, p, T.cpu, c);
      tset(a, p, T.__state, state);
      x.locks.lock(Locks.rq(c), 'test');
      activateTask(x, c, p, 0);
      x.locks.unlock(Locks.rq(c));
    },
    setCurr: (name, c) => makeCurr(a, id(name), c),
    hold(m, owner, waiters) {
      let w = owner ? ownerWord(id(owner)) : 0;
      if (waiters.length) w |= MUTEX_FLAG.WAITERS;
      mset(a, m, M.owner, w);
      mset(a, m, M.nr_waiters, waiters.length);
      waiters.forEach((n, k) => {
        const p = id(n);
        a.i32[a.waitList(m) + k] = p;
        tset(a, p, T.blocked_on, blockedOnMutex(m));
        tset(a, p, T.kpc, 1);
        tset(a, p, T.kop_mutex, m);
        tset(a, p, T.kop_state, TASK.UNINTERRUPTIBLE);
      });
      if (owner) { mset(a, m, M.holder, id(owner)); mset(a, m, M.inside, 1); }
    },
    rawMove(name, from, to) {
      const p = id(name);
      const q = a.queue(from);
      const n = rget(a, from, R.nr_queued);
      const k = queueOf(a, from).indexOf(p);
      for (let j = k; j < n - 1; j++) a.i32[q + j] = a.i32[q + j + 1];
      rset(a, from, R.nr_queued, n - 1);
      rset(a, from, R.nr_running, rget(a, from, R.nr_running) - 1);
      placeQueued(a, p, to, tget(a, p, T.__state)); // still queued, now on `to`
    },
    tg: (n, f) => tget(a, id(n), f),
    ts: (n, f, v) => tset(a, id(n), f, v),
    events() { reader.drain(evs); return mergeByTime([...evs]); },
  };
  return d;
}

/** Run `fn` once, the first time the named gate window is passed. */
export function onceAtGate(window: string, fn: () => void): void {
  let done = false;
  setGateHook((w) => {
    if (!done && w === window) { done = true; fn(); }
  });
}

export function clearGate(): void { setGateHook(null); }
