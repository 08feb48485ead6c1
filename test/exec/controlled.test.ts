/**
 * The controlled executor (src/exec) keeps its promises: a run is a pure function of (scenario,
 * design, bugs, seed, executor), whatever the host's load; the seed chooses the schedule; time is
 * virtual; a planted bug is found at the same step every time; PCT finds planted bugs too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CONTROLLED_TICK_NS, runControlled, failures } from '../helpers/run.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';
import { plantableBugs, type DesignBug } from '../../src/proxy/index.ts';
import { percentilesOf } from '../../src/trace/metrics.ts';

/** virtual ns a step costs (the executor's default) */
const STEP_NS = 100;
const MS = 300;

/** Run f while busy processes (one per core) load the host; they stop afterwards, whatever happens. */
async function underLoad<T>(f: () => Promise<T>): Promise<T> {
  // each also stops by itself after a minute, should this process die without its finally
  const busy = 'const end = Date.now() + 60000; while (Date.now() < end);';
  const hogs: ChildProcess[] = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', busy], { stdio: 'ignore' }));
  try {
    return await f();
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
}

/** the kernel's state at the end, without the host's real start time */
function kernelState(r: RunSnapshot): unknown {
  const { t0: _t0, ...header } = r.kernel.header as Record<string, unknown>;
  return { ...r.kernel, header };
}

/** each latency histogram, decoded (the encodings differ with the order the CPUs' parts were added) */
function latencies(r: RunSnapshot): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r.histograms).map(([m, h]) => [m, percentilesOf(h)]));
}

const findingsAt = (r: RunSnapshot) => r.findings.map((f) => ({ kind: f.kind, id: f.id, step: f.step }));

function plantable(design: string, bug: number): DesignBug {
  const p = plantableBugs().find((x) => x.design === design && x.bug.n === bug);
  if (!p) throw new Error(`BUG${bug} is not plantable in ${design}`);
  return p;
}

/** A planted bug's directed run under a controlled executor. */
function directed(p: DesignBug, seed: number, extra: Parameters<typeof runControlled>[4] = {}): Promise<RunSnapshot> {
  return runControlled(p.exposedBy.scenario, p.design, 600, seed, { bugs: [p.bug.n], cpus: p.exposedBy.cpus, keepEvents: false, ...extra });
}

describe('controlled executor', () => {
  let quiet: RunSnapshot;
  let loaded: RunSnapshot;

  it('the same inputs give the same run, on a loaded host too: order, events, end state, latencies', async () => {
    quiet = await runControlled('chain-3cpu', 'force-return', MS, 1);
    loaded = await underLoad(() => runControlled('chain-3cpu', 'force-return', MS, 1));
    expect(failures(quiet)).toEqual([]);
    expect(quiet.exec?.kind).toBe('random');
    expect(quiet.exec!.full).toBe(false);
    expect(quiet.exec!.steps).toBeGreaterThan(1000);
    expect(loaded.exec!.steps).toBe(quiet.exec!.steps);
    expect(loaded.exec!.preemptions).toBe(quiet.exec!.preemptions);
    expect(loaded.exec!.order).toEqual(quiet.exec!.order);
    expect(findingsAt(loaded)).toEqual(findingsAt(quiet));
    expect(loaded.events).toEqual(quiet.events);
    expect(loaded.eventsSeen).toBe(quiet.eventsSeen);
    // the kernel's counters at the end: nr_switches per runqueue, and every other field
    const switches = (r: RunSnapshot) => r.kernel.rqs.map((q) => q.nr_switches);
    expect(switches(quiet).every((n) => n > 0)).toBe(true);
    expect(switches(loaded)).toEqual(switches(quiet));
    expect(kernelState(loaded)).toEqual(kernelState(quiet));
    expect(loaded.waits).toEqual(quiet.waits);
    expect(loaded.samples).toBe(quiet.samples);
    // latencies are in virtual ns: the host's load does not show in them
    expect(Object.keys(quiet.histograms)).toContain('wakeup_latency');
    expect(latencies(loaded)).toEqual(latencies(quiet));
  }, 120_000);

  it('time is virtual: the run lasts its duration, up to the last step\'s advance', () => {
    // the run stops at the first step at or past the duration; that step can have advanced the clock
    // by a `run` slice (at most a tick) or an idle jump (to the next timer, within a tick); then
    // each CPU takes a last step or two to leave its loop
    for (const r of [quiet, loaded]) {
      expect(r.elapsedNs).toBeGreaterThanOrEqual(MS * 1e6);
      expect(r.elapsedNs - MS * 1e6).toBeLessThanOrEqual(CONTROLLED_TICK_NS + 10 * r.nrCpus * STEP_NS);
    }
    expect(loaded.elapsedNs).toBe(quiet.elapsedNs);
    // every event is stamped in virtual time: on the run's clock, not the host's
    expect(quiet.events.every((e) => e.time >= 0 && e.time <= quiet.elapsedNs)).toBe(true);
  });

  it('another seed gives another order', async () => {
    const other = await runControlled('chain-3cpu', 'force-return', MS, 2);
    expect(failures(other)).toEqual([]);
    expect(Array.from(other.exec!.order)).not.toEqual(Array.from(quiet.exec!.order));
  }, 60_000);

  it('a planted bug is found under the random executor, with the same violation at the same step every time', async () => {
    // BUG7 in force-return: migrate or deactivate while rq->curr is in the chain; its directed run
    const p = plantable('force-return', 7);
    const [a, b] = [await directed(p, 1), await directed(p, 1)];
    const ids = [p.bug.caughtBy, ...(p.bug.alsoBy ?? [])];
    expect(a.failure, `BUG${p.bug.n} found on ${p.exposedBy.scenario}`).not.toBeNull();
    expect(ids).toContain(a.failure!.id);
    expect(a.failure!.step).toBeGreaterThan(0);
    expect(b.failure && { id: b.failure.id, step: b.failure.step }).toEqual({ id: a.failure!.id, step: a.failure!.step });
    expect(findingsAt(b)).toEqual(findingsAt(a));
    expect(b.exec!.order).toEqual(a.exec!.order);
  }, 60_000);

  it('the PCT executor finds planted bugs', async () => {
    for (const p of [plantable('force-return', 13), plantable('ttwu-blocks-fixed', 8)]) {
      const r = await directed(p, 1, { executor: { kind: 'pct', depth: 3 } });
      expect(r.exec?.kind).toBe('pct');
      const ids = [p.bug.caughtBy, ...(p.bug.alsoBy ?? [])];
      expect(r.failure?.id, `BUG${p.bug.n} in ${p.design} on ${p.exposedBy.scenario}`).toBeDefined();
      expect(ids).toContain(r.failure!.id);
    }
  }, 60_000);
});
