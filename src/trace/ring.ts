/**
 * Reading the per-CPU event rings from the host. Each CPU writes its own ring and bumps ring_head;
 * the host drains what is new. A ring lapped between two drains loses its oldest events (counted).
 */
import type { Arena } from '../shm/arena.ts';
import { EVENT, R } from '../shm/layout.ts';

export interface TraceEvent {
  time: number; // arena ns
  cpu: number;
  type: number;
  task: number;
  a: number;
  b: number;
  c: number;
  /** per-CPU sequence number */
  seq: number;
}

export class RingReader {
  private readonly tail: number[];
  lost = 0;
  constructor(private readonly a: Arena) {
    this.tail = new Array(a.nrCpus).fill(0);
  }

  /** Append every new event of every CPU to `out` (per-CPU order; merge by time afterwards). */
  drain(out: TraceEvent[]): void {
    const a = this.a;
    const size = a.g.ring_size;
    for (let cpu = 0; cpu < a.nrCpus; cpu++) {
      const head = Atomics.load(a.i32, a.rq(cpu) + R.ring_head);
      let from = this.tail[cpu];
      if (head - from > size) { this.lost += head - from - size; from = head - size; }
      const base = a.ring(cpu);
      const dbase = a.ringD(cpu);
      for (let s = from; s < head; s++) {
        const slot = s & (size - 1);
        const i = base + slot * EVENT.i32Stride;
        out.push({ time: a.f64[dbase + slot], cpu, type: a.i32[i], task: a.i32[i + 1], a: a.i32[i + 2], b: a.i32[i + 3], c: a.i32[i + 4], seq: s });
      }
      this.tail[cpu] = head;
    }
  }
}

/**
 * The last `perCpu` events of every CPU, kept whatever the run keeps: the failure artifact shows
 * them. Memory is bounded by nrCpus x perCpu events.
 */
export class EventTail {
  private readonly per: TraceEvent[][];
  constructor(nrCpus: number, private readonly perCpu: number) {
    this.per = Array.from({ length: nrCpus }, () => []);
  }

  push(batch: readonly TraceEvent[]): void {
    for (const e of batch) {
      const l = this.per[e.cpu];
      if (!l) continue;
      l.push(e);
      // trim in chunks: amortised O(1) per event
      if (l.length >= 2 * this.perCpu) l.splice(0, l.length - this.perCpu);
    }
  }

  /** the kept events, the last perCpu of each CPU, merged by time */
  events(): TraceEvent[] {
    return mergeByTime(this.per.flatMap((l) => l.slice(-this.perCpu)));
  }
}

/** Merge by time (stable on CPU and sequence). */
export function mergeByTime(ev: TraceEvent[]): TraceEvent[] {
  return ev.sort((x, y) => x.time - y.time || x.cpu - y.cpu || x.seq - y.seq);
}
