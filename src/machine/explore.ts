/**
 * `--executor exhaustive --preemptions k`: a CHESS-style search of a scenario's schedules with at most
 * k preemptions (Musuvathi & Qadeer, "Iterative context bounding for systematic testing of
 * multithreaded programs", PLDI 2007). Stateless: every schedule is a fresh machine run under the
 * prefix executor (src/exec, kind 'prefix'), which follows a given order of CPUs for its first steps
 * and then never preempts. The search lives here, on the host; the CPUs know nothing of it.
 *
 *   run(prefix) ─> (order, masks) ─> for each step i >= |prefix|, each other CPU c enabled at i:
 *                                      child = order[0..i) + [c], cost = cost(prefix) + (c preempts?)
 *                                      kept when cost <= k and not seen before
 *
 * The work lists are kept per cost and emptied in increasing cost (the "iterative" of iterative context
 * bounding): every schedule of cost p is run before any of cost p+1, so a bug is first found with the
 * fewest preemptions the search needs, and a search cut by a budget has covered the cheap schedules
 * first. Within one cost the list is a stack (depth first), children pushed so that the earliest
 * branch point is taken first.
 *
 * What counts as a preemption: a switch at step i is one when the CPU that took step i-1 was enabled
 * at i and the search chose another. After the host's sample (a step of its own) nobody was running:
 * the executor forgets its `last` there, and the next choice is free, as at step 0. Only the search's
 * own choices cost: the steps of a run past its prefix are the default (never-preempt) schedule,
 * including the executor's starvation guard (an enabled CPU passed over for STARVE_STEPS * nrCpus
 * steps is made to run), which no schedule of the executor can avoid. (`exec.preemptions` of a run
 * counts differently: every switch away from a CPU standing AT_STEP, forced or chosen.)
 *
 * The search needs tiny, finite scenarios: a few tasks that exit (`repeat` with small counts), a
 * short duration. A run ends when every task has exited or at the duration: a schedule that livelocks
 * passes unless a check fires within the duration (L3 needs 20k fruitless picks, about 100k steps;
 * L1 and the other host checks need samples, samplerMs below the duration), and is counted in
 * `unfinished`. Each branch point of each run becomes a
 * schedule, and every schedule is a machine start-up (two CPU workers booting: about 2 CPU-seconds,
 * most of it loading the TypeScript loader and the kernel code in each worker), so the number of runs
 * is the cost. See src/workload/builtin/tiny-handoff.ts.
 *
 * Which prefix a branch gets: only a step's CPU matters to the executor. The window packed with it is
 * the one that CPU stands at in the run branched from (branches()), so a replay of a found schedule
 * reports no divergence.
 */
import { runMachine, type MachineOptions } from './machine.ts';
import type { RunSnapshot } from './snapshot.ts';
import { W_CPU_LOOP, W_IDLE, packStep, stepCpu, stepWindow } from '../exec/area.ts';
import { STARVE_STEPS } from '../exec/baton.ts';
import { EV } from '../trace/events.ts';

export interface ExploreOptions {
  /** the preemption bound k */
  preemptions: number;
  /** stop after this many schedules (runs) */
  maxSchedules?: number;
  /** stop once this much wall time has gone (checked between runs) */
  budgetMs?: number;
  /** runs at a time (default 1). Each run's CPUs take turns, so a run keeps about one core busy
   *  once booted; the order of the search depends on this value, never on timing. */
  parallel?: number;
  /** steps a run can record (default 1M): a run that fills it makes the search inexhaustive */
  recordCap?: number;
  /** called after each run, in the search's order: n = 1, 2, ... */
  onSchedule?: (n: number, snapshot: RunSnapshot, info: ScheduleInfo) => void;
}

export interface ScheduleInfo {
  /** the prefix the run followed */
  schedule: Int32Array;
  /** its preemptions (the search's choices) */
  preemptions: number;
}

export interface ExploreResult {
  /** schedules run */
  explored: number;
  /** every schedule with at most k preemptions was run, none failed, no record filled up */
  exhausted: boolean;
  /** why the search ended */
  stop: 'failure' | 'exhausted' | 'max-schedules' | 'budget' | 'interrupted';
  /** the first failing run, in the search's order: the prefix to replay it and its snapshot */
  failing: { schedule: Int32Array; snapshot: RunSnapshot; index: number; preemptions: number } | null;
  /** schedules run per preemption count (index = count) */
  perPreemptions: number[];
  /** schedules still waiting when the search stopped */
  pending: number;
  /** branch points not taken because the starvation guard decides that step */
  guardForced: number;
  /** branches not taken after the run stopped: the other CPU would only have left its loop */
  afterStop: number;
  /** runs that did not follow their prefix (the guard, or a nondeterminism): not expanded */
  overridden: number;
  /** runs whose executor reported a window divergence inside the prefix (should be 0) */
  divergent: number;
  /** runs that filled their record (their later branch points are unknown) */
  truncated: number;
  /** clean runs that ended at the duration with tasks not exited: a livelock or a lost wakeup that
   *  no check caught within the duration, or a scenario that does not end (should be 0) */
  unfinished: number;
  /** the longest run, in steps */
  maxSteps: number;
  wallMs: number;
}

/**
 * One schedule to run: the first `at` steps of a run (`base`, shared by all the branches of that run,
 * so a run of n steps costs O(n) however many branches it has), then `step`; and what it cost.
 */
export interface Branch {
  base: Int32Array;
  at: number;
  /** the packed step taken at `at` instead of the run's */
  step: number;
  /** preemptions the search chose to reach it */
  cost: number;
  /** the alternative CPU's window at the branch step was not known (see branches()) */
  windowUnknown: boolean;
  /** the identity of its CPU sequence (a hash: see branches()) */
  key: string;
}

/** The prefix the executor follows for a branch: base[0..at) + [step]. */
export function prefixOf(b: Branch): Int32Array {
  if (b.at < 0) return new Int32Array(0);
  const p = new Int32Array(b.at + 1);
  p.set(b.base.subarray(0, b.at));
  p[b.at] = b.step;
  return p;
}

const DEFAULT_RECORD_CAP = 1 << 20;

/**
 * Search the schedules of `opts` (a machine run without its executor) with at most `o.preemptions`
 * preemptions; stop at the first failing run (a finding that is not a warning).
 */
export async function explore(opts: Omit<MachineOptions, 'executor'>, o: ExploreOptions): Promise<ExploreResult> {
  const t0 = Date.now();
  const k = o.preemptions;
  if (!Number.isInteger(k) || k < 0) throw new Error(`preemptions must be an integer >= 0, got ${k}`);
  const parallel = Math.max(1, Math.floor(o.parallel ?? 1));
  const recordCap = o.recordCap ?? DEFAULT_RECORD_CAP;
  const nrCpus = opts.cpus ?? opts.scenario.cpus;
  /** the work lists, one per cost; each a stack */
  const levels: Branch[][] = Array.from({ length: k + 1 }, () => []);
  /** every branch ever queued, by its key: by construction no branch comes twice (the prefixes form
   *  a tree when every run follows its prefix); this is the guard if one did */
  const seen = new Set<string>();
  const perPreemptions = new Array<number>(k + 1).fill(0);
  const res: ExploreResult = {
    explored: 0, exhausted: false, stop: 'exhausted', failing: null, perPreemptions, pending: 0,
    guardForced: 0, afterStop: 0, overridden: 0, divergent: 0, truncated: 0, unfinished: 0, maxSteps: 0, wallMs: 0,
  };
  const root: Branch = { base: new Int32Array(0), at: -1, step: 0, cost: 0, windowUnknown: false, key: '' };
  seen.add(root.key);
  levels[0].push(root);

  for (;;) {
    if (opts.abortSignal?.aborted) { res.stop = 'interrupted'; break; }
    if (o.maxSchedules !== undefined && res.explored >= o.maxSchedules) { res.stop = 'max-schedules'; break; }
    if (o.budgetMs !== undefined && Date.now() - t0 >= o.budgetMs) { res.stop = 'budget'; break; }
    // a batch comes from the cheapest non-empty list (a run may add to its own list: free branches)
    const level = levels.findIndex((l) => l.length > 0);
    if (level < 0) { res.stop = 'exhausted'; res.exhausted = res.truncated === 0; break; }
    const room = Math.min(parallel, o.maxSchedules !== undefined ? o.maxSchedules - res.explored : parallel);
    const batch = levels[level].splice(Math.max(0, levels[level].length - room)).reverse();
    const prefixes = batch.map(prefixOf);
    const snaps = await Promise.all(prefixes.map((schedule) => runMachine({
      ...opts, executor: { kind: 'prefix', schedule, recordCap },
    })));
    let stop = false;
    for (let b = 0; b < batch.length; b++) {
      const n = batch[b];
      const s = snaps[b];
      res.explored++;
      perPreemptions[n.cost]++;
      o.onSchedule?.(res.explored, s, { schedule: prefixes[b], preemptions: n.cost });
      if (stop) continue;
      if (s.interrupted) { res.stop = 'interrupted'; stop = true; continue; }
      if (s.failure) {
        res.failing = { schedule: prefixes[b], snapshot: s, index: res.explored, preemptions: n.cost };
        res.stop = 'failure';
        stop = true;
        continue;
      }
      expand(n, prefixes[b], s);
    }
    if (stop) break;
  }
  res.pending = levels.reduce((t, l) => t + l.length, 0);
  res.wallMs = Date.now() - t0;
  return res;

  function expand(n: Branch, prefix: Int32Array, s: RunSnapshot): void {
    const e = s.exec;
    if (!e || !e.masks) throw new Error('explore: the run has no executor record (a controlled run was expected)');
    res.maxSteps = Math.max(res.maxSteps, e.steps);
    if (e.full) res.truncated++;
    if (s.kernel.header.exited_tasks < s.scenario.tasks.length) res.unfinished++;
    const len = prefix.length;
    // Did the run follow its prefix? Only the CPUs are compared.
    for (let j = 0; j < len; j++) {
      if (j >= e.order.length || stepCpu(e.order[j]) !== stepCpu(prefix[j])) {
        // the starvation guard overrode the branch (or the run is not what its parent said): this
        // run repeats one already run, whose branches are already in the lists
        res.overridden++;
        return;
      }
    }
    // a window the search could not know (n.windowUnknown) is reported as a divergence at the
    // branch step and means nothing; any other divergence would be a nondeterminism
    const d = e.divergence;
    if (d && !(n.windowUnknown && d.step === len - 1 && d.count === 1)) res.divergent++;
    const b = branches(e.order, e.masks, { length: len, cost: n.cost }, k, nrCpus, stopStep(s));
    res.guardForced += b.guardForced;
    res.afterStop += b.afterStop;
    // a stack per cost: push the latest branch point first, so that the earliest is taken first
    for (let j = b.children.length - 1; j >= 0; j--) {
      const c = b.children[j];
      if (seen.has(c.key)) continue;
      seen.add(c.key);
      levels[c.cost].push(c);
    }
  }
}

/**
 * The branches of one run (its `order` and enabled `masks`) that followed `parent.prefix`: for every
 * step i from the end of the prefix on and every other CPU c enabled there, the prefix order[0..i) + [c],
 * kept when its cost (the parent's, plus one if c preempts the CPU of step i-1) is at most k. In step
 * order. Not branched (and counted):
 *   guardForced  a step the starvation guard decided: the executor would override the prefix there;
 *   afterStop    from the step `stop` on (the run had stopped: see stopStep()), a CPU standing at its
 *                loop top or in the idle wait: all it does when chosen is leave its loop, touching
 *                nothing, so the branch would repeat this run's outcome (an alternative CPU in the
 *                middle of kernel code is still branched to).
 */
export function branches(order: Int32Array, masks: Int32Array, parent: { length: number; cost: number }, k: number,
  nrCpus: number, stop = Infinity): { children: Branch[]; guardForced: number; afterStop: number } {
  const len = parent.length;
  const forced = guardForced(order, masks, nrCpus);
  const nextOf = nextStepIndex(order, nrCpus);
  const hash = prefixHashes(order);
  const children: Branch[] = [];
  let nForced = 0;
  let nAfterStop = 0;
  // the CPU of step i-1 (-1 at step 0 and after the host's sample)
  let prev = len > 0 ? stepCpu(order[len - 1]) : -1;
  for (let i = len; i < order.length; i++) {
    const cur = stepCpu(order[i]);
    // the host's sample: nobody else could take it, and after it the executor starts afresh
    // (hostBegin() forgets `last`: the lowest enabled CPU goes on, and no switch is a preemption)
    if (cur < 0) { prev = -1; continue; }
    const m = masks[i];
    if (forced[i]) {
      if (m & ~(1 << cur)) nForced++;
    } else {
      for (let c = 0; c < nrCpus; c++) {
        if (c === cur || !((m >> c) & 1)) continue;
        const cost = parent.cost + (prev >= 0 && c !== prev && (m >> prev) & 1 ? 1 : 0);
        if (cost > k) continue;
        const nx = nextOf[i * nrCpus + c];
        if (i >= stop && nx >= 0 && (stepWindow(order[nx]) === W_CPU_LOOP || stepWindow(order[nx]) === W_IDLE)) {
          nAfterStop++;
          continue;
        }
        // Only the CPU of a step matters to the executor, but it checks the window too and counts a
        // mismatch as a divergence. The alternative CPU has stood at one step point since its last
        // step, so its window at i is the window of its next step in this run. A CPU that never steps
        // again here (the run ended first) gets window 0: the executor follows the CPU whatever the
        // window and reports the mismatch as a divergence at this one step, which explore() expects.
        const step = packStep(c, nx >= 0 ? stepWindow(order[nx]) : 0);
        children.push({ base: order, at: i, step, cost, windowUnknown: nx < 0, key: branchKey(hash, i, c) });
      }
    }
    prev = cur;
  }
  return { children, guardForced: nForced, afterStop: nAfterStop };
}

/**
 * The first step the executor took with `stop` set, or Infinity when that is not known. A controlled
 * run stops at the first choice made once every task has exited (do_exit() counts the task, and the
 * exiting CPU's next step point is in its last __schedule()) or once virtual time reached the
 * duration; exec.times holds the virtual time of each choice, the trace the time of each exit. (A run
 * that ended on a finding is not branched from at all.)
 */
export function stopStep(s: RunSnapshot): number {
  const times = s.exec?.times;
  if (!times) return Infinity;
  let t = s.durationNs;
  if (s.kernel.header.exited_tasks >= s.scenario.tasks.length) {
    // the last exit is near the end of its CPU's events, so within the tail a snapshot keeps
    let last = -1;
    for (const ev of s.events) if (ev.type === EV.EXIT && ev.time > last) last = ev.time;
    if (last >= 0) t = Math.min(t, last);
  }
  for (let j = 0; j < times.length; j++) if (times[j] >= t) return j;
  return Infinity;
}

/**
 * Two independent 32-bit hashes (FNV-1a and a multiplicative one) of each prefix's CPU sequence:
 * h[2j], h[2j+1] hash the CPUs of order[0..j). A branch's key is its length, the hashes of the steps
 * it keeps and its CPU: the windows follow from the CPUs, so two prefixes with the same CPUs are one
 * schedule. (A collision, about 2^-64 per pair, would drop a schedule.)
 */
function prefixHashes(order: Int32Array): Uint32Array {
  const h = new Uint32Array(2 * (order.length + 1));
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  h[0] = a; h[1] = b;
  for (let j = 0; j < order.length; j++) {
    const c = order[j] & 63;
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = (Math.imul(b, 0x85ebca6b) + c + 1) >>> 0;
    b ^= b >>> 13;
    h[2 * j + 2] = a; h[2 * j + 3] = b;
  }
  return h;
}

function branchKey(h: Uint32Array, at: number, cpu: number): string {
  return `${at}:${h[2 * at].toString(36)}:${h[2 * at + 1].toString(36)}:${cpu}`;
}

/**
 * next[i * nrCpus + c]: the first step index >= i that CPU c takes in `order`, or -1.
 */
function nextStepIndex(order: Int32Array, nrCpus: number): Int32Array {
  const next = new Int32Array((order.length + 1) * nrCpus).fill(-1);
  for (let i = order.length - 1; i >= 0; i--) {
    for (let c = 0; c < nrCpus; c++) next[i * nrCpus + c] = next[(i + 1) * nrCpus + c];
    const c = stepCpu(order[i]);
    if (c >= 0) next[i * nrCpus + c] = i;
  }
  return next;
}

/**
 * The steps the executor's starvation guard decided (baton.ts starved()): at step j, an enabled CPU
 * that has waited more than STARVE_STEPS * nrCpus steps since it arrived at its step point runs,
 * whatever the prefix says. A CPU arrives right after its last step (X.step is then that step + 1)
 * and at step 0 before its first one, so its wait at j is j - (last step + 1), or j. Such a step has
 * no alternative: a prefix that names another CPU there is overridden and repeats its parent's run.
 */
export function guardForced(order: Int32Array, masks: Int32Array, nrCpus: number): Uint8Array {
  const limit = STARVE_STEPS * nrCpus;
  const since = new Array<number>(nrCpus).fill(0);
  const forced = new Uint8Array(order.length);
  for (let j = 0; j < order.length; j++) {
    const m = masks[j];
    let worst = -1;
    let most = limit;
    for (let c = 0; c < nrCpus; c++) {
      if (!((m >> c) & 1)) continue;
      const waited = j - since[c];
      if (waited > most) { most = waited; worst = c; }
    }
    const c = stepCpu(order[j]);
    if (worst >= 0 && worst === c) forced[j] = 1;
    if (c >= 0) since[c] = j + 1;
  }
  return forced;
}
