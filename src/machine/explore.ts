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
 * the executor forgets its `last` there, and the next choice is free, as at step 0. Only the search's own choices cost: the steps of a run past its prefix are the
 * default (never-preempt) schedule, including the executor's starvation guard (an enabled CPU passed
 * over for STARVE_STEPS * nrCpus steps is made to run), which no schedule of the executor can avoid.
 * (`exec.preemptions` of a run counts differently: every switch away from a CPU standing AT_STEP,
 * forced or chosen.)
 *
 * The search needs tiny, finite scenarios: a few tasks that exit (`repeat` with small counts), a
 * short duration. A run ends when every task has exited; each branch point of each run becomes a
 * schedule, and every schedule is a machine start-up (~0.5-1 s on 2 cores), so the number of runs is
 * the cost. See src/workload/builtin/tiny-handoff.ts.
 */
import { runMachine, type MachineOptions } from './machine.ts';
import type { RunSnapshot } from './snapshot.ts';
import { packStep, stepCpu, stepWindow } from '../exec/area.ts';
import { STARVE_STEPS } from '../exec/baton.ts';

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
  /** runs that did not follow their prefix (the guard, or a nondeterminism): not expanded */
  overridden: number;
  /** runs whose executor reported a window divergence inside the prefix (should be 0) */
  divergent: number;
  /** runs that filled their record (their later branch points are unknown) */
  truncated: number;
  /** the longest run, in steps */
  maxSteps: number;
  wallMs: number;
}

/** One schedule to run: the prefix and what it cost. */
interface Node {
  prefix: Int32Array;
  cost: number;
  /** the alternative CPU's window at the branch step was not known (see expand) */
  windowUnknown: boolean;
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
  const levels: Node[][] = Array.from({ length: k + 1 }, () => []);
  const seen = new Set<string>();
  const perPreemptions = new Array<number>(k + 1).fill(0);
  const res: ExploreResult = {
    explored: 0, exhausted: false, stop: 'exhausted', failing: null, perPreemptions, pending: 0,
    guardForced: 0, overridden: 0, divergent: 0, truncated: 0, maxSteps: 0, wallMs: 0,
  };
  const root: Node = { prefix: new Int32Array(0), cost: 0, windowUnknown: false };
  seen.add(key(root.prefix));
  levels[0].push(root);
  let level = 0;

  const take = (): Node | undefined => {
    while (level <= k && levels[level].length === 0) level++;
    return level <= k ? levels[level].pop() : undefined;
  };

  for (;;) {
    if (opts.abortSignal?.aborted) { res.stop = 'interrupted'; break; }
    if (o.maxSchedules !== undefined && res.explored >= o.maxSchedules) { res.stop = 'max-schedules'; break; }
    if (o.budgetMs !== undefined && Date.now() - t0 >= o.budgetMs) { res.stop = 'budget'; break; }
    const batch: Node[] = [];
    const room = o.maxSchedules !== undefined ? Math.min(parallel, o.maxSchedules - res.explored) : parallel;
    for (let n = take(); n !== undefined; n = batch.length < room ? take() : undefined) {
      batch.push(n);
      if (batch.length >= room) break;
    }
    if (batch.length === 0) { res.stop = 'exhausted'; res.exhausted = res.truncated === 0; break; }
    const snaps = await Promise.all(batch.map((n) => runMachine({
      ...opts, executor: { kind: 'prefix', schedule: n.prefix, recordCap },
    })));
    let stop = false;
    for (let b = 0; b < batch.length; b++) {
      const n = batch[b];
      const s = snaps[b];
      res.explored++;
      perPreemptions[n.cost]++;
      o.onSchedule?.(res.explored, s, { schedule: n.prefix, preemptions: n.cost });
      if (stop) continue;
      if (s.interrupted) { res.stop = 'interrupted'; stop = true; continue; }
      if (s.failure) {
        res.failing = { schedule: n.prefix, snapshot: s, index: res.explored, preemptions: n.cost };
        res.stop = 'failure';
        stop = true;
        continue;
      }
      expand(n, s);
    }
    if (stop) break;
  }
  res.pending = levels.reduce((t, l) => t + l.length, 0);
  res.wallMs = Date.now() - t0;
  return res;

  /** The children of a run: every other enabled CPU at every step past the prefix, within the bound. */
  function expand(n: Node, s: RunSnapshot): void {
    const e = s.exec;
    if (!e || !e.masks) throw new Error('explore: the run has no executor record (a controlled run was expected)');
    const order = e.order;
    const masks = e.masks;
    res.maxSteps = Math.max(res.maxSteps, e.steps);
    if (e.full) res.truncated++;
    const len = n.prefix.length;
    // Did the run follow its prefix? Only the CPUs are compared: a window the search could not know
    // (n.windowUnknown) is reported as a divergence at the branch step and means nothing.
    for (let j = 0; j < len; j++) {
      if (j >= order.length || stepCpu(order[j]) !== stepCpu(n.prefix[j])) {
        // the starvation guard overrode the branch (or the run is not what its parent said): this
        // run repeats one already run; its branches are its parent's
        res.overridden++;
        return;
      }
    }
    const d = e.divergence;
    if (d && !(n.windowUnknown && d.step === len - 1 && d.count === 1)) res.divergent++;

    const forced = guardForced(order, masks, nrCpus);
    // the CPU of the last CPU step before j (the executor's `last`), and each CPU's next step from j
    let prev = -1;
    for (let j = 0; j < len; j++) prev = stepCpu(order[j]);
    const nextOf = nextStepIndex(order, nrCpus);
    const children: Node[] = [];
    for (let i = len; i < order.length; i++) {
      const cur = stepCpu(order[i]);
      // the host's sample: nobody else could take it, and after it the executor starts afresh
      // (hostBegin() forgets `last`: the lowest enabled CPU goes on, and no switch is a preemption)
      if (cur < 0) { prev = -1; continue; }
      const m = masks[i];
      if (forced[i]) { if (m & ~(1 << cur)) res.guardForced++; }
      else {
        for (let c = 0; c < nrCpus; c++) {
          if (c === cur || !((m >> c) & 1)) continue;
          const cost = n.cost + (prev >= 0 && c !== prev && (m >> prev) & 1 ? 1 : 0);
          if (cost > k) continue;
          const prefix = new Int32Array(i + 1);
          prefix.set(order.subarray(0, i));
          // The alternative CPU has stood at one step point since its last step, so its window at i
          // is the window of its next step in this run. A CPU that never steps again here (the run
          // ended first) gets window 0: the executor follows the CPU whatever the window and reports
          // the mismatch as a divergence at this one step, which expand() expects.
          const nx = nextOf[i * nrCpus + c];
          prefix[i] = packStep(c, nx >= 0 ? stepWindow(order[nx]) : 0);
          const kk = key(prefix);
          if (seen.has(kk)) continue;
          seen.add(kk);
          children.push({ prefix, cost, windowUnknown: nx < 0 });
        }
      }
      prev = cur;
    }
    // a stack per cost: push the latest branch point first so the earliest is popped first
    for (let j = children.length - 1; j >= 0; j--) levels[children[j].cost].push(children[j]);
  }
}

/** A prefix's identity: its CPUs (the windows follow from them). */
function key(prefix: Int32Array): string {
  let s = '';
  for (let j = 0; j < prefix.length; j++) s += String.fromCharCode(48 + (prefix[j] & 63));
  return s;
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
