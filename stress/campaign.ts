/**
 * A stress campaign: planning (every strategy x scenario x seed), sharding, running the cases on a
 * tinypool (one run per pool task), adding up the histograms, and writing the result directory
 * (results.json; per strategy/scenario/metric a .hgrm percentile table and a .hlog HdrHistogram
 * interval log; report.html).
 *
 * File names: `<strategy>__<scenario>__<metric>.hgrm` / `.hlog`, each name made safe by safeName()
 * (src/files.ts): a name with other characters than [A-Za-z0-9._-] gets a short hash, so no name from
 * a results.json can place a file outside the result directory.
 *
 * Reusing a result directory: writing a campaign into a directory that holds a previous one first
 * removes that campaign's own files (its .hgrm and .hlog files and report.html; results.json is
 * replaced), so the directory never mixes two campaigns' histograms. The failure artifacts of the
 * previous campaign (failures/) are kept: their names carry their time, and results.json lists
 * those of the new campaign.
 *
 * Sharding: the cases are sorted by (strategy, scenario, seed) (plain string order, numeric seeds);
 * case i (0-based) belongs to shard (i mod N) + 1. The union of the N shards is the campaign.
 *
 * Histograms are added, never averaged. The campaign's histograms[strategy][scenario][metric] is the
 * sum over the cases that ran to their end (PASS or FAIL); an INTERRUPTED case keeps its own partial
 * histograms in its record but is not added, and an ERROR case has none.
 */
import { workerExecArgv } from '../src/machine/exec-argv.ts';
import { hostname, cpus as osCpus, totalmem, availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { HistogramSet, hgrmText, percentiles, METRIC_UNIT, type MetricName, type Percentiles } from '../src/trace/metrics.ts';
import { ensureDir, probeDir, safeFileName, writeFileAtomic } from '../src/files.ts';
import { WriteError } from '../src/errors.ts';
import { REPORT_FILE, writeReport, type ReportVerdict } from '../src/report/html.ts';
import { campaignVerdict, type ExpectedFailure } from './verdict.ts';
import { CAMPAIGN_FORMAT, type CampaignParams, type CampaignResult, type CaseKey, type CaseRecord, type HostInfo } from '../src/results/format.ts';
import type { CaseMessage, CaseTask } from './run-case.ts';

// ---------------------------------------------------------------------------------------------
// Planning and sharding
// ---------------------------------------------------------------------------------------------

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareKeys(a: CaseKey, b: CaseKey): number {
  return cmp(a.strategy, b.strategy) || cmp(a.scenario, b.scenario) || a.seed - b.seed;
}

export const caseName = (c: CaseKey): string => `${c.strategy}/${c.scenario} seed ${c.seed}`;
export const caseId = (c: CaseKey): string => `${c.strategy}\u0000${c.scenario}\u0000${c.seed}`;

/** Every case of the campaign, sorted by (strategy, scenario, seed). */
export function planCases(p: { strategies: readonly string[]; scenarios: readonly string[]; seeds: number; firstSeed: number }): CaseKey[] {
  const out: CaseKey[] = [];
  for (const strategy of new Set(p.strategies)) {
    for (const scenario of new Set(p.scenarios)) {
      for (let k = 0; k < p.seeds; k++) out.push({ strategy, scenario, seed: (p.firstSeed + k) >>> 0 });
    }
  }
  return out.sort(compareKeys);
}

/** The cases of shard k of N (1-based): case i belongs to shard (i mod N) + 1. */
export function shardCases<T>(sorted: readonly T[], shard: readonly [number, number] | null): T[] {
  if (shard === null) return [...sorted];
  const [k, n] = shard;
  return sorted.filter((_, i) => (i % n) + 1 === k);
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

export interface CaseSpec extends CaseKey {
  /** the campaign's --cpus (undefined: the scenario's) */
  cpus?: number;
  durationNs: number;
}

export interface CampaignHooks {
  onStart?(c: CaseSpec, index: number): void;
  onProgress?(c: CaseSpec, index: number, fraction: number): void;
  onDone?(c: CaseSpec, index: number, rec: CaseRecord): void;
}

export interface RunCampaignOptions extends CampaignHooks {
  cases: readonly CaseSpec[];
  /** runs at a time (pool threads; minThreads = maxThreads) */
  jobs: number;
  chaos: { p: number; maxNs: number } | null;
  artifactDir: string;
  /** stops the campaign: running cases are aborted (they end INTERRUPTED), pending ones never start */
  signal?: AbortSignal;
  /** a case whose CPU workers are not up this long after its start is an ERROR (default 60 s) */
  bootTimeoutMs?: number;
}

const RUN_CASE = new URL('./run-case.ts', import.meta.url);
/** execArgv of the pool threads: the same tsx preload as the CPU workers (TOOLCHAIN.md, the TS-in-worker trap). */
export const poolExecArgv = workerExecArgv;

/** How long the running cases get to come back after an abort before the pool is destroyed. */
const ABORT_GRACE_MS = 15_000;
/** From 'start' to the first progress report (its CPU workers up): normally well under a second. */
const BOOT_TIMEOUT_MS = 60_000;

/**
 * Run the cases, `jobs` at a time. Returns the records of the cases that started, in plan order,
 * and whether the campaign was stopped.
 */
export async function runCampaign(o: RunCampaignOptions): Promise<{ cases: CaseRecord[]; interrupted: boolean }> {
  const jobs = Math.max(1, Math.min(o.jobs, o.cases.length || 1));
  const records: (CaseRecord | undefined)[] = new Array(o.cases.length);
  if (o.cases.length === 0 || o.signal?.aborted) return { cases: [], interrupted: o.signal?.aborted ?? false };
  const pool = new Tinypool({
    filename: RUN_CASE.href, minThreads: jobs, maxThreads: jobs, idleTimeout: 0, execArgv: poolExecArgv(), name: 'default',
  });
  const ports = new Set<MessagePort>();
  const abortAll = (): void => { for (const p of ports) p.postMessage({ type: 'abort' }); };
  o.signal?.addEventListener('abort', abortAll);
  let next = 0;
  const bootTimeout = o.bootTimeoutMs ?? BOOT_TIMEOUT_MS;

  const runOne = async (index: number): Promise<void> => {
    const c = o.cases[index];
    const { port1, port2 } = new MessageChannel();
    ports.add(port1);
    let started = false;
    let running = false;
    // a run whose CPU workers never come up would wait forever: stop its pool thread instead
    const kill = new AbortController();
    let bootTimer: NodeJS.Timeout | null = null;
    port1.on('message', (m: CaseMessage) => {
      if (m.type === 'start') {
        started = true;
        bootTimer = setTimeout(() => kill.abort(), bootTimeout);
        o.onStart?.(c, index);
      } else if (m.type === 'progress') {
        if (!running) { running = true; if (bootTimer) clearTimeout(bootTimer); }
        o.onProgress?.(c, index, m.fraction);
      }
    });
    const task: CaseTask = {
      strategy: c.strategy, scenario: c.scenario, seed: c.seed, cpus: c.cpus, durationNs: c.durationNs,
      chaos: o.chaos, artifactDir: o.artifactDir, port: port2,
    };
    let rec: CaseRecord;
    try {
      rec = await pool.run(task, { transferList: [port2], signal: kill.signal }) as CaseRecord;
    } catch (e) {
      if (o.signal?.aborted && !started) { ports.delete(port1); port1.close(); return; } // never ran
      const why = kill.signal.aborted
        ? `its CPU workers did not start within ${bootTimeout / 1000} s (a CPU worker died while booting?); pool thread replaced`
        : `pool task failed: ${(e as Error)?.message ?? String(e)}`;
      rec = {
        strategy: c.strategy, scenario: c.scenario, seed: c.seed, cpus: c.cpus ?? 0, duration_ns: c.durationNs,
        verdict: o.signal?.aborted && !kill.signal.aborted ? 'INTERRUPTED' : 'ERROR',
        failure: o.signal?.aborted && !kill.signal.aborted ? null : { kind: 'crash', id: 'ERROR', msg: why },
        artifact: null,
        stats: { switches: 0, proxy_picks: 0, donor_migrations: 0, force_returns: 0, deactivations: 0, mutex_acquisitions: 0, eintr: 0, samples: 0, stranded_observations: 0, exec_ms: {} },
        histograms: {}, wall_ms: 0,
      };
    }
    if (bootTimer) clearTimeout(bootTimer);
    ports.delete(port1);
    port1.close();
    // an abort that arrived before the task read its port: the run never started
    if (rec.verdict === 'INTERRUPTED' && !started && rec.stats.samples === 0 && Object.keys(rec.histograms).length === 0) return;
    records[index] = rec;
    o.onDone?.(c, index, rec);
  };

  const lane = async (): Promise<void> => {
    while (next < o.cases.length && !o.signal?.aborted) await runOne(next++);
  };
  const lanes = Promise.all(Array.from({ length: jobs }, lane));
  try {
    if (o.signal) {
      // after an abort, wait for the running cases to report, but not forever
      const aborted = new Promise<void>((res) => {
        if (o.signal!.aborted) res(); else o.signal!.addEventListener('abort', () => res(), { once: true });
      });
      await Promise.race([lanes, aborted.then(() => Promise.race([lanes, sleep(ABORT_GRACE_MS)]))]);
    } else {
      await lanes;
    }
  } finally {
    o.signal?.removeEventListener('abort', abortAll);
    await pool.destroy().catch(() => undefined);
  }
  return { cases: records.filter((r): r is CaseRecord => r !== undefined), interrupted: o.signal?.aborted ?? false };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export function hostInfo(): HostInfo {
  const c = osCpus();
  return {
    node: process.version, platform: process.platform, arch: process.arch,
    cpus: availableParallelism(), cpu_model: c[0]?.model?.trim() ?? 'unknown',
    mem_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10, hostname: hostname(),
  };
}

/** Does a case's histograms count in the campaign totals? */
export const countsInTotals = (c: CaseRecord): boolean => c.verdict === 'PASS' || c.verdict === 'FAIL';

type Totals = CampaignResult['histograms'];

/**
 * Adds up histograms by strategy/scenario/metric. (Not metrics.ts addEncoded(): a decoded histogram
 * does not auto-resize, so adding one with larger values to it throws; HistogramSet's sums do.)
 */
export class TotalsBuilder {
  private readonly sets = new Map<string, Map<string, HistogramSet>>();
  add(strategy: string, scenario: string, hs: Record<string, string>): void {
    let byScenario = this.sets.get(strategy);
    if (!byScenario) this.sets.set(strategy, (byScenario = new Map()));
    let set = byScenario.get(scenario);
    if (!set) byScenario.set(scenario, (set = new HistogramSet()));
    set.add(hs);
  }
  /** add a whole table (e.g. the totals of a shard) */
  addTotals(t: Totals): void {
    for (const [strategy, byScenario] of Object.entries(t)) for (const [scenario, hs] of Object.entries(byScenario)) this.add(strategy, scenario, hs);
  }
  encode(): Totals {
    const out: Totals = {};
    for (const [strategy, byScenario] of this.sets) {
      out[strategy] = {};
      for (const [scenario, set] of byScenario) out[strategy][scenario] = set.encode();
    }
    return out;
  }
}

/** The campaign totals of a list of cases. */
export function totalsOf(cases: readonly CaseRecord[]): Totals {
  const t = new TotalsBuilder();
  for (const c of cases) if (countsInTotals(c)) t.add(c.strategy, c.scenario, c.histograms);
  return t.encode();
}

export function buildResult(o: { started: Date; params: CampaignParams; cases: CaseRecord[]; interrupted: boolean }): CampaignResult {
  const cases = [...o.cases].sort(compareKeys);
  return {
    proxysim_campaign: CAMPAIGN_FORMAT,
    started: o.started.toISOString(),
    finished: new Date().toISOString(),
    host: hostInfo(),
    params: o.params,
    interrupted: o.interrupted,
    cases,
    histograms: totalsOf(cases),
  };
}

/** Percentiles of the sum of some encoded histograms (missing ones skipped); null if none. */
export function percentilesOfSum(encoded: readonly (string | undefined)[]): Percentiles | null {
  const set = new HistogramSet();
  for (const e of encoded) if (e) set.add({ sum: e });
  const h = set.h.get('sum');
  return h ? percentiles(h) : null;
}

/** A new directory `<base>/<UTC time><suffix>` (filesystem safe), never an existing one. A WriteError
 *  if it cannot be made. */
export function newReportDir(base = 'reports', suffix = ''): string {
  ensureDir(base, 'result directory');
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  for (let k = 1; ; k++) {
    const dir = join(base, `${stamp}${suffix}${k === 1 ? '' : `-${k}`}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WriteError(`result directory: cannot create ${dir}: ${(e as Error).message.split('\n')[0]}`, dir, { cause: e });
      }
    }
  }
}

/**
 * Before a campaign runs: can its result directory `--out` be created (or written)? Nothing is
 * created. A WriteError (exit 73, one line) if not; /proc and /sys are refused.
 */
export function checkOutDir(dir: string | undefined, flag = '--out'): void {
  if (dir !== undefined) probeDir(dir, flag);
  else probeDir('reports', 'result directory (reports/)');
}

/** The unit of a metric's values as recorded (ns, or hops for chain_length). */
const unitOf = (metric: string): 'ns' | 'hops' => METRIC_UNIT[metric as MetricName] ?? 'ns';

/** The file names of one strategy/scenario/metric: `<strategy>__<scenario>__<metric>.hgrm` and `.hlog`. */
export function histogramFileNames(strategy: string, scenario: string, metric: string): { hgrm: string; hlog: string } {
  const base = safeFileName([strategy, scenario, metric]);
  return { hgrm: `${base}.hgrm`, hlog: `${base}.hlog` };
}

/**
 * The .hgrm percentile table (HdrHistogram outputPercentileDistribution). Its values are in µs for
 * the latencies (recorded in ns, divided by 1000), in hops for chain_length: said in a last line
 * `#[Unit    = us ...]`, after the three `#[...]` summary lines of the format.
 */
export function hgrmFile(encoded: string, metric: string): string {
  const unit = unitOf(metric);
  const text = hgrmText(encoded, unit);
  const note = unit === 'ns' ? 'us (microseconds; recorded in ns, divided by 1000)' : 'hops (not scaled)';
  return `${text.replace(/\n*$/, '\n')}#[Unit    = ${note}, Metric = ${metric}]\n`;
}

/**
 * An HdrHistogram interval log (.hlog, the format of HistogramLogProcessor / HistogramLogReader):
 * the campaign's histogram as one interval from its start to its end. Values as recorded (ns, or
 * hops), so Interval_Max is in ms for the latencies (the usual ratio 1e6), in hops otherwise.
 */
export function hlogFile(encoded: string, o: { metric: string; strategy: string; scenario: string; started: string; finished: string }): string {
  const unit = unitOf(o.metric);
  const h = hdr.decodeFromCompressedBase64(encoded);
  const t0 = Date.parse(o.started);
  const t1 = Date.parse(o.finished);
  const startMs = Number.isFinite(t0) ? t0 : 0;
  const lengthSec = Number.isFinite(t0) && Number.isFinite(t1) && t1 >= t0 ? (t1 - t0) / 1000 : 0;
  const lines: string[] = [];
  const w = new hdr.HistogramLogWriter((c: string) => { lines.push(c); });
  w.outputComment(`[proxysim ${o.metric} of ${o.strategy} on ${o.scenario}: values in ${unit}${unit === 'ns' ? ', Interval_Max in ms' : ''}]`);
  w.outputLogFormatVersion();
  lines.push(`#[StartTime: ${(startMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(startMs).toISOString()}]\n`);
  w.outputLegend();
  w.outputIntervalHistogram(h, 0, lengthSec, unit === 'ns' ? 1e6 : 1);
  return lines.join('');
}

/** Does `dir` hold a previous campaign (a results.json of proxysim)? */
function holdsCampaign(dir: string): boolean {
  const f = join(dir, 'results.json');
  if (!existsSync(f)) return false;
  try {
    const x = JSON.parse(readFileSync(f, 'utf8')) as { proxysim_campaign?: unknown };
    return x !== null && typeof x === 'object' && 'proxysim_campaign' in x;
  } catch {
    return false;
  }
}

/** Remove the files of a previous campaign in `dir` that the new one does not write (see the header). */
function clearPreviousCampaign(dir: string, keep: ReadonlySet<string>): void {
  if (!holdsCampaign(dir)) return;
  for (const f of readdirSync(dir)) {
    if ((/\.(hgrm|hlog)$/.test(f) && f.includes('__') && !keep.has(f)) || f === REPORT_FILE) {
      try { unlinkSync(join(dir, f)); } catch { /* gone already */ }
    }
  }
}

/** results.json, and per strategy/scenario/metric a .hgrm and a .hlog, in `dir`, each written atomically
 *  (synchronous: usable on the way out of a second Ctrl-C). Returns the paths. A WriteError if a file
 *  cannot be written (no temporary file is left). */
export function writeCampaignFiles(dir: string, r: CampaignResult): { results: string; hgrm: string[]; hlog: string[] } {
  ensureDir(dir, 'result directory');
  const files: { hgrm: string; hlog: string; strategy: string; scenario: string; metric: string; enc: string }[] = [];
  const taken = new Set<string>();
  for (const [strategy, byScenario] of Object.entries(r.histograms)) {
    for (const [scenario, byMetric] of Object.entries(byScenario)) {
      for (const [metric, enc] of Object.entries(byMetric)) {
        let { hgrm, hlog } = histogramFileNames(strategy, scenario, metric);
        // distinct names stay distinct (safeName hashes what it changes); this guards the improbable rest
        for (let k = 2; taken.has(hgrm); k++) ({ hgrm, hlog } = histogramFileNames(strategy, scenario, `${metric}-${k}`));
        taken.add(hgrm);
        taken.add(hlog);
        files.push({ hgrm, hlog, strategy, scenario, metric, enc });
      }
    }
  }
  clearPreviousCampaign(dir, taken);
  const hgrm: string[] = [];
  const hlog: string[] = [];
  for (const f of files) {
    const p = join(dir, f.hgrm);
    writeFileAtomic(p, hgrmFile(f.enc, f.metric));
    hgrm.push(p);
    const q = join(dir, f.hlog);
    writeFileAtomic(q, hlogFile(f.enc, { metric: f.metric, strategy: f.strategy, scenario: f.scenario, started: r.started, finished: r.finished }));
    hlog.push(q);
  }
  // last: a results.json that exists is complete, and so are the .hgrm files it describes
  const results = join(dir, 'results.json');
  writeFileAtomic(results, JSON.stringify(r, null, 1) + '\n');
  return { results, hgrm, hlog };
}

/** The verdict the report shows: the campaign's (stress/verdict.ts), as the exit code and the
 *  terminal's "End of test" line say; `expected` marks the expected failures. */
export function reportVerdict(r: CampaignResult, expected?: ExpectedFailure): ReportVerdict {
  const word = { FAILURE: 'FAIL', INTERRUPTED: 'INTERRUPTED', 'NO CASES': 'NO CASES', SUCCESS: 'PASS' } as const;
  return { overall: word[campaignVerdict(r, expected)], expected };
}

/** report.html: a failure to render it is a note, never a lost result. */
function writeHtmlReport(dir: string, r: CampaignResult, expected?: ExpectedFailure): { report: string | null; note: string | null } {
  try {
    return { report: writeReport(dir, r, reportVerdict(r, expected)), note: null };
  } catch (e) {
    return { report: null, note: `report.html skipped: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
  }
}

/** Where a campaign's result directory was written. */
export interface WrittenCampaign {
  results: string;
  /** report.html, or null (a note says why) */
  report: string | null;
  notes: string[];
}

/** The whole result directory: results.json, the .hgrm and .hlog files and report.html. `expected`:
 *  the failures expected (compare: the known-broken designs), marked so in the report. */
export async function writeCampaign(dir: string, r: CampaignResult, expected?: ExpectedFailure): Promise<WrittenCampaign> {
  const { results } = writeCampaignFiles(dir, r);
  const html = writeHtmlReport(dir, r, expected);
  return { results, report: html.report, notes: html.note ? [`note: ${html.note}`] : [] };
}

/** report.html again, with the expected failures marked (compare knows them; the campaign runner does not). */
export function rewriteReport(dir: string, r: CampaignResult, expected: ExpectedFailure): { report: string | null; note: string | null } {
  return writeHtmlReport(dir, r, expected);
}
