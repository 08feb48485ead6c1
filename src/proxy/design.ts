/**
 * One record per return-migration design: the hooks the scheduler core calls (ProxyOps,
 * sched/cpu.ts; the core knows nothing else about the designs) plus what the tools need to know.
 * Each design is one file.
 */
import type { ProxyOps } from '../sched/cpu.ts';
import type { KnownBug } from './bugs.ts';

/**
 * What a design is to the tools: `baseline` (no proxy execution: the control every comparison needs),
 * `correct` (must run every built-in scenario clean: hunt's clean runs, the stress default), or
 * `known-broken` (posted with holes: run to show them, left out of the stress default).
 */
export type DesignStatus = 'baseline' | 'correct' | 'known-broken';

/** A run that exposes a planted bug: a built-in scenario, and chaos aimed at the gate windows
 *  (prefixes) that widen its race (none: no chaos). */
export interface DirectedRun {
  scenario: string;
  cpus?: number;
  chaos?: { p: number; maxNs: number; windows: string[] };
}

/** A known bug that lives in this design's code path, and the run that exposes it (spec §6:
 *  change -> exposing interleaving -> catching invariant). */
export interface PlantableBug {
  bug: KnownBug;
  exposedBy: DirectedRun;
}

export interface ProxyDesign extends ProxyOps {
  /** strategy name on the command line */
  readonly name: string;
  /** one line for `list` */
  readonly summary: string;
  /** baseline, correct or known-broken (hunt, stress and compare derive their lists from it) */
  readonly status: DesignStatus;
  /** the known bugs that can be planted in this design (--bug BUGn), each with its directed run */
  readonly bugs: readonly PlantableBug[];
}
