/** stress/merge on the command line: Ctrl-C keeps what finished, bad input is one line. */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARGV = ['--import', 'tsx', 'src/cli/main.ts'];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [...ARGV, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stress CLI', () => {
  it('SIGINT after two finished cases: exit 130, results.json holds them with interrupted: true', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'proxysim-int-')), 'run');
    const child = spawn(process.execPath, [...ARGV, 'stress', '--strategies', 'none,force-return', '--scenarios', 'pi-basic',
      '--seeds', '4', '--duration', '300ms', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!sent && (stdout.match(/^PASS /gm) ?? []).length >= 2) { sent = true; child.kill('SIGINT'); }
    });
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(sent, stdout + stderr).toBe(true);
    expect(code, stdout + stderr).toBe(130);
    expect(stdout).toMatch(/End of test: INTERRUPTED/);
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(r.interrupted).toBe(true);
    expect(r.cases.length).toBeGreaterThanOrEqual(2);
    expect(r.cases.length).toBeLessThan(8);
    expect(r.cases.filter((c: { verdict: string }) => c.verdict === 'PASS').length).toBeGreaterThanOrEqual(2);
    for (const c of r.cases) expect(['PASS', 'INTERRUPTED']).toContain(c.verdict);
    expect(Object.keys(r.histograms['force-return']['pi-basic']).length).toBeGreaterThan(0);
    // atomic writes: no temporary file is left behind
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(out)).toContain('force-return__pi-basic__wakeup_latency.hgrm');
  });

  it('bad flags: exit 2 and one line, no stack trace', () => {
    const r = cli(['stress', '--shard', '3/2']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('proxysim: --shard: expected k/N with 1 <= k <= N <= 10000 (e.g. 1/4), got "3/2"');
    expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('out-of-range and hex values: exit 2 with the range; a shard with no case: exit 2 before anything runs', () => {
    const big = cli(['stress', '--shard', '99999999999999999999/99999999999999999999']);
    expect(big.code).toBe(2);
    expect(big.err.split('\n')[0]).toMatch(/^proxysim: --shard: expected k\/N with 1 <= k <= N <= 10000 /);
    const hex = cli(['stress', '--seeds', '0x2']);
    expect(hex.code).toBe(2);
    expect(hex.err.split('\n')[0]).toBe('proxysim: --seeds: expected a decimal integer 1..10000, got "0x2"');
    const out = join(mkdtempSync(join(tmpdir(), 'proxysim-shard-')), 'run');
    const empty = cli(['stress', '--strategies', 'none', '--scenarios', 'pi-basic', '--seeds', '2', '--shard', '3/4', '--out', out]);
    expect(empty.code).toBe(2);
    expect(empty.err.split('\n')[0]).toBe('proxysim: --shard 3/4: shard 3 is empty: the campaign has 2 cases, '
      + 'so only shards 1..2 of 4 get one (use N <= 2, or more seeds)');
    expect(empty.out).not.toMatch(/SUCCESS/);
    expect(existsSync(out)).toBe(false);
    const auto = spawnSync(process.execPath, [...ARGV, 'stress', '--shard', 'auto'], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, JOB_COMPLETION_INDEX: '', CI_NODE_INDEX: '', CI_NODE_TOTAL: '', JOB_COMPLETIONS: '' },
    });
    expect(auto.status).toBe(2);
    expect(auto.stderr.split('\n')[0]).toMatch(/^proxysim: --shard auto: no shard in the environment: looked for JOB_COMPLETION_INDEX/);
  });

  it('merge of a directory without results.json, or with an invalid one: exit 65 naming the file and the problem', () => {
    const base = mkdtempSync(join(tmpdir(), 'proxysim-merge-'));
    const empty = join(base, 'empty');
    mkdirSync(empty);
    const r = cli(['merge', empty, '--out', join(base, 'out')]);
    expect(r.code).toBe(65);
    expect(r.err).toBe(`proxysim: ${empty}: no results.json in this directory (expected the output directory of "proxysim stress")\n`);
    const bad = join(base, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'results.json'), '{"proxysim_campaign": 1, "cases": [');
    const s = cli(['merge', bad, '--out', join(base, 'out')]);
    expect(s.code).toBe(65);
    expect(s.err).toMatch(new RegExp(`^proxysim: ${join(bad, 'results.json').replace(/[/.]/g, '\\$&')}: invalid JSON: `));
    writeFileSync(join(bad, 'results.json'), JSON.stringify({ proxysim_campaign: 1, started: 'x', finished: 'y', host: {}, interrupted: false,
      params: { strategies: [], scenarios: [], seeds: 1, first_seed: 1, duration_ns: 1, cpus: null, shard: null, chaos: null },
      cases: [{ strategy: 'none', scenario: 'pi-basic', seed: 1, cpus: 1, duration_ns: 1, wall_ms: 1, verdict: 'MAYBE', failure: null, artifact: null,
        stats: { switches: 0, proxy_picks: 0, donor_migrations: 0, force_returns: 0, deactivations: 0, mutex_acquisitions: 0, eintr: 0, samples: 0, stranded_observations: 0, exec_ms: {} },
        histograms: { wakeup_latency: 'not base64' } }],
      histograms: {} }));
    const t = cli(['merge', bad, '--out', join(base, 'out')]);
    expect(t.code).toBe(65);
    expect(t.err).toContain('results.json: cases[0].verdict: expected one of PASS, FAIL, INTERRUPTED, ERROR, got string "MAYBE"');
    expect(t.err).toContain('results.json: cases[0].histograms.wakeup_latency: not an encoded HdrHistogram');
    expect(t.err).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
