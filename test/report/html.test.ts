/**
 * The HTML report: built from a hand-made campaign with real encoded histograms, checked as text
 * (escaping, charts, tables), then loaded in headless Chromium (Debian's `chromium`), which must
 * render every chart and log no error. Without Chromium the browser test fails with the command to
 * install it, unless PROXYSIM_NO_BROWSER=1. PROXYSIM_KEEP_REPORT=1 keeps the report and its
 * screenshot (the paths are printed).
 */
import { prng } from '../../src/sync/gate.ts';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import hdr from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignResult, CaseRecord } from '../../src/results/format.ts';
import { renderReport as renderWith, writeReport } from '../../src/report/html.ts';
import { reportVerdict } from '../../stress/campaign.ts';
import { exitCodeOfCampaign } from '../../stress/verdict.ts';
import { EXIT } from '../../src/errors.ts';
import { decadeLabel, distribution, fmtTick, niceAxis } from '../../src/report/html/chart.ts';

// ---------------------------------------------------------------- the campaign

const EVIL = '<img src=x onerror=alert(1)>';
const EVIL_MSG = `<script>alert("pwned")</script> & 'quoted'`;

const STRATEGIES = ['proxy-migrate', 'proxy-return', EVIL];
const SCENARIOS = ['pi-chain', EVIL];

const rng = prng;

/** values recorded into a real HdrHistogram (3 significant digits, as the workers) and encoded */
function encode(values: number[]): string {
  const h = hdr.build({ numberOfSignificantValueDigits: 3 });
  for (const v of values) h.recordValue(Math.max(0, Math.round(v)));
  return hdr.encodeIntoCompressedBase64(h);
}

/** `n` values: lognormal around `medianNs`, with a rare far tail */
function lognormal(r: () => number, n: number, medianNs: number, sigma: number, tailP: number, tailX: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    let v = medianNs * Math.exp(sigma * z);
    if (r() < tailP) v *= tailX * (1 + r());
    out.push(v);
  }
  return out;
}

interface Fixture {
  result: CampaignResult;
  /** (metric, scenario) pairs that have at least one non-empty series: the expected charts */
  charts: [string, string][];
}

function buildCampaign(): Fixture {
  const r = rng(42);
  const histograms: CampaignResult['histograms'] = {};
  const charts = new Set<string>();
  STRATEGIES.forEach((st, si) => {
    histograms[st] = {};
    SCENARIOS.forEach((sc, ci) => {
      const k = 1 + 0.6 * si + 0.3 * ci;
      const m: Record<string, string> = {
        wakeup_latency: encode(lognormal(r, 20_000, 4_000 * k, 0.5, 0.002, 20)),
        mutex_wait_rt: encode(lognormal(r, 5_000, 15_000 * k, 0.8, 0.01, 8)),
        mutex_wait_fair: encode(lognormal(r, 3_000, 60_000 * k, 0.9, 0.005, 5)),
        chain_length: encode(Array.from({ length: 4_000 }, () => 1 + Math.floor(-Math.log(1 - r()) * (0.6 + 0.2 * si)))),
        // all zero: a flat line at 0
        inversion: encode(Array.from({ length: 500 }, () => 0)),
      };
      if (si === 0 && ci === 0) m.signal_eintr = encode([123_456]); // a single value
      if (si < 2) m.return_migration = encode(lognormal(r, 800, 9_000 * k, 0.4, 0, 1));
      histograms[st][sc] = m;
      for (const metric of Object.keys(m)) charts.add(JSON.stringify([metric, sc]));
    });
  });
  const cases: CaseRecord[] = [];
  for (const st of STRATEGIES) for (const sc of SCENARIOS) for (let seed = 1; seed <= 2; seed++) {
    const fail = st === 'proxy-return' && sc === EVIL && seed === 2;
    cases.push({
      strategy: st, scenario: sc, seed, cpus: 4, duration_ns: 200e6,
      verdict: fail ? 'FAIL' : 'PASS',
      failure: fail ? { kind: 'violation', id: 'I6', msg: EVIL_MSG } : null,
      artifact: fail ? `failures/${EVIL}-seed2.json` : null,
      stats: {
        switches: 1000 + seed, proxy_picks: 40 * seed, donor_migrations: 3, force_returns: 1, deactivations: 2,
        mutex_acquisitions: 500, eintr: 0, samples: 100, stranded_observations: 0, exec_ms: { [EVIL]: 12.5, ball: 3 },
      },
      histograms: {},
      wall_ms: 412.7,
    });
  }
  const result: CampaignResult = {
    proxysim_campaign: 1,
    started: '2025-01-02T03:04:05.000Z',
    finished: '2025-01-02T03:09:05.000Z',
    host: { node: 'v20.19.0', platform: 'linux', arch: 'x64', cpus: 4, cpu_model: `Test CPU ${EVIL}`, mem_gb: 16, hostname: 'ci-host' },
    params: {
      strategies: STRATEGIES, scenarios: SCENARIOS, seeds: 2, first_seed: 1, duration_ns: 200e6, cpus: 4, shard: null,
      chaos: { p: 0.01, max_ns: 50_000 },
    },
    interrupted: false,
    cases,
    histograms,
    matrix: {
      budget_ns: 100e6, runs: 3, seed: 1, pass: false, interrupted: false,
      results: [
        { kind: 'bug', bug: 'BUG1', design: 'proxy-migrate', scenario: 'pi-chain', runs: 3, detected: 3, expected: 'I6', fired: { I6: 3 }, detect_ms: [1.5, 2.25, 3], median_ms: 2.25, artifacts: ['failures/bug1.json'], ok: true },
        { kind: 'bug', bug: 'BUG2', design: 'proxy-return', scenario: EVIL, runs: 3, detected: 2, expected: 'L2', fired: { L2: 2 }, detect_ms: [4, 8], median_ms: 8, artifacts: ['failures/bug2.json'], ok: false },
        { kind: 'clean', bug: null, design: EVIL, scenario: 'pi-chain', runs: 3, detected: 0, expected: null, fired: {}, detect_ms: [], median_ms: null, artifacts: [], ok: true },
        { kind: 'clean', bug: null, design: 'proxy-return', scenario: 'pi-chain', runs: 3, detected: 1, expected: null, fired: { M6: 1 }, detect_ms: [7], median_ms: 7, artifacts: ['failures/clean.json'], ok: false },
        { kind: 'sketch', bug: null, design: 'sketch', scenario: 'pi-chain', runs: 3, detected: 3, expected: null, fired: { I6: 2, L2: 1 }, detect_ms: [1, 2, 3], median_ms: 2, artifacts: [], ok: true },
      ],
    },
  };
  return { result, charts: [...charts].map((s) => JSON.parse(s) as [string, string]) };
}

// ---------------------------------------------------------------- helpers

/** the report with the campaign's own verdict (stress/verdict.ts), no failure expected */
const renderReport = (r: CampaignResult): string => renderWith(r, reportVerdict(r));

/** within HdrHistogram's precision (3 significant digits) */
function expectNear(actual: number, want: number): void {
  expect(Math.abs(actual - want) / want, `${actual} vs ${want}`).toBeLessThan(1.5e-3);
}

function attr(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1] : null;
}

function unescapeHtml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

interface ChartFound { metric: string; scenario: string; svg: string; series: { name: string; d: string }[] }

function chartsIn(html: string): ChartFound[] {
  return [...html.matchAll(/<svg class="chart"[^>]*>[\s\S]*?<\/svg>/g)].map(([svg]) => {
    const open = /^<svg[^>]*>/.exec(svg)![0];
    const series = [...svg.matchAll(/<path class="series"[^>]*>/g)].map(([p]) => ({ name: unescapeHtml(attr(p, 'data-series') ?? ''), d: attr(p, 'd') ?? '' }));
    return { metric: unescapeHtml(attr(open, 'data-metric')!), scenario: unescapeHtml(attr(open, 'data-scenario')!), svg, series };
  });
}

/** the rows of the first <table class="cls"> after `from`, as arrays of cell texts */
function tableRows(html: string, cls: string, from = 0): string[][] {
  const start = html.indexOf(`<table class="${cls}">`, from);
  expect(start, `table ${cls}`).toBeGreaterThanOrEqual(0);
  const t = html.slice(start, html.indexOf('</table>', start));
  const body = t.slice(t.indexOf('<tbody>'));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([, row]) =>
    [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, c]) => unescapeHtml(c.replace(/<[^>]+>/g, ''))));
}

const fx = buildCampaign();
let dir: string;
let reportPath: string;
let html: string;
const KEEP = process.env.PROXYSIM_KEEP_REPORT === '1';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proxysim-report-'));
  reportPath = writeReport(dir, fx.result, reportVerdict(fx.result));
  html = readFileSync(reportPath, 'utf8');
});

afterAll(() => {
  if (KEEP) console.log(`report kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

// ---------------------------------------------------------------- the HTML as text

describe('distribution (HdrHistogram percentile iteration)', () => {
  it('walks 0%, 50%, 75%, ... to the max, x = log10(1/(1-p))', () => {
    const h = hdr.build({ numberOfSignificantValueDigits: 3 });
    for (let v = 1; v <= 10_000; v++) h.recordValue(v * 1000);
    const d = distribution(h, 1000);
    expect(d.count).toBe(10_000);
    expect(d.points[0]).toMatchObject({ x: 0, p: 0 });
    expect(d.points[0].v).toBeCloseTo(1, 2);
    const last = d.points[d.points.length - 1];
    expect(last.x).toBeCloseTo(4, 9); // 1/(1-p) = count
    expectNear(last.v, 10_000);
    for (let i = 1; i < d.points.length; i++) {
      expect(d.points[i].x).toBeGreaterThan(d.points[i - 1].x);
      expect(d.points[i].v).toBeGreaterThanOrEqual(d.points[i - 1].v);
    }
    const at = (p: number): number => d.points.find((q) => Math.abs(q.p - p) < 1e-9)!.v;
    expectNear(at(50), 5000);
    expectNear(at(75), 7500);
    expectNear(at(87.5), 8750);
    expectNear(at(55), 5500); // 5 ticks per half distance: 50, 55, 60, 65, 70, 75, 77.5, ...
    expectNear(d.p99, 9900);
    expectNear(d.p999, 9990);
  });

  it('a single value is a flat line from 0% to 90%; equal runs are thinned', () => {
    const h = hdr.build({ numberOfSignificantValueDigits: 3 });
    h.recordValue(5);
    expect(distribution(h, 1).points).toEqual([{ x: 0, p: 0, v: 5 }, { x: 1, p: 90, v: 5 }]);
    const z = hdr.build({ numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 1000; i++) z.recordValue(0);
    const pts = distribution(z, 1).points;
    expect(pts.length).toBe(2);
    expect(pts[1].x).toBeCloseTo(3, 9);
  });

  it('axis helpers', () => {
    expect([0, 1, 2, 3, 5].map(decadeLabel)).toEqual(['0%', '90%', '99%', '99.9%', '99.999%']);
    expect(niceAxis(7.3)).toEqual({ top: 8, step: 2, ticks: [0, 2, 4, 6, 8] });
    expect(niceAxis(10.3)).toEqual({ top: 15, step: 5, ticks: [0, 5, 10, 15] });
    expect(niceAxis(0.031).ticks.map((t) => fmtTick(t, 0.01))).toEqual(['0.00', '0.01', '0.02', '0.03', '0.04']);
    expect(fmtTick(2000, 500)).toBe('2,000');
    expect(niceAxis(0).top).toBe(1);
  });
});

describe('writeReport', () => {
  it('writes <dir>/report.html atomically and returns its path', () => {
    expect(reportPath).toBe(join(dir, 'report.html'));
    expect(readdirSync(dir)).toEqual(['report.html']);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('</html>');
  });

  it('is self-contained: no URL, no external resource, one inline script allowed by hash', () => {
    expect(html).not.toMatch(/https?:|\/\/[a-z]|file:/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|base)\b/i);
    expect(html).not.toMatch(/\burl\(|@import/i);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toMatch(/<script>\(function \(\) \{/);
    expect(html).toMatch(/Content-Security-Policy" content="default-src &#39;none&#39;;[^"]*script-src &#39;sha256-[A-Za-z0-9+/=]+&#39;/);
    expect(html).toMatch(/<style>[\s\S]*<\/style>/);
  });

  it('escapes every name and message', () => {
    expect(html).not.toContain(EVIL);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('onerror=alert(1)>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;');
    // in attributes too
    expect(html).toContain('data-scenario="&lt;img src=x onerror=alert(1)&gt;"');
    expect(html).toContain('data-series="&lt;img src=x onerror=alert(1)&gt;"');
    // no tag but the report's own
    const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1].toLowerCase()));
    const allowed = ['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'span', 'nav', 'a', 'section', 'div', 'table', 'thead',
      'tbody', 'tr', 'th', 'td', 'code', 'details', 'summary', 'figure', 'figcaption', 'svg', 'rect', 'g', 'line', 'text', 'path', 'ul', 'li', 'pre', 'script'];
    expect([...tags].filter((t) => !allowed.includes(t))).toEqual([]);
  });

  it('has the title, the parameters and the host', () => {
    expect(html).toMatch(/<h1>proxysim stress campaign <span class="badge FAIL">FAIL<\/span><\/h1>/);
    expect(html).toContain('<th>seeds</th><td>2 (1..2)</td>');
    expect(html).toContain('<th>duration per case</th><td>200 ms</td>');
    expect(html).toContain('<th>chaos</th><td>p=0.01, max 50 µs</td>');
    expect(html).toContain('<th>finished</th><td>2025-01-02T03:09:05.000Z (300.0 s)</td>');
    expect(html).toContain('<th>CPU</th><td>Test CPU &lt;img src=x onerror=alert(1)&gt; × 4</td>');
    expect(html).toContain('<th>hostname</th><td>ci-host</td>');
  });

  it('has a verdict table per case, failures first', () => {
    const rows = tableRows(html, 'cases');
    expect(rows).toHaveLength(fx.result.cases.length);
    expect(rows[0]).toEqual(['proxy-return', EVIL, '2', '4', 'FAIL', 'violation I6', EVIL_MSG, `failures/${EVIL}-seed2.json`, '80', '1002', '413']);
    expect(rows.slice(1).every((r) => r[4] === 'PASS' && r[5] === '' && r[7] === '')).toBe(true);
    expect(rows.map((r) => `${r[0]} ${r[1]} ${r[2]}`).sort()).toEqual(fx.result.cases.map((c) => `${c.strategy} ${c.scenario} ${c.seed}`).sort());
    const sum = tableRows(html, 'verdicts');
    expect(sum).toHaveLength(STRATEGIES.length * SCENARIOS.length);
    expect(sum.find((r) => r[0] === 'proxy-return' && r[1] === EVIL)).toEqual(['proxy-return', EVIL, '2', '1', '1', '0', '0', 'FAIL']);
    expect(sum.filter((r) => r[7] === 'PASS')).toHaveLength(STRATEGIES.length * SCENARIOS.length - 1);
  });

  it('has one chart per (metric, scenario) with a line per design, axes and legend', () => {
    const charts = chartsIn(html);
    expect(charts.map((c) => [c.metric, c.scenario]).sort()).toEqual([...fx.charts].sort());
    for (const c of charts) {
      const want = STRATEGIES.filter((st) => fx.result.histograms[st][c.scenario][c.metric] !== undefined);
      expect(c.series.map((s) => s.name), `${c.metric} ${c.scenario}`).toEqual(want);
      for (const s of c.series) expect(s.d).toMatch(/^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+$/);
      const legend = [...c.svg.matchAll(/<g class="item" data-series="[^"]*">[\s\S]*?<text[^>]*>([^<]*)<\/text><\/g>/g)].map((m) => unescapeHtml(m[1]));
      expect(legend).toEqual(want);
    }
    const wake = charts.find((c) => c.metric === 'wakeup_latency' && c.scenario === 'pi-chain')!;
    for (const t of ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%']) expect(wake.svg).toContain(`>${t}</text>`);
    expect(wake.svg).not.toContain('>99.9999%</text>'); // 20 000 values: the plot ends at 1/(1-p) = 20 000
    expect(wake.svg).toContain('>latency (µs)</text>');
    expect(wake.svg).toContain('>percentile (log scale of 1/(1−p))</text>');
    expect(wake.svg).toMatch(/text-anchor="end">0<\/text>/); // y ticks from 0
    const chain = charts.find((c) => c.metric === 'chain_length')!;
    expect(chain.svg).toContain('>chain length (hops)</text>');
    // the design keeps its color in every chart
    const colorOf = (svg: string, name: string): string => new RegExp(`data-series="${name}" d="[^"]*" stroke="(#[0-9a-f]{6})"`).exec(svg)![1];
    expect(new Set(charts.map((c) => colorOf(c.svg, 'proxy-migrate'))).size).toBe(1);
    expect(colorOf(wake.svg, 'proxy-migrate')).not.toBe(colorOf(wake.svg, 'proxy-return'));
  });

  it('has a percentile table per metric × design × scenario', () => {
    const at = html.indexOf('<section class="metric" id="m-wakeup_latency">');
    const rows = tableRows(html, 'percentiles', at);
    expect(rows).toHaveLength(STRATEGIES.length * SCENARIOS.length);
    const row = rows.find((r) => r[0] === 'pi-chain' && r[1] === 'proxy-migrate')!;
    expect(row[2]).toBe('20000');
    const [p50, p90, p99, p999, max] = row.slice(3).map((s) => Number(s.replace(/,/g, '')));
    expect(p50).toBeGreaterThan(3.6); expect(p50).toBeLessThan(4.4); // lognormal, median 4 µs
    expect(p50).toBeLessThan(p90); expect(p90).toBeLessThan(p99); expect(p99).toBeLessThanOrEqual(p999); expect(p999).toBeLessThanOrEqual(max);
    expect(html.slice(at, html.indexOf('</tr>', html.indexOf('<table class="percentiles">', at)))).toContain('<th class="num">p99.9 µs</th>');
    const eintr = tableRows(html, 'percentiles', html.indexOf('id="m-signal_eintr"'));
    expect(eintr).toEqual([['pi-chain', 'proxy-migrate', '1', '124', '124', '124', '124', '124']]); // 123 456 ns: HdrHistogram's highest equivalent value, 123.519 µs
    const chain = tableRows(html, 'percentiles', html.indexOf('id="m-chain_length"'));
    expect(chain.every((r) => /^\d+$/.test(r[3]) && Number(r[3]) >= 1 && Number(r[7]) <= 40)).toBe(true); // hops: integers
  });

  it('has the detection matrix', () => {
    const at = html.indexOf('<section id="matrix">');
    expect(at).toBeGreaterThan(0);
    expect(html.slice(at)).toMatch(/budget 100 ms per run, 3 runs per case, seeds 1\.\.3 <span class="badge FAIL">FAILURE<\/span>/);
    const bugs = tableRows(html, 'matrix', at);
    expect(bugs).toEqual([
      ['BUG1', 'proxy-migrate', 'pi-chain', '3/3', 'I6', 'I6 ×3', '2.25', 'ok'],
      ['BUG2', 'proxy-return', EVIL, '2/3', 'L2', 'L2 ×2', '8', 'MISSED'],
    ]);
    const clean = tableRows(html, 'matrix', html.indexOf('<h3>Correct designs</h3>'));
    expect(clean).toEqual([[EVIL, 'pi-chain', '3', '0', '-', 'ok'], ['proxy-return', 'pi-chain', '3', '1', 'M6', 'FAILED']]);
    const sketch = tableRows(html, 'matrix', html.indexOf('sketch as posted'));
    expect(sketch).toEqual([['pi-chain', '3', '3', 'I6 ×2, L2', '2']]);
    expect(html).toContain('<li><code>BUG2 &lt;img src=x onerror=alert(1)&gt;: failures/bug2.json</code></li>');
  });

  it('copes with no matrix, a foreign matrix, and an empty campaign', () => {
    const noMatrix = renderReport({ ...fx.result, matrix: undefined });
    expect(noMatrix).not.toContain('id="matrix"');
    const foreign = renderReport({ ...fx.result, matrix: { weird: EVIL } });
    expect(foreign).toContain('<pre>{\n  &quot;weird&quot;: &quot;&lt;img src=x onerror=alert(1)&gt;&quot;\n}</pre>');
    const empty = renderReport({ ...fx.result, cases: [], histograms: {}, matrix: undefined, interrupted: true });
    expect(chartsIn(empty)).toEqual([]);
    expect(empty).toContain('The campaign recorded no histograms.');
    expect(empty).toContain('<span class="badge INTERRUPTED">INTERRUPTED</span>');
    const broken = renderReport({ ...fx.result, histograms: { x: { y: { wakeup_latency: 'not base64!' } } }, matrix: undefined });
    expect(broken).toMatch(/<td class="bad" colspan="6">undecodable histogram/);
    // many cases: the full table is folded, the failures stay in view
    const many = { ...fx.result, cases: Array.from({ length: 250 }, (_, i) => ({ ...fx.result.cases[i % fx.result.cases.length], seed: i })), matrix: undefined };
    const big = renderReport(many);
    expect(big).toContain('<details><summary>show all 250 cases</summary><table class="cases">');
    expect(big).toMatch(/<h3>Cases not PASS<\/h3>/);
    expect(tableRows(big, 'cases')).toHaveLength(250);
  });

  it('one verdict: expected failures are marked expected and the title agrees with the exit code', () => {
    const base = { ...fx.result, matrix: undefined };
    const sketch = (c: CaseRecord): boolean => c.strategy === 'proxy-return';
    const title = (h: string): string => /<h1>proxysim stress campaign <span class="badge (\w+)">/.exec(h)![1];
    const byCode: Record<number, string> = { [EXIT.OK]: 'PASS', [EXIT.CHECK_FAILED]: 'FAIL' };
    // the only failure is expected: exit 0, the title PASS, the failed case marked expected
    const expectedOnly = renderWith(base, reportVerdict(base, sketch));
    expect(exitCodeOfCampaign(base, sketch)).toBe(EXIT.OK);
    expect(title(expectedOnly)).toBe(byCode[exitCodeOfCampaign(base, sketch)]);
    expect(expectedOnly).toContain('<title>proxysim campaign PASS ');
    expect(expectedOnly).toContain('<span class="badge expected">1 expected failure</span>');
    expect(expectedOnly).toMatch(/<tr class="case nonpass" data-verdict="FAIL" data-expected="1">/);
    const rows = tableRows(expectedOnly, 'cases');
    expect(rows[0][4]).toBe('FAIL (expected)');
    expect(rows.slice(1).every((r) => r[4] === 'PASS')).toBe(true);
    expect(tableRows(expectedOnly, 'verdicts').find((r) => r[0] === 'proxy-return' && r[1] === EVIL)!.at(-1)).toBe('FAIL (expected)');
    // not expected: exit 1 and FAIL
    const plain = renderWith(base, reportVerdict(base));
    expect(title(plain)).toBe(byCode[exitCodeOfCampaign(base)]);
    expect(title(plain)).toBe('FAIL');
    expect(plain).not.toContain('(expected)');
    // an unexpected failure beside an expected one: FAIL, only the expected one is marked
    const two: CampaignResult = { ...base, cases: base.cases.map((c): CaseRecord => (c.strategy === 'proxy-migrate' && c.seed === 1 && c.scenario === 'pi-chain'
      ? { ...c, verdict: 'ERROR' as const, failure: { kind: 'crash', id: 'ERROR', msg: 'boom' } } : c)) };
    const both = renderWith(two, reportVerdict(two, sketch));
    expect(exitCodeOfCampaign(two, sketch)).toBe(EXIT.CHECK_FAILED);
    expect(title(both)).toBe('FAIL');
    expect(tableRows(both, 'cases').map((r) => r[4]).slice(0, 2).sort()).toEqual(['ERROR', 'FAIL (expected)']);
    // a PASS case is never "expected", even if its design is
    expect(both.match(/data-expected="1"/g)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- in headless Chromium

const NO_BROWSER = process.env.PROXYSIM_NO_BROWSER === '1';
const INSTALL_HINT = 'the HTML report test needs headless Chromium (Debian\'s `chromium`, /usr/bin/chromium), found neither $PROXYSIM_CHROMIUM nor chromium/chromium-browser in PATH. '
  + 'Install it: `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium` (.ci/run does this), '
  + 'or point PROXYSIM_CHROMIUM at a Chromium binary; to skip this test set PROXYSIM_NO_BROWSER=1.';
if (NO_BROWSER) console.warn('report browser test skipped: PROXYSIM_NO_BROWSER=1 (the report is not checked in a real browser)');

function findChromium(): string | null {
  const given = process.env.PROXYSIM_CHROMIUM;
  if (given) return existsSync(given) ? given : null;
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

interface BrowserRun { code: number | null; stdout: string; stderr: string; ms: number }

/** One headless Chromium run on a fresh profile, no network, logging to stderr. */
function chromium(bin: string, args: string[], timeoutMs = 45_000): Promise<BrowserRun> {
  const profile = mkdtempSync(join(tmpdir(), 'proxysim-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-dev-shm-usage',
    '--hide-scrollbars', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(bin, flags, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
      const ms = Math.round(performance.now() - t0);
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${bin}: not found. ${INSTALL_HINT}`));
      if (err && err.killed) return reject(new Error(`chromium timed out after ${timeoutMs} ms\n${stderr.slice(-4000)}`));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms });
    });
  });
}

/** the console messages of the page (chromium prints `...:INFO:CONSOLE:12] "msg", source: ...`) */
function consoleLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l));
}

function bodyData(dom: string): Record<string, string> {
  const body = /<body[^>]*>/.exec(dom);
  expect(body, 'dumped DOM has a <body>').not.toBeNull();
  return Object.fromEntries([...body![0].matchAll(/\sdata-([a-z-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

describe.skipIf(NO_BROWSER)('report in headless Chromium', () => {
  let bin: string;
  beforeAll(() => {
    const found = findChromium();
    if (!found) throw new Error(INSTALL_HINT);
    bin = found;
  });

  it('renders every chart and logs no error', async () => {
    const run = await chromium(bin, ['--dump-dom', pathToFileURL(reportPath).href]);
    console.log(`chromium --dump-dom: ${run.ms} ms`);
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    const data = bodyData(run.stdout);
    const n = fx.charts.length;
    expect(data).toMatchObject({ charts: String(n), rendered: String(n), errors: '0' });
    expect(chartsIn(run.stdout)).toHaveLength(n);
    // the only console message is the script's own summary: no error, no CSP violation, nothing blocked
    expect(consoleLines(run.stderr)).toHaveLength(1);
    expect(consoleLines(run.stderr)[0]).toContain(`"proxysim-report: rendered ${n}/${n} charts"`);
  });

  it('reports a broken chart on the console (the check itself works)', async () => {
    const broken = join(dir, 'broken.html');
    writeFileSync(broken, html.replace(/(<path class="series" data-series="[^"]*" d=")[^"]*"/, '$1"'));
    const run = await chromium(bin, ['--dump-dom', pathToFileURL(broken).href]);
    rmSync(broken);
    const n = fx.charts.length;
    expect(bodyData(run.stdout)).toMatchObject({ charts: String(n), rendered: String(n - 1), errors: '1' });
    const lines = consoleLines(run.stderr);
    expect(lines.some((l) => l.includes('"proxysim-report: chart wakeup_latency / pi-chain: series 0 has no path data"')), lines.join('\n')).toBe(true);
  });

  it('takes a screenshot', async () => {
    const png = join(dir, 'report.png');
    const run = await chromium(bin, [`--screenshot=${png}`, '--window-size=1200,3000', pathToFileURL(reportPath).href]);
    console.log(`chromium --screenshot: ${run.ms} ms${KEEP ? `, ${png}` : ''}`);
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    const buf = readFileSync(png);
    expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([buf.readUInt32BE(16), buf.readUInt32BE(20)]).toEqual([1200, 3000]); // IHDR
    expect(buf.length).toBeGreaterThan(50_000); // not a blank page
    expect(consoleLines(run.stderr).filter((l) => !l.includes('proxysim-report: rendered'))).toEqual([]);
  });
});
