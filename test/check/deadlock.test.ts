/**
 * A workload that deadlocks itself (lockdep's "possible recursive locking" / "possible circular
 * locking dependency") gets its own verdict, DEADLOCK with the cycle, whatever the design: not the
 * I15 (chain length) or L3 (proxy livelock) of a proxy design, nor L1/L4/L5 or silence without proxy.
 */
import { describe, expect, it } from 'vitest';
import { run, failures } from '../helpers/run.ts';
import type { Scenario } from '../../src/workload/scenario.ts';
import { summarize, renderSummary } from '../../src/report/summary.ts';

const SCENARIOS: Record<string, { scenario: Scenario; cycle: RegExp }> = {
  'recursive: lock m0 inside a critical of m0': {
    scenario: {
      name: 'self-nested', cpus: 2, mutexes: ['m0'],
      tasks: [
        { name: 'T1', policy: 'fair', program: [{ op: 'lock', mutex: 'm0', critical: [{ op: 'run', for: '200us' }, { op: 'lock', mutex: 'm0', critical: [{ op: 'run', for: '100us' }] }] }] },
        { name: 'W', policy: 'fair', program: [{ op: 'repeat', times: -1, body: [{ op: 'run', for: '300us' }, { op: 'sleep', for: '200us' }] }] },
      ],
    } as Scenario,
    cycle: /possible recursive locking.*T1 is trying to acquire m0 but already holds it/,
  },
  'recursive: lock m0 twice without unlock': {
    scenario: {
      name: 'self-twice', cpus: 2, mutexes: ['m0'],
      tasks: [
        { name: 'T1', policy: 'fifo', prio: 10, program: [{ op: 'lock', mutex: 'm0' }, { op: 'run', for: '100us' }, { op: 'lock', mutex: 'm0' }, { op: 'unlock', mutex: 'm0' }] },
        { name: 'W', policy: 'fair', program: [{ op: 'repeat', times: -1, body: [{ op: 'run', for: '300us' }, { op: 'sleep', for: '200us' }] }] },
      ],
    } as Scenario,
    cycle: /possible recursive locking.*T1 is trying to acquire m0 but already holds it/,
  },
  'circular: ABBA (T1 holds a waits b, T2 holds b waits a)': {
    scenario: {
      name: 'abba', cpus: 2, mutexes: ['a', 'b'],
      tasks: [
        // each takes its first lock, then sleeps long enough for the other to take its own first
        { name: 'T1', policy: 'fair', program: [{ op: 'lock', mutex: 'a', critical: [{ op: 'sleep', for: '40ms' }, { op: 'lock', mutex: 'b', critical: [{ op: 'run', for: '100us' }] }] }] },
        { name: 'T2', policy: 'fair', start: '5ms', program: [{ op: 'lock', mutex: 'b', critical: [{ op: 'sleep', for: '40ms' }, { op: 'lock', mutex: 'a', critical: [{ op: 'run', for: '100us' }] }] }] },
        { name: 'W', policy: 'fair', program: [{ op: 'repeat', times: -1, body: [{ op: 'run', for: '300us' }, { op: 'sleep', for: '200us' }] }] },
      ],
    } as Scenario,
    cycle: /possible circular locking dependency.*T(1|2) holds (a|b) and waits for (b|a); T(2|1) holds (b|a) and waits for (a|b).*deadlock: T\d -\[\w\]-> T\d -\[\w\]-> T\d/,
  },
  'circular, interruptible waits (no signal comes): reported once the cycle has lasted': {
    scenario: {
      name: 'abba-interruptible', cpus: 2, mutexes: ['a', 'b'],
      tasks: [
        { name: 'T1', policy: 'fair', program: [{ op: 'lock_interruptible', mutex: 'a', critical: [{ op: 'sleep', for: '40ms' }, { op: 'lock_interruptible', mutex: 'b', critical: [{ op: 'run', for: '100us' }] }] }] },
        { name: 'T2', policy: 'fair', start: '5ms', program: [{ op: 'lock_interruptible', mutex: 'b', critical: [{ op: 'sleep', for: '40ms' }, { op: 'lock_interruptible', mutex: 'a', critical: [{ op: 'run', for: '100us' }] }] }] },
        { name: 'W', policy: 'fair', program: [{ op: 'repeat', times: -1, body: [{ op: 'run', for: '300us' }, { op: 'sleep', for: '200us' }] }] },
      ],
    } as Scenario,
    cycle: /possible circular locking dependency.*deadlock: T\d -\[\w\]-> T\d -\[\w\]-> T\d/,
  },
};

describe('a workload deadlock is DEADLOCK, not a design violation', () => {
  for (const [what, { scenario, cycle }] of Object.entries(SCENARIOS)) {
    for (const strategy of ['none', 'force-return']) {
      it(`${strategy}, ${what}`, async () => {
        const r = await run(scenario, strategy, 8000, { cpus: scenario.cpus });
        expect(failures(r), r.findings.map((f) => f.msg).join('; ')).toHaveLength(1);
        expect(r.verdict).toBe('FAIL');
        expect(r.failure).toMatchObject({ kind: 'deadlock', id: 'DEADLOCK' });
        expect(r.failure!.msg).toMatch(cycle);
        expect(r.elapsedNs).toBeLessThan(7e9); // found while it ran, not at the end
        const text = renderSummary(summarize(r));
        expect(text).toMatch(/DEADLOCK in the workload/);
        expect(text).toMatch(/not a violation of the design/);
      }, 30_000);
    }
  }

  it('a design that proxies for the owner in a nested (non-cyclic) chain is not taken for a deadlock', async () => {
    const r = await run('chain-3cpu', 'force-return', 400);
    expect(failures(r)).toEqual([]);
  }, 30_000);
});
