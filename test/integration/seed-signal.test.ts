/**
 * The seed thread's timeline (spec §3.11, T1) under v26 (force-return): A (pinned to CPU0)
 * donor-migrates to its owner B's CPU; a signal makes A RUNNING while still blocked; -EINTR (or, in
 * S2, the lock) comes only after B sleeps or unlocks; A only ever executes on its allowed CPU.
 *
 * The timelines are checked on controlled runs (src/exec, random schedule, fixed seed): a run is a
 * pure function of its inputs, so every episode of the run forms as scripted whatever the host's load,
 * and every one is checked. (A free run on a loaded host can stall a CPU worker past an episode's
 * first milliseconds: A then blocks only after B let go, or migrates only after the signal.)
 */
import { describe, expect, it } from 'vitest';
import { runControlled, id, failures } from '../helpers/run.ts';
import { EV } from '../../src/trace/events.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';
import type { TraceEvent } from '../../src/trace/ring.ts';

/** the random schedule's seed (any seed forms these timelines; one is enough) */
const SEED = 1;

function episode(r: RunSnapshot, n: number) {
  const A = id(r, `A${n}`);
  const B = id(r, r.names.includes(`B${n}`) ? `B${n}` : 'B1'); // S3 has one B for every episode
  const ev = r.events;
  const at = (pred: (e: TraceEvent) => boolean) => ev.find(pred);
  const sw = (t: number) => ev.filter((e) => e.type === EV.SCHED_SWITCH && e.a === t);
  return {
    A, B,
    blocks: at((e) => e.type === EV.MUTEX_BLOCK && e.task === A),
    migrate: at((e) => e.type === EV.PROXY_MIGRATE && e.task === A),
    signal: at((e) => e.type === EV.SIGNAL_SEND && e.task === A),
    runnable: at((e) => e.type === EV.TTWU_RUNNABLE && e.task === A),
    deactivate: at((e) => e.type === EV.PROXY_DEACTIVATE && e.task === A),
    bSleeps: at((e) => e.type === EV.BLOCK && e.task === B),
    bUnlocks: at((e) => e.type === EV.MUTEX_UNLOCK && e.task === B),
    forceReturn: at((e) => e.type === EV.PROXY_FORCE_RETURN && e.task === A),
    eintr: at((e) => e.type === EV.MUTEX_EINTR && e.task === A),
    acquire: at((e) => e.type === EV.MUTEX_ACQUIRE && e.task === A),
    aRuns: sw(A),
    bRuns: sw(B),
  };
}

/** A executes on CPU0 only (its affinity), in every episode */
function neverOffAffinity(r: RunSnapshot, n: number): void {
  for (const s of episode(r, n).aRuns) expect(s.cpu, `A${n} switched in on CPU${s.cpu}`).toBe(0);
}

/** A blocked on m0 and migrated to B's CPU as its donor before the signal came */
function donorMigratedBeforeSignal(e: ReturnType<typeof episode>, n: number): void {
  expect(e.blocks, `A${n} blocks on m0`).toBeDefined();
  expect(e.migrate, `A${n} migrates to B's CPU`).toBeDefined();
  expect([e.migrate!.a, e.migrate!.b], `A${n} migrates CPU0 -> CPU1`).toEqual([0, 1]);
  expect(e.signal, `sig${n} signals A${n}`).toBeDefined();
  expect(e.migrate!.time, `A${n} migrated before the signal`).toBeLessThan(e.signal!.time);
}

describe('seed-signal under force-return (v26)', () => {
  it('S1: migrate, signal -> RUNNING while blocked, -EINTR only after the owner sleeps, never off-affinity', async () => {
    // episodes 1-5 (5 ends at 815 ms, 6 starts at 960 ms); odd ones signal at t0+8ms (before B
    // sleeps, the seed's timeline), even ones at t0+25ms (after B slept and A was deactivated)
    const r = await runControlled('seed-signal', 'force-return', 900, SEED);
    expect(failures(r)).toEqual([]);
    for (const n of [1, 2, 3, 4, 5]) {
      neverOffAffinity(r, n);
      const e = episode(r, n);
      expect(e.bSleeps, `B${n} sleeps holding m0`).toBeDefined();
      expect(e.eintr, `A${n} gets -EINTR`).toBeDefined();
      expect(e.acquire, `A${n} never gets m0`).toBeUndefined();
      if (n % 2 === 1) {
        donorMigratedBeforeSignal(e, n);
        expect(e.runnable, `ttwu_runnable made A${n} RUNNING`).toBeDefined();
        expect(e.runnable!.b, `A${n} RUNNING with blocked_on still set`).toBe(1);
        expect(e.runnable!.time).toBeGreaterThan(e.signal!.time);
        expect(e.signal!.time, `sig${n} before B${n} sleeps`).toBeLessThan(e.bSleeps!.time);
        expect(e.forceReturn, `A${n} return migration`).toBeDefined();
        expect(e.forceReturn!.b).toBe(0);
        expect(e.forceReturn!.time, `A${n} returns only after B${n} sleeps`).toBeGreaterThan(e.bSleeps!.time);
        expect(e.eintr!.time, `A${n}'s -EINTR only after B${n} sleeps`).toBeGreaterThan(e.bSleeps!.time);
        expect(e.eintr!.time).toBeGreaterThan(e.forceReturn!.time);
        expect(e.aRuns.length).toBeGreaterThan(0);
      } else {
        expect(e.migrate, `A${n} migrates to B's CPU`).toBeDefined();
        expect(e.migrate!.time).toBeLessThan(e.bSleeps!.time);
        // B sleeps: the donor is deactivated; the signal wakes it home and -EINTR comes at once
        expect(e.deactivate, `A${n} deactivated when B${n} sleeps`).toBeDefined();
        expect(e.deactivate!.time).toBeGreaterThan(e.bSleeps!.time);
        expect(e.signal!.time).toBeGreaterThan(e.deactivate!.time);
        expect(e.eintr!.time).toBeGreaterThan(e.signal!.time);
        expect(e.bUnlocks, `B${n} unlocks`).toBeDefined();
        expect(e.eintr!.time, `A${n}'s -EINTR does not wait for B${n}'s unlock`).toBeLessThan(e.bUnlocks!.time);
      }
    }
  });

  it('S2: the lock (or -EINTR) comes only after the owner unlocks; A executes only on CPU0', async () => {
    // episodes 1-3 (3 ends at ~406 ms)
    const r = await runControlled('seed-signal-s2', 'force-return', 420, SEED);
    expect(failures(r)).toEqual([]);
    for (const n of [1, 2, 3]) {
      neverOffAffinity(r, n);
      const e = episode(r, n);
      donorMigratedBeforeSignal(e, n);
      expect(e.runnable?.b, `A${n} RUNNING with blocked_on still set`).toBe(1);
      expect(e.runnable!.time).toBeGreaterThan(e.signal!.time);
      expect(e.bUnlocks, `B${n} unlocks`).toBeDefined();
      expect(e.signal!.time).toBeLessThan(e.bUnlocks!.time);
      const outcome = e.acquire ?? e.eintr;
      expect(outcome, `episode ${n} outcome`).toBeDefined();
      expect(outcome!.time, `A${n}'s outcome only after B${n} unlocks`).toBeGreaterThan(e.bUnlocks!.time);
    }
  });

  it('S3: B holds m0 for the whole run; every A stays a RUNNING donor: no -EINTR, no lock, L2 observed', async () => {
    // B1 takes m0 at 10 ms and never lets go; A1-A3 arrive at 13, 203, 393 ms, signalled 5 ms later
    const r = await runControlled('seed-signal-s3', 'force-return', 420, SEED);
    expect(failures(r)).toEqual([]);
    for (const n of [1, 2, 3]) {
      neverOffAffinity(r, n);
      const e = episode(r, n);
      donorMigratedBeforeSignal(e, n);
      expect(e.runnable?.b, `A${n} RUNNING with blocked_on still set`).toBe(1);
      expect(e.runnable!.time).toBeGreaterThan(e.signal!.time);
      // the return migration happens only when the owner sleeps or lets go: B1 does neither
      expect(e.forceReturn, `A${n} stays on B1's CPU`).toBeUndefined();
      expect(e.eintr, `A${n} gets no -EINTR`).toBeUndefined();
      expect(e.acquire, `A${n} never gets m0`).toBeUndefined();
    }
    expect(r.liveness.stranded_observations, 'L2: stranded donors observed').toBeGreaterThan(0);
  });

  it('S4: while the hog saturates CPU1, neither the signalled donor nor the owner runs there', async () => {
    // episodes 1-2 (the hog runs 60 ms from t0+5; episode 2 ends at ~276 ms)
    const r = await runControlled('seed-signal-s4', 'force-return', 300, SEED);
    expect(failures(r)).toEqual([]);
    for (const n of [1, 2]) {
      neverOffAffinity(r, n);
      const e = episode(r, n);
      const hog = id(r, `hog${n}`);
      const hogIn = r.events.find((x) => x.type === EV.SCHED_SWITCH && x.a === hog);
      const hogExit = r.events.find((x) => x.type === EV.EXIT && x.task === hog);
      expect(hogIn?.cpu, `hog${n} runs on CPU1`).toBe(1);
      expect(hogExit, `hog${n} exits`).toBeDefined();
      expect(e.blocks, `A${n} blocks on m0`).toBeDefined();
      expect(e.migrate, `A${n} migrates to B's CPU`).toBeDefined();
      expect([e.migrate!.a, e.migrate!.b]).toEqual([0, 1]);
      // the signal comes while the hog runs: A is made RUNNING, still blocked, queued behind the hog
      expect(e.signal!.time).toBeGreaterThan(hogIn!.time);
      expect(e.signal!.time).toBeLessThan(hogExit!.time);
      expect(e.runnable?.b, `A${n} RUNNING with blocked_on still set`).toBe(1);
      const during = (x: TraceEvent) => x.cpu === 1 && x.time > hogIn!.time && x.time < hogExit!.time;
      expect(r.events.filter((x) => during(x) && x.type === EV.SCHED_SWITCH && (x.a === e.A || x.a === e.B)), `nobody of episode ${n} switched in on CPU1 while hog${n} ran`).toEqual([]);
      expect(r.events.filter((x) => during(x) && x.type === EV.PROXY_RUN && x.task === e.A), `B${n} does not run for A${n} while hog${n} runs`).toEqual([]);
      expect(e.bUnlocks, `B${n} unlocks`).toBeDefined();
      expect(e.bUnlocks!.time, `B${n} unlocks after hog${n} is done`).toBeGreaterThan(hogExit!.time);
      const outcome = e.acquire ?? e.eintr;
      expect(outcome, `episode ${n} outcome`).toBeDefined();
      expect(outcome!.time, `A${n}'s outcome only after B${n} unlocks`).toBeGreaterThan(e.bUnlocks!.time);
    }
    expect(r.liveness.stranded_observations, 'L2: stranded donors observed').toBeGreaterThan(0);
  });

  it('none: A never leaves CPU0 and, blocked when the signal comes, gets -EINTR after it', async () => {
    // episodes 1-3; the signal comes 5 ms (odd) or 22 ms (even) after A blocked
    const r = await runControlled('seed-signal', 'none', 420, SEED);
    expect(failures(r)).toEqual([]);
    for (const n of [1, 2, 3]) {
      neverOffAffinity(r, n);
      const e = episode(r, n);
      expect(e.migrate, `A${n} never migrates`).toBeUndefined();
      expect(e.blocks, `A${n} blocks on m0`).toBeDefined();
      expect(e.signal, `sig${n} signals A${n}`).toBeDefined();
      expect(e.blocks!.time, `A${n} blocked before the signal`).toBeLessThan(e.signal!.time);
      expect(e.eintr, `A${n} gets -EINTR`).toBeDefined();
      expect(e.eintr!.time).toBeGreaterThan(e.signal!.time);
      expect(e.acquire, `A${n} never gets m0`).toBeUndefined();
    }
  });
});
