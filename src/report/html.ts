/**
 * The HTML report of a campaign (results.json, src/results/format.ts): one self-contained file, inline
 * CSS and SVG and one small inline script, no external URL. Sections: parameters and host, the
 * verdict of every case, per metric the percentile distribution plots (HdrHistogram style, one
 * line per design) and a percentile table, and the detection matrix of `hunt --json` if present.
 *
 * The verdict in the title is the campaign's (given by the caller, from stress/verdict.ts: the same
 * as the exit code and the terminal's "End of test" line); failures the campaign expects (compare:
 * the known-broken designs) are marked "expected" wherever a verdict is shown.
 *
 * Every name and message from the input is HTML-escaped; a Content-Security-Policy allows only the
 * report's own script (by hash) and inline styles, so nothing can be loaded or injected.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import type { CampaignResult, CaseRecord, HuntCase, HuntResult } from '../results/format.ts';
import { METRICS, METRIC_UNIT, type MetricName } from '../trace/metrics.ts';
import { writeFileAtomic } from '../files.ts';
import { distribution, fmtValue, renderChart, type Distribution, type Series } from './html/chart.ts';
import { esc } from './html/escape.ts';


export const REPORT_FILE = 'report.html';

/** The campaign's verdict as the caller decided it (stress/campaign.ts reportVerdict()). */
export interface ReportVerdict {
  overall: 'PASS' | 'FAIL' | 'INTERRUPTED' | 'NO CASES';
  /** a failed case that was expected to fail: marked "expected", not counted against the campaign */
  expected?: (c: CaseRecord) => boolean;
}

const METRIC_DOC: Record<MetricName, string> = {
  wakeup_latency: 'try_to_wake_up() success → the task is switched in as rq->curr',
  signal_eintr: 'send_signal() → mutex_lock_interruptible() returns -EINTR',
  return_migration: 'blocked_on := PROXY_WAKING → the task runs on an allowed CPU (I6)',
  mutex_wait_rt: 'mutex wait of an RT task (M6 → acquired)',
  mutex_wait_fair: 'mutex wait of a fair task',
  inversion: 'per mutex wait: CPU time of lower-priority tasks outside the owner chain',
  chain_length: 'hops of the blocked_on chain when find_proxy_task runs an owner',
};

/** Tableau 10: distinguishable, and the same design keeps its color in every chart */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#d8dce4;--bg:#fff;--pass:#1d7a34;--fail:#b3261e;--warn:#8a5a00}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg);max-width:1240px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
.sub{color:var(--muted);margin:0 0 16px}
.badge{display:inline-block;padding:1px 8px;border-radius:4px;font-weight:600;font-size:13px;color:#fff;vertical-align:middle}
.badge.PASS{background:var(--pass)}.badge.FAIL,.badge.ERROR{background:var(--fail)}.badge.INTERRUPTED{background:var(--warn)}.badge[class~=NO]{background:var(--warn)}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.v-expected{color:var(--warn);font-weight:600}.badge.expected{background:var(--warn)}
td.v-PASS,td.ok{color:var(--pass);font-weight:600}td.v-FAIL,td.v-ERROR,td.bad{color:var(--fail);font-weight:600}td.v-INTERRUPTED{color:var(--warn);font-weight:600}
tr.nonpass td{background:#fdf3f2}
table.kv th{width:170px}
code{font:12px ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
.msg{max-width:460px}
.doc{color:var(--muted);margin:0 0 6px}
.charts{display:flex;flex-wrap:wrap;gap:12px 16px}
figure{margin:0;border:1px solid var(--line);border-radius:4px;padding:6px 6px 0}
figcaption{font-weight:600;font-size:13px;padding:0 4px}
svg.chart{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg.chart .plot{fill:#fbfcfd;stroke:#9aa3b2}
svg.chart .grid{stroke:#e3e6ec}svg.chart .minor,svg.chart .axis line:not(.grid){stroke:#7a8394}
svg.chart text{fill:#3a4150}svg.chart .label{font-size:12px;fill:#1d2330}
svg.chart path.series{fill:none;stroke-width:1.8;stroke-linejoin:round}
svg.chart .legend line{stroke-width:2.5}svg.chart .legend .item{cursor:pointer}
.off{opacity:.25}path.series.off{display:none}
details>summary{cursor:pointer;color:var(--muted);margin:6px 0}
pre{background:#f6f7f9;padding:8px;overflow:auto;max-height:300px}
`;

/**
 * The only script: checks every chart rendered (series with path data and a non-empty bounding
 * box), records the result on <body> (data-charts, data-rendered, data-errors) and reports
 * problems with console.error; a click on a legend entry hides/shows that design everywhere.
 */
const SCRIPT = `(function () {
  'use strict';
  var body = document.body, errors = 0;
  function fail(msg) { errors++; body.dataset.errors = String(errors); console.error('proxysim-report: ' + msg); }
  window.onerror = function (msg, src, line) { fail('uncaught error: ' + msg + ' (line ' + line + ')'); };
  var charts = document.querySelectorAll('svg.chart'), ok = 0;
  for (var i = 0; i < charts.length; i++) {
    var svg = charts[i], name = svg.getAttribute('data-metric') + ' / ' + svg.getAttribute('data-scenario');
    var paths = svg.querySelectorAll('path.series'), good = paths.length > 0;
    if (!good) fail('chart ' + name + ' has no series');
    for (var j = 0; j < paths.length; j++) {
      var d = paths[j].getAttribute('d') || '', bb = paths[j].getBBox();
      if (!/^M\\s*-?[0-9.]/.test(d)) { good = false; fail('chart ' + name + ': series ' + j + ' has no path data'); }
      else if (!(bb.width > 0 || bb.height > 0)) { good = false; fail('chart ' + name + ': series ' + j + ' has an empty bounding box'); }
    }
    if (good) ok++;
  }
  body.dataset.charts = String(charts.length);
  body.dataset.rendered = String(ok);
  body.dataset.errors = String(errors);
  console.log('proxysim-report: rendered ' + ok + '/' + charts.length + ' charts');
  document.addEventListener('click', function (e) {
    var item = e.target && e.target.closest ? e.target.closest('.legend .item') : null;
    if (!item) return;
    var name = item.getAttribute('data-series'), off = !item.classList.contains('off');
    var all = document.querySelectorAll('[data-series]');
    for (var k = 0; k < all.length; k++) if (all[k].getAttribute('data-series') === name) all[k].classList.toggle('off', off);
  });
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

/** Write `<dir>/report.html` atomically; returns its path. */
export function writeReport(dir: string, result: CampaignResult, verdict: ReportVerdict): string {
  const path = join(dir, REPORT_FILE);
  writeFileAtomic(path, renderReport(result, verdict));
  return path;
}

/** unique, in first-seen order */
function ordered(...lists: Iterable<string>[]): string[] {
  const seen = new Set<string>();
  for (const l of lists) for (const x of l) seen.add(x);
  return [...seen];
}

function unitOf(metric: string): { scale: number; unit: string; yLabel: string } {
  const u = (METRIC_UNIT as Record<string, 'ns' | 'hops' | undefined>)[metric];
  if (u === 'hops') return { scale: 1, unit: 'hops', yLabel: 'chain length (hops)' };
  if (u === 'ns') return { scale: 1000, unit: 'µs', yLabel: 'latency (µs)' };
  return { scale: 1, unit: '', yLabel: 'value' };
}

function table(head: (string | [string, string])[], rows: string[][], cls = ''): string {
  const th = head.map((h) => (Array.isArray(h) ? `<th class="${h[1]}">${esc(h[0])}</th>` : `<th>${esc(h)}</th>`)).join('');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>${rows.map((r) => r.join('')).map((r) => (r.startsWith('<tr') ? r : `<tr>${r}</tr>`)).join('')}</tbody></table>`;
}

const td = (s: unknown, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${esc(s)}</td>`;
const tdNum = (s: unknown): string => td(s, 'num');
const tdHtml = (html: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;

function fmtDurationNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns >= 1e9 && ns % 1e6 === 0) return `${ns / 1e9} s`;
  if (ns >= 1e6) return `${Math.round(ns / 1e3) / 1e3} ms`;
  if (ns >= 1e3) return `${ns / 1e3} µs`;
  return `${ns} ns`;
}

function sectionParams(r: CampaignResult): string {
  const p = r.params;
  const h = r.host;
  const lastSeed = p.first_seed + p.seeds - 1;
  const wallMs = Date.parse(r.finished) - Date.parse(r.started);
  const params: [string, string][] = [
    ['strategies', p.strategies.join(', ')],
    ['scenarios', p.scenarios.join(', ')],
    ['seeds', `${p.seeds} (${p.first_seed}..${lastSeed})`],
    ['duration per case', fmtDurationNs(p.duration_ns)],
    ['CPUs', p.cpus === null ? 'scenario default' : String(p.cpus)],
    ['shard', p.shard ? `${p.shard[0]} of ${p.shard[1]}` : 'whole campaign'],
    ['chaos', p.chaos ? `p=${p.chaos.p}, max ${fmtDurationNs(p.chaos.max_ns)}` : 'off'],
    ['started', r.started],
    ['finished', Number.isFinite(wallMs) ? `${r.finished} (${(wallMs / 1000).toFixed(1)} s)` : r.finished],
    ['interrupted', r.interrupted ? 'yes' : 'no'],
  ];
  const host: [string, string][] = [
    ['hostname', h.hostname], ['CPU', `${h.cpu_model} × ${h.cpus}`], ['memory', `${h.mem_gb} GB`],
    ['platform', `${h.platform} ${h.arch}`], ['node', h.node],
  ];
  const kv = (rows: [string, string][]): string => `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th>${td(v)}</tr>`).join('')}</tbody></table>`;
  return `<section id="params"><h2>Campaign</h2><div class="charts"><div><h3>Parameters</h3>${kv(params)}</div><div><h3>Host</h3>${kv(host)}</div></div></section>`;
}

function failureText(c: CaseRecord): string {
  return c.failure ? `${c.failure.kind} ${c.failure.id}: ${c.failure.msg}` : '';
}

const failed = (c: CaseRecord): boolean => c.verdict === 'FAIL' || c.verdict === 'ERROR';

function sectionCases(r: CampaignResult, strategies: string[], scenarios: string[], isExpected: (c: CaseRecord) => boolean): string {
  const out: string[] = ['<section id="cases"><h2>Cases</h2>'];
  // per (strategy, scenario): counts by verdict
  const verdicts = ['PASS', 'FAIL', 'ERROR', 'INTERRUPTED'] as const;
  const count = new Map<string, Record<string, number>>();
  const expectedN = new Map<string, number>();
  for (const c of r.cases) {
    const k = JSON.stringify([c.strategy, c.scenario]);
    const e = count.get(k) ?? {};
    e[c.verdict] = (e[c.verdict] ?? 0) + 1;
    count.set(k, e);
    if (isExpected(c)) expectedN.set(k, (expectedN.get(k) ?? 0) + 1);
  }
  const sumRows: string[][] = [];
  for (const st of strategies) for (const sc of scenarios) {
    const k = JSON.stringify([st, sc]);
    const e = count.get(k);
    if (!e) continue;
    const n = Object.values(e).reduce((a, b) => a + b, 0);
    const bad = n - (e.PASS ?? 0);
    const exp = expectedN.get(k) ?? 0;
    // every non-PASS case of the group expected to fail: the group's verdict is an expected FAIL
    const verdict = !bad ? td('PASS', 'v-PASS') : exp === bad ? td('FAIL (expected)', 'v-expected') : td('FAIL', 'v-FAIL');
    sumRows.push([td(st), td(sc), tdNum(n), ...verdicts.map((v) => tdHtml(String(e[v] ?? 0), `num${e[v] && v !== 'PASS' ? ' bad' : ''}`)), verdict]);
  }
  out.push('<h3>By design and scenario</h3>');
  out.push(table(['strategy', 'scenario', ['cases', 'num'], ...verdicts.map((v): [string, string] => [v, 'num']), 'verdict'], sumRows, 'verdicts'));
  // every case, failures first
  const idx = r.cases.map((c, i) => ({ c, i }));
  idx.sort((a, b) => Number(a.c.verdict === 'PASS') - Number(b.c.verdict === 'PASS') || a.i - b.i);
  const rows = idx.map(({ c }) => {
    const cells = [td(c.strategy), td(c.scenario), tdNum(c.seed), tdNum(c.cpus), verdictCell(c),
      td(c.failure ? `${c.failure.kind} ${c.failure.id}` : ''), td(c.failure?.msg ?? '', 'msg'),
      c.artifact ? tdHtml(`<code>${esc(c.artifact)}</code>`) : td(''),
      tdNum(c.stats?.proxy_picks ?? ''), tdNum(c.stats?.switches ?? ''), tdNum(Math.round(c.wall_ms))];
    const exp = isExpected(c) ? ' data-expected="1"' : '';
    return [`<tr class="case${c.verdict === 'PASS' ? '' : ' nonpass'}" data-verdict="${esc(c.verdict)}"${exp}>${cells.join('')}</tr>`];
  });
  const nonPass = r.cases.filter((c) => c.verdict !== 'PASS').length;
  const nExp = r.cases.filter(isExpected).length;
  out.push(`<h3>Every case (${r.cases.length}, ${nonPass} not PASS${nExp ? `, ${nExp} of them expected failures` : ''})</h3>`);
  const t = table(['strategy', 'scenario', ['seed', 'num'], ['cpus', 'num'], 'verdict', 'failure', 'message', 'artifact',
    ['proxy picks', 'num'], ['switches', 'num'], ['wall ms', 'num']], rows, 'cases');
  out.push(r.cases.length > 200 ? `<details><summary>show all ${r.cases.length} cases</summary>${t}</details>` : t);
  if (r.cases.length > 200 && nonPass) {
    // the failures stay visible when the full table is folded
    out.push(`<h3>Cases not PASS</h3>${table(['strategy', 'scenario', ['seed', 'num'], 'verdict', 'failure', 'artifact'],
      r.cases.filter((c) => c.verdict !== 'PASS').map((c) => [td(c.strategy), td(c.scenario), tdNum(c.seed), verdictCell(c),
        td(failureText(c), 'msg'), c.artifact ? tdHtml(`<code>${esc(c.artifact)}</code>`) : td('')]))}`);
  }
  out.push('</section>');
  return out.join('');

  function verdictCell(c: CaseRecord): string {
    return isExpected(c) ? td(`${c.verdict} (expected)`, 'v-expected') : td(c.verdict, `v-${c.verdict}`);
  }
}

interface Decoded { dist: Distribution | null; error: string | null }

function decode(b64: string, scale: number): Decoded {
  try {
    const h = hdr.decodeFromCompressedBase64(b64);
    return { dist: distribution(h, scale), error: null };
  } catch (e) {
    return { dist: null, error: `undecodable histogram: ${(e as Error).message}` };
  }
}

function sectionMetrics(r: CampaignResult, strategies: string[], scenarios: string[]): { html: string; charts: number } {
  const metrics = ordered(METRICS, ...Object.values(r.histograms).flatMap((bySc) => Object.values(bySc).map((m) => Object.keys(m))));
  const color = (st: string): string => PALETTE[strategies.indexOf(st) % PALETTE.length];
  const out: string[] = ['<section id="metrics"><h2>Latency distributions</h2>',
    '<p class="doc">HdrHistogram percentile plots: x is the percentile on a log scale of 1/(1−p), y the value; histograms of all seeds are added, never averaged. Click a design in a legend to hide it.</p>'];
  let charts = 0;
  for (const metric of metrics) {
    const u = unitOf(metric);
    const charted: string[] = [];
    const rows: string[][] = [];
    for (const sc of scenarios) {
      const series: Series[] = [];
      for (const st of strategies) {
        const b64 = r.histograms[st]?.[sc]?.[metric];
        if (b64 === undefined) continue;
        const d = decode(b64, u.scale);
        if (d.error || !d.dist) {
          rows.push([td(sc), td(st), `<td class="bad" colspan="6">${esc(d.error)}</td>`]);
          continue;
        }
        const x = d.dist;
        const fmt = u.unit === 'hops' ? (v: number): string => String(Math.round(v)) : fmtValue;
        rows.push([td(sc), td(st), tdNum(x.count), ...[x.p50, x.p90, x.p99, x.p999, x.max].map((v) => tdNum(x.count ? fmt(v) : '-'))]);
        if (x.count > 0) series.push({ name: st, color: color(st), dist: x });
      }
      if (series.length) {
        charted.push(`<figure><figcaption>${esc(metric)} — ${esc(sc)}</figcaption>${renderChart({ metric, scenario: sc, yLabel: u.yLabel, unit: u.unit, series })}</figure>`);
        charts++;
      }
    }
    if (!rows.length) continue;
    const doc = (METRIC_DOC as Record<string, string | undefined>)[metric];
    out.push(`<section class="metric" id="m-${esc(metric)}"><h3>${esc(metric)}${u.unit ? ` (${esc(u.unit)})` : ''}</h3>`);
    if (doc) out.push(`<p class="doc">${esc(doc)}</p>`);
    if (charted.length) out.push(`<div class="charts">${charted.join('')}</div>`);
    else out.push('<p class="doc">no values recorded</p>');
    const uh = u.unit ? ` ${u.unit}` : '';
    out.push(table(['scenario', 'strategy', ['count', 'num'], [`p50${uh}`, 'num'], [`p90${uh}`, 'num'], [`p99${uh}`, 'num'], [`p99.9${uh}`, 'num'], [`max${uh}`, 'num']], rows, 'percentiles'));
    out.push('</section>');
  }
  if (!charts) out.push('<p class="doc">The campaign recorded no histograms.</p>');
  out.push('</section>');
  return { html: out.join(''), charts };
}

/** A HuntResult as read from the report's input: what it lacks is null. */
type Matrix = { [K in 'budget_ns' | 'runs' | 'seed' | 'pass']: HuntResult[K] | null } & Pick<HuntResult, 'interrupted' | 'results'>;

function asMatrix(m: unknown): Matrix | null {
  if (!m || typeof m !== 'object') return null;
  const o = m as Record<string, unknown>;
  if (!Array.isArray(o.results) || !o.results.every((x) => x && typeof x === 'object' && typeof (x as HuntCase).kind === 'string')) return null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    budget_ns: num(o.budget_ns), runs: num(o.runs), seed: num(o.seed), pass: typeof o.pass === 'boolean' ? o.pass : null,
    interrupted: o.interrupted === true, results: o.results as HuntCase[],
  };
}

function fired(r: HuntCase): string {
  return Object.entries(r.fired ?? {}).map(([k, v]) => `${k}${v > 1 ? ` ×${v}` : ''}`).join(', ') || '-';
}

function sectionMatrix(raw: unknown): string {
  const m = asMatrix(raw);
  const out: string[] = ['<section id="matrix"><h2>Detection matrix</h2>'];
  if (!m) {
    let json: string;
    try { json = JSON.stringify(raw, null, 2) ?? String(raw); } catch { json = String(raw); }
    out.push('<p class="doc">The matrix is not in the format of <code>proxysim hunt --json</code>; as given:</p>');
    out.push(`<pre>${esc(json.length > 20000 ? json.slice(0, 20000) + '\n…' : json)}</pre></section>`);
    return out.join('');
  }
  const head: string[] = [];
  if (m.budget_ns !== null) head.push(`budget ${fmtDurationNs(m.budget_ns)} per run`);
  if (m.runs !== null) head.push(`${m.runs} runs per case`);
  if (m.seed !== null && m.runs !== null) head.push(`seeds ${m.seed}..${m.seed + m.runs - 1}`);
  if (m.interrupted) head.push('interrupted');
  const verdict = m.pass === null ? '' : ` <span class="badge ${m.pass ? 'PASS' : 'FAIL'}">${m.pass ? 'SUCCESS' : 'FAILURE'}</span>`;
  out.push(`<p class="sub">${esc(head.join(', '))}${verdict}</p>`);
  const okCell = (r: HuntCase, bad: string): string => (r.ok ? td('ok', 'ok') : td(bad, 'bad'));
  const ms = (v: number | null | undefined): string => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '-');
  const bugs = m.results.filter((r) => r.kind === 'bug');
  if (bugs.length) {
    out.push('<h3>Planted bugs</h3><p class="doc">Each must be detected in every run, by the expected invariant.</p>');
    out.push(table(['bug', 'design', 'scenario', ['detected', 'num'], 'expected', 'fired', ['median ms', 'num'], ''],
      bugs.map((r) => [td(r.bug ?? '-'), td(r.design), td(r.scenario), tdNum(`${r.detected}/${r.runs}`), td(r.expected ?? '-'), td(fired(r)), tdNum(ms(r.median_ms)), okCell(r, 'MISSED')]), 'matrix'));
  }
  const clean = m.results.filter((r) => r.kind === 'clean');
  if (clean.length) {
    out.push('<h3>Correct designs</h3><p class="doc">Must show 0 violations (with chaos).</p>');
    out.push(table(['design', 'scenario', ['runs', 'num'], ['violations', 'num'], 'fired', ''],
      clean.map((r) => [td(r.design), td(r.scenario), tdNum(r.runs), tdHtml(esc(r.detected), `num${r.detected ? ' bad' : ''}`), td(fired(r)), okCell(r, 'FAILED')]), 'matrix'));
  }
  const sketch = m.results.filter((r) => r.kind === 'sketch');
  if (sketch.length) {
    out.push(`<h3>The seed's sketch as posted (${esc(sketch[0].design)})</h3><p class="doc">Its violations are findings about the design.</p>`);
    out.push(table(['scenario', ['runs', 'num'], ['violations', 'num'], 'fired', ['median ms', 'num']],
      sketch.map((r) => [td(r.scenario), tdNum(r.runs), tdNum(r.detected), td(fired(r)), tdNum(ms(r.median_ms))]), 'matrix'));
  }
  const arts = m.results.filter((r) => !r.ok).flatMap((r) => (r.artifacts ?? []).map((a) => `${r.bug ?? r.design} ${r.scenario}: ${a}`));
  if (arts.length) out.push(`<h3>Artifacts of failed cases</h3><ul>${arts.map((a) => `<li><code>${esc(a)}</code></li>`).join('')}</ul>`);
  out.push('</section>');
  return out.join('');
}

/** The whole report as an HTML string. Its title shows `v.overall` (a detection matrix that did not
 *  pass makes a PASS a FAIL). */
export function renderReport(r: CampaignResult, v: ReportVerdict): string {
  const strategies = ordered(r.params.strategies, Object.keys(r.histograms), r.cases.map((c) => c.strategy));
  const scenarios = ordered(r.params.scenarios, Object.values(r.histograms).flatMap((x) => Object.keys(x)), r.cases.map((c) => c.scenario));
  const nonPass = r.cases.filter((c) => c.verdict !== 'PASS').length;
  const matrix = r.matrix !== undefined && r.matrix !== null ? asMatrix(r.matrix) : null;
  const overall = v.overall === 'PASS' && matrix?.pass === false ? 'FAIL' : v.overall;
  const given = v.expected;
  const isExpected = given ? (c: CaseRecord): boolean => failed(c) && given(c) : (): boolean => false;
  const nExpected = r.cases.filter(isExpected).length;
  const metrics = sectionMetrics(r, strategies, scenarios);
  const title = `proxysim campaign ${overall} ${r.started}`;
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const nav = ['<a href="#params">campaign</a>', '<a href="#cases">cases</a>', '<a href="#metrics">latency</a>'];
  if (r.matrix !== undefined && r.matrix !== null) nav.push('<a href="#matrix">detection matrix</a>');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style></head>`,
    `<body data-overall="${overall}">`,
    `<h1>proxysim stress campaign <span class="badge ${overall}">${overall}</span>${nExpected ? ` <span class="badge expected">${nExpected} expected ${nExpected === 1 ? 'failure' : 'failures'}</span>` : ''}</h1>`,
    `<p class="sub">${esc(`${r.cases.length} cases (${nonPass} not PASS${nExpected ? `, ${nExpected} expected to fail` : ''}) · ${strategies.length} designs × ${scenarios.length} scenarios × ${r.params.seeds} seeds · ${metrics.charts} charts · ${r.host.hostname}, ${r.started}`)}</p>`,
    `<nav class="sub">${nav.join(' · ')}</nav>`,
    sectionParams(r),
    sectionCases(r, strategies, scenarios, isExpected),
    metrics.html,
    r.matrix !== undefined && r.matrix !== null ? sectionMatrix(r.matrix) : '',
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
