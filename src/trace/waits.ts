/**
 * What the event log says about mutex waits: for every waiter, how long it waited, how much of that
 * time its owner chain ran, and how much CPU time tasks of lower priority than the waiter, outside
 * that chain, got meanwhile (priority-inversion time). Derived from sched_switch and mutex events.
 *
 * One sweep over the events in time order: the state at each moment (who runs on each CPU, who
 * holds and who waits on each mutex) is kept current, and every stretch between two events is
 * charged to the waits open in it. Cost: O(events x open waits x CPUs).
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

interface OpenWait { task: number; mutex: number; since: number; inversion: number; stats: WaitStats }

export function analyseWaits(events: readonly TraceEvent[], endNs: number, prioOf: (t: number) => number, isIdle: (t: number) => boolean): WaitStats[] {
  const curr = new Map<number, number>(); // cpu -> running task
  const holder = new Map<number, number>(); // mutex -> task holding it
  const waitingOn = new Map<number, number>(); // task -> mutex
  const open = new Map<number, OpenWait>(); // task -> its open wait
  const byKey = new Map<string, WaitStats>();
  let last = events.length ? events[0].time : 0;

  const chainOf = (m: number): Set<number> => {
    const out = new Set<number>();
    for (let hop = 0; hop < 64 && m !== undefined && m >= 0; hop++) {
      const o = holder.get(m);
      if (o === undefined || out.has(o)) break;
      out.add(o);
      m = waitingOn.get(o) ?? -1;
    }
    return out;
  };
  /** charge [last, t) to every open wait */
  const advance = (t: number): void => {
    const dt = t - last;
    if (dt > 0 && open.size) {
      for (const w of open.values()) {
        const chain = chainOf(w.mutex);
        const wp = prioOf(w.task);
        for (const task of curr.values()) {
          if (task === w.task || isIdle(task)) continue;
          if (chain.has(task)) w.stats.ownerRanNs += dt;
          else if (prioOf(task) > wp) {
            w.stats.inversionNs += dt;
            w.inversion += dt;
            w.stats.inverters[task] = (w.stats.inverters[task] ?? 0) + dt;
          }
        }
      }
    }
    if (t > last) last = t;
  };
  const close = (task: number, t: number): void => {
    const w = open.get(task);
    if (!w) return;
    const len = t - w.since;
    w.stats.waits++;
    w.stats.totalNs += len;
    w.stats.maxNs = Math.max(w.stats.maxNs, len);
    w.stats.perWait.push(w.inversion);
    open.delete(task);
    waitingOn.delete(task);
  };

  for (const e of events) {
    advance(e.time);
    switch (e.type) {
      case EV.SCHED_SWITCH: curr.set(e.cpu, e.a); break;
      case EV.MUTEX_ACQUIRE: holder.set(e.a, e.task); close(e.task, e.time); break;
      case EV.MUTEX_UNLOCK: if (holder.get(e.a) === e.task) holder.delete(e.a); break;
      case EV.MUTEX_EINTR: close(e.task, e.time); break;
      case EV.MUTEX_BLOCK: {
        const key = `${e.task}:${e.a}`;
        let stats = byKey.get(key);
        if (!stats) { stats = { task: e.task, mutex: e.a, waits: 0, totalNs: 0, maxNs: 0, ownerRanNs: 0, inversionNs: 0, inverters: {}, perWait: [] }; byKey.set(key, stats); }
        open.set(e.task, { task: e.task, mutex: e.a, since: e.time, inversion: 0, stats });
        waitingOn.set(e.task, e.a);
        break;
      }
    }
  }
  advance(Math.max(endNs, last));
  for (const t of [...open.keys()]) close(t, Math.max(endNs, last));
  return [...byKey.values()].sort((x, y) => x.task - y.task || x.mutex - y.mutex);
}
