/**
 * What the campaign commands (stress, compare, merge) show: the banner, the progress (a bar on a
 * terminal, locktorture-style status lines otherwise), one line per finished case, the summary
 * table, the failed cases and the verdict line. SIGINT and SIGTERM are wired here (interrupts.ts,
 * as in run and hunt): the first stops the running cases and keeps the finished ones, a second writes
 * results.json at once and exits 130 (SIGINT) or 143 (SIGTERM).
 */
import { Interrupts } from './interrupts.ts';
import { formatDuration } from '../workload/duration.ts';
import type { CampaignResult, CaseRecord } from '../results/format.ts';
import { caseName, percentilesOfSum, type CaseSpec } from '../../stress/campaign.ts';
import { executeCampaign, type CampaignOutcome, type CampaignPlan, type CampaignSpec } from '../../stress/execute.ts';
import { campaignVerdict, exitCodeOfSignal, isFailure, type ExpectedFailure } from '../../stress/verdict.ts';
import { textTable } from '../report/text-table.ts';

/** ns as us with one decimal; '-' when there is none */
export const us = (ns: number | undefined): string => (ns === undefined ? '-' : (Math.round(ns / 100) / 10).toFixed(1));

// ---------------------------------------------------------------------------------------------
// While it runs
// ---------------------------------------------------------------------------------------------

/** One line per finished case. */
function caseLine(rec: CaseRecord, pos: string): string {
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
    if (isFailure(rec)) this.fails++;
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

function printBanner(label: string, spec: CampaignSpec, plan: CampaignPlan): void {
  const out = process.stdout;
  out.write(`proxysim ${label}: strategies=${spec.strategies.join(',')} scenarios=${spec.scenarios.join(',')} `
    + `seeds=${spec.seeds} (${spec.firstSeed}..${spec.firstSeed + spec.seeds - 1}) duration=${formatDuration(spec.durationNs)} `
    + `cpus=${spec.cpus ?? 'scenario'} jobs=${spec.jobs} shard=${spec.shard ? spec.shard.join('/') : '-'} `
    + `chaos=${spec.chaos ? `${spec.chaos.p}/${formatDuration(spec.chaos.maxNs)}` : '0'}\n`);
  out.write(`proxysim ${label}: ${plan.cases.length} runs${spec.shard ? ` (shard ${spec.shard.join('/')} of ${plan.planned})` : ''}, `
    + `CPU workers per run: ${plan.cpus.join('/')}, output ${plan.dir}\n`);
}

export interface ShowOptions {
  /** 'stress' or 'compare': the prefix of the banner and of the status lines */
  label: string;
  /** the status line period when stderr is not a terminal */
  statIntervalNs: number;
  /** printed (stderr) after the banner */
  notes: string[];
}

/** A campaign's outcome, and the signal that stopped it (null: none). */
export interface ShownOutcome extends CampaignOutcome {
  signal: NodeJS.Signals | null;
}

/**
 * Run a campaign (stress/execute.ts) with its output: the banner and the notes, the progress, one
 * line per finished case; SIGINT/SIGTERM handling, from before the plan until results.json and the
 * report are written: the first signal stops the running cases (they end INTERRUPTED) and the
 * finished ones are written as usual; a second one (later than SECOND_SIGNAL_MS) writes results.json
 * with the finished cases synchronously, unless the campaign's own is already written, and exits
 * 128 + the signal (130, 143). The caller prints its tables (printEnd).
 */
export async function executeShown(spec: CampaignSpec, show: ShowOptions): Promise<ShownOutcome> {
  const { label } = show;
  const ac = new AbortController();
  let ui: CampaignUi | null = null;
  let plan: CampaignPlan | null = null;
  const interrupts = new Interrupts({
    first: (sig) => {
      const msg = `${label}: ${sig}: stopping the running cases, keeping the finished ones (again to quit at once)`;
      if (ui) ui.note(msg); else process.stderr.write(msg + '\n');
      ac.abort();
    },
    second: (sig) => {
      ui?.stop();
      if (plan === null) {
        process.stderr.write(`${label}: ${sig} again: no case had started, nothing written\n`);
      } else {
        const w = plan.writeFinished();
        process.stderr.write(`${label}: ${sig} again: ${w.cases} finished case${w.cases === 1 ? '' : 's'} in ${w.results}\n`);
      }
      process.exit(exitCodeOfSignal(sig));
    },
  }).install();
  try {
    const oc = await executeCampaign(spec, {
      signal: ac.signal,
      onPlan: (p) => {
        plan = p;
        printBanner(label, spec, p);
        for (const n of show.notes) process.stderr.write(n + '\n');
        ui = new CampaignUi(label, p.cases.length, show.statIntervalNs / 1e6);
        ui.start();
      },
      onStart: (c, i) => ui?.caseStarted(c, i),
      onProgress: (c, i, f) => ui?.caseProgress(c, i, f),
      onDone: (_c, i, rec) => ui?.caseDone(i, rec),
      onRunEnd: () => ui?.stop(),
    });
    return { ...oc, signal: interrupts.signal };
  } finally {
    interrupts.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// The end
// ---------------------------------------------------------------------------------------------

/** Per strategy x scenario: runs, verdicts, p50/p99 of wakeup latency and of mutex waits (rt + fair, added). */
function summaryTable(r: CampaignResult): string {
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

export interface EndOptions {
  /** print the summary table (compare prints its own) */
  table?: boolean;
  /** failures that are expected (the known-broken sketch in compare): listed, but not a FAILURE */
  expected?: ExpectedFailure;
}

/** The summary table, the failed cases, where the results are, the verdict line. */
export function printEnd(oc: CampaignOutcome, opts: EndOptions = {}): void {
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
  const verdict = campaignVerdict(r, expected);
  if (verdict === 'NO CASES') out.push('no case ran: nothing was checked');
  out.push(`End of test: ${verdict}`);
  process.stdout.write(out.join('\n') + '\n');
}
