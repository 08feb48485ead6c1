/**
 * Directed kernel tests: an arena built from a scenario, kernel functions called on the test's own
 * thread through a `Cpu` context per simulated CPU, and task states placed by hand. This is the
 * controlled way into a race window: the gate hook runs "the other CPU" at a named window.
 */
import { buildArena } from '../../src/workload/boot.ts';
import { Cpu, type CpuMessage } from '../../src/sched/cpu.ts';
import { designByName } from '../../src/proxy/index.ts';
import { Locks } from '../../src/sync/spinlock.ts';
import { setGateHook } from '../../src/sync/gate.ts';
import { M, R, T } from '../../src/shm/layout.ts';
import { activateTask } from '../../src/sched/enqueue.ts';
import { TASK, MUTEX_FLAG, ownerWord, blockedOnMutex } from '../../src/sched/constants.ts';
import { RingReader, mergeByTime, type TraceEvent } from '../../src/trace/ring.ts';
import type { Scenario, TaskSpec } from '../../src/workload/scenario.ts';
import type { Arena } from '../../src/shm/arena.ts';

export interface Directed {
  a: Arena;
  names: string[];
  cpu: Cpu[];
  msgs: CpuMessage[];
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
  const strategy = opts.strategy ?? 'force-return';
  const { arena: a, names } = buildArena({ scenario, strategy, seed: 1, bugs: opts.bugs, ringSize: 4096 });
  a.t0 = Number(process.hrtime.bigint());
  a.setHdr('park', 0);
  const msgs: CpuMessage[] = [];
  const bugs = (opts.bugs ?? []).reduce((m, b) => m | (1 << b), 0);
  const cpu = Array.from({ length: opts.cpus }, (_, c) => {
    const x = new Cpu(a, c, designByName(strategy)!, bugs, (m) => msgs.push(m));
    x.names = names;
    return x;
  });
  // nobody sleeps on a start timer in directed tests
  for (let p = opts.cpus; p < a.nrTasks; p++) a.i32[a.t(p) + T.timer_armed] = 0;
  const reader = new RingReader(a);
  const evs: TraceEvent[] = [];
  const id = (n: string): number => { const k = names.indexOf(n); if (k < 0) throw new Error(`no task ${n}`); return k; };
  const d: Directed = {
    a, names, cpu, msgs, id,
    enqueue(name, c, state = TASK.RUNNING) {
      const p = id(name);
      const x = cpu[c];
      a.i32[a.t(p) + T.cpu] = c;
      a.i32[a.t(p) + T.__state] = state;
      x.locks.lock(Locks.rq(c), 'test');
      activateTask(x, c, p, 0);
      x.locks.unlock(Locks.rq(c));
    },
    setCurr(name, c) {
      const p = id(name);
      const r = a.rq(c);
      a.i32[a.t(a.i32[r + R.curr]) + T.on_cpu] = 0;
      a.i32[r + R.curr] = p;
      a.i32[r + R.donor] = p;
      a.i32[a.t(p) + T.on_cpu] = 1;
    },
    hold(m, owner, waiters) {
      const mb = a.m(m);
      let w = owner ? ownerWord(id(owner)) : 0;
      if (waiters.length) w |= MUTEX_FLAG.WAITERS;
      a.i32[mb + M.owner] = w;
      a.i32[mb + M.nr_waiters] = waiters.length;
      waiters.forEach((n, k) => {
        a.i32[a.waitList(m) + k] = id(n);
        a.i32[a.t(id(n)) + T.blocked_on] = blockedOnMutex(m);
        a.i32[a.t(id(n)) + T.kpc] = 1;
        a.i32[a.t(id(n)) + T.kop_mutex] = m;
        a.i32[a.t(id(n)) + T.kop_state] = TASK.UNINTERRUPTIBLE;
      });
      if (owner) { a.i32[mb + M.holder] = id(owner); a.i32[mb + M.inside] = 1; }
    },
    rawMove(name, from, to) {
      const p = id(name);
      const q = a.queue(from);
      const n = a.i32[a.rq(from) + R.nr_queued];
      const k = Array.from({ length: n }, (_, j) => a.i32[q + j]).indexOf(p);
      for (let j = k; j < n - 1; j++) a.i32[q + j] = a.i32[q + j + 1];
      a.i32[a.rq(from) + R.nr_queued] = n - 1;
      a.i32[a.rq(from) + R.nr_running] -= 1;
      const m = a.i32[a.rq(to) + R.nr_queued];
      a.i32[a.queue(to) + m] = p;
      a.i32[a.rq(to) + R.nr_queued] = m + 1;
      a.i32[a.rq(to) + R.nr_running] += 1;
      a.i32[a.t(p) + T.list_cpu] = to;
      a.i32[a.t(p) + T.cpu] = to;
    },
    tg: (n, f) => a.i32[a.t(id(n)) + f],
    ts: (n, f, v) => { a.i32[a.t(id(n)) + f] = v; },
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
