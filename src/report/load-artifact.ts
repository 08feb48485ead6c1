/**
 * Reading a failure artifact back (replay, shrink): every field they use is checked, and a bad one is
 * named with its JSON path, on one line (exit 65).
 */
import { readFileSync, statSync } from 'node:fs';
import { ResultsError } from '../errors.ts';
import { validateScenario } from '../workload/validate.ts';
import type { Scenario } from '../workload/scenario.ts';
import { designByName } from '../proxy/index.ts';
import { parseBugName } from '../proxy/bugs.ts';
import { ARTIFACT_VERSION, type Artifact } from './artifact.ts';
import { decodeClocks, decodeOrder, type ExecutionSection } from './recording.ts';

const MAX_BYTES = 512 * 1024 * 1024;

export interface LoadedArtifact {
  file: string;
  art: Artifact;
  scenario: Scenario;
  bugs: number[];
}

export function loadArtifact(file: string): LoadedArtifact {
  const bad = (path: string, message: string): ResultsError => new ResultsError([{ file, path, message }]);
  let text: string;
  try {
    if (statSync(file).size > MAX_BYTES) throw bad('', `larger than ${MAX_BYTES >> 20} MiB`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ResultsError) throw e;
    throw bad('', `cannot read the artifact: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw bad('', `invalid JSON: ${(e as Error).message.split('\n')[0]}`); }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('', 'not a failure artifact (expected a JSON object)');
  const a = raw as Record<string, unknown>;
  const version = a.proxysim_failure;
  if (typeof version !== 'number') throw bad('proxysim_failure', 'missing: not a proxysim failure artifact');
  if (version !== ARTIFACT_VERSION) {
    throw bad('proxysim_failure', `version ${version}; this proxysim reads version ${ARTIFACT_VERSION} (artifacts of version 1 hold no record: re-run the command they give, with --record)`);
  }
  const need = (k: string, ok: (v: unknown) => boolean, what: string): void => {
    if (!ok(a[k])) throw bad(k, `expected ${what}, got ${JSON.stringify(a[k])?.slice(0, 40) ?? 'nothing'}`);
  };
  const int = (lo: number, hi: number) => (v: unknown): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  need('strategy', (v) => typeof v === 'string' && designByName(v) !== undefined, 'a design name');
  need('cpus', int(1, 32), 'an integer 1..32');
  need('seed', int(0, 0xffff_ffff), 'an integer 0..4294967295');
  need('duration_ns', (v) => typeof v === 'number' && v > 0 && Number.isFinite(v), 'a positive number of ns');
  need('bugs', (v) => Array.isArray(v) && v.every((b) => typeof b === 'string' && parseBugName(b) !== null), 'a list of BUGn');
  need('execution', (v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object');
  const scenario = validateScenario(a.scenario, `${file}: scenario`);
  const e = a.execution as ExecutionSection;
  const eneed = (k: keyof ExecutionSection, ok: (v: unknown) => boolean, what: string): void => {
    if (!ok(e[k])) throw bad(`execution.${k}`, `expected ${what}, got ${JSON.stringify(e[k])?.slice(0, 40) ?? 'nothing'}`);
  };
  eneed('step_ns', (v) => typeof v === 'number' && v > 0, 'a positive number');
  eneed('sampler_ms', (v) => typeof v === 'number' && v >= 0, 'a number >= 0');
  eneed('violation_step', (v) => v === null || int(0, 2 ** 31)(v), 'a step or null');
  if (e.record !== null) {
    if (typeof e.record !== 'object' || typeof e.record.order !== 'string') throw bad('execution.record.order', 'expected the deflated, base64 order of steps');
    try { decodeOrder(e.record.order); } catch (x) { throw bad('execution.record.order', `cannot be decoded: ${(x as Error).message}`); }
    if (e.record.clocks !== null) {
      if (!Array.isArray(e.record.clock_counts) || e.record.clock_counts.length !== a.cpus || !e.record.clock_counts.every(int(0, 2 ** 31))) {
        throw bad('execution.record.clock_counts', `expected one count per CPU (${a.cpus})`);
      }
      try { decodeClocks(e.record.clocks, e.record.clock_counts); } catch (x) { throw bad('execution.record.clocks', `cannot be decoded: ${(x as Error).message}`); }
    }
  }
  return { file, art: a as unknown as Artifact, scenario, bugs: (a.bugs as string[]).map((b) => parseBugName(b)!) };
}
