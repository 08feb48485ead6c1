/**
 * `proxysim stress`: a campaign of runs (strategy x scenario x seed) on a tinypool, with a progress
 * bar on a terminal or locktorture-style status lines otherwise, PASS/FAIL per case, a summary table
 * and the result directory. `compare` is the same machinery with fixed parameters (executeCampaign).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTINS, findBuiltin } from '../workload/builtin/index.ts';
import { resolveScenario } from '../workload/validate.ts';
import { formatDuration } from '../workload/duration.ts';
import { DESIGNS } from '../proxy/index.ts';
import { EXIT } from '../errors.ts';
import type { StressOptions } from './args.ts';
import { STRESS_DEFAULTS } from '../../stress/default.ts';
import {
  buildResult, caseName, newReportDir, percentilesOfSum, planCases, runCampaign, shardCases, writeCampaignFiles, writeHtmlReport,
  type CaseSpec,
} from '../../stress/campaign.ts';
import type { CampaignParams, CampaignResult, CaseRecord } from '../../stress/format.ts';
import { textTable } from '../report/text-table.ts';

export interface CampaignSpec {
  /** 'stress' or 'compare': the prefix of the status lines */
  label: string;
  strategies: string[];
  scenarios: string[];
  seeds: number;
  firstSeed: number;
  durationNs: number;
  cpus?: number;
  jobs: number;
  shard: [number, number] | null;
  chaos: { p: number; maxNs: number } | null;
  /** result directory; undefined: a new reports/<time><outSuffix>/ */
  out?: string;
  outSuffix?: string;
  statIntervalNs: number;
}

export interface CampaignOutcome {
  result: CampaignResult;
  dir: string;
  results: string;
  report: string | null;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** --strategies as given: 'all' expands to every design; null: the defaults. */
export function expandStrategies(given: string[] | null): string[] {
  if (given === null) return STRESS_DEFAULTS.strategies;
  return given.includes('all') ? DESIGNS.map((d) => d.name) : given;
}

/** --scenarios as given; null: the defaults, of which the names that are not built-ins are skipped
 *  with a note (other engineers add scenarios). */
export function expandScenarios(given: string[] | null, defaults: readonly string[], notes: string[]): string[] {
  if (given !== null) return given.includes('all') ? BUILTINS.map((b) => b.name) : given;
  const out: string[] = [];
  for (const name of defaults) {
    const b = findBuiltin(name);
    if (b === undefined) notes.push(`note: scenario ${name} is not a built-in (yet): skipped`);
    else out.push(b.name);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const us = (ns: number | undefined): string => (ns === undefined ? '-' : (Math.round(ns / 100) / 10).toFixed(1));


/** One line per finished case. */
export function caseLine(rec: CaseRecord, pos: string): string {
  const tag = rec.verdict === 'INTERRUPTED' ? 'INTR' : rec.verdict;
  const st = rec.stats;
  const head = `${tag.padEnd(5)} ${pos} ${caseName(rec)}`;
  if (rec.verdict === 'ERROR') return `${head}: ${rec.failure?.msg ?? 'error'}`;
  const counters = `(${(rec.wall_ms / 1000).toFixed(1)}s wall, switches ${st.switches}, proxy ${st.proxy_picks}, migr ${st.donor_migrations}, eintr ${st.eintr})`;
  if (rec.verdict === 'FAIL') {
    return `${head} ${counters}\n      !!! ${rec.failure?.kind} ${rec.failure?.id}: ${rec.failure?.msg}${rec.artifact ? `\n      artifact: ${rec.artifact}` : ''}`;
  }
  return `${head} ${counters}`;
}

/** Per strategy x scenario: runs, verdicts, p50/p99 of wakeup latency and of mutex waits (rt + fair, added). */
export function summaryTable(r: CampaignResult): string {
  const groups = new Map<string, CaseRecord[]>();
  for (const c of r.cases) {
    const k = `${c.strategy}\u0000${c.scenario}`;
    const g = groups.get(k);
    if (g) g.push(c); else groups.set(k, [c]);
  }
  const rows: (string | number)[][] = [];
  for (const cs of groups.values()) {
    const { strategy, scenario } = cs[0];
    const h = r.histograms[strategy]?.[scenario] ?? {};
    const wake = percentilesOfSum([h.wakeup_latency]);
    const wait = percentilesOfSum([h.mutex_wait_rt, h.mutex_wait_fair]);
    const n = (v: CaseRecord['verdict']): number => cs.filter((c) => c.verdict === v).length;
    const fails = n('FAIL') + n('ERROR');
    rows.push([strategy, scenario, cs.length, n('PASS'), fails ? `${fails} !!!` : 0, n('INTERRUPTED') || '-',
      us(wake?.p50), us(wake?.p99), us(wait?.p50), us(wait?.p99)]);
  }
  return textTable(['strategy', 'scenario', 'runs', 'pass', 'fail', 'intr', 'wake_p50', 'wake_p99', 'mwait_p50', 'mwait_p99'], rows, { left: 2 })
    + '\n(latencies in us, from the histograms added over the runs; mwait = mutex waits, rt and fair)';
}

/** Progress: a bar on a terminal (stderr), else a status line per running case every interval. */
class CampaignUi {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly running = new Map<number, { c: CaseSpec; f: number }>();
  private done = 0;
  private fails = 0;
  private readonly sum = { switches: 0, proxy: 0, migr: 0, eintr: 0 };
  private timer: NodeJS.Timeout | null = null;
  private lastDraw = 0;
  private barShown = false;

  constructor(private readonly label: string, private readonly total: number, private readonly intervalMs: number) {}

  start(): void {
    this.timer = this.tty ? setInterval(() => this.draw(true), 500) : setInterval(() => this.stats(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  caseStarted(c: CaseSpec, i: number): void {
    this.running.set(i, { c, f: -1 }); // -1: its CPU workers are starting
    this.draw(true);
  }

  caseProgress(c: CaseSpec, i: number, f: number): void {
    this.running.set(i, { c, f });
    this.draw(false);
  }

  caseDone(i: number, rec: CaseRecord): void {
    this.running.delete(i);
    this.done++;
    if (rec.verdict === 'FAIL' || rec.verdict === 'ERROR') this.fails++;
    this.sum.switches += rec.stats.switches;
    this.sum.proxy += rec.stats.proxy_picks;
    this.sum.migr += rec.stats.donor_migrations;
    this.sum.eintr += rec.stats.eintr;
    this.clear();
    process.stdout.write(caseLine(rec, `[${i + 1}/${this.total}]`) + '\n');
    this.draw(true);
  }

  /** a line on stderr that the bar does not overwrite */
  note(msg: string): void {
    this.clear();
    process.stderr.write(msg + '\n');
    this.draw(true);
  }

  private clear(): void {
    if (this.tty && this.barShown) { process.stderr.write('\r\x1b[K'); this.barShown = false; }
  }

  private draw(force: boolean): void {
    if (!this.tty || this.timer === null) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const partial = [...this.running.values()].reduce((s, x) => s + Math.max(0, x.f), 0);
    const frac = this.total ? Math.min(1, (this.done + partial) / this.total) : 1;
    const width = 24;
    const fill = Math.round(frac * width);
    const cur = [...this.running.values()].map((x) => `${x.c.strategy}/${x.c.scenario} s${x.c.seed} ${x.f < 0 ? 'starting' : `${Math.floor(x.f * 100)}%`}`).join(', ');
    let line = `${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor(frac * 100)).padStart(3)}% `
      + `${this.done}/${this.total}${this.fails ? ` FAIL ${this.fails}` : ''}${cur ? ` | ${cur}` : ''}`;
    const cols = process.stderr.columns || 100;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    process.stderr.write(`\r\x1b[K${line}`);
    this.barShown = true;
  }

  /** locktorture-style: one line per running case, with the totals of the finished ones */
  private stats(): void {
    const s = this.sum;
    const tail = `| done ${this.done}/${this.total} fail ${this.fails}${this.fails ? ' !!!' : ''} | switches ${s.switches} proxy ${s.proxy} migr ${s.migr} eintr ${s.eintr}`;
    for (const [i, { c, f }] of this.running) {
      const at = f < 0 ? 'starting' : `${((f * c.durationNs) / 1e9).toFixed(1)}s/${formatDuration(c.durationNs)}`;
      process.stderr.write(`${this.label}: [${i + 1}/${this.total}] ${caseName(c)}: ${at} ${tail}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The campaign
// ---------------------------------------------------------------------------------------------

/** A signal this soon after the first is the same Ctrl-C relayed by a wrapper process. */
const SECOND_SIGNAL_MS = 1000;

/**
 * Plan, run and write a campaign. Prints the banner, the progress, one line per finished case and
 * the notes; the caller prints its tables. Ctrl-C (or SIGTERM) stops the running cases and writes what
 * finished; a second one writes results.json at once and exits 130.
 */

export async function executeCampaign(spec: CampaignSpec, notes: string[]): Promise<CampaignOutcome> {
  // every scenario must build for --cpus before anything runs (ScenarioError: exit 65)
  const cpusOf = new Map<string, number>();
  for (const name of spec.scenarios) cpusOf.set(name, resolveScenario(name, { cpus: spec.cpus }).cpus);
  const all = planCases(spec);
  const cases: CaseSpec[] = shardCases(all, spec.shard).map((k) => ({ ...k, cpus: spec.cpus, durationNs: spec.durationNs }));
  const dir = spec.out ?? newReportDir('reports', spec.outSuffix ?? '');
  mkdirSync(dir, { recursive: true });
  const params: CampaignParams = {
    strategies: spec.strategies, scenarios: spec.scenarios, seeds: spec.seeds, first_seed: spec.firstSeed,
    duration_ns: spec.durationNs, cpus: spec.cpus ?? null, shard: spec.shard, chaos: spec.chaos ? { p: spec.chaos.p, max_ns: spec.chaos.maxNs } : null,
  };
  const started = new Date();
  const out = process.stdout;
  out.write(`proxysim ${spec.label}: strategies=${spec.strategies.join(',')} scenarios=${spec.scenarios.join(',')} `
    + `seeds=${spec.seeds} (${spec.firstSeed}..${spec.firstSeed + spec.seeds - 1}) duration=${formatDuration(spec.durationNs)} `
    + `cpus=${spec.cpus ?? 'scenario'} jobs=${spec.jobs} shard=${spec.shard ? spec.shard.join('/') : '-'} `
    + `chaos=${spec.chaos ? `${spec.chaos.p}/${formatDuration(spec.chaos.maxNs)}` : '0'}\n`);
  out.write(`proxysim ${spec.label}: ${cases.length} runs${spec.shard ? ` (shard ${spec.shard.join('/')} of ${all.length})` : ''}, `
    + `CPU workers per run: ${[...new Set(spec.scenarios.map((s) => cpusOf.get(s)))].join('/')}, output ${dir}\n`);
  for (const n of notes.splice(0)) process.stderr.write(n + '\n');

  const ui = new CampaignUi(spec.label, cases.length, spec.statIntervalNs / 1e6);
  const finished: CaseRecord[] = [];
  const ac = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (): void => {
    if (!ac.signal.aborted) {
      ui.note(`${spec.label}: interrupted: stopping the running cases, keeping the finished ones (again to quit at once)`);
      firstSignalAt = Date.now();
      ac.abort();
      return;
    }
    // the same Ctrl-C relayed by a wrapper (npm, tsx) arrives twice within moments: not a second one
    if (Date.now() - firstSignalAt < SECOND_SIGNAL_MS) return;
    ui.stop();
    const r = buildResult({ started, params, cases: finished, interrupted: true });
    const w = writeCampaignFiles(dir, r);
    process.stderr.write(`${spec.label}: interrupted twice: ${finished.length} finished cases in ${w.results}\n`);
    process.exit(EXIT.INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let interrupted: boolean;
  try {
    ui.start();
    const res = await runCampaign({
      cases, jobs: spec.jobs, chaos: spec.chaos, artifactDir: join(dir, 'failures'), signal: ac.signal,
      onStart: (c, i) => ui.caseStarted(c, i),
      onProgress: (c, i, f) => ui.caseProgress(c, i, f),
      onDone: (_c, i, rec) => { finished.push(rec); ui.caseDone(i, rec); },
    });
    interrupted = res.interrupted;
  } finally {
    ui.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const result = buildResult({ started, params, cases: finished, interrupted });
  const w = writeCampaignFiles(dir, result);
  const html = await writeHtmlReport(dir, result);
  if (html.note) notes.push(`note: ${html.note}`);
  return { result, dir, results: w.results, report: html.report, notes };
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

export async function cmdStress(o: StressOptions): Promise<number> {
  const notes: string[] = [];
  const strategies = expandStrategies(o.strategies);
  const scenarios = expandScenarios(o.scenarios, STRESS_DEFAULTS.scenarios, notes);
  const oc = await executeCampaign({
    label: 'stress', strategies, scenarios, seeds: o.seeds, firstSeed: o.firstSeed, durationNs: o.duration, cpus: o.cpus,
    jobs: o.jobs, shard: o.shard, chaos: o.chaos > 0 ? { p: o.chaos, maxNs: o.chaosMax } : null, out: o.out,
    statIntervalNs: o.statInterval,
  }, notes);
  printEnd(oc);
  return exitCodeOfCampaign(oc.result);
}

export interface EndOptions {
  /** print the summary table (compare prints its own) */
  table?: boolean;
  /** failures that are expected (the known-broken sketch in compare): listed, but not a FAILURE */
  expected?: (c: CaseRecord) => boolean;
}

const isFailure = (c: CaseRecord): boolean => c.verdict === 'FAIL' || c.verdict === 'ERROR';

/** The summary table, the failed cases, where the results are, the verdict line. */
export function printEnd(oc: Pick<CampaignOutcome, 'result' | 'results' | 'report' | 'notes'>, opts: EndOptions = {}): void {
  const r = oc.result;
  const expected = opts.expected ?? (() => false);
  const out: string[] = [''];
  if (r.cases.length && opts.table !== false) out.push(summaryTable(r), '');
  const failed = r.cases.filter(isFailure);
  if (failed.length) {
    out.push(`failed cases (${failed.length}):`);
    for (const c of failed) {
      out.push(`  ${caseName(c)}: ${c.failure?.kind ?? '?'} ${c.failure?.id ?? '?'}: ${c.failure?.msg ?? ''}${expected(c) ? ' (expected)' : ''}`);
      if (c.artifact) out.push(`    artifact: ${c.artifact}`);
    }
    out.push('');
  }
  const n = (v: CaseRecord['verdict']): number => r.cases.filter((c) => c.verdict === v).length;
  out.push(`runs: ${r.cases.length} (pass ${n('PASS')}, fail ${n('FAIL')}, error ${n('ERROR')}, interrupted ${n('INTERRUPTED')})${r.interrupted ? ' -- campaign interrupted' : ''}`);
  out.push(`results: ${oc.results}`);
  if (oc.report) out.push(`report: ${oc.report}`);
  for (const note of oc.notes) out.push(note);
  out.push(endLine(r, expected));
  process.stdout.write(out.join('\n') + '\n');
}

export function endLine(r: CampaignResult, expected: (c: CaseRecord) => boolean = () => false): string {
  const failed = r.cases.some((c) => isFailure(c) && !expected(c));
  return `End of test: ${failed ? 'FAILURE' : r.interrupted ? 'INTERRUPTED' : 'SUCCESS'}`;
}

/** 130 interrupted, 1 a case failed (expected failures aside), 0 all passed. */
export function exitCodeOfCampaign(r: CampaignResult, expected: (c: CaseRecord) => boolean = () => false): number {
  if (r.interrupted) return EXIT.INTERRUPTED;
  return r.cases.some((c) => isFailure(c) && !expected(c)) ? EXIT.CHECK_FAILED : EXIT.OK;
}
