/**
 * What the event log says about mutex waits: for every waiter, how long it waited, how much of that
 * time its owner chain ran, and how much CPU time tasks of lower priority than the waiter, outside
 * that chain, got meanwhile (priority-inversion time). Derived from sched_switch and mutex events only.
 */
import type { TraceEvent } from '../trace/ring.ts';
import { EV } from '../trace/events.ts';

export interface WaitStats {
  task: number;
  mutex: number;
  waits: number;
  totalNs: number;
  maxNs: number;
  /** time the mutex owner (or the owner of what it waits on, transitively) ran while this task waited */
  ownerRanNs: number;
  /** time tasks of lower priority than the waiter (not the owner) ran while it waited */
  inversionNs: number;
  /** the lower-priority tasks that ran, with their time */
  inverters: Record<number, number>;
  /** inversion time of each wait (for the histogram) */
  perWait: number[];
}

interface Interval { from: number; to: number; task: number; cpu: number }

export function analyseWaits(events: readonly TraceEvent[], endNs: number, prioOf: (t: number) => number, isIdle: (t: number) => boolean): WaitStats[] {
  // curr intervals per CPU
  const running: Interval[] = [];
  const currAt = new Map<number, { task: number; since: number }>();
  // holder intervals per mutex
  const holds: Interval[] = [];
  const holding = new Map<number, { task: number; since: number }>();
  // waits
  const waits: Interval[] = []; // cpu field = mutex
  const waiting = new Map<number, { mutex: number; since: number }>();
  for (const e of events) {
    switch (e.type) {
      case EV.SCHED_SWITCH: {
        const cur = currAt.get(e.cpu);
        if (cur && !isIdle(cur.task)) running.push({ from: cur.since, to: e.time, task: cur.task, cpu: e.cpu });
        currAt.set(e.cpu, { task: e.a, since: e.time });
        break;
      }
      case EV.MUTEX_ACQUIRE: {
        holding.set(e.a, { task: e.task, since: e.time });
        const w = waiting.get(e.task);
        if (w) { waits.push({ from: w.since, to: e.time, task: e.task, cpu: w.mutex }); waiting.delete(e.task); }
        break;
      }
      case EV.MUTEX_UNLOCK: {
        const h = holding.get(e.a);
        if (h) { holds.push({ from: h.since, to: e.time, task: h.task, cpu: e.a }); holding.delete(e.a); }
        break;
      }
      case EV.MUTEX_BLOCK:
        waiting.set(e.task, { mutex: e.a, since: e.time });
        break;
      case EV.MUTEX_EINTR: {
        const w = waiting.get(e.task);
        if (w) { waits.push({ from: w.since, to: e.time, task: e.task, cpu: w.mutex }); waiting.delete(e.task); }
        break;
      }
    }
  }
  for (const [cpu, cur] of currAt) if (!isIdle(cur.task)) running.push({ from: cur.since, to: endNs, task: cur.task, cpu });
  for (const [m, h] of holding) holds.push({ from: h.since, to: endNs, task: h.task, cpu: m });
  for (const [t, w] of waiting) waits.push({ from: w.since, to: endNs, task: t, cpu: w.mutex });

  const holderAt = (m: number, t: number): number => {
    for (const h of holds) if (h.cpu === m && h.from <= t && t < h.to) return h.task;
    return -1;
  };
  const waitingOn = (task: number, t: number): number => {
    for (const w of waits) if (w.task === task && w.from <= t && t < w.to) return w.cpu;
    return -1;
  };
  /** the owner chain of mutex m at time t: owner, the owner of what it waits on, ... */
  const chainAt = (m: number, t: number): number[] => {
    const out: number[] = [];
    for (let hop = 0; hop < 64 && m >= 0; hop++) {
      const o = holderAt(m, t);
      if (o < 0 || out.includes(o)) break;
      out.push(o);
      m = waitingOn(o, t);
    }
    return out;
  };
  const byKey = new Map<string, WaitStats>();
  for (const w of waits) {
    const key = `${w.task}:${w.cpu}`;
    let s = byKey.get(key);
    if (!s) { s = { task: w.task, mutex: w.cpu, waits: 0, totalNs: 0, maxNs: 0, ownerRanNs: 0, inversionNs: 0, inverters: {}, perWait: [] }; byKey.set(key, s); }
    const len = w.to - w.from;
    s.waits++;
    s.totalNs += len;
    s.maxNs = Math.max(s.maxNs, len);
    const before = s.inversionNs;
    for (const r of running) {
      const from = Math.max(r.from, w.from);
      const to = Math.min(r.to, w.to);
      if (to <= from || r.task === w.task) continue;
      if (chainAt(w.cpu, from).includes(r.task)) s.ownerRanNs += to - from;
      else if (prioOf(r.task) > prioOf(w.task)) {
        s.inversionNs += to - from;
        s.inverters[r.task] = (s.inverters[r.task] ?? 0) + (to - from);
      }
    }
    s.perWait.push(s.inversionNs - before);
  }
  return [...byKey.values()].sort((x, y) => x.task - y.task || x.mutex - y.mutex);
}
