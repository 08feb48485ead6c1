/**
 * What `hunt` runs, derived from the design records: every plantable (design, bug) pair on the
 * directed run that exposes it; every design that must be clean (baseline and correct) on every
 * built-in torture scenario; the known-broken designs on the same scenarios, their violations being
 * findings about the design.
 */
import { cleanDesigns, knownBrokenDesigns, plantableBugs } from '../proxy/index.ts';
import type { DirectedRun } from '../proxy/design.ts';

export interface DirectedCase extends DirectedRun {
  bug: number;
  design: string;
}

export function directedCases(): DirectedCase[] {
  return plantableBugs().map((p) => ({ ...p.exposedBy, bug: p.bug.n, design: p.design }));
}

/** Scenarios every correct design must run clean (with light chaos everywhere). */
export const CLEAN_SCENARIOS = [
  'pi-basic', 'seed-signal', 'seed-signal-s2', 'seed-signal-s3', 'seed-signal-s4', 'chain-3cpu', 'affinity-donors',
  'handoff-storm', 'sleeping-owners', 'wake-current', 'affinity-local', 'wakeq-race', 'football', 'fuzz',
];
export const CLEAN_CHAOS = { p: 0.01, maxNs: 50_000, windows: [] as string[] };

export function cleanDesignNames(): string[] { return cleanDesigns().map((d) => d.name); }
export function knownBrokenDesignNames(): string[] { return knownBrokenDesigns().map((d) => d.name); }
