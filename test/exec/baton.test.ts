import { describe, expect, it } from 'vitest';
import { runMachine } from '../../src/machine/machine.ts';
import type { Scenario } from '../../src/workload/scenario.ts';

// One task pinned to CPU1; CPU0 has nothing to do. Under PCT seed 2 CPU1 outranks CPU0 and takes
// every step until its task exits; it then leaves its loop and must hand the baton to CPU0 even
// though it never received the baton by a hand-over (it kept choosing itself). Before the fix the
// run hung here: CPU0 waited forever for a baton nobody held.
const pinned: Scenario = {
  name: 'pinned-one', cpus: 2, mutexes: [],
  tasks: [{ name: 'A', policy: 'fair', affinity: [1], program: [{ op: 'run', for: '1us' }] }],
};

describe('the baton', () => {
  it.each([1, 2, 3])('is handed on by a CPU that leaves its loop after choosing itself every time (pct seed %i)', async (seed) => {
    const r = await runMachine({ scenario: pinned, strategy: 'none', durationNs: 1e9, seed, executor: { kind: 'pct', depth: 3 } });
    expect(r.verdict).toBe('PASS');
    expect(r.kernel.header.exited_tasks).toBe(1);
    // the run ended because the task exited, long before the duration
    expect(r.elapsedNs).toBeLessThan(1e6);
    expect(r.exec!.steps).toBeGreaterThan(10);
  }, 60_000);
});
