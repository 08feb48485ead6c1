/**
 * Percentile distribution plots in the HdrHistogram style, as inline SVG: x is the percentile on a
 * log scale of 1/(1-p) (0%, 90%, 99%, 99.9%, ...), y the value (µs, or hops) on a linear scale,
 * one line per design.
 */
import hdr from 'hdr-histogram-js';
import { esc } from './escape.ts';

type Histogram = ReturnType<typeof hdr.build>;

/** x of the last point is capped here: 1/(1-p) = 10^7, p = 99.99999% */
export const X_CAP = 7;

export interface CurvePoint {
  /** log10(1/(1-p)) */
  x: number;
  /** percentile, 0..100 */
  p: number;
  /** value in display units (µs or hops) */
  v: number;
}

export interface Distribution {
  count: number;
  /** display units */
  p50: number; p90: number; p99: number; p999: number; max: number; min: number;
  points: CurvePoint[];
}

/**
 * The percentile distribution of a histogram, iterated like HdrHistogram's percentile iterator
 * (and its plotter): each halving of the remaining fraction (0%, 50%, 75%, 87.5%, ...) is split in
 * `ticksPerHalf` linear steps, until fewer than one recorded value lies beyond; the last point is
 * the maximum. `scale` divides the recorded values (1000: ns shown in µs).
 */
export function distribution(h: Histogram, scale: number, ticksPerHalf = 5): Distribution {
  const count = h.totalCount;
  const at = (p: number): number => h.getValueAtPercentile(p) / scale;
  // HdrHistogram's convention (as its Java getMaxValue): the highest value equivalent to the max,
  // like every percentile, so that no percentile exceeds it
  const max = count ? at(100) : 0;
  const xEndRaw = count > 1 ? Math.min(Math.log10(count), X_CAP) : 1;
  const pts: CurvePoint[] = [];
  if (count > 0) {
    outer:
    for (let k = 0; ; k++) {
      const rem = 2 ** -k;
      for (let j = 0; j < ticksPerHalf; j++) {
        const fracLeft = rem - (j * rem) / (2 * ticksPerHalf); // 1 - p
        const x = Math.log10(1 / fracLeft);
        if (x > xEndRaw || fracLeft * count < 1) break outer;
        const p = 100 * (1 - fracLeft);
        pts.push({ x, p, v: at(p) });
      }
      if (k > 64) break;
    }
    const xEnd = Math.max(xEndRaw, pts.length ? pts[pts.length - 1].x : 0);
    pts.push({ x: xEnd, p: 100 * (1 - 10 ** -xEnd), v: max });
  }
  // keep the first and the last point of every run of equal values
  const points = pts.filter((q, i) => i === 0 || i === pts.length - 1 || q.v !== pts[i - 1].v || q.v !== pts[i + 1].v);
  return {
    count, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max, min: count ? at(0) : 0, points,
  };
}

/** "0%", "90%", "99%", "99.9%", ... for an integer decade k of 1/(1-p) */
export function decadeLabel(k: number): string {
  if (k <= 0) return '0%';
  if (k === 1) return '90%';
  return `99${k > 2 ? '.' + '9'.repeat(k - 2) : ''}%`;
}

/** A "nice" axis: step 1, 2 or 5 × 10^n (so integer values get integer ticks), about `n` ticks from 0 to at least `max`. */
export function niceAxis(max: number, n = 5): { top: number; step: number; ticks: number[] } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] };
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= top + step * 1e-9; i++) ticks.push(i * step);
  return { top, step, ticks };
}

/** a value of the given axis step, without float noise */
export function fmtTick(v: number, step: number): string {
  const dec = step >= 1 ? 0 : Math.min(9, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toLocaleString('en-US', { minimumFractionDigits: dec, maximumFractionDigits: dec });
}

/** a measured value: 3 significant digits below 1000, integers above */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  const dec = a === 0 || a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: dec, maximumFractionDigits: dec });
}

export interface Series {
  name: string;
  color: string;
  dist: Distribution;
}

export interface ChartSpec {
  metric: string;
  scenario: string;
  /** axis label of y, e.g. "latency (µs)" */
  yLabel: string;
  unit: string;
  series: Series[];
}

const W = 536;
/** height of the plot area */
const PH = 262;
const M = { l: 64, r: 30, t: 12, b: 46 };
const LEGEND_ROW = 16;

const r1 = (v: number): string => String(Math.round(v * 10) / 10);

/** One chart: `<svg class="chart" data-metric data-scenario>` with a `<path class="series">` per series. */
export function renderChart(c: ChartSpec): string {
  const pw = W - M.l - M.r;
  const ph = PH;
  // legend under the plot, wrapped in rows: it never hides a line
  const items: { s: Series; x: number; row: number }[] = [];
  let lx = M.l;
  let row = 0;
  for (const s of c.series) {
    const w = 26 + 6.4 * s.name.length + 14;
    if (lx > M.l && lx + w > W - 4) { row++; lx = M.l; }
    items.push({ s, x: lx, row });
    lx += w;
  }
  const legendTop = M.t + ph + M.b;
  const H = legendTop + (row + 1) * LEGEND_ROW + 6;
  const xMaxData = Math.max(1, ...c.series.flatMap((s) => s.dist.points.map((p) => p.x)));
  const xTop = Math.min(X_CAP, Math.max(1, Math.ceil(xMaxData - 1e-9)));
  const yMaxData = Math.max(0, ...c.series.flatMap((s) => s.dist.points.map((p) => p.v)));
  const y = niceAxis(yMaxData * 1.03); // a little headroom: a line at the max stays off the frame
  const sx = (x: number): number => M.l + (Math.min(x, xTop) / xTop) * pw;
  const sy = (v: number): number => M.t + ph - (v / y.top) * ph;
  const out: string[] = [];
  out.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" data-metric="${esc(c.metric)}" data-scenario="${esc(c.scenario)}">`);
  out.push(`<title>${esc(`${c.metric}, scenario ${c.scenario}: percentile distribution per design`)}</title>`);
  out.push(`<rect class="plot" x="${M.l}" y="${M.t}" width="${pw}" height="${ph}"/>`);
  // grid and ticks
  out.push('<g class="axis x">');
  for (let k = 0; k <= xTop; k++) {
    const X = r1(sx(k));
    out.push(`<line class="grid" x1="${X}" x2="${X}" y1="${M.t}" y2="${M.t + ph}"/>`);
    out.push(`<line x1="${X}" x2="${X}" y1="${M.t + ph}" y2="${M.t + ph + 5}"/>`);
    out.push(`<text x="${X}" y="${M.t + ph + 18}" text-anchor="middle">${decadeLabel(k)}</text>`);
    if (k < xTop) {
      // minor ticks at 1/(1-p) = 2..9 × 10^k
      for (let m = 2; m <= 9; m++) {
        const Xm = r1(sx(k + Math.log10(m)));
        out.push(`<line class="minor" x1="${Xm}" x2="${Xm}" y1="${M.t + ph}" y2="${M.t + ph + 3}"/>`);
      }
    }
  }
  out.push(`<text class="label" x="${r1(M.l + pw / 2)}" y="${M.t + ph + 38}" text-anchor="middle">percentile (log scale of 1/(1−p))</text>`);
  out.push('</g><g class="axis y">');
  for (const t of y.ticks) {
    const Y = r1(sy(t));
    out.push(`<line class="grid" x1="${M.l}" x2="${M.l + pw}" y1="${Y}" y2="${Y}"/>`);
    out.push(`<line x1="${M.l - 5}" x2="${M.l}" y1="${Y}" y2="${Y}"/>`);
    out.push(`<text x="${M.l - 8}" y="${Y}" dy="0.32em" text-anchor="end">${fmtTick(t, y.step)}</text>`);
  }
  out.push(`<text class="label" transform="translate(16 ${r1(M.t + ph / 2)}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  out.push('</g>');
  // series
  out.push('<g class="lines">');
  for (const s of c.series) {
    const d = s.dist.points.map((p, i) => `${i ? 'L' : 'M'}${r1(sx(p.x))} ${r1(sy(p.v))}`).join('');
    const tip = `${s.name}: n=${s.dist.count}, p50 ${fmtValue(s.dist.p50)}, p99 ${fmtValue(s.dist.p99)}, p99.9 ${fmtValue(s.dist.p999)}, max ${fmtValue(s.dist.max)} ${c.unit}`;
    out.push(`<path class="series" data-series="${esc(s.name)}" d="${d}" stroke="${s.color}"><title>${esc(tip)}</title></path>`);
  }
  out.push('</g>');
  out.push('<g class="legend">');
  for (const it of items) {
    const y = r1(legendTop + it.row * LEGEND_ROW + 8);
    out.push(`<g class="item" data-series="${esc(it.s.name)}"><line x1="${r1(it.x)}" x2="${r1(it.x + 20)}" y1="${y}" y2="${y}" stroke="${it.s.color}"/><text x="${r1(it.x + 26)}" y="${y}" dy="0.32em">${esc(it.s.name)}</text></g>`);
  }
  out.push('</g></svg>');
  return out.join('');
}
