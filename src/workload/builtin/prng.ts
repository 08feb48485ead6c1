/**
 * A tiny seeded PRNG for the generated built-ins (handoff-storm's per-task choices, fuzz): the same
 * seed always yields the same scenario, on every platform (no Math.random).
 */
import { prng } from '../../sync/gate.ts';

/** mulberry32 (one implementation for the project: the chaos streams use it too). Returns [0, 1). */
export const mulberry32 = prng;

/** Convenience wrapper: integers, picks, coin flips and subsets from one mulberry32 stream. */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** [0, 1) */
  float(): number {
    return this.next();
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }

  /** A non-empty subset of `list`, in the list's order. */
  subset<T>(list: readonly T[]): T[] {
    for (;;) {
      const out = list.filter(() => this.next() < 0.5);
      if (out.length > 0) return out;
    }
  }

  /** Pick by weight: entries [weight, value]. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of entries) {
      x -= w;
      if (x < 0) return v;
    }
    return entries[entries.length - 1][1];
  }
}
