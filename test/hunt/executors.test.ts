/**
 * hunt under the executors: the flags (--executor, --depth, --pct-steps), PCT's horizon and bound,
 * the side-by-side table, and a small real hunt under pct that finds its bugs and is deterministic
 * (the same seeds detect in the same runs at the same steps).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ArgsContext, type Command, type HuntOptions } from '../../src/cli/args.ts';
import { EXIT, UsageError } from '../../src/errors.ts';
import { knownBugs } from '../../src/proxy/index.ts';
import { bugName } from '../../src/proxy/bugs.ts';
import { FIRST_PCT_STEPS, pctBound, pctHorizon, runHunt, type HuntCaseX, type HuntMatrix } from '../../src/hunt/hunt.ts';
import { huntTables } from '../../src/cli/hunt.ts';

const ctx: ArgsContext = { allowedBugs: knownBugs().map((b) => bugName(b.n)) };

function hunt(...argv: string[]): HuntOptions {
  const c = parseArgs(['hunt', ...argv], ctx) as Command;
  if (c.command !== 'hunt') throw new Error(`not hunt: ${JSON.stringify(c)}`);
  return c.options;
}

function fails(argv: string[]): string {
  try {
    parseArgs(['hunt', ...argv], ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(EXIT.USAGE);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error(`parsed: ${JSON.stringify(argv)}`);
}

describe('hunt flags', () => {
  it('--executor defaults to free; pct takes --depth (default 3) and more runs unless --runs says', () => {
    expect(hunt()).toMatchObject({ executors: ['free'], depth: 3, pctSteps: undefined, runs: 3, pctRuns: 10 });
    expect(hunt('--executor', 'pct', '--depth', '2')).toMatchObject({ executors: ['pct'], depth: 2, runs: 3, pctRuns: 10 });
    expect(hunt('--executor=pct', '--depth=2', '--runs', '4')).toMatchObject({ executors: ['pct'], depth: 2, runs: 4, pctRuns: 4 });
    expect(hunt('--executor', 'pct', '--pct-steps', '5000')).toMatchObject({ executors: ['pct'], pctSteps: 5000 });
  });

  it('a list, or all, compares executors; duplicates are dropped', () => {
    expect(hunt('--executor', 'free,random,pct').executors).toEqual(['free', 'random', 'pct']);
    expect(hunt('--executor', 'pct', '--executor', 'free,pct').executors).toEqual(['pct', 'free']);
    expect(hunt('--executor', 'all').executors).toEqual(['free', 'random', 'pct']);
    expect(hunt('--executor', 'random,all', '--depth', '4')).toMatchObject({ executors: ['free', 'random', 'pct'], depth: 4 });
  });

  it('bad values: one line saying what is allowed', () => {
    expect(fails(['--executor', 'pcx'])).toBe('--executor: unknown executor "pcx" (allowed: free, random, pct, all); did you mean pct?');
    expect(fails(['--executor', 'exhaustive'])).toBe(
      '--executor: "exhaustive" is for "run" (small scenarios), not for hunt (allowed: free, random, pct, all)');
    expect(fails(['--executor', 'pct,'])).toBe('--executor: expected free, random, pct, or all, got an empty value');
    expect(fails(['--executor'])).toBe('--executor: missing value (expected free, random, pct, or all)');
    expect(fails(['--executor', 'pct', '--depth', '0'])).toBe('--depth: expected an integer 1..64, got "0"');
    expect(fails(['--executor', 'pct', '--depth', 'x'])).toBe('--depth: expected an integer 1..64, got "x"');
    expect(fails(['--depth', '2'])).toBe('--depth applies to --executor pct, not to --executor free');
    expect(fails(['--executor', 'free,random', '--pct-steps', '100'])).toBe('--pct-steps applies to --executor pct, not to --executor free,random');
    expect(fails(['--executor', 'pct', '--depth', '2', '--depth', '3'])).toBe('--depth given twice ("2", then "3"); give it once');
  });

  it('through the CLI: exit 2 (usage), the message and the hint, no stack', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'hunt', '--executor', 'pct', '--depth', 'deep'],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(EXIT.USAGE);
    expect(r.stderr.split('\n')).toEqual(['proxysim: --depth: expected an integer 1..64, got "deep"', "Try 'npm start -- hunt --help'.", '']);
    expect(r.stdout).toBe('');
  });
});

describe('PCT figures', () => {
  it('the horizon: the default first, then from the first run\'s steps (at least the default), halving over five runs', () => {
    expect(pctHorizon(0, 123_456)).toBe(FIRST_PCT_STEPS);
    expect([1, 2, 3, 4, 5, 6].map((i) => pctHorizon(i, 160_000))).toEqual([160_000, 80_000, 40_000, 20_000, 10_000, 160_000]);
    expect([1, 5].map((i) => pctHorizon(i, 3_000))).toEqual([FIRST_PCT_STEPS, FIRST_PCT_STEPS / 16]);
  });

  it('the bound: p >= 1/(n k^(d-1))', () => {
    const b = pctBound(3, 2, 10_000, 10, 4);
    expect(b.p).toBeCloseTo(1 / (2 * 1e8), 20);
    expect(b.expected_runs).toBe(2e8);
    expect(b.measured_runs).toBe(2.5);
    expect(pctBound(1, 3, 500, 10, 0)).toMatchObject({ p: 1 / 3, expected_runs: 3, measured_runs: null });
  });

  it('the table puts the executors side by side, with the bound under pct', () => {
    const c = (executor: HuntCaseX['executor'], detected: number, runs: number, more: Partial<HuntCaseX> = {}): HuntCaseX => ({
      kind: 'bug', bug: 'BUG13', design: 'force-return', scenario: 'seed-signal', runs, detected, expected: 'I17', fired: detected ? { I17: detected } : {},
      detect_ms: [], median_ms: null, artifacts: [], ok: detected > 0, executor, depth: executor === 'pct' ? 3 : null, nr_cpus: 2,
      run_details: [], runs_to_detection: [], median_runs: detected ? 1 : null, wall_to_detection_ms: [], median_wall_ms: detected ? 300 : null,
      steps_to_detection: executor === 'free' ? null : [], median_steps: executor === 'free' || !detected ? null : 2200, median_run_steps: executor === 'free' ? null : 2203,
      pct: executor === 'pct' ? pctBound(3, 2, 2203, runs, detected) : null, ...more,
    });
    const m: HuntMatrix = {
      budget_ns: 1e9, runs: 3, seed: 1, pass: false, interrupted: false, executors: ['free', 'random', 'pct'], depth: 3, pct_steps: null, pct_runs: 10,
      results: [c('free', 3, 3), c('random', 3, 3), c('pct', 0, 10, { ok: false })],
    };
    const text = huntTables(m);
    const lines = text.split('\n');
    const head = lines.find((l) => l.startsWith('bug '))!;
    expect(head).toMatch(/free det +free runs +free ms +rnd det +rnd runs +rnd ms +rnd steps +pct det +pct runs +pct ms +pct steps +pct k +pct p>= +pct E\[runs\]<=/);
    const row = lines.find((l) => l.startsWith('BUG13'))!;
    expect(row).toMatch(/3\/3 +1 +300 +3\/3 +1 +300 +2200 +0\/10! +- +- +- +2203 +1\.0e-7 +9\.7e6$/);
    expect(text).toContain('pct BUG13 force-return seed-signal: detected 0/10, fired - (expected I17)');
    expect(text).toContain('runs per case (pct: 10), seeds 1..10');
    expect(text).toMatch(/End of hunt: FAILURE$/);
  });
});

describe('a small hunt under pct', () => {
  it('finds BUG13 and BUG11 by their invariants; the same seeds detect in the same runs at the same steps', { timeout: 120_000 }, async () => {
    const artifactDir = mkdtempSync(join(tmpdir(), 'proxysim-hunt-pct-'));
    const o = { budget: 1e9, runs: 2, bugs: ['BUG13', 'BUG11'], bugsOnly: true, seed: 1, artifactDir, executors: ['pct' as const], depth: 3 };
    const a = await runHunt(o);
    expect(a.results.map((r) => [r.bug, r.executor])).toEqual([['BUG13', 'pct'], ['BUG11', 'pct']]);
    for (const r of a.results) {
      expect(r.ok, `${r.bug}: ${JSON.stringify(r.fired)}`).toBe(true);
      expect(r.detected).toBeGreaterThan(0);
      expect(r.median_steps).toBeGreaterThan(0);
      expect(r.pct?.n).toBe(2);
      expect(r.run_details[0].pct_steps).toBe(FIRST_PCT_STEPS);
    }
    expect(a.pass).toBe(true);
    const b = await runHunt({ ...o, bugs: ['BUG13'] });
    const det = (r: HuntCaseX) => r.run_details.map((x) => [x.seed, x.finding, x.detect_step, x.pct_steps]);
    expect(det(b.results[0])).toEqual(det(a.results[0]));
    expect(b.results[0].runs_to_detection).toEqual(a.results[0].runs_to_detection);
  });
});
