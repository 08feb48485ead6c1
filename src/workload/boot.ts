/**
 * Boot: a scenario becomes an arena. Idle tasks, runqueues, the scenario's tasks (sleeping until
 * their start timer), their compiled programs and the header words every CPU reads. Used by the
 * host before it starts the CPU workers, by a CPU worker's JIT warm-up, and by the kernel tests.
 */
import { Arena } from '../shm/arena.ts';
import { M, R, T } from '../shm/layout.ts';
import { PRIO_TO_WEIGHT, SCHED, TASK, kernelPrio } from '../sched/constants.ts';
import { designByName, designIndex } from '../proxy/index.ts';
import type { Scenario } from './scenario.ts';
import { compileTask, OP_WORDS } from './program.ts';
import { parseDuration } from './duration.ts';

/** What the arena is built from: the scenario and the run's fixed parameters. */
export interface ArenaSpec {
  scenario: Scenario;
  strategy: string;
  /** CPUs (default: the scenario's) */
  cpus?: number;
  seed: number;
  /** planted bugs (BUGn numbers) */
  bugs?: readonly number[];
  chaos?: ChaosSpec | null;
  tickNs?: number;
  ringSize?: number;
  /** count I10 instead of stopping on it, for design (c) too (to see whether a lost wakeup follows) */
  countI10?: boolean;
}

/** Delay injection at the gates: probability per pass, longest delay, windows (prefixes; null = all). */
export interface ChaosSpec { p: number; maxNs: number; windows: string[] | null }

export function taskNames(s: Scenario, nrCpus: number): string[] {
  const names: string[] = [];
  for (let c = 0; c < nrCpus; c++) names.push(`swapper/${c}`);
  for (const t of s.tasks) names.push(t.name);
  return names;
}

/** Build and initialise the arena: the machine as it stands before its CPUs start. */
export function buildArena(o: ArenaSpec): { arena: Arena; names: string[] } {
  const s = o.scenario;
  const nrCpus = o.cpus ?? s.cpus;
  const names = taskNames(s, nrCpus);
  const idOf = (n: string): number => names.indexOf(n, nrCpus);
  const progs = s.tasks.map((_, k) => compileTask(s, k, idOf));
  const progLen = Math.max(OP_WORDS, ...progs.map((p) => p.length));
  const design = designByName(o.strategy);
  if (!design) throw new Error(`unknown strategy ${o.strategy}`);
  const a = Arena.create({
    nr_cpus: nrCpus, nr_tasks: nrCpus + s.tasks.length, nr_mutexes: Math.max(1, s.mutexes.length),
    prog_len: progLen, ring_size: o.ringSize ?? (1 << 16),
  });
  const i32 = a.i32;
  a.setHdr('strategy', designIndex(o.strategy));
  a.setHdr('bugs', (o.bugs ?? []).reduce((m, b) => m | (1 << b), 0));
  a.setHdr('seed', o.seed | 0);
  a.setHdr('delayed_ppm', Math.round((s.delayed_dequeue ?? 0) * 1e6));
  a.setHdr('chaos_ppm', Math.round((o.chaos?.p ?? 0) * 1e6));
  a.setHdr('chaos_max_ns', o.chaos?.maxNs ?? 0);
  a.setHdr('tick_ns', o.tickNs ?? 1_000_000);
  a.setHdr('count_i10', o.countI10 ? 1 : 0);
  a.setHdr('park', 2); // held until every CPU is ready
  for (let p = 0; p < a.nrTasks; p++) {
    const b = a.t(p);
    i32[b + T.list_cpu] = -1;
    i32[b + T.exec_cpu] = -1;
    i32[b + T.timer_cpu] = -1;
  }
  for (let c = 0; c < nrCpus; c++) {
    const b = a.t(c);
    i32[b + T.__state] = TASK.RUNNING;
    i32[b + T.on_cpu] = 1;
    i32[b + T.cpu] = c;
    i32[b + T.wake_cpu] = c;
    i32[b + T.cpus_mask] = 1 << c;
    i32[b + T.nr_cpus_allowed] = 1;
    i32[b + T.policy] = SCHED.IDLE_TASK;
    i32[b + T.prio] = 140;
    i32[b + T.weight] = 3;
    i32[b + T.is_idle] = 1;
    i32[b + T.pid] = 0;
    const r = a.rq(c);
    i32[r + R.cpu] = c;
    i32[r + R.curr] = c;
    i32[r + R.donor] = c;
    i32[r + R.idle] = c;
    i32[r + R.spinning_on] = -1;
    i32[r + R.cur_task] = -1;
  }
  const all = nrCpus >= 32 ? -1 : (1 << nrCpus) - 1;
  s.tasks.forEach((ts, k) => {
    const p = nrCpus + k;
    const b = a.t(p);
    const mask = ts.affinity ? ts.affinity.reduce((m, c) => m | (1 << c), 0) : all;
    let cpu = ts.cpu ?? (ts.affinity ? ts.affinity[0] : k % nrCpus);
    if (!(mask & (1 << cpu))) cpu = Math.log2(mask & -mask);
    const policy = ts.policy === 'fifo' ? SCHED.FIFO : SCHED.NORMAL;
    i32[b + T.__state] = TASK.UNINTERRUPTIBLE; // a new task sleeps until its start timer wakes it
    i32[b + T.cpu] = cpu;
    i32[b + T.wake_cpu] = cpu;
    i32[b + T.cpus_mask] = mask;
    let n = 0; for (let m = mask; m; m &= m - 1) n++;
    i32[b + T.nr_cpus_allowed] = n;
    i32[b + T.policy] = policy;
    i32[b + T.prio] = kernelPrio(policy, ts.prio ?? 0, ts.nice ?? 0);
    i32[b + T.weight] = PRIO_TO_WEIGHT[(ts.nice ?? 0) + 20];
    i32[b + T.pid] = 100 + k;
    i32[b + T.timer_cpu] = cpu;
    a.f64[a.td(p) + T.timer_expires] = ts.start ? parseDuration(ts.start) : 0;
    a.f64[a.td(p) + T.start_at] = ts.start ? parseDuration(ts.start) : 0;
    i32[b + T.timer_armed] = 1;
    const prog = progs[k];
    for (let w = 0; w < prog.length; w++) i32[a.prog(p) + w] = prog[w];
  });
  for (let m = 0; m < a.nrMutexes; m++) i32[a.m(m) + M.holder] = -1;
  return { arena: a, names };
}
