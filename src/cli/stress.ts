/**
 * `proxysim stress`: a campaign of runs (strategy x scenario x seed) on a tinypool (stress/execute.ts),
 * shown as it runs, PASS/FAIL per case, a summary table and the result directory (campaign-output.ts).
 */
import type { StressOptions } from './args.ts';
import { STRESS_DEFAULTS, expandScenarios, expandStrategies } from '../../stress/default.ts';
import { exitCodeOfCampaign } from '../../stress/verdict.ts';
import { checkOutDir } from '../../stress/campaign.ts';
import { executeShown, printEnd } from './campaign-output.ts';

export async function cmdStress(o: StressOptions): Promise<number> {
  const notes: string[] = [];
  const strategies = expandStrategies(o.strategies);
  const scenarios = expandScenarios(o.scenarios, STRESS_DEFAULTS.scenarios, notes);
  checkOutDir(o.out); // before the campaign: a WriteError (exit 73) rather than a lost campaign
  const oc = await executeShown({
    strategies, scenarios, seeds: o.seeds, firstSeed: o.firstSeed, durationNs: o.duration, cpus: o.cpus,
    jobs: o.jobs, shard: o.shard, chaos: o.chaos > 0 ? { p: o.chaos, maxNs: o.chaosMax } : null, out: o.out,
  }, { label: 'stress', statIntervalNs: o.statInterval, notes });
  printEnd(oc);
  return exitCodeOfCampaign(oc.result, undefined, oc.signal);
}
