/** Campaign planning, sharding and merging: the sharded campaign adds up to the unsharded one. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import { buildResult, caseId, planCases, runCampaign, shardCases, writeCampaign, writeCampaignFiles, type CaseSpec } from '../../stress/campaign.ts';
import type { CampaignParams, CampaignResult } from '../../src/results/format.ts';
import { loadResults, mergeResults } from '../../stress/merge.ts';
import { parseArgs, type StressOptions } from '../../src/cli/args.ts';
import { DESIGNS } from '../../src/proxy/index.ts';
import { UsageError } from '../../src/errors.ts';

const ctx = { allowedStrategies: DESIGNS.map((d) => d.name) };

describe('planning and sharding', () => {
  it('sorts the cases by (strategy, scenario, seed) whatever the order given', () => {
    const a = planCases({ strategies: ['none', 'force-return'], scenarios: ['pi-basic', 'football'], seeds: 3, firstSeed: 9 });
    const b = planCases({ strategies: ['force-return', 'none'], scenarios: ['football', 'pi-basic'], seeds: 3, firstSeed: 9 });
    expect(a).toEqual(b);
    expect(a.length).toBe(12);
    expect(a[0]).toEqual({ strategy: 'force-return', scenario: 'football', seed: 9 });
    expect(a[3]).toEqual({ strategy: 'force-return', scenario: 'pi-basic', seed: 9 });
    expect(a.at(-1)).toEqual({ strategy: 'none', scenario: 'pi-basic', seed: 11 });
  });

  it('case i belongs to shard (i mod N)+1: the shards partition the campaign', () => {
    const all = planCases({ strategies: ['a', 'b', 'c'], scenarios: ['x', 'y'], seeds: 5, firstSeed: 1 });
    for (const n of [1, 2, 3, 7, 40]) {
      const shards = Array.from({ length: n }, (_, k) => shardCases(all, [k + 1, n]));
      expect(shards.flat().map(caseId).sort()).toEqual(all.map(caseId).sort());
      shards.forEach((s, k) => s.forEach((c) => expect(all.indexOf(c) % n).toBe(k)));
    }
    expect(shardCases(all, null)).toEqual(all);
  });

  it('flag errors are one-line UsageErrors naming what is allowed', () => {
    const err = (argv: string[]): string => {
      try { parseArgs(argv, ctx); } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; }
      throw new Error(`accepted: ${argv.join(' ')}`);
    };
    expect(err(['stress', '--strategies', 'none,bogus'])).toBe('--strategies: unknown strategy "bogus" (allowed: all, none, force-return, ttwu-return, ttwu-blocks, ttwu-blocks-fixed)');
    expect(err(['stress', '--scenarios', 'footbal'])).toMatch(/^--scenarios: unknown scenario "footbal" \(allowed: all, pi-basic, .*\); did you mean football\?$/);
    expect(err(['stress', '--shard', '3/2'])).toBe('--shard: expected k/N with 1 <= k <= N <= 10000 (e.g. 1/4), got "3/2"');
    expect(err(['stress', '--shard', '0/2'])).toMatch(/^--shard: expected k\/N with 1 <= k <= N/);
    expect(err(['stress', '--shard', '1-2'])).toBe('--shard: expected k/N (e.g. 1/4) or auto or auto/N, got "1-2"');
    expect(err(['merge'])).toMatch(/^"merge" needs at least one result directory/);
    for (const m of [err(['stress', '--jobs', '0']), err(['stress', '--seeds', 'x'])]) expect(m).not.toMatch(/\n/);
  });

  it('parses a campaign; no --strategies/--scenarios means the defaults, "all" is kept for the command', () => {
    const c = parseArgs(['stress', '--strategies', 'all', '--scenarios', 'pi-basic', '--seeds', '2', '--duration', '300ms', '--shard', '2/3'], ctx);
    expect(c.command).toBe('stress');
    const o = (c as { options: StressOptions }).options;
    expect(o).toMatchObject({ strategies: ['all'], scenarios: ['pi-basic'], seeds: 2, duration: 300e6, shard: [2, 3], jobs: 1 });
    const d = (parseArgs(['stress'], ctx) as { options: StressOptions }).options;
    expect(d.strategies).toBeNull();
    expect(d.scenarios).toBeNull();
  });
});

const count = (b64: string): number => hdr.decodeFromCompressedBase64(b64).totalCount;

/** totals[strategy/scenario/metric] = total count */
function counts(r: CampaignResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const [s, bySc] of Object.entries(r.histograms)) for (const [sc, byM] of Object.entries(bySc)) for (const [m, e] of Object.entries(byM)) out.set(`${s}/${sc}/${m}`, count(e));
  return out;
}

describe('sharded campaign', () => {
  it('merge(shard 1/2, shard 2/2) has the cases, verdicts and histogram totals of the unsharded campaign', async () => {
    const base = mkdtempSync(join(tmpdir(), 'proxysim-shard-'));
    const params = (shard: [number, number] | null): CampaignParams => ({
      strategies: ['none', 'force-return'], scenarios: ['pi-basic'], seeds: 2, first_seed: 1, duration_ns: 200e6, cpus: null, shard, chaos: null,
    });
    const all = planCases({ strategies: ['none', 'force-return'], scenarios: ['pi-basic'], seeds: 2, firstSeed: 1 });
    const campaign = async (shard: [number, number] | null, dir: string): Promise<CampaignResult> => {
      const cases: CaseSpec[] = shardCases(all, shard).map((k) => ({ ...k, durationNs: 200e6 }));
      const started = new Date();
      const res = await runCampaign({ cases, jobs: 1, chaos: null, artifactDir: join(dir, 'failures') });
      const r = buildResult({ started, params: params(shard), cases: res.cases, interrupted: res.interrupted });
      writeCampaignFiles(dir, r);
      return r;
    };
    const whole = await campaign(null, join(base, 'whole'));
    const s1 = await campaign([1, 2], join(base, 's1'));
    const s2 = await campaign([2, 2], join(base, 's2'));
    expect(s1.cases.length).toBe(2);
    expect(s2.cases.length).toBe(2);

    const { result: merged, warnings } = mergeResults([loadResults(join(base, 's1')), loadResults(join(base, 's2'))]);
    expect(warnings).toEqual([]);
    expect(merged.params.shard).toBeNull();
    expect(merged.cases.length).toBe(whole.cases.length);
    const verdicts = (r: CampaignResult) => r.cases.map((c) => [c.strategy, c.scenario, c.seed, c.verdict]);
    expect(verdicts(merged)).toEqual(verdicts(whole));
    expect(verdicts(whole).every((v) => v[3] === 'PASS')).toBe(true);

    // histograms are added: merged count = shard 1 count + shard 2 count, for every strategy/scenario/metric
    const m = counts(merged);
    const c1 = counts(s1);
    const c2 = counts(s2);
    expect([...m.keys()].sort()).toEqual([...new Set([...c1.keys(), ...c2.keys()])].sort());
    for (const [k, n] of m) expect(n, k).toBe((c1.get(k) ?? 0) + (c2.get(k) ?? 0));
    // and the campaign totals are the sum of its cases
    for (const r of [whole, s1, s2, merged]) {
      for (const [k, n] of counts(r)) {
        const [s, sc, metric] = k.split('/');
        const sum = r.cases.filter((c) => c.strategy === s && c.scenario === sc && c.histograms[metric]).reduce((t, c) => t + count(c.histograms[metric]), 0);
        expect(n, k).toBe(sum);
      }
    }
    expect(m.get('force-return/pi-basic/wakeup_latency')).toBeGreaterThan(0);

    // the same shard twice is refused, naming both files
    expect(() => mergeResults([loadResults(join(base, 's1')), loadResults(join(base, 's1'))])).toThrow(/cases\[0\]: case force-return\/pi-basic seed 1 is also in .*s1\/results\.json/);
  });
});

describe('a run that does not come up', () => {
  it('is stopped after the boot timeout: an ERROR case, its pool thread replaced, the next case still runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxysim-boot-'));
    const cases: CaseSpec[] = [{ strategy: 'none', scenario: 'pi-basic', seed: 1, durationNs: 100e6 }, { strategy: 'none', scenario: 'pi-basic', seed: 2, durationNs: 100e6 }];
    const res = await runCampaign({ cases, jobs: 1, chaos: null, artifactDir: dir, bootTimeoutMs: 1 });
    expect(res.cases.map((c) => c.verdict)).toEqual(['ERROR', 'ERROR']);
    expect(res.cases[0].failure?.msg).toMatch(/CPU workers did not start within 0\.001 s/);
    const ok = await runCampaign({ cases: cases.slice(0, 1), jobs: 1, chaos: null, artifactDir: dir });
    expect(ok.cases.map((c) => c.verdict)).toEqual(['PASS']);
  });
});

describe('result files', () => {
  const enc = (values: number[]): string => {
    const h = hdr.build({ numberOfSignificantValueDigits: 3 });
    for (const v of values) h.recordValue(v);
    return hdr.encodeIntoCompressedBase64(h);
  };
  const result = (histograms: CampaignResult['histograms']): CampaignResult => ({
    proxysim_campaign: 1, started: '2025-01-02T03:04:05.000Z', finished: '2025-01-02T03:04:17.500Z',
    host: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, cpu_model: 'x', mem_gb: 1, hostname: 'h' },
    params: { strategies: Object.keys(histograms), scenarios: ['pi-basic'], seeds: 1, first_seed: 1, duration_ns: 1e6, cpus: null, shard: null, chaos: null },
    interrupted: false, cases: [], histograms,
  });

  it('a .hlog beside each .hgrm, read back by HistogramLogReader to the same counts; the unit is in the .hgrm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxysim-hlog-'));
    const wake = enc([1_000, 2_000, 2_000, 150_000, 7_000_000]);
    const chain = enc([1, 1, 2, 3]);
    const r = result({ 'force-return': { 'pi-basic': { wakeup_latency: wake, chain_length: chain } } });
    const w = writeCampaignFiles(dir, r);
    expect(w.hlog.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['force-return__pi-basic__chain_length.hlog', 'force-return__pi-basic__wakeup_latency.hlog']);
    for (const [metric, b64] of [['wakeup_latency', wake], ['chain_length', chain]] as const) {
      const text = readFileSync(join(dir, `force-return__pi-basic__${metric}.hlog`), 'utf8');
      expect(text).toMatch(/^#\[StartTime: 1735787045\.000 \(seconds since epoch\), 2025-01-02T03:04:05\.000Z\]$/m);
      expect(text).toContain('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n');
      expect(text).toMatch(/^0\.000,12\.500,\d+\.\d+,HIST[A-Za-z0-9+/=]+$/m);
      const reader = new hdr.HistogramLogReader(text);
      const h = reader.nextIntervalHistogram()!;
      expect(reader.startTimeSec).toBeCloseTo(1735787045, 3);
      const want = hdr.decodeFromCompressedBase64(b64);
      expect(h.totalCount).toBe(want.totalCount);
      expect(h.maxValue).toBe(want.maxValue);
      expect(h.minNonZeroValue).toBe(want.minNonZeroValue);
      // the same counts in every bucket: the same full percentile distribution
      expect(h.outputPercentileDistribution(1000, 1)).toBe(want.outputPercentileDistribution(1000, 1));
      expect(reader.nextIntervalHistogram()).toBeNull();
      const hgrm = readFileSync(join(dir, `force-return__pi-basic__${metric}.hgrm`), 'utf8');
      expect(hgrm.trimEnd().split('\n').at(-1)).toBe(metric === 'wakeup_latency'
        ? '#[Unit    = us (microseconds; recorded in ns, divided by 1000), Metric = wakeup_latency]'
        : '#[Unit    = hops (not scaled), Metric = chain_length]');
    }
    // Interval_Max in ms for a latency (7 ms), in hops for a chain
    expect(readFileSync(join(dir, 'force-return__pi-basic__wakeup_latency.hlog'), 'utf8')).toMatch(/^0\.000,12\.500,7\.\d+,/m);
    expect(readFileSync(join(dir, 'force-return__pi-basic__chain_length.hlog'), 'utf8')).toMatch(/^0\.000,12\.500,3\.000,/m);
  });

  it('reusing --out: the previous campaign\'s .hgrm/.hlog files and report are replaced, other files kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxysim-reuse-'));
    const h = enc([1_000]);
    await writeCampaign(dir, result({ none: { 'pi-basic': { wakeup_latency: h, mutex_wait_rt: h } }, 'force-return': { 'pi-basic': { wakeup_latency: h } } }));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(readdirSync(dir).filter((f) => f.endsWith('.hgrm'))).toHaveLength(3);
    await writeCampaign(dir, result({ 'ttwu-return': { 'pi-basic': { wakeup_latency: h } } }));
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'report.html', 'results.json', 'ttwu-return__pi-basic__wakeup_latency.hgrm', 'ttwu-return__pi-basic__wakeup_latency.hlog']);
    // a folder without a previous campaign: nothing of it is removed
    const other = mkdtempSync(join(tmpdir(), 'proxysim-reuse-'));
    writeFileSync(join(other, 'x__y__z.hgrm'), 'someone else\'s');
    writeCampaignFiles(other, result({ none: { 'pi-basic': { wakeup_latency: h } } }));
    expect(readdirSync(other)).toContain('x__y__z.hgrm');
  });
});
