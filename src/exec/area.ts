/**
 * The executor's shared state: one SharedArrayBuffer beside the arena, written only by whoever holds
 * the baton (a CPU worker, or the host while it samples), so a controlled run is a pure function of
 * (scenario, design, bugs, seed, schedule). A free run with --record uses the same buffer for its
 * global order of steps and for each CPU's clock reads.
 *
 * A step is one pass of a CPU through a step point: a gate window (a lock acquisition or a lockless
 * read), the top of the CPU loop ('cpu_loop'), the idle wait ('idle'), a retry of a held spinlock
 * ('spin') or a cpu_relax() ('relax'). The host's stop-the-world sample is a step of its own
 * ('host_sample', cpu slot HOST_SLOT).
 */
import { GATE_WINDOWS } from '../sync/windows.ts';

/** Every step window by id: the gate windows, then the executor's own. */
export const STEP_WINDOWS: readonly string[] = [...GATE_WINDOWS, 'cpu_loop', 'idle', 'spin', 'relax', 'host_sample'];
const WINDOW_ID = new Map(STEP_WINDOWS.map((w, k) => [w, k]));
export const W_CPU_LOOP = WINDOW_ID.get('cpu_loop')!;
export const W_IDLE = WINDOW_ID.get('idle')!;
export const W_SPIN = WINDOW_ID.get('spin')!;
export const W_RELAX = WINDOW_ID.get('relax')!;
export const W_HOST = WINDOW_ID.get('host_sample')!;
export function windowId(w: string): number {
  const id = WINDOW_ID.get(w);
  if (id === undefined) throw new Error(`step window ${w} is not in GATE_WINDOWS`);
  return id;
}

/** A step entry: (window id << 6) | cpu slot; the host's slot is 63. */
export const HOST_SLOT = 63;
export const packStep = (cpu: number, wid: number): number => (wid << 6) | (cpu < 0 ? HOST_SLOT : cpu);
export const stepCpu = (e: number): number => ((e & 63) === HOST_SLOT ? -1 : e & 63);
export const stepWindow = (e: number): number => e >>> 6;

export const EXECUTORS = ['free', 'random', 'pct', 'exhaustive'] as const;
export type ExecutorName = typeof EXECUTORS[number];

/** How a machine run is executed (machine options). */
export interface ExecutorSpec {
  /** free: the CPUs race (record = keep the order); random, pct: a strategy on the baton;
   *  replay: follow a record; prefix: follow a given order, then never preempt (exhaustive search) */
  kind: 'free' | 'random' | 'pct' | 'replay' | 'prefix';
  record?: boolean;
  /** PCT depth and expected length in steps */
  depth?: number;
  pctSteps?: number;
  /** replay, prefix: the packed steps to follow; replay of a free run: its clock reads */
  schedule?: Int32Array;
  clocks?: Float64Array[];
  /** virtual ns per step (controlled); default 100 */
  stepNs?: number;
  /** steps the record can hold */
  recordCap?: number;
}

/** What the executor tells of a run. */
export interface ExecResult {
  kind: ExecutorSpec['kind'];
  record: boolean;
  /** steps taken (controlled) or recorded (free) */
  steps: number;
  /** switches away from a CPU that could have gone on */
  preemptions: number;
  /** the record filled up: the run was cut there */
  full: boolean;
  /** a replay left its record: the first step where, and how often */
  divergence: { step: number; cpu: number; want: string; got: string; count: number } | null;
  /** the steps, packed ((window << 6) | cpu), up to the capacity */
  order: Int32Array;
  /** enabled CPUs at each controlled step (bit c = CPU c) */
  masks: Int32Array | null;
  /** virtual time at each controlled step */
  times: Float64Array | null;
  /** per-CPU clock reads (a free run's record) */
  clocks: Float64Array[] | null;
}

/** What drives a controlled run: a strategy, or a given order of CPUs to follow. */
export const STRATEGY = { FREE_RECORD: 0, RANDOM: 1, PCT: 2, REPLAY: 3, PREFIX: 4 } as const;

/** Per-CPU state at its current step point. */
export const ST = { RUNNING: 0, AT_STEP: 1, SPIN: 2, IDLE: 3, RELAX: 4, DONE: 5, STARTING: 6 } as const;

/** i32 header words */
export const X = {
  baton: 0, step: 1, arrived: 2, strategy: 3, rng: 4, sampling: 5, resume: 6,
  diverged_at: 7, div_cpu: 8, div_want: 9, div_got: 10, nr_cpus: 11, last: 12, preemptions: 13,
  pct_depth: 14, pct_next: 15, sched_len: 16, rec_cap: 17, sched_cap: 18, clock_cap: 19,
  full: 20, nr_tasks: 21, divergences: 22, clock_replay: 23, samples: 24, ticket_next: 25, ticket_serving: 26,
} as const;
const HEADER_I32 = 32;
/** per-CPU i32 words */
export const XC = { state: 0, window: 1, word: 2, val: 3, word2: 4, steps: 5, last_grant: 6, prio: 7, wake: 8, relax_at: 9, clock_n: 10, enabled_since: 11 } as const;
const CPU_I32 = 12;
/** f64 header words */
export const XD = { vnow: 0, duration: 1, next_sample: 2, sample_ns: 3, step_ns: 4 } as const;
const HEADER_F64 = 8;
const MAX_PCT_CHANGES = 64;

export interface ExecSpec {
  nrCpus: number;
  /** non-idle tasks (a controlled run ends when all have exited) */
  nrTasks: number;
  strategy: number;
  seed: number;
  /** steps the record (and the schedule to follow) can hold */
  recordCap: number;
  /** clock values per CPU (free-run records and their replays) */
  clockCap: number;
  durationNs: number;
  sampleNs: number;
  stepNs: number;
  /** PCT: depth d and the run's expected length in steps */
  pctDepth?: number;
  pctSteps?: number;
  /** the CPU order to follow (REPLAY, PREFIX), as packed steps */
  schedule?: Int32Array;
  /** per-CPU clock values to replay (a free-run record) */
  clocks?: Float64Array[];
}

export class ExecArea {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly nrCpus: number;
  /** region offsets (i32 indices; f64 indices for clocks) */
  readonly schedI: number;
  readonly recI: number;
  readonly maskI: number;
  readonly pctI: number;
  readonly clockD: number;
  /** f64 index: virtual time at each step */
  readonly timeD: number;
  readonly recCap: number;
  readonly clockCap: number;

  constructor(readonly sab: SharedArrayBuffer) {
    const head = new Int32Array(sab, 0, HEADER_I32);
    this.nrCpus = head[X.nr_cpus];
    this.recCap = head[X.rec_cap];
    this.clockCap = head[X.clock_cap];
    const l = ExecArea.layout(this.nrCpus, this.recCap, this.clockCap, head[X.sched_cap]);
    this.i32 = new Int32Array(sab, 0, l.i32Len);
    this.f64 = new Float64Array(sab, l.f64Byte, l.f64Len);
    this.schedI = l.schedI; this.recI = l.recI; this.maskI = l.maskI; this.pctI = l.pctI; this.clockD = l.clockD; this.timeD = l.timeD;
  }

  private static layout(nrCpus: number, recCap: number, clockCap: number, schedCap: number) {
    const cpuI = HEADER_I32;
    const schedI = cpuI + (nrCpus + 1) * CPU_I32;
    const recI = schedI + schedCap;
    const maskI = recI + recCap;
    const pctI = maskI + recCap;
    const i32Len = pctI + MAX_PCT_CHANGES;
    const f64Byte = Math.ceil((i32Len * 4) / 8) * 8;
    const clockD = HEADER_F64 + (nrCpus + 1);
    const timeD = clockD + nrCpus * clockCap;
    const f64Len = timeD + recCap;
    return { schedI, recI, maskI, pctI, clockD, timeD, i32Len, f64Byte, f64Len, bytes: f64Byte + f64Len * 8 };
  }

  static create(s: ExecSpec): ExecArea {
    const schedCap = s.schedule?.length ?? 0;
    const l = ExecArea.layout(s.nrCpus, s.recordCap, s.clockCap, schedCap);
    const sab = new SharedArrayBuffer(l.bytes);
    const h = new Int32Array(sab, 0, HEADER_I32);
    h[X.nr_cpus] = s.nrCpus; h[X.rec_cap] = s.recordCap; h[X.clock_cap] = s.clockCap; h[X.sched_cap] = schedCap;
    const x = new ExecArea(sab);
    const i = x.i32;
    i[X.baton] = -1; i[X.strategy] = s.strategy; i[X.rng] = (s.seed >>> 0) || 1; i[X.nr_tasks] = s.nrTasks;
    i[X.diverged_at] = -1; i[X.last] = -1; i[X.resume] = -1;
    x.f64[XD.duration] = s.durationNs; x.f64[XD.sample_ns] = s.sampleNs; x.f64[XD.next_sample] = s.sampleNs > 0 ? s.sampleNs : Infinity;
    x.f64[XD.step_ns] = s.stepNs;
    for (let c = 0; c <= s.nrCpus; c++) x.setCpu(c, XC.state, c < s.nrCpus ? ST.STARTING : ST.DONE);
    if (s.schedule) {
      i.set(s.schedule, x.schedI);
      i[X.sched_len] = s.schedule.length;
    }
    if (s.clocks) {
      i[X.clock_replay] = 1;
      for (let c = 0; c < s.nrCpus; c++) {
        const v = s.clocks[c] ?? new Float64Array(0);
        const n = Math.min(v.length, s.clockCap);
        x.f64.set(v.subarray(0, n), x.clockD + c * s.clockCap);
        x.setCpu(c, XC.clock_n, n);
      }
    }
    if (s.strategy === STRATEGY.PCT) x.initPct(s.pctDepth ?? 3, s.pctSteps ?? 20_000);
    return x;
  }

  cpuI(c: number): number { return HEADER_I32 + c * CPU_I32; }
  getCpu(c: number, f: number): number { return this.i32[HEADER_I32 + c * CPU_I32 + f]; }
  setCpu(c: number, f: number, v: number): void { this.i32[HEADER_I32 + c * CPU_I32 + f] = v; }
  /** the per-CPU wake word (the host's is slot nrCpus) */
  wakeIndex(c: number): number { return HEADER_I32 + c * CPU_I32 + XC.wake; }

  /** mulberry32 over the shared state word */
  random(): number {
    let s = (this.i32[X.rng] + 0x6d2b79f5) | 0;
    this.i32[X.rng] = s;
    let t = s >>> 0;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * PCT (Burckhardt et al., ASPLOS 2010): distinct random priorities d .. d+n-1 for the CPUs, and
   * d-1 change points drawn uniformly from the expected number of steps; at the k-th change point
   * the CPU that runs gets priority d-1-k (lower than every initial one).
   */
  private initPct(depth: number, steps: number): void {
    const n = this.nrCpus;
    const order = Array.from({ length: n }, (_, k) => k);
    for (let k = n - 1; k > 0; k--) { const j = Math.floor(this.random() * (k + 1)); [order[k], order[j]] = [order[j], order[k]]; }
    for (let k = 0; k < n; k++) this.setCpu(order[k], XC.prio, depth + k);
    const changes = Math.min(Math.max(0, depth - 1), MAX_PCT_CHANGES);
    const pts: number[] = [];
    for (let k = 0; k < changes; k++) pts.push(1 + Math.floor(this.random() * steps));
    pts.sort((x, y) => x - y);
    this.i32[X.pct_depth] = changes;
    for (let k = 0; k < changes; k++) this.i32[this.pctI + k] = pts[k];
    this.i32[X.pct_next] = 0;
  }

  /** The steps taken (controlled) or recorded (free), packed. */
  record(): Int32Array {
    const n = Math.min(this.i32[X.step], this.recCap);
    return this.i32.slice(this.recI, this.recI + n);
  }
  /** The enabled-CPU mask at each controlled step (the exhaustive search branches on it). */
  masks(): Int32Array {
    const n = Math.min(this.i32[X.step], this.recCap);
    return this.i32.slice(this.maskI, this.maskI + n);
  }
  /** Virtual time at each controlled step. */
  times(): Float64Array {
    const n = Math.min(this.i32[X.step], this.recCap);
    return this.f64.slice(this.timeD, this.timeD + n);
  }
  /** Each CPU's recorded clock reads. */
  clocks(): Float64Array[] {
    return Array.from({ length: this.nrCpus }, (_, c) => {
      const n = Math.min(this.getCpu(c, XC.clock_n), this.clockCap);
      return this.f64.slice(this.clockD + c * this.clockCap, this.clockD + c * this.clockCap + n);
    });
  }
  get steps(): number { return this.i32[X.step]; }
  /** a replay of a free run's record: its clock reads are replayed too */
  get replaysClocks(): boolean { return this.i32[X.clock_replay] === 1; }
  /** where CPU `cpu` stands: the global index of its last step, and how many steps it took */
  where(cpu: number): { step: number; cpuStep: number } {
    return { step: this.getCpu(cpu, XC.last_grant), cpuStep: this.getCpu(cpu, XC.steps) };
  }
  get vnow(): number { return this.f64[XD.vnow]; }
  get preemptions(): number { return this.i32[X.preemptions]; }
  /** The first step where a replay left the record, or null. */
  divergence(): { step: number; cpu: number; want: string; got: string; count: number } | null {
    const at = this.i32[X.diverged_at];
    if (at < 0) return null;
    return { step: at, cpu: this.i32[X.div_cpu], want: STEP_WINDOWS[this.i32[X.div_want]] ?? '?', got: STEP_WINDOWS[this.i32[X.div_got]] ?? '?', count: this.i32[X.divergences] };
  }
}
