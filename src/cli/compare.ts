/**
 * `proxysim compare` (and `npm start` with no arguments): every design on a few scenarios, a stress
 * campaign with fixed parameters (stress/default.ts COMPARE_DEFAULTS), shown as one table per
 * scenario x design. The seed's sketch as posted (ttwu-blocks) is expected to fail: its failures are
 * shown, but only the failure of another design makes the exit code 1.
 */
import { COMPARE_DEFAULTS, expandScenarios } from '../../stress/default.ts';
import { dirname } from 'node:path';
import { checkOutDir, percentilesOfSum, rewriteReport } from '../../stress/campaign.ts';
import { exitCodeOfCampaign, isFailure } from '../../stress/verdict.ts';
import type { CampaignResult, CaseRecord } from '../results/format.ts';
import { designByName } from '../proxy/index.ts';
import type { CompareOptions } from './args.ts';
import { executeShown, printEnd, us } from './campaign-output.ts';
import { textTable } from '../report/text-table.ts';

const perRun = (cs: CaseRecord[], f: (c: CaseRecord) => number): number => Math.round(cs.reduce((s, c) => s + f(c), 0) / cs.length);

/** Football's "ball": the CPU time of the offense tasks (exec runtime, ms), per run. */
function offenseMs(cs: CaseRecord[]): string {
  const per = cs.map((c) => Object.entries(c.stats.exec_ms).filter(([n]) => /^offense/.test(n)).reduce((s, [, v]) => s + v, 0));
  return (per.reduce((s, v) => s + v, 0) / cs.length).toFixed(1);
}

export function compareTable(r: CampaignResult): string {
  const head = ['scenario', 'design', 'verdict', 'violations', 'proxy_picks', 'donor_migr', 'wake_p50', 'wake_p99', 'mwait_p50', 'mwait_p99', 'eintr_p50', 'offense_ms'];
  const rows: string[][] = [];
  const scenarios = [...new Set(r.cases.map((c) => c.scenario))];
  const designs = r.params.strategies;
  const sketchFailed: string[] = [];
  for (const scenario of r.params.scenarios.filter((s) => scenarios.includes(s))) {
    for (const design of designs) {
      const cs = r.cases.filter((c) => c.scenario === scenario && c.strategy === design && c.verdict !== 'INTERRUPTED');
      if (cs.length === 0) continue;
      const fails = cs.filter(isFailure);
      const ids = new Map<string, number>();
      for (const c of fails) ids.set(c.failure?.id ?? '?', (ids.get(c.failure?.id ?? '?') ?? 0) + 1);
      const sketch = isKnownBroken(design);
      if (sketch && fails.length && !sketchFailed.includes(design)) sketchFailed.push(design);
      const verdict = fails.length === 0 ? 'PASS' : `FAIL${cs.length > 1 ? ` ${fails.length}/${cs.length}` : ''}${sketch ? '*' : ''}`;
      const h = r.histograms[design]?.[scenario] ?? {};
      const wake = percentilesOfSum([h.wakeup_latency]);
      const wait = percentilesOfSum([h.mutex_wait_rt, h.mutex_wait_fair]);
      const eintr = percentilesOfSum([h.signal_eintr]);
      rows.push([
        scenario, design, verdict,
        [...ids].map(([id, n]) => (n > 1 ? `${id}x${n}` : id)).join(',') || '-',
        String(perRun(cs, (c) => c.stats.proxy_picks)), String(perRun(cs, (c) => c.stats.donor_migrations)),
        us(wake?.p50), us(wake?.p99), us(wait?.p50), us(wait?.p99), us(eintr?.p50),
        /^football/.test(scenario) ? offenseMs(cs) : '-',
      ]);
    }
  }
  const out = [textTable(head, rows, { left: 4, rule: true, groups: true })];
  out.push('', 'latencies in us (p50/p99 of the histograms added over the seeds); mwait = mutex waits (rt and fair);',
    'eintr = signal -> -EINTR of mutex_lock_interruptible; counters per run; offense_ms = football\'s "ball"',
    '(the offense tasks\' CPU time: ~0 when donation works, large without proxy execution).');
  if (sketchFailed.length) out.push(`* ${sketchFailed.join(', ')}: known broken (posted with holes), its failures are expected.`);
  return out.join('\n');
}

export async function cmdCompare(o: CompareOptions): Promise<number> {
  const notes: string[] = [];
  const scenarios = expandScenarios(null, COMPARE_DEFAULTS.scenarios, notes);
  checkOutDir(o.out); // before the campaign: a WriteError (exit 73) rather than a lost campaign
  const oc = await executeShown({
    strategies: COMPARE_DEFAULTS.strategies, scenarios, seeds: o.seeds, firstSeed: o.firstSeed,
    durationNs: o.duration, jobs: o.jobs, shard: null, chaos: null, out: o.out, outSuffix: '-compare',
  }, { label: 'compare', statIntervalNs: o.statInterval, notes });
  const expected = (c: CaseRecord): boolean => isKnownBroken(c.strategy);
  // report.html with the known-broken sketch's failures marked expected: its verdict is the exit code's
  const html = rewriteReport(dirname(oc.results), oc.result, expected);
  oc.report = html.report;
  if (html.note && !oc.notes.includes(`note: ${html.note}`)) oc.notes.push(`note: ${html.note}`);
  process.stdout.write(`\n${compareTable(oc.result)}\n`);
  printEnd(oc, { table: false, expected });
  return exitCodeOfCampaign(oc.result, expected, oc.signal);
}

function isKnownBroken(design: string): boolean {
  return designByName(design)?.status === 'known-broken';
}
