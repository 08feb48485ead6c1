/**
 * The registry of designs (strategies). A new design is one file behind `ProxyDesign` and one line
 * here; everything else (list, the --strategy and --bug checks, hunt's matrix and clean runs, the
 * stress and compare defaults, the conformance suite) is derived from the records.
 */
import type { DirectedRun, ProxyDesign } from './design.ts';
import type { KnownBug } from './bugs.ts';
import { none } from './none.ts';
import { forceReturn } from './force-return.ts';
import { ttwuReturn } from './ttwu-return.ts';
import { ttwuBlocks, ttwuBlocksFixed } from './ttwu-blocks.ts';

export const DESIGNS: readonly ProxyDesign[] = [none, forceReturn, ttwuReturn, ttwuBlocks, ttwuBlocksFixed];

/** `run` without --strategy: the series as merged. */
export const DEFAULT_DESIGN = forceReturn.name;

export function designByName(name: string): ProxyDesign | undefined {
  return DESIGNS.find((d) => d.name === name);
}
export function designIndex(name: string): number { return DESIGNS.findIndex((d) => d.name === name); }

/** Designs that must run clean: the baseline and the correct ones (not the known-broken). */
export function cleanDesigns(): ProxyDesign[] { return DESIGNS.filter((d) => d.status !== 'known-broken'); }
export function knownBrokenDesigns(): ProxyDesign[] { return DESIGNS.filter((d) => d.status === 'known-broken'); }

/** One plantable (design, bug) pair with the run that exposes it. */
export interface DesignBug { design: string; bug: KnownBug; exposedBy: DirectedRun }

export function plantableBugs(): DesignBug[] {
  return DESIGNS.flatMap((d) => d.bugs.map((b) => ({ design: d.name, bug: b.bug, exposedBy: b.exposedBy })));
}

/** Every bug some design can plant, once, by number. */
export function knownBugs(): KnownBug[] {
  const byN = new Map<number, KnownBug>();
  for (const d of DESIGNS) for (const b of d.bugs) byN.set(b.bug.n, b.bug);
  return [...byN.values()].sort((x, y) => x.n - y.n);
}

/** The designs a bug can be planted in. */
export function designsOfBug(n: number): string[] {
  return DESIGNS.filter((d) => d.bugs.some((b) => b.bug.n === n)).map((d) => d.name);
}
