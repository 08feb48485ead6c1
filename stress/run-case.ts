/**
 * The tinypool task of a stress campaign: ONE run (strategy x scenario x seed) on real CPU workers,
 * started from this pool thread (a worker thread may start nested worker_threads), summarized into a
 * CaseRecord. A failing run writes its failure artifact here (the RunResult, with its arena, stays in
 * this thread) and the record carries the artifact's path.
 *
 * The task never throws (tinypool flattens errors to `Error: msg`): a run that cannot be done is an
 * ERROR record. It talks to the campaign through the MessagePort of the payload:
 *   worker -> campaign  { type: 'start' }, { type: 'progress', fraction }   (at most every 100 ms)
 *   campaign -> worker  { type: 'abort' }  (Ctrl-C: stop the run, keep what it measured)
 */
import type { MessagePort } from 'node:worker_threads';
import { runMachine, type RunResult } from '../src/machine.ts';
import { resolveScenario } from '../src/workload/validate.ts';
import { M, R, T } from '../src/shm/layout.ts';
import { buildArtifact, writeArtifact } from '../src/report/artifact.ts';
import { traceContext } from '../src/cli/run.ts';
import type { CaseRecord } from './format.ts';

export interface CaseTask {
  strategy: string;
  scenario: string;
  seed: number;
  /** --cpus of the campaign (undefined: the scenario's own count) */
  cpus?: number;
  durationNs: number;
  chaos: { p: number; maxNs: number } | null;
  artifactDir: string;
  port: MessagePort;
}

export type CaseMessage = { type: 'start' } | { type: 'progress'; fraction: number };

const PROGRESS_EVERY_MS = 100;

export default async function runCase(t: CaseTask): Promise<CaseRecord> {
  const ac = new AbortController();
  let abortPending = false;
  t.port.on('message', (m: { type?: string }) => {
    if (m?.type === 'abort') { abortPending = true; ac.abort(); }
  });
  const t0 = Date.now();
  try {
    const scenario = resolveScenario(t.scenario, { cpus: t.cpus });
    const cpus = t.cpus ?? scenario.cpus;
    const base = { strategy: t.strategy, scenario: t.scenario, seed: t.seed, cpus, duration_ns: t.durationNs };
    if (ac.signal.aborted) return empty(base, 'INTERRUPTED', null, t0);
    t.port.postMessage({ type: 'start' } satisfies CaseMessage);
    let lastPost = 0;
    const r = await runMachine({
      scenario, strategy: t.strategy, cpus, durationNs: t.durationNs, seed: t.seed,
      chaos: t.chaos ? { p: t.chaos.p, maxNs: t.chaos.maxNs, windows: null } : null,
      keepEvents: true, abortSignal: ac.signal,
      onProgress: (fraction) => {
        // runMachine listens for 'abort' only once its CPUs are up: an abort that came while they were
        // booting is delivered again here (the progress callback runs in its main loop).
        if (abortPending) { abortPending = false; ac.signal.dispatchEvent(new Event('abort')); }
        const now = Date.now();
        if (now - lastPost >= PROGRESS_EVERY_MS) { lastPost = now; t.port.postMessage({ type: 'progress', fraction } satisfies CaseMessage); }
      },
    });
    return record(r, t, cpus, t0);
  } catch (e) {
    const err = e as Error;
    return empty({ strategy: t.strategy, scenario: t.scenario, seed: t.seed, cpus: t.cpus ?? 0, duration_ns: t.durationNs },
      'ERROR', { kind: 'crash', id: 'ERROR', msg: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` }, t0);
  } finally {
    t.port.close();
  }
}

function empty(base: Pick<CaseRecord, 'strategy' | 'scenario' | 'seed' | 'cpus' | 'duration_ns'>, verdict: CaseRecord['verdict'],
  failure: CaseRecord['failure'], t0: number): CaseRecord {
  return {
    ...base, verdict, failure, artifact: null,
    stats: {
      switches: 0, proxy_picks: 0, donor_migrations: 0, force_returns: 0, deactivations: 0, mutex_acquisitions: 0,
      eintr: 0, samples: 0, stranded_observations: 0, exec_ms: {},
    },
    histograms: {}, wall_ms: Date.now() - t0,
  };
}

/**
 * The headline counters, read from the arena. (Not summarize(): it analyses every mutex wait of the
 * event log again, which runMachine already did for the inversion histogram, and that analysis grows
 * with waits x switches: seconds per run on the busy scenarios.)
 */
function caseStats(r: RunResult): CaseRecord['stats'] {
  const a = r.arena;
  const i32 = a.i32;
  const rq = (f: number): number => { let n = 0; for (let c = 0; c < r.nrCpus; c++) n += i32[a.rq(c) + f]; return n; };
  let eintr = 0;
  const exec: Record<string, number> = {};
  for (let p = r.nrCpus; p < a.nrTasks; p++) {
    eintr += i32[a.t(p) + T.nr_eintr];
    exec[r.names[p]] = Math.round(a.f64[a.td(p) + T.exec_runtime] / 1e4) / 100;
  }
  let acquisitions = 0;
  for (let m = 0; m < r.scenario.mutexes.length; m++) acquisitions += i32[a.m(m) + M.acquisitions];
  return {
    switches: rq(R.nr_switches), proxy_picks: rq(R.proxy_picks), donor_migrations: rq(R.donor_migrations),
    force_returns: rq(R.force_returns), deactivations: rq(R.deactivations), mutex_acquisitions: acquisitions,
    eintr, samples: r.samples, stranded_observations: r.liveness.stranded_observations, exec_ms: exec,
  };
}

function record(r: RunResult, t: CaseTask, cpus: number, t0: number): CaseRecord {
  const first = r.findings.find((f) => f.kind !== 'warn') ?? null;
  let artifact: string | null = null;
  if (first) {
    try {
      const art = buildArtifact(r, {
        scenario: t.scenario, strategy: t.strategy, cpus: r.nrCpus, durationNs: t.durationNs, seed: t.seed, bugs: [],
        chaos: t.chaos ? { p: t.chaos.p, maxNs: t.chaos.maxNs, windows: [] } : null,
      }, traceContext(r));
      artifact = writeArtifact(art, t.artifactDir);
    } catch {
      artifact = null; // the verdict stands without its artifact
    }
  }
  return {
    strategy: t.strategy, scenario: t.scenario, seed: t.seed, cpus, duration_ns: t.durationNs,
    // as summarize(): any finding but a warning fails the run
    verdict: first ? 'FAIL' : r.interrupted ? 'INTERRUPTED' : 'PASS',
    failure: first ? { kind: first.kind, id: first.id, msg: first.msg } : null,
    artifact,
    stats: caseStats(r),
    histograms: r.histograms,
    wall_ms: Date.now() - t0,
  };
}
