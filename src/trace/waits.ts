/**
 * What the event log says about mutex waits: for every waiter, how long it waited, how much of that
 * time its owner chain ran, and how much CPU time tasks of lower priority than the waiter, outside
 * that chain, got meanwhile (priority-inversion time). Derived from sched_switch and mutex events.
 *
 * A streaming sweep in time order: the state at each moment (who runs on each CPU, who holds and who
 * waits on each mutex) is kept current, and every stretch between two events is charged to the waits
 * open in it. The machine feeds it each batch it drains from the rings (about every 10 ms), merged by
 * time within the batch, so no event array is kept. Cost: O(events x open waits x CPUs).
 *
 * The approximation of streaming: a batch holds what every CPU had written when its ring was read,
 * and the rings are read one after the other, so an event can arrive in a later batch than an event
 * of another CPU that is newer than it. Such a late event is still applied to the state (who runs,
 * who holds, who waits), but the stretch it would have split was already charged with the state
 * before it: charging resumes from max(last, t). The error is bounded by the skew of one drain (the
 * time to read the rings, microseconds) per late event; fed one sorted array, the result is exact.
 */
import type { TraceEvent } from './ring.ts';
import { EV } from './events.ts';

export interface WaitStats {
  task: number;
  mutex: number;
  waits: number;
  totalNs: number;
  maxNs: number;
  /** time the mutex owner (or the owner of what it waits on, transitively) ran while this task waited */
  ownerRanNs: number;
  /** time tasks of lower priority than the waiter (outside the owner chain) ran while it waited */
  inversionNs: number;
  /** the lower-priority tasks that ran, with their time */
  inverters: Record<number, number>;
  /** inversion time of each wait (for the histogram) */
  perWait: number[];
}

/** The events after which who runs, holds or waits can differ. */
const CHANGES_STATE: ReadonlySet<number> = new Set([EV.SCHED_SWITCH, EV.MUTEX_ACQUIRE, EV.MUTEX_UNLOCK, EV.MUTEX_EINTR, EV.MUTEX_BLOCK]);

interface OpenWait { task: number; mutex: number; since: number; inversion: number; stats: WaitStats }

/** The wait analysis, fed batch by batch: feed() each batch in time order, finish() once at the end. */
export class WaitAnalysis {
  private readonly curr = new Map<number, number>(); // cpu -> running task
  private readonly holder = new Map<number, number>(); // mutex -> task holding it
  private readonly waitingOn = new Map<number, number>(); // task -> mutex
  private readonly open = new Map<number, OpenWait>(); // task -> its open wait
  private readonly byKey = new Map<string, WaitStats>();
  /** the time charged up to (NaN: nothing fed yet) */
  private last = NaN;
  /** the newest event time seen (of any event) */
  private newest = NaN;
  /** events fed, and how many of them were older than the time already charged */
  fed = 0;
  late = 0;

  constructor(private readonly prioOf: (t: number) => number, private readonly isIdle: (t: number) => boolean) {}

  /** Apply a batch of events, in time order within the batch. */
  feed(batch: readonly TraceEvent[]): void {
    for (const e of batch) this.apply(e);
  }

  /** Close every open wait at endNs (or the last event, if later) and hand back the stats. */
  finish(endNs: number): WaitStats[] {
    const end = Number.isNaN(this.newest) ? endNs : Math.max(endNs, this.newest);
    this.advance(end);
    for (const t of [...this.open.keys()]) this.close(t, end);
    return [...this.byKey.values()].sort((x, y) => x.task - y.task || x.mutex - y.mutex);
  }

  private apply(e: TraceEvent): void {
    this.fed++;
    if (Number.isNaN(this.last)) this.last = e.time;
    else if (e.time < this.last) this.late++;
    if (!(e.time <= this.newest)) this.newest = e.time;
    // the state changes only at these events: between two of them one charge covers the stretch
    if (!CHANGES_STATE.has(e.type)) return;
    this.advance(e.time);
    switch (e.type) {
      case EV.SCHED_SWITCH: this.curr.set(e.cpu, e.a); break;
      case EV.MUTEX_ACQUIRE: this.holder.set(e.a, e.task); this.close(e.task, e.time); break;
      case EV.MUTEX_UNLOCK: if (this.holder.get(e.a) === e.task) this.holder.delete(e.a); break;
      case EV.MUTEX_EINTR: this.close(e.task, e.time); break;
      case EV.MUTEX_BLOCK: {
        const key = `${e.task}:${e.a}`;
        let stats = this.byKey.get(key);
        if (!stats) { stats = { task: e.task, mutex: e.a, waits: 0, totalNs: 0, maxNs: 0, ownerRanNs: 0, inversionNs: 0, inverters: {}, perWait: [] }; this.byKey.set(key, stats); }
        this.open.set(e.task, { task: e.task, mutex: e.a, since: e.time, inversion: 0, stats });
        this.waitingOn.set(e.task, e.a);
        break;
      }
    }
  }

  private chainOf(m: number): Set<number> {
    const out = new Set<number>();
    for (let hop = 0; hop < 64 && m !== undefined && m >= 0; hop++) {
      const o = this.holder.get(m);
      if (o === undefined || out.has(o)) break;
      out.add(o);
      m = this.waitingOn.get(o) ?? -1;
    }
    return out;
  }

  /** charge [last, t) to every open wait; an older t charges nothing */
  private advance(t: number): void {
    const dt = t - this.last;
    if (dt > 0 && this.open.size) {
      const running = [...this.curr.values()].filter((task) => !this.isIdle(task));
      const chains = new Map<number, Set<number>>(); // one walk per mutex waited on
      for (const w of this.open.values()) {
        let chain = chains.get(w.mutex);
        if (!chain) { chain = this.chainOf(w.mutex); chains.set(w.mutex, chain); }
        const wp = this.prioOf(w.task);
        for (const task of running) {
          if (task === w.task) continue;
          if (chain.has(task)) w.stats.ownerRanNs += dt;
          else if (this.prioOf(task) > wp) {
            w.stats.inversionNs += dt;
            w.inversion += dt;
            w.stats.inverters[task] = (w.stats.inverters[task] ?? 0) + dt;
          }
        }
      }
    }
    if (t > this.last) this.last = t;
  }

  private close(task: number, t: number): void {
    const w = this.open.get(task);
    if (!w) return;
    const len = Math.max(0, t - w.since);
    w.stats.waits++;
    w.stats.totalNs += len;
    w.stats.maxNs = Math.max(w.stats.maxNs, len);
    w.stats.perWait.push(w.inversion);
    this.open.delete(task);
    this.waitingOn.delete(task);
  }
}

/** The whole-array form: one sorted event list analysed at once (equal to feeding it as one batch). */
export function analyseWaits(events: readonly TraceEvent[], endNs: number, prioOf: (t: number) => number, isIdle: (t: number) => boolean): WaitStats[] {
  const w = new WaitAnalysis(prioOf, isIdle);
  w.feed(events);
  return w.finish(endNs);
}
