/**
 * The detection matrix. Every (bug, directed scenario) pair runs k times until detection or the
 * budget; every correct design runs every clean scenario for the same budget and must stay clean;
 * the known-broken designs run the same scenarios and their violations are reported as what they
 * are: findings about the design. A failing run writes its artifact (for a planted bug, the first).
 */
import { runMachine } from '../machine/machine.ts';
import { resolveScenario } from '../workload/validate.ts';
import { bugName, knownBug, type KnownBug } from '../proxy/bugs.ts';
import { buildArtifact, writeArtifact } from '../report/artifact.ts';
import type { HuntCase, HuntResult } from '../results/format.ts';
import { CLEAN_CHAOS, CLEAN_SCENARIOS, cleanDesignNames, directedCases, knownBrokenDesignNames, type DirectedCase } from './directed.ts';

export interface HuntParams {
  /** per run, ns */
  budget: number;
  runs: number;
  /** restrict to these bugs (BUGn); empty = all */
  bugs: string[];
  /** skip the clean runs of the correct and known-broken designs */
  bugsOnly: boolean;
  /** first seed: the runs of a case use seed .. seed + runs - 1 */
  seed: number;
  artifactDir: string;
}

/** Before each run: which one, and how many cases are done of the total. */
export interface HuntProgress {
  done: number;
  total: number;
  kind: HuntCase['kind'];
  bug: string | null;
  design: string;
  scenario: string;
  /** 1-based */
  run: number;
  runs: number;
}

export interface HuntHooks {
  onProgress?(p: HuntProgress): void;
  /** stops the hunt after the running case; the result says interrupted */
  signal?: AbortSignal;
  /** each case as it finishes (what a second Ctrl-C can still print) */
  onCase?(c: HuntCase): void;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type HuntTarget = DirectedCase | { design: string; scenario: string; bug?: undefined; chaos?: DirectedCase['chaos']; cpus?: number };

async function runCase(c: HuntTarget, kind: HuntCase['kind'], o: HuntParams, progress: (run: Omit<HuntProgress, 'done' | 'total'>) => void): Promise<HuntCase> {
  const bug: KnownBug | null = c.bug !== undefined ? knownBug(c.bug)! : null;
  const res: HuntCase = {
    kind, bug: bug ? bugName(bug.n) : null, design: c.design, scenario: c.scenario, runs: 0, detected: 0,
    expected: bug ? [bug.caughtBy, ...(bug.alsoBy ?? [])].join('/') : null, fired: {}, detect_ms: [], median_ms: null, artifacts: [], ok: false,
  };
  const scenario = resolveScenario(c.scenario, { cpus: c.cpus });
  for (let i = 0; i < o.runs; i++) {
    const seed = (o.seed + i) >>> 0;
    progress({ kind, bug: res.bug, design: c.design, scenario: c.scenario, run: i + 1, runs: o.runs });
    const chaos = c.chaos ?? (kind === 'bug' ? null : CLEAN_CHAOS);
    const r = await runMachine({
      scenario, strategy: c.design, durationNs: o.budget, seed, bugs: bug ? [bug.n] : [],
      chaos: chaos ? { p: chaos.p, maxNs: chaos.maxNs, windows: chaos.windows.length ? chaos.windows : null } : null, keepEvents: false,
    });
    res.runs++;
    const f = r.failure;
    if (f) {
      res.detected++;
      res.fired[f.id] = (res.fired[f.id] ?? 0) + 1;
      res.detect_ms.push(Math.round(f.time / 1e4) / 100);
      if (kind !== 'bug' || res.artifacts.length === 0) {
        const art = buildArtifact(r, { scenario: c.scenario, strategy: c.design, cpus: r.nrCpus, durationNs: o.budget, seed, bugs: bug ? [bug.n] : [], chaos: chaos ? { ...chaos } : null });
        res.artifacts.push(writeArtifact(art, o.artifactDir));
      }
    }
  }
  res.median_ms = median(res.detect_ms);
  if (kind === 'bug') {
    const want = new Set([bug!.caughtBy, ...(bug!.alsoBy ?? [])]);
    res.ok = res.detected === res.runs && Object.keys(res.fired).every((id) => want.has(id));
  } else if (kind === 'clean') {
    res.ok = res.detected === 0;
  } else {
    res.ok = true; // the sketch's findings are results, not failures of the harness
  }
  return res;
}

/** The matrix: the planted bugs (those of o.bugs, or all), then unless bugsOnly the clean and known-broken designs. */
export async function runHunt(o: HuntParams, hooks: HuntHooks = {}): Promise<HuntResult> {
  const wanted = new Set(o.bugs);
  const cases = directedCases().filter((d) => wanted.size === 0 || wanted.has(bugName(d.bug)));
  const clean = cleanDesignNames();
  const broken = knownBrokenDesignNames();
  const total = cases.length + (o.bugsOnly ? 0 : (clean.length + broken.length) * CLEAN_SCENARIOS.length);
  const results: HuntCase[] = [];
  const progress = (run: Omit<HuntProgress, 'done' | 'total'>): void => hooks.onProgress?.({ done: results.length, total, ...run });
  const stopped = (): boolean => hooks.signal?.aborted ?? false;
  const finished = (c: HuntCase): void => { results.push(c); hooks.onCase?.(c); };
  for (const c of cases) {
    if (stopped()) break;
    finished(await runCase(c, 'bug', o, progress));
  }
  if (!o.bugsOnly) {
    for (const design of [...clean, ...broken]) {
      for (const scenario of CLEAN_SCENARIOS) {
        if (stopped()) break;
        finished(await runCase({ design, scenario }, broken.includes(design) ? 'sketch' : 'clean', o, progress));
      }
    }
  }
  return { budget_ns: o.budget, runs: o.runs, seed: o.seed, pass: results.every((r) => r.ok), interrupted: stopped(), results };
}
