/**
 * The arena: one SharedArrayBuffer with every task, runqueue, mutex, program and event ring.
 * Allocated by the host, attached by each CPU worker. Only this file and layout.ts compute offsets.
 */
import {
  ARENA_MAGIC, EVENT, H, HEADER, MUTEX, RQ, TASK, layoutHash, regionsOf,
  type Geometry, type Regions,
} from './layout.ts';

export class LayoutMismatchError extends Error {}

/**
 * The clock seam: every read of time by kernel code goes through Arena.now(). Free runs read the
 * host's monotonic clock; an executor (src/exec) may install another per thread: virtual time
 * under the controlled executor, recorded or replayed values.
 */
export interface Clock {
  now(): number;
}

export class Arena {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly g: Geometry;
  readonly r: Regions;

  private constructor(sab: SharedArrayBuffer, g: Geometry) {
    this.sab = sab;
    this.g = g;
    this.r = regionsOf(g);
    const i32Bytes = Math.ceil((this.r.i32Len * 4) / 8) * 8;
    this.i32 = new Int32Array(sab, 0, this.r.i32Len);
    this.f64 = new Float64Array(sab, i32Bytes, this.r.f64Len);
  }

  static bytesFor(g: Geometry): number {
    const r = regionsOf(g);
    return Math.ceil((r.i32Len * 4) / 8) * 8 + r.f64Len * 8;
  }

  /** Host side: allocate and write the header. */
  static create(g: Geometry): Arena {
    if (g.ring_size & (g.ring_size - 1)) throw new Error('ring_size must be a power of two');
    const a = new Arena(new SharedArrayBuffer(Arena.bytesFor(g)), g);
    const h = a.r.headerI;
    a.i32[h + H.magic] = ARENA_MAGIC;
    a.i32[h + H.layout_hash] = layoutHash();
    a.i32[h + H.nr_cpus] = g.nr_cpus;
    a.i32[h + H.nr_tasks] = g.nr_tasks;
    a.i32[h + H.nr_mutexes] = g.nr_mutexes;
    a.i32[h + H.prog_len] = g.prog_len;
    a.i32[h + H.ring_size] = g.ring_size;
    return a;
  }

  /** Worker side: attach, refusing an arena written by another layout. */
  static attach(sab: SharedArrayBuffer): Arena {
    const head = new Int32Array(sab, 0, HEADER.i32Stride);
    if (head[H.magic] !== ARENA_MAGIC) throw new LayoutMismatchError('not a proxysim arena (bad magic)');
    if (head[H.layout_hash] !== layoutHash()) {
      throw new LayoutMismatchError(
        `arena layout hash ${head[H.layout_hash] >>> 0} != this build's ${layoutHash() >>> 0}: refusing to attach`);
    }
    const g: Geometry = {
      nr_cpus: head[H.nr_cpus], nr_tasks: head[H.nr_tasks], nr_mutexes: head[H.nr_mutexes],
      prog_len: head[H.prog_len], ring_size: head[H.ring_size],
    };
    return new Arena(sab, g);
  }

  // ---- base offsets (i32 / f64 index of a struct's first slot) ----
  /** i32 base of task p */
  t(p: number): number { return this.r.taskI + p * TASK.i32Stride; }
  /** f64 base of task p */
  td(p: number): number { return this.r.taskD + p * TASK.f64Stride; }
  rq(c: number): number { return this.r.rqI + c * RQ.i32Stride; }
  rqd(c: number): number { return this.r.rqD + c * RQ.f64Stride; }
  queue(c: number): number { return this.r.rqQueue + c * this.g.nr_tasks; }
  m(k: number): number { return this.r.mutexI + k * MUTEX.i32Stride; }
  waitList(k: number): number { return this.r.mutexWait + k * this.g.nr_tasks; }
  prog(p: number): number { return this.r.prog + p * this.g.prog_len; }
  ring(c: number): number { return this.r.ringI + c * this.g.ring_size * EVENT.i32Stride; }
  ringD(c: number): number { return this.r.ringD + c * this.g.ring_size; }

  hdr(field: keyof typeof H): number { return this.i32[this.r.headerI + H[field]]; }
  setHdr(field: keyof typeof H, v: number): void { this.i32[this.r.headerI + H[field]] = v; }
  hdrAtomic(field: keyof typeof H): number { return Atomics.load(this.i32, this.r.headerI + H[field]); }
  hdrIndex(field: keyof typeof H): number { return this.r.headerI + H[field]; }
  get t0(): number { return this.f64[this.r.headerD + H.t0]; }
  set t0(v: number) { this.f64[this.r.headerD + H.t0] = v; }

  get nrCpus(): number { return this.g.nr_cpus; }
  get nrTasks(): number { return this.g.nr_tasks; }
  get nrMutexes(): number { return this.g.nr_mutexes; }

  /** Ring CPU c's doorbell (rq->ipi, the IPI): an idle CPU sleeping on it wakes up. */
  kick(c: number): void {
    const i = this.rq(c) + RQ.off.ipi;
    Atomics.add(this.i32, i, 1);
    Atomics.notify(this.i32, i);
  }

  /** This thread's clock; null = the host's monotonic clock. */
  clock: Clock | null = null;

  /** Arena time: ns since the machine started, one clock for every thread. */
  now(): number { return this.clock !== null ? this.clock.now() : this.realNow(); }

  /** The host's monotonic clock, relative to the start. */
  realNow(): number { return Number(process.hrtime.bigint()) - this.t0; }
}

