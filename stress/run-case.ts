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
import { runMachine } from '../src/machine/machine.ts';
import type { RunSnapshot } from '../src/machine/snapshot.ts';
import { resolveScenario } from '../src/workload/validate.ts';
import { buildArtifact, writeArtifact } from '../src/report/artifact.ts';
import type { CaseRecord } from '../src/results/format.ts';

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
      keepEvents: false, abortSignal: ac.signal,
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

/** The headline counters of the run. */
function caseStats(r: RunSnapshot): CaseRecord['stats'] {
  const rqs = r.kernel.rqs;
  const rq = (f: 'nr_switches' | 'proxy_picks' | 'donor_migrations' | 'force_returns' | 'deactivations'): number => rqs.reduce((n, x) => n + x[f], 0);
  const tasks = r.kernel.tasks.slice(r.nrCpus);
  return {
    switches: rq('nr_switches'), proxy_picks: rq('proxy_picks'), donor_migrations: rq('donor_migrations'),
    force_returns: rq('force_returns'), deactivations: rq('deactivations'),
    mutex_acquisitions: r.kernel.mutexes.slice(0, r.scenario.mutexes.length).reduce((n, m) => n + m.acquisitions, 0),
    eintr: tasks.reduce((n, t) => n + t.nr_eintr, 0), samples: r.samples, stranded_observations: r.liveness.stranded_observations,
    exec_ms: Object.fromEntries(tasks.map((t) => [t.name, Math.round(t.exec_runtime / 1e4) / 100])),
  };
}

function record(r: RunSnapshot, t: CaseTask, cpus: number, t0: number): CaseRecord {
  const first = r.failure;
  let artifact: string | null = null;
  if (first) {
    try {
      const art = buildArtifact(r, {
        scenario: t.scenario, strategy: t.strategy, cpus: r.nrCpus, durationNs: t.durationNs, seed: t.seed, bugs: [],
        chaos: t.chaos ? { p: t.chaos.p, maxNs: t.chaos.maxNs, windows: [] } : null,
      });
      artifact = writeArtifact(art, t.artifactDir);
    } catch {
      artifact = null; // the verdict stands without its artifact
    }
  }
  return {
    strategy: t.strategy, scenario: t.scenario, seed: t.seed, cpus, duration_ns: t.durationNs,
    verdict: r.verdict,
    failure: first ? { kind: first.kind, id: first.id, msg: first.msg } : null,
    artifact,
    stats: caseStats(r),
    histograms: r.histograms,
    wall_ms: Date.now() - t0,
  };
}
