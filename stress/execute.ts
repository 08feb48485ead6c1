/**
 * A campaign from its spec to its result directory: every scenario checked to build, the cases
 * planned and sharded, the directory made, the cases run on the pool (campaign.ts), the results
 * written. It prints nothing: the command line shows the plan, the progress and the end through
 * the hooks. Stopping it (the signal) keeps the finished cases, and the plan's writeFinished()
 * writes them at once (a second Ctrl-C), also while the result directory is being written: once the
 * campaign's own results.json exists it is left as it is.
 */
import { join } from 'node:path';
import { resolveScenario } from '../src/workload/validate.ts';
import { UsageError } from '../src/errors.ts';
import type { CampaignParams, CampaignResult, CaseRecord } from '../src/results/format.ts';
import { ensureDir } from '../src/files.ts';
import {
  buildResult, newReportDir, planCases, runCampaign, shardCases, writeCampaign, writeCampaignFiles,
  type CampaignHooks, type CaseSpec, type WrittenCampaign,
} from './campaign.ts';

export interface CampaignSpec {
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
}

/** What runs, once its directory exists. */
export interface CampaignPlan {
  /** the cases of this run (of this shard), in plan order */
  cases: readonly CaseSpec[];
  /** the cases of the whole campaign (every shard) */
  planned: number;
  /** CPU workers per run, over the scenarios, without repeats */
  cpus: number[];
  dir: string;
  /** results.json now, with the cases finished so far, marked interrupted (synchronous: usable on
   *  the way out of a second Ctrl-C): its path and the number of cases in it. Once the campaign has
   *  written its own results.json (the end), that one is kept and its path returned. */
  writeFinished(): { results: string; cases: number };
}

export interface ExecuteHooks extends CampaignHooks {
  /** stops the campaign: the running cases end INTERRUPTED, the finished ones are kept */
  signal?: AbortSignal;
  /** planned and its directory made, before the first case starts */
  onPlan?(plan: CampaignPlan): void;
  /** the cases are over (done, stopped, or the pool failed), before the results are written */
  onRunEnd?(): void;
}

/** Shard k of N of a campaign of `planned` cases is empty when k > planned: a usage error (exit 2),
 *  before anything runs, rather than a campaign of no case. */
export function checkShard(shard: readonly [number, number] | null, planned: number): void {
  if (shard === null || shard[0] <= planned) return;
  const [k, n] = shard;
  throw new UsageError(`--shard ${k}/${n}: shard ${k} is empty: the campaign has ${planned} case${planned === 1 ? '' : 's'}, `
    + `so only shards 1..${Math.min(planned, n)} of ${n} get one (use N <= ${Math.max(planned, 1)}, or more seeds)`);
}

export interface CampaignOutcome extends WrittenCampaign {
  result: CampaignResult;
}

/** Plan, run and write a campaign. A scenario that does not build for spec.cpus throws (ScenarioError) before anything runs. */
export async function executeCampaign(spec: CampaignSpec, hooks: ExecuteHooks = {}): Promise<CampaignOutcome> {
  const cpus = [...new Set(spec.scenarios.map((name) => resolveScenario(name, { cpus: spec.cpus }).cpus))];
  const all = planCases(spec);
  checkShard(spec.shard, all.length);
  const cases: CaseSpec[] = shardCases(all, spec.shard).map((k) => ({ ...k, cpus: spec.cpus, durationNs: spec.durationNs }));
  const dir = spec.out ?? newReportDir('reports', spec.outSuffix ?? '');
  ensureDir(dir, '--out');
  const params: CampaignParams = {
    strategies: spec.strategies, scenarios: spec.scenarios, seeds: spec.seeds, first_seed: spec.firstSeed,
    duration_ns: spec.durationNs, cpus: spec.cpus ?? null, shard: spec.shard, chaos: spec.chaos ? { p: spec.chaos.p, max_ns: spec.chaos.maxNs } : null,
  };
  const started = new Date();
  const finished: CaseRecord[] = [];
  /** the campaign's own results.json, once written */
  let final: { results: string; cases: number } | null = null;
  hooks.onPlan?.({
    cases, planned: all.length, cpus, dir,
    writeFinished: () => {
      if (final !== null) return final;
      const { results } = writeCampaignFiles(dir, buildResult({ started, params, cases: finished, interrupted: true }));
      return { results, cases: finished.length };
    },
  });
  let interrupted: boolean;
  try {
    const res = await runCampaign({
      cases, jobs: spec.jobs, chaos: spec.chaos, artifactDir: join(dir, 'failures'), signal: hooks.signal,
      onStart: (c, i) => hooks.onStart?.(c, i),
      onProgress: (c, i, f) => hooks.onProgress?.(c, i, f),
      onDone: (c, i, rec) => { finished.push(rec); hooks.onDone?.(c, i, rec); },
    });
    interrupted = res.interrupted;
  } finally {
    hooks.onRunEnd?.();
  }
  const result = buildResult({ started, params, cases: finished, interrupted });
  // let a signal that came meanwhile be seen before the writing (the process wrapper, tsx, waits for
  // its acknowledgement only briefly); a second Ctrl-C from here on writes the same cases
  await new Promise((r) => setImmediate(r));
  const written = await writeCampaign(dir, result);
  final = { results: written.results, cases: result.cases.length };
  return { result, ...written };
}
