/**
 * `proxysim hunt`: the detection matrix (src/hunt/hunt.ts) with a progress line, then its tables
 * or its JSON. SIGINT or SIGTERM stops it after the running case and prints what it has (exit 130,
 * 143); a second one (later than a relayed copy) prints at once what it has and exits.
 */
import { knownBrokenDesignNames } from '../hunt/directed.ts';
import { median, runHunt, type HuntCaseX, type HuntExecutorKind, type HuntMatrix, type HuntProgress } from '../hunt/hunt.ts';
import { EXIT } from '../errors.ts';
import { Interrupts } from './interrupts.ts';
import { exitCodeOfSignal } from '../../stress/verdict.ts';
import type { HuntOptions } from './args.ts';
import { textTable } from '../report/text-table.ts';

const fired = (r: HuntCaseX): string => Object.entries(r.fired).map(([k, v]) => `${k}${v > 1 ? `x${v}` : ''}`).join(',') || '-';
const int = (v: number | null): string | number => (v === null ? '-' : Math.round(v));
/** 3.1e-9 */
const sci = (v: number): string => (v >= 1e-3 && v < 1e6 ? String(Math.round(v * 1000) / 1000) : v.toExponential(1).replace('e+', 'e'));

/** The columns of one executor in a table of bugs. */
function executorColumns(ex: HuntExecutorKind, prefix: string): { head: string[]; cells(r: HuntCaseX | undefined): (string | number)[] } {
  const head = [`${prefix}det`, `${prefix}runs`, `${prefix}ms`];
  if (ex !== 'free') head.push(`${prefix}steps`);
  if (ex === 'pct') head.push(`${prefix}k`, `${prefix}p>=`, `${prefix}E[runs]<=`);
  return {
    head,
    cells(r) {
      if (!r) return head.map(() => '-');
      const out: (string | number)[] = [`${r.detected}/${r.runs}${r.ok ? '' : '!'}`, int(r.median_runs), int(r.median_wall_ms)];
      if (ex !== 'free') out.push(int(r.median_steps));
      if (ex === 'pct') out.push(int(r.median_run_steps), r.pct ? sci(r.pct.p) : '-', r.pct ? sci(r.pct.expected_runs) : '-');
      return out;
    },
  };
}

const LEGEND = [
  'det: runs that detected the bug / runs (! = not ok); runs: median runs to the first detection (counted from the run after',
  'the previous one); ms: median wall ms to it (those runs added, each from the release of the CPUs, worker start-up not',
  'counted); steps: the same in executor steps; k: median steps per run; p>=: PCT\'s bound 1/(n k^(d-1)) per run (n CPUs),',
  'E[runs]<=: the runs it promises at most.',
];

export function huntTables(h: HuntMatrix): string {
  const { results } = h;
  const executors = h.executors;
  const multi = executors.length > 1;
  const bugs = results.filter((r) => r.kind === 'bug');
  const runsText = executors.includes('pct') && h.pct_runs !== h.runs
    ? (executors.length === 1 ? `${h.pct_runs} runs per case` : `${h.runs} runs per case (pct: ${h.pct_runs})`)
    : `${h.runs} runs per case`;
  const lastSeed = h.seed + Math.max(h.runs, executors.includes('pct') ? h.pct_runs : 0) - 1;
  const pctText = executors.includes('pct')
    ? `; pct depth ${h.depth}, change points over ${h.pct_steps !== null ? `${h.pct_steps} steps` : 'a per-case horizon (20000 steps, then from run 1\'s length)'}`
    : '';
  const out: string[] = [
    `proxysim hunt: executor ${executors.join(', ')}; budget ${h.budget_ns / 1e6} ms per run${executors.some((e) => e !== 'free') ? ' (virtual time under random, pct)' : ''}, `
      + `${runsText}, seeds ${h.seed}..${lastSeed}${pctText}`,
    '',
  ];
  const boot = median(results.flatMap((r) => r.run_details.map((x) => x.boot_ms)));
  {
    out.push(`Planted bugs (must be detected by the expected invariant; free: in every run, random and pct: in at least one):`);
    // one row per (bug, design, scenario), the executors side by side
    const rows = new Map<string, Map<HuntExecutorKind, HuntCaseX>>();
    for (const r of bugs) {
      const key = `${r.bug}\u0000${r.design}\u0000${r.scenario}`;
      if (!rows.has(key)) rows.set(key, new Map());
      rows.get(key)!.set(r.executor, r);
    }
    const cols = executors.map((ex) => executorColumns(ex, multi ? `${ex === 'random' ? 'rnd' : ex} ` : ''));
    const head = ['bug', 'design', 'scenario', 'expected', ...cols.flatMap((c) => c.head), ...(multi ? [] : ['fired', ''])];
    const body = [...rows.values()].map((byEx) => {
      const any = [...byEx.values()][0];
      const row: (string | number)[] = [any.bug!, any.design, any.scenario, any.expected!];
      executors.forEach((ex, k) => row.push(...cols[k].cells(byEx.get(ex))));
      if (!multi) row.push(fired(any), any.ok ? 'ok' : '!!! MISSED');
      return row;
    });
    out.push(textTable(head, body, { left: 4, rule: true }));
    out.push(...LEGEND.map((l) => `  ${l}`));
    if (boot !== null) out.push(`  worker start-up: median ${Math.round(boot)} ms per run (not in ms)`);
    if (multi) {
      const bad = bugs.filter((r) => !r.ok);
      if (bad.length) {
        out.push('', 'Not ok:');
        for (const r of bad) {
          out.push(`  ${r.executor} ${r.bug} ${r.design} ${r.scenario}: detected ${r.detected}/${r.runs}, fired ${fired(r)} (expected ${r.expected})`);
        }
      }
    }
  }
  const exCol = (r: HuntCaseX): string[] => (multi ? [r.executor] : []);
  const clean = results.filter((r) => r.kind === 'clean');
  if (clean.length) {
    out.push('', `Correct designs (must show 0 violations${executors.includes('free') ? '; free: chaos p=0.01 at every window' : ''}):`);
    out.push(textTable([...(multi ? ['executor'] : []), 'design', 'scenario', 'runs', 'violations', 'fired', ''],
      clean.map((r) => [...exCol(r), r.design, r.scenario, r.runs, r.detected, fired(r), r.ok ? 'ok' : '!!! FAILED']), { left: multi ? 3 : 2, rule: true }));
  }
  const sketch = results.filter((r) => r.kind === 'sketch');
  if (sketch.length) {
    out.push('', `Known-broken designs (${knownBrokenDesignNames().join(', ')}): what the checkers find`);
    out.push(textTable([...(multi ? ['executor'] : []), 'design', 'scenario', 'runs', 'violations', 'fired', 'median_ms'],
      sketch.map((r) => [...exCol(r), r.design, r.scenario, r.runs, r.detected, fired(r), r.median_ms ?? '-']), { left: multi ? 3 : 2, rule: true }));
  }
  for (const r of results.filter((x) => !x.ok)) for (const p of r.artifacts) out.push(`artifact: ${p}`);
  out.push('', h.interrupted ? 'End of hunt: INTERRUPTED' : h.results.length === 0 ? 'End of hunt: NO CASES' : h.pass ? 'End of hunt: SUCCESS' : 'End of hunt: FAILURE');
  return out.join('\n');
}

/** The finished cases as a matrix, interrupted (a second signal: the running case is not in it). */
function partialResult(o: HuntOptions, cases: readonly HuntCaseX[]): HuntMatrix {
  return {
    budget_ns: o.budget, runs: o.runs, seed: o.seed, pass: cases.every((r) => r.ok), interrupted: true, results: [...cases],
    executors: [...o.executors], depth: o.depth, pct_steps: o.pctSteps ?? null, pct_runs: o.pctRuns,
  };
}

export async function cmdHunt(o: HuntOptions): Promise<number> {
  const tty = Boolean(process.stderr.isTTY);
  let last: HuntProgress | null = null;
  const onProgress = (p: HuntProgress): void => {
    last = p;
    const line = `[${p.done}/${p.total}] ${p.kind} ${p.bug ?? ''} ${p.design} ${p.scenario} ${p.executor} run ${p.run}/${p.runs}`;
    if (tty) process.stderr.write(`\r${line.padEnd(100).slice(0, 100)}`);
    else if (!o.json) process.stderr.write(`hunt: ${line}\n`);
  };
  const clearLine = (): void => { if (tty) process.stderr.write('\r' + ' '.repeat(100) + '\r'); };
  // the finished cases, when runHunt reports them one by one (an onCase hook); else the count of them
  const finished: HuntCaseX[] = [];
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
        + `${p ? `; stopped in ${p.kind} ${p.bug ?? ''} ${p.design} ${p.scenario} ${p.executor} run ${p.run}/${p.runs}` : ''}\n`);
      const h = partialResult(o, finished);
      process.stdout.write((o.json ? JSON.stringify(h, null, 2) : huntTables(h)) + '\n');
      process.exit(exitCodeOfSignal(sig));
    },
  }).install();
  const hooks = { onProgress, signal: ac.signal, onCase: (c: HuntCaseX): void => { finished.push(c); } };
  let h: HuntMatrix;
  try {
    h = await runHunt({ ...o }, hooks);
  } finally {
    interrupts.remove();
    clearLine();
  }
  process.stdout.write((o.json ? JSON.stringify(h, null, 2) : huntTables(h)) + '\n');
  if (h.interrupted) return exitCodeOfSignal(interrupts.signal ?? 'SIGINT');
  return h.pass && h.results.length > 0 ? EXIT.OK : EXIT.CHECK_FAILED;
}
