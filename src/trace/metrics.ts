/**
 * Latency histograms (HdrHistogram). Each CPU worker records into its own WASM histograms; at the
 * end it encodes them (compressed base64, the standard V2 format) and the host adds them up.
 * Percentiles are never averaged: histograms are added.
 *
 * Values are ns (chain_length: hops). Recording points:
 *   wakeup_latency    try_to_wake_up() success  -> the task is switched in as rq->curr
 *   signal_eintr      send_signal()             -> mutex_lock_interruptible() returns -EINTR
 *   return_migration  blocked_on := PROXY_WAKING -> the task runs (on an allowed CPU, I6)
 *   mutex_wait_rt     mutex wait of an RT task (M6 -> acquired)
 *   mutex_wait_fair   mutex wait of a fair task
 *   inversion         per mutex wait: CPU time of lower-priority tasks outside the owner chain
 *                     (computed on the host from the event log)
 *   chain_length      hops of the blocked_on chain when find_proxy_task runs an owner
 */
import hdr from 'hdr-histogram-js';

export const METRICS = ['wakeup_latency', 'signal_eintr', 'return_migration', 'mutex_wait_rt', 'mutex_wait_fair', 'inversion', 'chain_length'] as const;
export type MetricName = (typeof METRICS)[number];
export const METRIC = Object.fromEntries(METRICS.map((m, k) => [m, k])) as { [K in MetricName]: number };
/** unit of each metric as shown: ns values are shown in µs */
export const METRIC_UNIT: Record<MetricName, 'ns' | 'hops'> = {
  wakeup_latency: 'ns', signal_eintr: 'ns', return_migration: 'ns', mutex_wait_rt: 'ns', mutex_wait_fair: 'ns', inversion: 'ns', chain_length: 'hops',
};

type Histogram = ReturnType<typeof hdr.build>;

/** The recorder inside one CPU worker. */
export class MetricsRecorder {
  private readonly h: Histogram[];
  constructor(wasm: boolean) {
    this.h = METRICS.map(() => hdr.build(wasm ? { useWebAssembly: true, numberOfSignificantValueDigits: 3 } : { numberOfSignificantValueDigits: 3 }));
  }
  record(metric: number, value: number): void {
    if (value >= 0 && Number.isFinite(value)) this.h[metric].recordValue(Math.round(value));
  }
  /** encoded histograms of the metrics that recorded something */
  encode(): Record<string, string> {
    const out: Record<string, string> = {};
    METRICS.forEach((m, k) => { if (this.h[k].totalCount > 0) out[m] = hdr.encodeIntoCompressedBase64(this.h[k]); });
    return out;
  }
  destroy(): void { for (const h of this.h) h.destroy(); }
}

export async function initWasm(): Promise<void> { await hdr.initWebAssembly(); }

/** Host side: sums of encoded histograms per metric. */
export class HistogramSet {
  readonly h = new Map<string, Histogram>();
  add(encoded: Record<string, string>): void {
    for (const [m, b64] of Object.entries(encoded)) this.addOne(m, hdr.decodeFromCompressedBase64(b64));
  }
  addOne(metric: string, x: Histogram): void {
    let h = this.h.get(metric);
    if (!h) { h = hdr.build({ numberOfSignificantValueDigits: 3 }); this.h.set(metric, h); }
    h.add(x);
  }
  record(metric: string, value: number): void {
    let h = this.h.get(metric);
    if (!h) { h = hdr.build({ numberOfSignificantValueDigits: 3 }); this.h.set(metric, h); }
    h.recordValue(Math.max(0, Math.round(value)));
  }
  encode(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [m, h] of this.h) out[m] = hdr.encodeIntoCompressedBase64(h);
    return out;
  }
}

export interface Percentiles { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number }

export function percentilesOf(encoded: string): Percentiles {
  return percentiles(hdr.decodeFromCompressedBase64(encoded));
}

export function percentiles(h: Histogram): Percentiles {
  return {
    count: h.totalCount, p50: h.getValueAtPercentile(50), p90: h.getValueAtPercentile(90), p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9), max: h.maxValue, mean: h.mean,
  };
}

/** The standard .hgrm text (values in ns shown in µs; hops shown as is). */
export function hgrmText(encoded: string, unit: 'ns' | 'hops'): string {
  const h = hdr.decodeFromCompressedBase64(encoded);
  return h.outputPercentileDistribution(5, unit === 'ns' ? 1000 : 1);
}

/** Add encoded histograms (merging shards): never average percentiles. */
export function addEncoded(a: string | undefined, b: string): string {
  if (!a) return b;
  // a decoded histogram does not grow: add both into a fresh auto-resizing one
  const h = hdr.build({ numberOfSignificantValueDigits: 3 });
  h.add(hdr.decodeFromCompressedBase64(a));
  h.add(hdr.decodeFromCompressedBase64(b));
  return hdr.encodeIntoCompressedBase64(h);
}
