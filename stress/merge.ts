/**
 * Merging campaign results: the results.json of several stress runs (typically the shards of
 * `stress --shard k/N`) become one. Cases are concatenated (a case in two inputs is refused) and
 * histograms ADDED, never averaged.
 *
 * An input that is missing or invalid is a ResultsError (exit 65): `<file>: <json.path>: <what is wrong>`,
 * every problem found, one per line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import { ResultsError, type ScenarioProblem } from '../src/errors.ts';
import { CAMPAIGN_FORMAT, type CampaignParams, type CampaignResult, type CaseRecord } from '../src/results/format.ts';
import { TotalsBuilder, caseId, caseName, compareKeys } from './campaign.ts';

const MAX_PROBLEMS = 20;
const VERDICTS = ['PASS', 'FAIL', 'INTERRUPTED', 'ERROR'];
const STATS = ['switches', 'proxy_picks', 'donor_migrations', 'force_returns', 'deactivations', 'mutex_acquisitions', 'eintr', 'samples', 'stranded_observations'];

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const show = (x: unknown): string => {
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
};
const kind = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : `${typeof x} ${show(x)}`);

function validHistogram(b64: string): boolean {
  try {
    hdr.decodeFromCompressedBase64(b64);
    return true;
  } catch {
    return false;
  }
}

/** Everything wrong with a parsed results.json (empty: usable as a CampaignResult). */
export function validateCampaign(x: unknown, file: string): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const bad = (path: string, message: string): void => { if (problems.length < MAX_PROBLEMS) problems.push({ file, path, message }); };
  const want = (path: string, what: string, v: unknown): void => bad(path, v === undefined ? `missing (expected ${what})` : `expected ${what}, got ${kind(v)}`);
  if (!isObj(x)) { want('', 'a campaign result object', x); return problems; }
  if (x.proxysim_campaign !== CAMPAIGN_FORMAT) {
    bad('proxysim_campaign', x.proxysim_campaign === undefined
      ? 'missing: not a results.json of "proxysim stress"'
      : `expected format ${CAMPAIGN_FORMAT}, got ${show(x.proxysim_campaign)}`);
    return problems;
  }
  for (const k of ['started', 'finished']) if (typeof x[k] !== 'string') want(k, 'a time string', x[k]);
  if (typeof x.interrupted !== 'boolean') want('interrupted', 'true or false', x.interrupted);
  if (!isObj(x.host)) want('host', 'an object', x.host);
  const p = x.params;
  if (!isObj(p)) want('params', 'an object', p);
  else {
    for (const k of ['strategies', 'scenarios']) {
      if (!Array.isArray(p[k]) || !(p[k] as unknown[]).every((s) => typeof s === 'string')) want(`params.${k}`, 'a list of names', p[k]);
    }
    for (const k of ['seeds', 'first_seed', 'duration_ns']) if (!Number.isFinite(p[k])) want(`params.${k}`, 'a number', p[k]);
    if (p.shard !== null && !(Array.isArray(p.shard) && p.shard.length === 2 && p.shard.every(Number.isInteger))) {
      want('params.shard', 'null or [k, N]', p.shard);
    }
  }
  if (!Array.isArray(x.cases)) want('cases', 'a list of cases', x.cases);
  else {
    x.cases.forEach((c: unknown, i: number) => {
      const at = `cases[${i}]`;
      if (!isObj(c)) { want(at, 'a case object', c); return; }
      for (const k of ['strategy', 'scenario']) if (typeof c[k] !== 'string' || c[k] === '') want(`${at}.${k}`, 'a name', c[k]);
      if (!Number.isInteger(c.seed)) want(`${at}.seed`, 'an integer', c.seed);
      for (const k of ['cpus', 'duration_ns', 'wall_ms']) if (!Number.isFinite(c[k])) want(`${at}.${k}`, 'a number', c[k]);
      if (!VERDICTS.includes(c.verdict as string)) want(`${at}.verdict`, `one of ${VERDICTS.join(', ')}`, c.verdict);
      if (c.failure !== null && !isObj(c.failure)) want(`${at}.failure`, 'null or an object', c.failure);
      if (c.artifact !== null && typeof c.artifact !== 'string') want(`${at}.artifact`, 'null or a path', c.artifact);
      if (!isObj(c.stats)) want(`${at}.stats`, 'an object', c.stats);
      else {
        for (const k of STATS) if (!Number.isFinite(c.stats[k])) want(`${at}.stats.${k}`, 'a number', c.stats[k]);
        if (!isObj(c.stats.exec_ms)) want(`${at}.stats.exec_ms`, 'an object', c.stats.exec_ms);
      }
      if (!isObj(c.histograms)) want(`${at}.histograms`, 'an object', c.histograms);
      else for (const [m, v] of Object.entries(c.histograms)) if (typeof v !== 'string' || !validHistogram(v)) bad(`${at}.histograms.${m}`, 'not an encoded HdrHistogram (compressed base64, V2)');
    });
  }
  if (!isObj(x.histograms)) want('histograms', 'an object', x.histograms);
  else {
    for (const [s, byScenario] of Object.entries(x.histograms)) {
      if (!isObj(byScenario)) { want(`histograms.${s}`, 'an object', byScenario); continue; }
      for (const [sc, byMetric] of Object.entries(byScenario)) {
        if (!isObj(byMetric)) { want(`histograms.${s}.${sc}`, 'an object', byMetric); continue; }
        for (const [m, v] of Object.entries(byMetric)) {
          if (typeof v !== 'string' || !validHistogram(v)) bad(`histograms.${s}.${sc}.${m}`, 'not an encoded HdrHistogram (compressed base64, V2)');
        }
      }
    }
  }
  return problems;
}

/** Read and check one input: a result directory or a results.json file. */
export function loadResults(input: string): { file: string; result: CampaignResult } {
  if (!existsSync(input)) throw new ResultsError([{ file: input, path: '', message: 'no such file or directory' }]);
  const file = statSync(input).isDirectory() ? join(input, 'results.json') : input;
  if (!existsSync(file)) {
    throw new ResultsError([{ file: input, path: '', message: 'no results.json in this directory (expected the output directory of "proxysim stress")' }]);
  }
  let x: unknown;
  try {
    x = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ResultsError([{ file, path: '', message: `invalid JSON: ${(e as Error).message.split('\n')[0]}` }]);
  }
  const problems = validateCampaign(x, file);
  if (problems.length) throw new ResultsError(problems);
  return { file, result: x as CampaignResult };
}

const union = (lists: string[][]): string[] => [...new Set(lists.flat())];

/** Merge checked results: cases concatenated, histograms added. Warnings say what does not fit. */
export function mergeResults(inputs: { file: string; result: CampaignResult }[]): { result: CampaignResult; warnings: string[] } {
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  const problems: ScenarioProblem[] = [];
  const cases: CaseRecord[] = [];
  const totals = new TotalsBuilder();
  for (const { file, result } of inputs) {
    result.cases.forEach((c, i) => {
      const id = caseId(c);
      const other = seen.get(id);
      if (other !== undefined) {
        if (problems.length < MAX_PROBLEMS) {
          problems.push({ file, path: `cases[${i}]`, message: `case ${caseName(c)} is also in ${other} (the same shard given twice?)` });
        }
        return;
      }
      seen.set(id, file);
      cases.push(c);
    });
    totals.addTotals(result.histograms);
  }
  if (problems.length) throw new ResultsError(problems);
  const first = inputs[0].result;
  const fp = first.params;
  const same = (k: keyof CampaignParams): boolean => inputs.every(({ result }) => JSON.stringify(result.params[k]) === JSON.stringify(fp[k]));
  for (const k of ['duration_ns', 'seeds', 'first_seed', 'cpus', 'chaos'] as const) {
    if (!same(k)) warnings.push(`warning: the inputs differ in params.${k} (${inputs.map(({ result }) => JSON.stringify(result.params[k])).join(' vs ')}): histograms of different campaigns are added`);
  }
  const shards = inputs.map(({ result }) => result.params.shard);
  if (shards.every((s) => s !== null)) {
    const ns = new Set(shards.map((s) => s![1]));
    if (ns.size === 1) {
      const n = [...ns][0];
      const have = new Set(shards.map((s) => s![0]));
      const missing = Array.from({ length: n }, (_, k) => k + 1).filter((k) => !have.has(k));
      if (missing.length) warnings.push(`warning: shards ${missing.map((k) => `${k}/${n}`).join(', ')} missing: the merged campaign is partial`);
    }
  }
  const times = (k: 'started' | 'finished'): string[] => inputs.map(({ result }) => result[k]).sort();
  const result: CampaignResult = {
    proxysim_campaign: CAMPAIGN_FORMAT,
    started: times('started')[0],
    finished: times('finished').at(-1)!,
    host: first.host,
    params: {
      ...fp,
      strategies: union(inputs.map(({ result }) => result.params.strategies)),
      scenarios: union(inputs.map(({ result }) => result.params.scenarios)),
      shard: null,
    },
    interrupted: inputs.some(({ result }) => result.interrupted),
    cases: cases.sort(compareKeys),
    histograms: totals.encode(),
  };
  return { result, warnings };
}
