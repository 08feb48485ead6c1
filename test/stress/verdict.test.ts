/** A campaign's verdict and exit code: no case ran is NO CASES (exit 1), never SUCCESS; an interrupt is 128 + the signal. */
import { describe, expect, it } from 'vitest';
import { campaignVerdict, exitCodeOfCampaign } from '../../stress/verdict.ts';
import { checkShard } from '../../stress/execute.ts';
import { UsageError } from '../../src/errors.ts';
import type { CampaignResult, CaseRecord } from '../../src/results/format.ts';

const rec = (verdict: CaseRecord['verdict'], strategy = 'none'): CaseRecord => ({
  strategy, scenario: 'pi-basic', seed: 1, cpus: 1, duration_ns: 1, wall_ms: 1, verdict,
  failure: verdict === 'FAIL' ? { kind: 'violation', id: 'I1', msg: 'x' } : null, artifact: null,
  stats: { switches: 0, proxy_picks: 0, donor_migrations: 0, force_returns: 0, deactivations: 0, mutex_acquisitions: 0, eintr: 0, samples: 0, stranded_observations: 0, exec_ms: {} },
  histograms: {},
});
const result = (cases: CaseRecord[], interrupted = false): CampaignResult => ({
  proxysim_campaign: 1, started: 'x', finished: 'y', interrupted, cases, histograms: {},
  host: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, cpu_model: 'x', mem_gb: 1, hostname: 'h' },
  params: { strategies: [], scenarios: [], seeds: 1, first_seed: 1, duration_ns: 1, cpus: null, shard: null, chaos: null },
} as CampaignResult);

describe('campaign verdict', () => {
  it('no case: NO CASES, exit 1', () => {
    expect(campaignVerdict(result([]))).toBe('NO CASES');
    expect(exitCodeOfCampaign(result([]))).toBe(1);
  });

  it('SUCCESS, FAILURE, expected failures, INTERRUPTED with 128 + the signal', () => {
    expect(campaignVerdict(result([rec('PASS')]))).toBe('SUCCESS');
    expect(exitCodeOfCampaign(result([rec('PASS')]))).toBe(0);
    expect(campaignVerdict(result([rec('PASS'), rec('FAIL')]))).toBe('FAILURE');
    expect(exitCodeOfCampaign(result([rec('FAIL', 'sketch')]), (c) => c.strategy === 'sketch')).toBe(0);
    expect(campaignVerdict(result([], true))).toBe('INTERRUPTED');
    expect(exitCodeOfCampaign(result([rec('PASS')], true))).toBe(130);
    expect(exitCodeOfCampaign(result([rec('PASS')], true), undefined, 'SIGINT')).toBe(130);
    expect(exitCodeOfCampaign(result([rec('PASS')], true), undefined, 'SIGTERM')).toBe(143);
    // a signal that came once every case was over: the result is whole, its verdict stands
    expect(exitCodeOfCampaign(result([rec('PASS')]), undefined, 'SIGTERM')).toBe(0);
  });

  it('a shard with no case is a usage error; N above the case count is fine for the shards that have one', () => {
    expect(() => checkShard(null, 0)).not.toThrow();
    expect(() => checkShard([2, 8], 2)).not.toThrow();
    expect(() => checkShard([3, 8], 2)).toThrow(UsageError);
    expect(() => checkShard([1, 1], 0)).toThrow('--shard 1/1: shard 1 is empty: the campaign has 0 cases, so only shards 1..0 of 1 get one (use N <= 1, or more seeds)');
  });
});
