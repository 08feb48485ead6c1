/**
 * The gate: every spinlock acquisition and every deliberate lockless read of shared state passes
 * here, named after its window (e.g. 'proxy_migrate_task:after_unlock'). Free-running it costs a
 * branch. With chaos on it may spin a seeded random delay, which is how the harness widens the race
 * windows of the spec (the ⟂ marks). Each CPU worker installs its own hook.
 */

export interface GateHook {
  (window: string): void;
}

/**
 * What an executor (src/exec) plugs in besides the gate hook. The kernel never sees these: it calls
 * gate(), the spinlocks call lockGate()/lockAcquired()/lockContended(), and cpu_relax() calls
 * relaxHook(). Free running with nothing installed, each is one branch.
 */
export interface ExecHooks {
  /** a lock acquisition is about to be tried (window = the lock's gate window) */
  lockGate(window: string): void;
  /** it succeeded (a free-run recorder orders acquisitions here, after the cmpxchg) */
  lockAcquired(window: string): void;
  /** it failed: the lock word at i32 index `word` is held; return when it may be free (a
   *  controlled executor runs other CPUs meanwhile). Without hooks the lock spins, then waits. */
  lockContended?(word: number): void;
  /** cpu_relax() in a spin-wait loop: give the other CPUs a turn */
  relax?(): void;
}

let hook: GateHook | null = null;
let execHooks: ExecHooks | null = null;

export function setGateHook(h: GateHook | null): void { hook = h; }
export function setExecHooks(h: ExecHooks | null): void { execHooks = h; }

export function gate(window: string): void {
  if (hook !== null) hook(window);
}

/** Before a spinlock's cmpxchg: the gate of its window. */
export function lockGate(window: string): void {
  if (execHooks !== null) execHooks.lockGate(window);
  else if (hook !== null) hook(window);
}

export function lockAcquired(window: string): void {
  if (execHooks !== null) execHooks.lockAcquired(window);
}

/** The installed contention hook, or null (then the spinlock spins and waits itself). */
export function contendedHook(): ((word: number) => void) | null {
  const h = execHooks;
  return h?.lockContended ? (word) => h.lockContended!(word) : null;
}

/** cpu_relax(): true when an executor took the turn (the caller skips its own backoff). */
export function relaxHook(): boolean {
  if (execHooks?.relax) { execHooks.relax(); return true; }
  return false;
}

/** mulberry32: small seeded PRNG, one stream per CPU. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Chaos at the gates: with probability p, busy-wait a random delay up to maxNs. */
export class Chaos {
  readonly fired = new Map<string, number>();
  readonly passed = new Map<string, number>();
  private readonly rnd: () => number;
  constructor(seed: number, private readonly p: number, private readonly maxNs: number,
              private readonly windows: readonly string[] | null) {
    this.rnd = prng(seed);
  }
  private selected(w: string): boolean {
    if (this.windows === null) return true;
    for (const sel of this.windows) if (w === sel || w.startsWith(sel + ':') || w.startsWith(sel)) return true;
    return false;
  }
  readonly hook: GateHook = (w) => {
    this.passed.set(w, (this.passed.get(w) ?? 0) + 1);
    if (!this.selected(w)) return;
    if (this.rnd() >= this.p) return;
    this.fired.set(w, (this.fired.get(w) ?? 0) + 1);
    const ns = this.rnd() * this.maxNs;
    const until = process.hrtime.bigint() + BigInt(Math.floor(ns));
    while (process.hrtime.bigint() < until) { /* widen the window */ }
  };
}
