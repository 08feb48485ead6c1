/**
 * Every plantable bug is detected by its expected invariant on its directed scenario within a
 * bounded budget; every correct design runs the stress scenarios clean under light chaos.
 * (Detection rates over many runs: `npm start -- hunt --runs 20`.)
 */
import { describe, expect, it } from 'vitest';
import { runMachine } from '../../src/machine/machine.ts';
import { resolveScenario } from '../../src/workload/validate.ts';
import { directedCases, cleanDesignNames, CLEAN_CHAOS } from '../../src/hunt/directed.ts';
import { knownBug } from '../../src/proxy/bugs.ts';
import { findBuiltin } from '../../src/workload/builtin/index.ts';

const BUDGET_NS = 4e9;
const ATTEMPTS = 3;

describe('planted bugs are detected', () => {
  it('every directed case is a described bug on a built-in scenario', () => {
    for (const d of directedCases()) {
      expect(knownBug(d.bug), `BUG${d.bug}`).toBeDefined();
      expect(findBuiltin(d.scenario), d.scenario).toBeDefined();
    }
  });

  for (const d of directedCases()) {
    const bug = knownBug(d.bug)!;
    const want = [bug.caughtBy, ...(bug.alsoBy ?? [])];
    it(`BUG${d.bug} on ${d.design}/${d.scenario} is caught by ${want.join(' or ')}`, async () => {
      // the budget: up to ATTEMPTS runs (seeds) of BUDGET_NS each; detection rates per single run
      // are in the README (hunt --runs 20)
      let f;
      for (let attempt = 0; attempt < ATTEMPTS && !f; attempt++) {
        const r = await runMachine({
          scenario: resolveScenario(d.scenario), strategy: d.design, durationNs: BUDGET_NS, seed: 11 + attempt, bugs: [d.bug],
          chaos: d.chaos ? { p: d.chaos.p, maxNs: d.chaos.maxNs, windows: d.chaos.windows } : null, keepEvents: false,
        });
        f = r.findings.find((x) => x.kind !== 'warn');
        if (f) expect(r.elapsedNs).toBeLessThan(BUDGET_NS); // the first violation stopped the machine
      }
      expect(f, 'detected within the budget').toBeDefined();
      expect(want).toContain(f!.id);
    });
  }
});

describe('correct designs run clean', () => {
  for (const design of cleanDesignNames()) {
    it(`${design}: fuzz, handoff-storm, sleeping-owners, affinity-local with chaos`, async () => {
      for (const scenario of ['fuzz', 'handoff-storm', 'sleeping-owners', 'affinity-local']) {
        const r = await runMachine({
          scenario: resolveScenario(scenario), strategy: design, durationNs: 700e6, seed: 5,
          chaos: { p: CLEAN_CHAOS.p, maxNs: CLEAN_CHAOS.maxNs, windows: null }, keepEvents: false,
        });
        expect(r.findings.map((f) => `${f.kind} ${f.id}: ${f.msg}`), scenario).toEqual([]);
        expect(r.samples, scenario).toBeGreaterThan(3);
      }
    });
  }
});
