/**
 * Raw spinlocks on arena words, one Locks object per thread (a CPU worker, or the host).
 *
 * Word: 0 = free, else owner id (cpu+1) | CONTENDED. Acquire: cmpxchg 0 -> id; spin a bounded
 * number of times; then mark the word CONTENDED and Atomics.wait on it (more simulated CPUs than
 * cores is normal: pure spinning would lose whole OS time slices to lock-holder preemption).
 * Unlock: exchange to 0, notify only if someone waits. Not FIFO on purpose (a ticket lock collapses
 * when oversubscribed).
 */
import type { Arena } from '../shm/arena.ts';
import { R, T, M } from '../shm/layout.ts';
import { contendedHook, lockAcquired, lockGate } from './gate.ts';
import {
  LOCK_CLASS, LockdepError, lockClass, lockIndex, lockId, lockName, orderConflict, type LockClass,
} from './lockdep.ts';

const CONTENDED = 1 << 30;
const SPIN = 128;
export const HOST_OWNER = 1000;

/** Thrown on every CPU when the machine aborts; unwinds a CPU loop without touching more state. */
export class MachineAbort extends Error {
  constructor() { super('machine aborted'); }
}

export class Locks {
  /** lock ids in acquisition order */
  readonly held: number[] = [];
  /** CPU index, or -1 for the host */
  readonly cpu: number;
  private readonly owner: number;
  private readonly rqBase: number;
  private readonly abortIdx: number;
  taskName: (t: number) => string = (t) => `task[${t}]`;

  constructor(readonly a: Arena, cpu: number) {
    this.cpu = cpu;
    this.owner = cpu >= 0 ? cpu + 1 : HOST_OWNER;
    this.rqBase = cpu >= 0 ? a.rq(cpu) : -1;
    this.abortIdx = a.hdrIndex('abort');
  }

  /** i32 index of a lock word */
  word(id: number): number {
    const i = lockIndex(id);
    switch (lockClass(id)) {
      case LOCK_CLASS.RQ: return this.a.rq(i) + R.lock;
      case LOCK_CLASS.WAIT: return this.a.m(i) + M.wait_lock;
      case LOCK_CLASS.PI: return this.a.t(i) + T.pi_lock;
      case LOCK_CLASS.BLOCKED: return this.a.t(i) + T.blocked_lock;
      case LOCK_CLASS.SIG: return this.a.t(i) + T.siglock;
      default: throw new Error(`bad lock id ${id}`);
    }
  }

  private heldNames(list: readonly number[]): string {
    return '[' + list.map((l) => lockName(l, this.taskName)).join(', ') + ']';
  }

  /** The held-stack mirror of another CPU (who holds `id` now). */
  private otherStack(id: number): { who: string; held: number[] } | null {
    const v = Atomics.load(this.a.i32, this.word(id)) & ~CONTENDED;
    if (v <= 0 || v === HOST_OWNER) return v === HOST_OWNER ? { who: 'host', held: [] } : null;
    const c = v - 1;
    if (c >= this.a.nrCpus) return null;
    const base = this.a.rq(c);
    const depth = Math.min(this.a.i32[base + R.held_depth], 8);
    const held: number[] = [];
    for (let k = 0; k < depth; k++) held.push(this.a.i32[base + R.held + k]);
    return { who: `CPU${c}`, held };
  }

  private me(): string { return this.cpu >= 0 ? `CPU${this.cpu}` : 'host'; }

  lock(id: number, window: string): void {
    lockGate(window);
    const conflict = orderConflict(this.held, id);
    if (conflict >= 0) {
      const self = this.held.includes(id);
      const other = this.otherStack(id);
      const kind = self ? 'self-deadlock' : 'order';
      throw new LockdepError(kind,
        `lockdep: ${kind === 'self-deadlock' ? 'recursive locking' : 'lock order violation'} on ${this.me()} at ${window}: ` +
        `acquiring ${lockName(id, this.taskName)} while holding ${this.heldNames(this.held)} ` +
        `(conflicts with ${lockName(conflict, this.taskName)}); ` +
        `holder of ${lockName(id, this.taskName)}: ${other ? `${other.who} ${this.heldNames(other.held)}` : 'nobody'}`,
        [...this.held], other?.held ?? null);
    }
    const i32 = this.a.i32;
    const w = this.word(id);
    if (Atomics.compareExchange(i32, w, 0, this.owner) !== 0) this.slowLock(w, id);
    this.push(id);
    lockAcquired(window);
  }

  private slowLock(w: number, id: number): void {
    const i32 = this.a.i32;
    if (this.rqBase >= 0) Atomics.store(i32, this.rqBase + R.spinning_on, id);
    const contended = contendedHook();
    if (contended !== null) {
      // an executor decides when this CPU runs again: it returns once the word may be free
      for (;;) {
        contended(w);
        if (Atomics.compareExchange(i32, w, 0, this.owner) === 0) return this.doneSpin();
      }
    }
    for (let s = 0; s < SPIN; s++) {
      if (i32[w] === 0 && Atomics.compareExchange(i32, w, 0, this.owner) === 0) return this.doneSpin();
    }
    for (;;) {
      let v = Atomics.load(i32, w);
      if (v === 0) {
        // We may not be the only waiter: keep the word CONTENDED so our unlock notifies.
        if (Atomics.compareExchange(i32, w, 0, this.owner | CONTENDED) === 0) return this.doneSpin();
        continue;
      }
      if (!(v & CONTENDED)) {
        if (Atomics.compareExchange(i32, w, v, v | CONTENDED) !== v) continue;
        v |= CONTENDED;
      }
      Atomics.wait(i32, w, v, 2);
      if (Atomics.load(i32, this.abortIdx) !== 0) {
        if (this.rqBase >= 0) Atomics.store(i32, this.rqBase + R.spinning_on, -1);
        throw new MachineAbort();
      }
    }
  }

  private doneSpin(): void {
    if (this.rqBase >= 0) Atomics.store(this.a.i32, this.rqBase + R.spinning_on, -1);
  }

  /** raw_spin_trylock */
  trylock(id: number, window: string): boolean {
    lockGate(window);
    const ok = !(orderConflict(this.held, id) >= 0 && this.held.includes(id)) &&
      Atomics.compareExchange(this.a.i32, this.word(id), 0, this.owner) === 0;
    if (ok) this.push(id);
    lockAcquired(window);
    return ok;
  }

  unlock(id: number): void {
    const i32 = this.a.i32;
    const w = this.word(id);
    const v = Atomics.load(i32, w);
    const k = this.held.lastIndexOf(id);
    if ((v & ~CONTENDED) !== this.owner || k < 0) {
      const other = this.otherStack(id);
      throw new LockdepError('non-owner-unlock',
        `lockdep: ${this.me()} releases ${lockName(id, this.taskName)} it does not hold; held: ${this.heldNames(this.held)}; ` +
        `holder: ${other ? `${other.who} ${this.heldNames(other.held)}` : 'nobody'}`,
        [...this.held], other?.held ?? null);
    }
    if (k === this.held.length - 1) { this.held.pop(); this.mirror(); }
    else { this.held.splice(k, 1); this.mirrorAll(); }
    if (Atomics.exchange(i32, w, 0) & CONTENDED) Atomics.notify(i32, w, 1);
  }

  private push(id: number): void {
    this.held.push(id);
    this.mirror();
  }

  /** keep the arena copy of the held stack current (soft-lockup and crash reports read it) */
  private mirror(): void {
    if (this.rqBase < 0) return;
    const i32 = this.a.i32;
    const n = this.held.length;
    if (n > 0 && n <= 8) i32[this.rqBase + R.held + n - 1] = this.held[n - 1];
    i32[this.rqBase + R.held_depth] = n;
  }

  private mirrorAll(): void {
    if (this.rqBase < 0) return;
    const n = Math.min(this.held.length, 8);
    for (let k = 0; k < n; k++) this.a.i32[this.rqBase + R.held + k] = this.held[k];
    this.a.i32[this.rqBase + R.held_depth] = this.held.length;
  }

  isHeld(id: number): boolean {
    return this.held.includes(id) && (Atomics.load(this.a.i32, this.word(id)) & ~CONTENDED) === this.owner;
  }

  /** lockdep_assert_held() */
  assertHeld(id: number, where: string): void {
    if (!this.isHeld(id)) {
      throw new LockdepError('not-held',
        `lockdep: ${where} requires ${lockName(id, this.taskName)} held on ${this.me()}; held: ${this.heldNames(this.held)}`,
        [...this.held], null);
    }
  }

  /** True when this thread holds no spinlock (IRQs would be enabled). */
  none(): boolean { return this.held.length === 0; }

  // Convenience constructors for ids.
  static rq(c: number): number { return lockId(LOCK_CLASS.RQ, c); }
  static pi(p: number): number { return lockId(LOCK_CLASS.PI, p); }
  static wait(m: number): number { return lockId(LOCK_CLASS.WAIT, m); }
  static blocked(p: number): number { return lockId(LOCK_CLASS.BLOCKED, p); }
  static sig(p: number): number { return lockId(LOCK_CLASS.SIG, p); }
}

export type { LockClass };
