/**
 * `proxysim hunt`: the detection matrix. Every (bug, directed scenario) pair runs k times until
 * detection or the budget; every correct design runs every directed scenario for the same budget
 * and must stay clean; the seed's sketch as posted runs the same scenarios and its violations are
 * reported as what they are: findings about the design.
 */
import { runMachine } from '../machine/machine.ts';
import { resolveScenario } from '../workload/validate.ts';
import { bugName, knownBug, type KnownBug } from '../proxy/bugs.ts';
import { CLEAN_CHAOS, CLEAN_SCENARIOS, cleanDesignNames, directedCases, knownBrokenDesignNames, type DirectedCase } from '../hunt/directed.ts';
import { buildArtifact, writeArtifact } from '../report/artifact.ts';
import { EXIT } from '../errors.ts';
import type { HuntOptions } from './args.ts';
import { textTable } from '../report/text-table.ts';

export interface CaseResult {
  kind: 'bug' | 'clean' | 'sketch';
  bug: string | null;
  design: string;
  scenario: string;
  runs: number;
  detected: number;
  expected: string | null;
  fired: Record<string, number>;
  /** arena ms from start to the first violation, per detecting run */
  detect_ms: number[];
  median_ms: number | null;
  artifacts: string[];
  ok: boolean;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function runCase(c: DirectedCase | { design: string; scenario: string; bug?: undefined; chaos?: DirectedCase['chaos']; cpus?: number },
  kind: CaseResult['kind'], o: HuntOptions, progress: (s: string) => void): Promise<CaseResult> {
  const bug: KnownBug | null = c.bug !== undefined ? knownBug(c.bug)! : null;
  const res: CaseResult = {
    kind, bug: bug ? bugName(bug.n) : null, design: c.design, scenario: c.scenario, runs: 0, detected: 0,
    expected: bug ? [bug.caughtBy, ...(bug.alsoBy ?? [])].join('/') : null, fired: {}, detect_ms: [], median_ms: null, artifacts: [], ok: false,
  };
  const scenario = resolveScenario(c.scenario, { cpus: c.cpus });
  for (let i = 0; i < o.runs; i++) {
    const seed = (o.seed + i) >>> 0;
    progress(`${kind} ${res.bug ?? ''} ${c.design} ${c.scenario} run ${i + 1}/${o.runs}`);
    const chaos = c.chaos ?? (kind === 'bug' ? null : CLEAN_CHAOS);
    const r = await runMachine({
      scenario, strategy: c.design, durationNs: o.budget, seed, bugs: bug ? [bug.n] : [],
      chaos: chaos ? { p: chaos.p, maxNs: chaos.maxNs, windows: chaos.windows.length ? chaos.windows : null } : null, keepEvents: true,
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


export async function cmdHunt(o: HuntOptions): Promise<number> {
  const wanted = new Set(o.bugs);
  const cases = directedCases().filter((d) => wanted.size === 0 || wanted.has(bugName(d.bug)));
  const clean = cleanDesignNames();
  const broken = knownBrokenDesignNames();
  const tty = Boolean(process.stderr.isTTY);
  const total = cases.length + (o.bugsOnly ? 0 : (clean.length + broken.length) * CLEAN_SCENARIOS.length);
  let done = 0;
  const progress = (s: string): void => {
    const line = `[${done}/${total}] ${s}`;
    if (tty) process.stderr.write(`\r${line.padEnd(100).slice(0, 100)}`);
    else if (!o.json) process.stderr.write(`hunt: ${line}\n`);
  };
  const results: CaseResult[] = [];
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.on('SIGINT', onSigint);
  try {
    for (const c of cases) {
      if (ac.signal.aborted) break;
      results.push(await runCase(c, 'bug', o, progress)); done++;
    }
    if (!o.bugsOnly) {
      for (const design of [...clean, ...broken]) {
        for (const scenario of CLEAN_SCENARIOS) {
          if (ac.signal.aborted) break;
          results.push(await runCase({ design, scenario }, broken.includes(design) ? 'sketch' : 'clean', o, progress)); done++;
        }
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) process.stderr.write('\r' + ' '.repeat(100) + '\r');
  }
  const pass = results.every((r) => r.ok);
  if (o.json) {
    process.stdout.write(JSON.stringify({ budget_ns: o.budget, runs: o.runs, seed: o.seed, pass, interrupted: ac.signal.aborted, results }, null, 2) + '\n');
  } else {
    const bugs = results.filter((r) => r.kind === 'bug');
    const fired = (r: CaseResult): string => Object.entries(r.fired).map(([k, v]) => `${k}${v > 1 ? `x${v}` : ''}`).join(',') || '-';
    const out: string[] = [`proxysim hunt: budget ${o.budget / 1e6} ms per run, ${o.runs} runs per case, seeds ${o.seed}..${o.seed + o.runs - 1}`, ''];
    out.push('Planted bugs (must be detected every run, by the expected invariant):');
    out.push(textTable(['bug', 'design', 'scenario', 'detected', 'expected', 'fired', 'median_ms', ''],
      bugs.map((r) => [r.bug!, r.design, r.scenario, `${r.detected}/${r.runs}`, r.expected!, fired(r), r.median_ms ?? '-', r.ok ? 'ok' : '!!! MISSED']), { left: 99, rule: true }));
    const clean = results.filter((r) => r.kind === 'clean');
    if (clean.length) {
      out.push('', 'Correct designs (must show 0 violations, chaos p=0.01 at every window):');
      out.push(textTable(['design', 'scenario', 'runs', 'violations', 'fired', ''], clean.map((r) => [r.design, r.scenario, r.runs, r.detected, fired(r), r.ok ? 'ok' : '!!! FAILED']), { left: 99, rule: true }));
    }
    const sketch = results.filter((r) => r.kind === 'sketch');
    if (sketch.length) {
      out.push('', `Known-broken designs (${broken.join(', ')}): what the checkers find`);
      out.push(textTable(['design', 'scenario', 'runs', 'violations', 'fired', 'median_ms'], sketch.map((r) => [r.design, r.scenario, r.runs, r.detected, fired(r), r.median_ms ?? '-']), { left: 99, rule: true }));
    }
    for (const r of results.filter((x) => !x.ok)) for (const p of r.artifacts) out.push(`artifact: ${p}`);
    out.push('', pass ? 'End of hunt: SUCCESS' : 'End of hunt: FAILURE');
    process.stdout.write(out.join('\n') + '\n');
  }
  if (ac.signal.aborted) return EXIT.INTERRUPTED;
  return pass ? EXIT.OK : EXIT.CHECK_FAILED;
}
