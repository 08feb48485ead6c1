/**
 * The conformance suite: what every registered design must show, derived from the registry. A new
 * design (one file behind ProxyDesign plus one line in proxy/index.ts DESIGNS) is checked here
 * without touching this file.
 *
 *  - the record: a unique name, a valid status, baseline <=> no proxy execution, every plantable bug
 *    described in proxy/bugs.ts, listed once, and exposed by a run that can happen (a built-in
 *    scenario at a CPU count it accepts, chaos aimed at gate windows that exist);
 *  - pi-basic on real CPU workers: a proxy design runs L on H's behalf and keeps the hog off the CPU
 *    while H waits; the baseline never proxies;
 *  - three torture scenarios on real CPU workers (short runs): mutual exclusion never broken, no
 *    crash; baseline and correct designs PASS with every task making progress and a consistent
 *    machine at the stop; a known-broken design may fail, but only by a check's violation that
 *    stops the machine.
 * No assertion depends on wall-clock timing.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DESIGN, DESIGNS, designByName } from '../../src/proxy/index.ts';
import type { DesignStatus, ProxyDesign } from '../../src/proxy/design.ts';
import { MAX_BUG, knownBug } from '../../src/proxy/bugs.ts';
import { findBuiltin } from '../../src/workload/builtin/index.ts';
import { GATE_WINDOWS } from '../../src/sync/windows.ts';
import { EV } from '../../src/trace/events.ts';
import { MUTEX_FLAG, PROXY_WAKING, TASK, TASK_ON_RQ_QUEUED, ownerTask } from '../../src/sched/constants.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';
import type { Scenario } from '../../src/workload/scenario.ts';
import { forever, lock, ms, run as runFor, sleep } from '../../src/workload/builtin/common.ts';
import { failures, id, run } from '../helpers/run.ts';

const STATUSES: readonly DesignStatus[] = ['baseline', 'correct', 'known-broken'];

/** The checks' ids: invariants I1..I18, liveness L1..L5 (spec §5). */
const CHECK_ID = /^(I([1-9]|1[0-8])|L[1-5])$/;

/** Short torture runs (2 CPUs each), chosen so that every task of the scenario makes progress
 *  within the run under every design that must be clean. */
const TORTURE: readonly { scenario: string; ms: number }[] = [
  { scenario: 'wake-current', ms: 500 },
  { scenario: 'sleeping-owners', ms: 500 },
  { scenario: 'affinity-local', ms: 500 },
];

/**
 * pi-basic (spec T3) with wider margins: the built-in gives L ~1 ms to take m0 before H arrives at
 * 2 ms, which a host that stalls a CPU worker at its start can miss (H then takes m0 uncontended).
 * Here H arrives at 20 ms and L's critical section is 60 ms; the hog (fifo 50) comes at 21 ms.
 * Proxy on: L runs on H's behalf, the hog gets no CPU until H has m0. Proxy off: the hog outranks L.
 */
const PI: Scenario = {
  name: 'pi-basic-wide', cpus: 1, mutexes: ['m0'],
  tasks: [
    { name: 'L', policy: 'fair', cpu: 0, program: [forever([lock('m0', [runFor(ms(60))]), sleep(ms(1))])] },
    { name: 'H', policy: 'fifo', prio: 90, cpu: 0, start: ms(20), program: [forever([lock('m0', [runFor(ms(1))]), sleep(ms(5))])] },
    { name: 'Med', policy: 'fifo', prio: 50, cpu: 0, start: ms(21), program: [forever([runFor(ms(10))])] },
  ],
};
/** runs of PI until its set-up happened (H blocked on m0 held by L); a stalled start is re-run */
const PI_ATTEMPTS = 3;

const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
const mustBeClean = (d: ProxyDesign): boolean => d.status !== 'known-broken';

/** Findings that are neither a warning nor a check's violation: a crash, a soft lockup. */
function breakdowns(r: RunSnapshot): string[] {
  return r.findings.filter((f) => f.kind === 'crash' || f.kind === 'softlockup').map((f) => `${f.kind} ${f.id}: ${f.msg}`);
}

/** A known-broken design's failure: a check fired, and it stopped the machine before the end. */
function expectCheckViolation(r: RunSnapshot): void {
  const f = r.failure!;
  expect(f.kind, `${f.kind} ${f.id}: ${f.msg}`).toBe('violation');
  expect(f.id).toMatch(CHECK_ID);
  expect(r.elapsedNs).toBeLessThan(r.durationNs);
}

/**
 * The machine as the CPUs left it at the stop (every CPU between two steps, no lock held): the
 * global invariants the sampler checks, read back from the snapshot by kernel field names.
 */
function stoppedMachineProblems(r: RunSnapshot, proxy: boolean): string[] {
  const { tasks, rqs, mutexes } = r.kernel;
  const out: string[] = [];
  const name = (p: number): string => tasks[p]?.name ?? `task[${p}]`;
  const listedOn = new Map<number, number>();
  rqs.forEach((q, c) => {
    if (q.queue.length !== q.nr_running) out.push(`I4 rq[${c}] nr_running ${q.nr_running}, ${q.queue.length} listed`);
    for (const p of q.queue) {
      if (listedOn.has(p)) out.push(`I3 ${name(p)} on rq[${listedOn.get(p)}] and rq[${c}]`);
      listedOn.set(p, c);
      const t = tasks[p];
      if (t.cpu !== c || t.list_cpu !== c || t.on_rq !== TASK_ON_RQ_QUEUED) {
        out.push(`I3 ${name(p)} listed on rq[${c}] with cpu ${t.cpu}, list_cpu ${t.list_cpu}, on_rq ${t.on_rq}`);
      }
    }
    const curr = tasks[q.curr];
    if (!curr.is_idle && (curr.on_cpu !== 1 || curr.cpu !== c)) out.push(`I5 rq[${c}]->curr ${curr.name} on_cpu ${curr.on_cpu} cpu ${curr.cpu}`);
    const donor = tasks[q.donor];
    if (!donor.is_idle && (donor.on_rq !== TASK_ON_RQ_QUEUED || donor.list_cpu !== c)) out.push(`I8 rq[${c}]->donor ${donor.name} not queued there`);
  });
  for (const t of tasks.slice(r.nrCpus)) {
    if (t.on_rq === TASK_ON_RQ_QUEUED && !listedOn.has(t.id)) out.push(`I3 ${t.name} on_rq QUEUED on no list`);
    if (t.on_rq !== TASK_ON_RQ_QUEUED && listedOn.has(t.id)) out.push(`I3/I13 ${t.name} listed with on_rq ${t.on_rq}`);
    if (t.on_cpu && !rqs.some((q) => q.curr === t.id)) out.push(`I5 ${t.name} on_cpu but nobody's curr`);
    if (t.__state === TASK.WAKING || t.ttwu_active !== 0) out.push(`I11 ${t.name} mid-wakeup at the stop`);
    if (!t.exited && t.__state === TASK.RUNNING && t.on_rq === 0 && t.on_cpu === 0 && t.wake_q_next === 0) out.push(`I9 ${t.name} lost`);
    if (t.blocked_on > 0 && !mutexes[t.blocked_on - 1].waiters.includes(t.id)) out.push(`I2 ${t.name} blocked on ${t.blocked_on - 1}, not its waiter`);
    if (!proxy && t.blocked_on === PROXY_WAKING) out.push(`${t.name} PROXY_WAKING with proxy execution off`);
    if (proxy && t.blocked_on === 0 && t.on_rq === TASK_ON_RQ_QUEUED && !t.affinity_pending && !(t.cpus_mask & (1 << t.cpu))) {
      out.push(`I18 ${t.name} queued on CPU${t.cpu} outside its mask`);
    }
  }
  for (const m of mutexes) {
    if (m.inside > 1 || m.inside < 0) out.push(`I1 ${m.name}: ${m.inside} inside`);
    if (m.inside === 1 && ownerTask(m.owner) !== m.holder) out.push(`I1 ${m.name}: ${name(m.holder)} inside, owner word names ${ownerTask(m.owner)}`);
    if (((m.owner & MUTEX_FLAG.WAITERS) !== 0) !== (m.waiters.length > 0)) out.push(`I1 ${m.name}: WAITERS flag vs ${m.waiters.length} waiters`);
  }
  return out;
}

describe('the registry', () => {
  it('names are unique and the default design is registered and correct', () => {
    const names = DESIGNS.map((d) => d.name);
    expect(new Set(names).size, `names: ${names.join(', ')}`).toBe(names.length);
    expect(designByName(DEFAULT_DESIGN)?.status).toBe('correct');
    expect(DESIGNS.filter((d) => d.status === 'baseline').length).toBeGreaterThanOrEqual(1);
  });
});

describe.each(DESIGNS.map((d) => [d.name, d] as const))('design %s', (_name, design) => {
  it('the record is well-formed', () => {
    expect(design.name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(designByName(design.name)).toBe(design);
    expect(design.summary.trim().length).toBeGreaterThan(0);
    expect(STATUSES, 'status').toContain(design.status);
    // the baseline is exactly "proxy execution off"
    expect(design.status === 'baseline', 'status baseline <=> proxy execution off').toBe(!design.proxy);
    if (design.runningBlockedIllegal) expect(design.proxy, 'runningBlockedIllegal without proxy execution').toBe(true);
    expect(typeof design.findProxyTask).toBe('function');
    const seen = new Set<number>();
    for (const { bug, exposedBy } of design.bugs) {
      const tag = `BUG${bug.n}`;
      expect(seen.has(bug.n), `${tag} listed twice`).toBe(false);
      seen.add(bug.n);
      expect(bug.n, tag).toBeGreaterThanOrEqual(1);
      expect(bug.n, tag).toBeLessThanOrEqual(MAX_BUG);
      // described once, in proxy/bugs.ts, with the invariant that catches it
      expect(knownBug(bug.n), tag).toBe(bug);
      expect(bug.caughtBy, tag).toMatch(CHECK_ID);
      for (const also of bug.alsoBy ?? []) expect(also, tag).toMatch(CHECK_ID);
      // exposed by a run that can happen
      const b = findBuiltin(exposedBy.scenario);
      expect(b, `${tag}: ${exposedBy.scenario} is not a built-in`).toBeDefined();
      if (exposedBy.cpus !== undefined) {
        expect(exposedBy.cpus, tag).toBeGreaterThanOrEqual(b!.minCpus);
        expect(exposedBy.cpus, tag).toBeLessThanOrEqual(b!.maxCpus);
      }
      if (exposedBy.chaos) {
        const { p, maxNs, windows } = exposedBy.chaos;
        expect(p, tag).toBeGreaterThan(0);
        expect(p, tag).toBeLessThanOrEqual(1);
        expect(maxNs, tag).toBeGreaterThan(0);
        expect(windows.length, tag).toBeGreaterThan(0);
        // each selector (a window or a prefix, as Chaos selects them) names at least one gate
        for (const w of windows) {
          expect(GATE_WINDOWS.some((g) => g === w || g.startsWith(w)), `${tag}: chaos window ${w} matches no gate`).toBe(true);
        }
      }
    }
  });

  it('pi-basic (wide margins): a proxy design runs L for H and keeps the hog off while H waits; the baseline never proxies', async () => {
    let r: RunSnapshot | undefined;
    for (let attempt = 0; attempt < PI_ATTEMPTS; attempt++) {
      r = await run(PI, design.name, 400, { seed: 1 + attempt });
      if (r.failure || r.events.some((e) => e.type === EV.MUTEX_BLOCK && e.task === id(r!, 'H'))) break;
    }
    r = r!;
    expect(breakdowns(r)).toEqual([]);
    if (mustBeClean(design)) {
      expect(failures(r)).toEqual([]);
      expect(r.verdict).toBe('PASS');
    } else if (r.failure) {
      expectCheckViolation(r);
      return;
    }
    const H = id(r, 'H');
    const L = id(r, 'L');
    const picks = sum(r.kernel.rqs.map((q) => q.proxy_picks));
    const hBlock = r.events.find((e) => e.type === EV.MUTEX_BLOCK && e.task === H);
    expect(hBlock, `H blocked on m0 (the set-up) in none of ${PI_ATTEMPTS} runs`).toBeDefined();
    if (!design.proxy) {
      expect(picks).toBe(0);
      expect(r.events.filter((e) => e.type === EV.PROXY_RUN || e.type === EV.PICK_DONOR || e.type === EV.PROXY_MIGRATE)).toEqual([]);
      expect(r.kernel.tasks.map((t) => t.nr_donated + t.nr_proxied)).toEqual(r.kernel.tasks.map(() => 0));
      return;
    }
    expect(picks).toBeGreaterThan(0);
    const proxied = r.events.find((e) => e.type === EV.PROXY_RUN && e.task === H);
    expect(proxied?.a, 'L runs on H\'s behalf').toBe(L);
    // L's critical section ends, H takes m0; the hog got no CPU in between
    const got = r.events.find((e) => e.type === EV.MUTEX_ACQUIRE && e.task === H);
    expect(got, 'H acquired m0').toBeDefined();
    expect(r.kernel.tasks[H].nr_acquired).toBeGreaterThan(0);
    const med = id(r, 'Med');
    const hogDuringWait = r.events.filter((e) => e.type === EV.SCHED_SWITCH && e.a === med && e.time >= hBlock!.time && e.time < got!.time);
    expect(hogDuringWait).toEqual([]);
  });

  for (const { scenario, ms } of TORTURE) {
    it(`${scenario}: ${mustBeClean(design) ? 'PASS, every task progresses, the stopped machine is consistent' : 'never a crash, any failure is a check\'s violation'}${design.proxy ? '' : ', nothing proxies'}`, async () => {
      const r = await run(scenario, design.name, ms, { keepEvents: false });
      expect(r.interrupted).toBe(false);
      expect(breakdowns(r)).toEqual([]);
      // mutual exclusion holds under every design, broken ones included
      expect(r.findings.filter((f) => f.id === 'I1').map((f) => f.msg)).toEqual([]);
      const rqs = r.kernel.rqs;
      if (!design.proxy) {
        expect(rqs.map((q) => q.proxy_picks + q.donor_migrations + q.force_returns + q.deactivations)).toEqual(rqs.map(() => 0));
        expect(r.kernel.tasks.every((t) => t.nr_donated === 0 && t.nr_proxied === 0 && t.blocked_on !== PROXY_WAKING)).toBe(true);
      }
      if (!mustBeClean(design)) {
        if (r.failure) expectCheckViolation(r);
        return;
      }
      expect(failures(r)).toEqual([]);
      expect(r.verdict).toBe('PASS');
      expect(r.samples).toBeGreaterThan(0);
      const stalled = r.kernel.tasks.slice(r.nrCpus).filter((t) => t.nr_ops === 0).map((t) => t.name);
      expect(stalled, 'tasks without a completed op').toEqual([]);
      expect(r.kernel.mutexes.map((m) => m.acquisitions > 0)).toEqual(r.kernel.mutexes.map(() => true));
      expect(stoppedMachineProblems(r, design.proxy)).toEqual([]);
      if (design.proxy) {
        // 2 CPUs with donors and owners apart: donors migrate and owners run on their behalf
        expect(sum(rqs.map((q) => q.proxy_picks))).toBeGreaterThan(0);
        expect(sum(rqs.map((q) => q.donor_migrations))).toBeGreaterThan(0);
      }
    });
  }
});
