/**
 * `proxysim hunt`: the detection matrix (src/hunt/hunt.ts) with a progress line, then its tables
 * or its JSON. SIGINT or SIGTERM stops it after the running case and prints what it has (exit 130,
 * 143); a second one (later than a relayed copy) prints at once what it has and exits.
 */
import { knownBrokenDesignNames } from '../hunt/directed.ts';
import { runHunt, type HuntProgress } from '../hunt/hunt.ts';
import type { HuntCase, HuntResult } from '../results/format.ts';
import { EXIT } from '../errors.ts';
import { Interrupts } from './interrupts.ts';
import { exitCodeOfSignal } from '../../stress/verdict.ts';
import type { HuntOptions } from './args.ts';
import { textTable } from '../report/text-table.ts';

function huntTables(h: HuntResult): string {
  const { results } = h;
  const bugs = results.filter((r) => r.kind === 'bug');
  const fired = (r: HuntCase): string => Object.entries(r.fired).map(([k, v]) => `${k}${v > 1 ? `x${v}` : ''}`).join(',') || '-';
  const out: string[] = [`proxysim hunt: budget ${h.budget_ns / 1e6} ms per run, ${h.runs} runs per case, seeds ${h.seed}..${h.seed + h.runs - 1}`, ''];
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
    out.push('', `Known-broken designs (${knownBrokenDesignNames().join(', ')}): what the checkers find`);
    out.push(textTable(['design', 'scenario', 'runs', 'violations', 'fired', 'median_ms'], sketch.map((r) => [r.design, r.scenario, r.runs, r.detected, fired(r), r.median_ms ?? '-']), { left: 99, rule: true }));
  }
  for (const r of results.filter((x) => !x.ok)) for (const p of r.artifacts) out.push(`artifact: ${p}`);
  out.push('', h.interrupted ? 'End of hunt: INTERRUPTED' : h.results.length === 0 ? 'End of hunt: NO CASES' : h.pass ? 'End of hunt: SUCCESS' : 'End of hunt: FAILURE');
  return out.join('\n');
}

/** The finished cases as a matrix, interrupted (a second signal: the running case is not in it). */
function partialResult(o: HuntOptions, cases: readonly HuntCase[]): HuntResult {
  return { budget_ns: o.budget, runs: o.runs, seed: o.seed, pass: cases.every((r) => r.ok), interrupted: true, results: [...cases] };
}

export async function cmdHunt(o: HuntOptions): Promise<number> {
  const tty = Boolean(process.stderr.isTTY);
  let last: HuntProgress | null = null;
  const onProgress = (p: HuntProgress): void => {
    last = p;
    const line = `[${p.done}/${p.total}] ${p.kind} ${p.bug ?? ''} ${p.design} ${p.scenario} run ${p.run}/${p.runs}`;
    if (tty) process.stderr.write(`\r${line.padEnd(100).slice(0, 100)}`);
    else if (!o.json) process.stderr.write(`hunt: ${line}\n`);
  };
  const clearLine = (): void => { if (tty) process.stderr.write('\r' + ' '.repeat(100) + '\r'); };
  // the finished cases, when runHunt reports them one by one (an onCase hook); else the count of them
  const finished: HuntCase[] = [];
  const ac = new AbortController();
  const interrupts = new Interrupts({
    first: (sig) => {
      clearLine();
      process.stderr.write(`hunt: ${sig}: stopping after the running case (again to print what finished and quit)\n`);
      ac.abort();
    },
    second: (sig) => {
      clearLine();
      const p = last as HuntProgress | null;
      const done = Math.max(finished.length, p?.done ?? 0);
      process.stderr.write(`hunt: ${sig} again: ${done} of ${p?.total ?? '?'} cases finished`
        + `${p ? `; stopped in ${p.kind} ${p.bug ?? ''} ${p.design} ${p.scenario} run ${p.run}/${p.runs}` : ''}\n`);
      const h = partialResult(o, finished);
      process.stdout.write((o.json ? JSON.stringify(h, null, 2) : huntTables(h)) + '\n');
      process.exit(exitCodeOfSignal(sig));
    },
  }).install();
  const hooks = { onProgress, signal: ac.signal, onCase: (c: HuntCase): void => { finished.push(c); } };
  let h: HuntResult;
  try {
    h = await runHunt(o, hooks);
  } finally {
    interrupts.remove();
    clearLine();
  }
  process.stdout.write((o.json ? JSON.stringify(h, null, 2) : huntTables(h)) + '\n');
  if (h.interrupted) return exitCodeOfSignal(interrupts.signal ?? 'SIGINT');
  return h.pass && h.results.length > 0 ? EXIT.OK : EXIT.CHECK_FAILED;
}
