/**
 * Per-CPU kernel context: what `this_rq()`, `current` and `smp_processor_id()` give the kernel.
 * One instance lives in each CPU worker (and one "host" instance for setup and the sampler).
 * Kernel functions take it as their first argument.
 */
import type { Arena } from '../shm/arena.ts';
import { ARENA_MAGIC, H, R, T, EVENT } from '../shm/layout.ts';
import { Locks, MachineAbort } from '../sync/spinlock.ts';
import { prng, relaxHook } from '../sync/gate.ts';
import { EV, WARN_IDS, violationCode } from '../trace/events.ts';
import type { MetricsRecorder } from '../trace/metrics.ts';

/** A broken invariant: stops the machine (BUG_ON / checker). */
export class Violation extends Error {
  constructor(readonly id: string, msg: string, readonly tasks: number[]) { super(`${id}: ${msg}`); }
}

/** What the kernel reports to the machine: a WARN_ON_ONCE, a broken invariant (with the lock
 *  ids this CPU held), or a deadlock of the workload (check/deadlock.ts: the scenario's problem,
 *  not the design's). The CPU worker forwards it to the host as it is. */
export interface CpuReport {
  type: 'warn' | 'violation' | 'deadlock';
  cpu: number;
  id: string;
  msg: string;
  tasks: number[];
  held?: number[];
  time: number;
  /** a deadlock: its wait-for cycle (tasks[k] waits for mutexes[k], held by tasks[k+1]) */
  cycle?: { tasks: number[]; mutexes: number[] };
}

/**
 * What the scheduler core calls into a proxy-execution design: one ops table, as struct sched_class
 * is for the classes. Each design in src/proxy/ fills it in (and adds its record for the tools).
 */
export interface ProxyOps {
  /** sched_proxy_exec: mutex waiters stay queued as donors */
  readonly proxy: boolean;
  /** is_special_task_state() includes TASK_WAKING (Peter's sketch) */
  readonly wakingIsSpecial: boolean;
  /**
   * find_proxy_task(rq, donor) with rq->lock held (may drop and retake it).
   * Returns the task to run, -1 (NULL: pick again) or rq->idle.
   */
  findProxyTask(c: Cpu, donor: number): number;
  /** try_to_wake_up() T0 (p == current), before the state match */
  ttwuCurrent?(c: Cpu, p: number): void;
  /** T2 failed: return true to go on anyway (design b's "runnable but waking") */
  ttwuRunnableButWaking?(c: Cpu, p: number): boolean;
  /**
   * inside ttwu_runnable (held{pi, rq}), called before and after the sched_delayed requeue:
   * return true to refuse the wakeup and fall through to a full wakeup (select_task_rq)
   */
  ttwuRunnableBlocked?(c: Cpu, cpu: number, p: number, phase: 'before-delayed' | 'after-delayed'): boolean;
  /** try_to_wake_up() full path, right after WRITE_ONCE(p->__state, TASK_WAKING) (held{pi}) */
  ttwuFullWakeup?(c: Cpu, p: number): void;
  /**
   * try_to_block_task() found a signal pending for a task with blocked_on set (held{rq}).
   * Default (v26 as the issue describes it): blocked_on -> PROXY_WAKING.
   */
  signalPendingBlocked?(c: Cpu, p: number): void;
  /** TASK_RUNNING with blocked_on set outside __schedule is illegal (I10 is a violation, not a count) */
  readonly runningBlockedIllegal?: boolean;
}

export class Cpu {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly locks: Locks;
  readonly rqI: number;
  readonly rqD: number;
  readonly ringMask: number;
  readonly rnd: () => number;
  /** wake_q of the code currently running on this CPU (DEFINE_WAKE_Q on the stack) */
  readonly warned = new Set<string>();
  private ringHead = 0;
  names: string[] = [];
  /** latency histograms of this CPU (null: not recording) */
  metrics: MetricsRecorder | null = null;
  rec(metric: number, v: number): void { if (this.metrics) this.metrics.record(metric, v); }
  /** L3 watchdog state: the donor find_proxy_task keeps failing for, and how many times in a row */
  l3Donor = -1;
  l3Streak = 0;
  /** hops of the chain find_proxy_task walked last (for the PROXY_RUN event) */
  lastChain = 0;

  constructor(
    readonly a: Arena,
    readonly cpu: number,
    readonly design: ProxyOps,
    readonly bugs: number,
    readonly report: (m: CpuReport) => void,
  ) {
    this.i32 = a.i32;
    this.f64 = a.f64;
    this.locks = new Locks(a, cpu);
    this.rqI = cpu >= 0 ? a.rq(cpu) : -1;
    this.rqD = cpu >= 0 ? a.rqd(cpu) : -1;
    this.ringMask = a.g.ring_size - 1;
    this.rnd = prng((a.hdr('seed') ^ Math.imul(cpu + 1, 0x9e3779b1)) >>> 0);
    this.locks.taskName = (t) => this.name(t);
  }

  /** sched_proxy_exec() */
  get proxy(): boolean { return this.design.proxy; }
  bug(n: number): boolean { return (this.bugs & (1 << n)) !== 0; }
  /** I10 (RUNNING with blocked_on set outside __schedule) stops the machine (design c, unless counted) */
  i10Illegal(): boolean { return Boolean(this.design.runningBlockedIllegal) && this.a.hdr('count_i10') === 0; }
  /** is_special_task_state() includes TASK_WAKING (design c; BUG20 drops it) */
  wakingIsSpecial(): boolean { return this.design.wakingIsSpecial && !this.bug(20); }

  name(t: number): string { return this.names[t] ?? `task[${t}]`; }

  // ---- task field access ----
  tg(p: number, off: number): number { return this.i32[this.a.t(p) + off]; }
  ts(p: number, off: number, v: number): void { this.i32[this.a.t(p) + off] = v; }
  /** READ_ONCE: a deliberate lockless read */
  tr(p: number, off: number): number { return Atomics.load(this.i32, this.a.t(p) + off); }
  /** WRITE_ONCE / smp_store_release */
  tw(p: number, off: number, v: number): void { Atomics.store(this.i32, this.a.t(p) + off, v); }
  tgd(p: number, off: number): number { return this.f64[this.a.td(p) + off]; }
  tsd(p: number, off: number, v: number): void { this.f64[this.a.td(p) + off] = v; }
  tinc(p: number, off: number): void { Atomics.add(this.i32, this.a.t(p) + off, 1); }

  // ---- rq field access (any CPU's rq) ----
  rg(c: number, off: number): number { return this.i32[this.a.rq(c) + off]; }
  rs(c: number, off: number, v: number): void { this.i32[this.a.rq(c) + off] = v; }
  rr(c: number, off: number): number { return Atomics.load(this.i32, this.a.rq(c) + off); }
  rgd(c: number, off: number): number { return this.f64[this.a.rqd(c) + off]; }
  rsd(c: number, off: number, v: number): void { this.f64[this.a.rqd(c) + off] = v; }
  /** bump one of this CPU's own statistics */
  stat(off: number, by = 1): void { this.i32[this.rqI + off] += by; }

  now(): number { return this.a.now(); }

  /** Record an event in this CPU's ring (the trace and the failure artifact read it). */
  emit(type: number, task: number, a = 0, b = 0, c = 0): void {
    if (this.cpu < 0) return;
    const slot = this.ringHead & this.ringMask;
    const base = this.a.ring(this.cpu) + slot * EVENT.i32Stride;
    const i32 = this.i32;
    i32[base] = type; i32[base + 1] = task; i32[base + 2] = a; i32[base + 3] = b; i32[base + 4] = c;
    this.f64[this.a.ringD(this.cpu) + slot] = this.now();
    this.ringHead++;
    Atomics.store(i32, this.rqI + R.ring_head, this.ringHead);
  }

  /** WARN_ON_ONCE: record, count, keep running. */
  warn(id: string, msg: string, task = -1): void {
    Atomics.add(this.i32, this.a.hdrIndex('nr_warns'), 1);
    this.emit(EV.WARN, task, (WARN_IDS as readonly string[]).indexOf(id) + 1);
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.report({ type: 'warn', cpu: this.cpu, id, msg, tasks: task >= 0 ? [task] : [], time: this.now() });
  }

  /** A checker found a broken invariant (or BUG_ON): stop every CPU and report. Never returns. */
  violation(id: string, msg: string, tasks: number[], cycle?: CpuReport['cycle']): never {
    const first = Atomics.add(this.i32, this.a.hdrIndex('nr_violations'), 1) === 0;
    this.emit(EV.VIOLATION, tasks[0] ?? -1, violationCode(id));
    if (first) {
      this.report({ type: cycle ? 'deadlock' : 'violation', cpu: this.cpu, id, msg, tasks, held: [...this.locks.held], time: this.now(), ...(cycle ? { cycle } : {}) });
      Atomics.compareExchange(this.i32, this.a.hdrIndex('abort'), 0, this.cpu + 1);
    }
    throw new Violation(id, msg, tasks);
  }

  /** The workload deadlocked (lockdep's recursive / circular locking): stops every CPU as a violation
   *  does, reported as the scenario's problem (DEADLOCK), not the design's. Never returns. */
  deadlock(msg: string, cycle: { tasks: number[]; mutexes: number[] }): never {
    return this.violation('DEADLOCK', msg, cycle.tasks, { tasks: cycle.tasks, mutexes: cycle.mutexes });
  }

  aborted(): boolean { return Atomics.load(this.i32, this.a.r.headerI + H.abort) !== 0; }

  /** cpu_relax() in a spin-wait loop: yields the host core now and then, and unwinds on abort. */
  relax(iter: number): void {
    if (relaxHook()) {
      if (this.aborted()) throw new MachineAbort();
    } else if ((iter & 63) === 63) {
      // the magic word never changes: a 20 us sleep that gives the host core away
      Atomics.wait(this.i32, this.a.r.headerI + H.magic, ARENA_MAGIC, 0.02);
      if (this.aborted()) throw new MachineAbort();
    }
  }

  /** the task this CPU executes (rq->curr) */
  get current(): number { return this.i32[this.rqI + R.curr]; }
  get idle(): number { return this.i32[this.rqI + R.idle]; }
  isIdleTask(p: number): boolean { return this.tg(p, T.is_idle) === 1; }
}
