/**
 * The execution section of a failure artifact: how the run was executed (free, recorded, or a
 * controlled strategy), at which step the violation came, and the record a replay follows: the
 * global order of steps (packed (window << 6) | cpu, little-endian int32) and, for a free run, each
 * CPU's clock reads (float64), both deflated and base64-encoded.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import type { ExecResult, ExecutorSpec } from '../exec/area.ts';
import type { RunSnapshot } from '../machine/snapshot.ts';

export interface ExecutionSection {
  /** how the failing run was executed */
  executor: 'free' | 'random' | 'pct' | 'exhaustive' | 'replay';
  /** pct's depth; exhaustive's preemption bound */
  depth?: number;
  preemption_bound?: number;
  /** virtual ns per step (controlled runs) */
  step_ns: number;
  sampler_ms: number;
  /** steps taken (controlled) or recorded (free) in the whole run, and its preemptions */
  steps: number;
  preemptions: number;
  /** the global step at which the violation was reported (null: not known) */
  violation_step: number | null;
  /** the reporting CPU's own step count there */
  violation_cpu_step: number | null;
  /** a free run with --record: the record filled up and cut the run */
  record_full: boolean;
  count_i10: boolean;
  /** what a replay follows (null: not recorded) */
  record: {
    /** steps in `order` (the record up to the violation's step) */
    steps: number;
    order: string;
    /** per CPU clock reads (free runs), concatenated; clock_counts[c] values for CPU c */
    clocks: string | null;
    clock_counts: number[] | null;
  } | null;
}

const b64 = (u: Uint8Array): string => deflateSync(u).toString('base64');
const unb64 = (s: string): Buffer => inflateSync(Buffer.from(s, 'base64'));

export function encodeOrder(order: Int32Array): string {
  return b64(new Uint8Array(order.buffer, order.byteOffset, order.byteLength));
}

export function decodeOrder(s: string): Int32Array {
  const b = unb64(s);
  if (b.byteLength % 4) throw new Error('the order is not a whole number of int32 steps');
  const out = new Int32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function encodeClocks(clocks: readonly Float64Array[]): { clocks: string; clock_counts: number[] } {
  const n = clocks.reduce((k, c) => k + c.length, 0);
  const all = new Float64Array(n);
  let k = 0;
  for (const c of clocks) { all.set(c, k); k += c.length; }
  return { clocks: b64(new Uint8Array(all.buffer)), clock_counts: clocks.map((c) => c.length) };
}

export function decodeClocks(s: string, counts: readonly number[]): Float64Array[] {
  const b = unb64(s);
  const total = counts.reduce((k, c) => k + c, 0);
  if (b.byteLength !== total * 8) throw new Error(`the clocks hold ${b.byteLength / 8} values, clock_counts say ${total}`);
  const all = new Float64Array(total);
  new Uint8Array(all.buffer).set(b);
  const out: Float64Array[] = [];
  let k = 0;
  for (const c of counts) { out.push(all.slice(k, k + c)); k += c; }
  return out;
}

/** How a run was executed, as the CLI names it. */
export interface ExecutionSpec {
  executor: ExecutionSection['executor'];
  depth?: number;
  preemptionBound?: number;
  stepNs: number;
  samplerMs: number;
  countI10: boolean;
}

/** The execution section of a run's artifact; the record is cut after the violation's step. */
export function executionSection(r: RunSnapshot, spec: ExecutionSpec): ExecutionSection {
  const x: ExecResult | null = r.exec;
  const f = r.failure;
  const at = f?.step ?? null;
  let record: ExecutionSection['record'] = null;
  if (x && x.order.length) {
    const upTo = at !== null ? Math.min(x.order.length, at + 1) : x.order.length;
    const order = x.order.subarray(0, upTo);
    record = { steps: upTo, order: encodeOrder(order), clocks: null, clock_counts: null };
    if (x.clocks) Object.assign(record, encodeClocks(x.clocks));
  }
  return {
    executor: spec.executor, ...(spec.depth !== undefined ? { depth: spec.depth } : {}),
    ...(spec.preemptionBound !== undefined ? { preemption_bound: spec.preemptionBound } : {}),
    step_ns: spec.stepNs, sampler_ms: spec.samplerMs, steps: x?.steps ?? 0, preemptions: x?.preemptions ?? 0,
    violation_step: at, violation_cpu_step: f?.cpuStep ?? null, record_full: x?.full ?? false, count_i10: spec.countI10, record,
  };
}

/** The executor a replay of this section runs on. */
export function replayExecutor(e: ExecutionSection): ExecutorSpec {
  if (!e.record) throw new Error('no record');
  const schedule = decodeOrder(e.record.order);
  const clocks = e.record.clocks !== null && e.record.clock_counts !== null ? decodeClocks(e.record.clocks, e.record.clock_counts) : undefined;
  return { kind: 'replay', schedule, clocks, stepNs: e.step_ns, recordCap: schedule.length + 4096 };
}
