/**
 * Defaults of the campaigns:
 *   `npm run stress` (stress with no flags): about ten minutes on a 2-core host (measured, see
 *     STRESS_DEFAULTS), every design except the known-broken sketch, the torture scenarios.
 *   `npm start` (no arguments = `compare`): about a minute, every design on three scenarios.
 * Scenario names that are not built-ins (yet) are skipped at run time with a note.
 * And the names a campaign runs: as given, 'all', or these defaults.
 */
import { DESIGNS, knownBrokenDesigns } from '../src/proxy/index.ts';
import { BUILTINS, findBuiltin } from '../src/workload/builtin/index.ts';

/** Left out of the default stress campaign: the known-broken designs (the seed's sketch as posted),
 *  which are known to fail (`--strategies all` or naming one includes it). */
export const STRESS_EXCLUDED_STRATEGIES: readonly string[] = knownBrokenDesigns().map((d) => d.name);

export const STRESS_DEFAULTS = {
  /** every registered design except the excluded ones */
  get strategies(): string[] {
    return DESIGNS.map((d) => d.name).filter((n) => !STRESS_EXCLUDED_STRATEGIES.includes(n));
  },
  scenarios: [
    'football', 'handoff-storm', 'sleeping-owners', 'wake-current', 'seed-signal', 'chain-3cpu', 'affinity-donors', 'fuzz',
  ] as readonly string[],
  /**
   * 4 designs x 8 scenarios x 4 seeds = 128 runs of 2 s. Measured on the 2-core host (shared, load
   * average ~5 from other work): the same campaign with one seed (32 runs) took 149 s, 4.7 s per run
   * (2 s run + CPU workers booting under tsx + the end-of-run wait analysis, which grows quickly with
   * the activity of the run: wake-current costs 7 s per run, football 3.7 s), so 128 runs ~ 10 min.
   * (3 s runs measured 17 min for 128 runs.)
   */
  seeds: 4,
  firstSeed: 1,
  duration: '2s',
  /** one run at a time: every run already has one worker thread per simulated CPU (2 cores here) */
  jobs: 1,
  /** the locktorture-style status line period when stderr is not a terminal */
  statInterval: '2s',
};

export const COMPARE_DEFAULTS = {
  /** all of them, the sketch included: the comparison shows what it gets wrong */
  get strategies(): string[] {
    return DESIGNS.map((d) => d.name);
  },
  scenarios: ['seed-signal', 'chain-3cpu', 'football'] as readonly string[],
  /** 5 designs x 3 scenarios x 1 seed = 15 runs of 2.5 s: measured 62 s on the 2-core host (busy) */
  seeds: 1,
  firstSeed: 1,
  duration: '2500ms',
  jobs: 1,
  statInterval: '2s',
};

/** --strategies as given: 'all' expands to every design; null: the defaults. */
export function expandStrategies(given: string[] | null): string[] {
  if (given === null) return STRESS_DEFAULTS.strategies;
  return given.includes('all') ? DESIGNS.map((d) => d.name) : given;
}

/** --scenarios as given; null: the defaults, of which the names that are not built-ins are skipped
 *  with a note (other engineers add scenarios). */
export function expandScenarios(given: string[] | null, defaults: readonly string[], notes: string[]): string[] {
  if (given !== null) return given.includes('all') ? BUILTINS.map((b) => b.name) : given;
  const out: string[] = [];
  for (const name of defaults) {
    const b = findBuiltin(name);
    if (b === undefined) notes.push(`note: scenario ${name} is not a built-in (yet): skipped`);
    else out.push(b.name);
  }
  return out;
}
