/**
 * Output files: names from the input never lead outside their folder, and a file or folder that
 * cannot be written is a one-line WriteError (exit 73) with no temporary file left behind.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import hdr from 'hdr-histogram-js';
import { NAME_MAX, ensureDir, probeDir, probeFile, safeFileName, safeName, writeFileAtomic } from '../../src/files.ts';
import { EXIT, WriteError } from '../../src/errors.ts';
import { writeArtifact, type Artifact } from '../../src/report/artifact.ts';
import { writeCampaign } from '../../stress/campaign.ts';
import type { CampaignResult, CaseRecord } from '../../src/results/format.ts';

/** every file under `root`, relative, sorted */
function allFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

const CRAFTED = ['../../../tmp/x', '/etc/passwd', '..', '.', '.hidden', 'a/b/c', 'a\\b', '', 'x'.repeat(300), 'a__b', 'a_', '-rf', 'ü', 'pi-basic', 'nul\u0000l'];

describe('safeName', () => {
  it('keeps a safe name, changes any other into [A-Za-z0-9._-] with no leading dot, capped, with a hash', () => {
    for (const n of ['pi-basic', 'force-return', 'wakeup_latency', 'I9', 'ttwu-blocks-fixed', 'v1.2']) expect(safeName(n)).toBe(n);
    for (const n of CRAFTED.filter((x) => x !== 'pi-basic')) {
      const s = safeName(n);
      expect(s, n).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
      expect(s.length, n).toBeLessThanOrEqual(NAME_MAX);
      expect(s, n).not.toContain('__');
      expect(s, n).toMatch(/[0-9a-f]{10}$/);
    }
    expect(safeName('../../../tmp/x')).toMatch(/^tmp_x-[0-9a-f]{10}$/);
  });

  it('two different names never give the same file name', () => {
    const names = [...CRAFTED, 'a/b', 'a_b', 'a?b', 'a b', 'x'.repeat(301), 'x'.repeat(NAME_MAX), 'x'.repeat(NAME_MAX + 1)];
    const out = names.map((n) => safeName(n));
    expect(new Set(out).size).toBe(new Set(names).size);
    // joined parts split back: (a__b, c) and (a, b__c) differ
    expect(safeFileName(['a__b', 'c'])).not.toBe(safeFileName(['a', 'b__c']));
    expect(safeFileName(['a_', 'b'])).not.toBe(safeFileName(['a', '_b']));
  });
});

describe('no write escapes its folder', () => {
  it('crafted strategy/scenario/metric names (a merged results.json) and a crafted scenario name (an artifact)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'proxysim-escape-'));
    // deep enough that any ../ lands inside root, where the listing sees it
    const out = join(root, 'a', 'b', 'c', 'out');
    const enc = (() => { const h = hdr.build(); h.recordValue(1234); return hdr.encodeIntoCompressedBase64(h); })();
    const histograms: CampaignResult['histograms'] = {};
    for (const st of CRAFTED) {
      histograms[st] = {};
      for (const sc of CRAFTED.slice(0, 6)) histograms[st][sc] = { [CRAFTED[(st.length + sc.length) % CRAFTED.length]]: enc, wakeup_latency: enc };
    }
    const nFiles = Object.values(histograms).flatMap((b) => Object.values(b).flatMap((m) => Object.keys(m))).length;
    const result: CampaignResult = {
      proxysim_campaign: 1, started: '2025-01-02T03:04:05.000Z', finished: '2025-01-02T03:04:09.000Z',
      host: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, cpu_model: 'x', mem_gb: 1, hostname: 'h' },
      params: { strategies: CRAFTED, scenarios: CRAFTED, seeds: 1, first_seed: 1, duration_ns: 1e6, cpus: null, shard: null, chaos: null },
      interrupted: false, cases: [], histograms,
    };
    const w = await writeCampaign(out, result);
    expect(w.report).toBe(join(out, 'report.html'));

    const art = { scenario: { name: '../../../tmp/x' }, strategy: '../../y', seed: 3, violation: { kind: 'violation', id: '../I9/..', message: '', cpu: 0, time_ns: 0 } } as unknown as Artifact;
    const artDir = join(out, 'failures');
    const a1 = writeArtifact(art, artDir);
    const a2 = writeArtifact({ ...art, scenario: { name: '/abs/olute' } } as unknown as Artifact, artDir);
    for (const p of [a1, a2]) expect(relative(artDir, p)).not.toMatch(/[/\\]|^\./);

    const files = allFiles(root);
    const rel = relative(root, out);
    // every file is in `out` itself, or an artifact in out/failures: no sub-folder, nothing outside
    for (const f of files) expect(f, f).toMatch(new RegExp(`^${rel.replace(/\//g, '\\/')}/(failures/)?[^/]+$`));
    expect(files.filter((f) => f.endsWith('.hgrm'))).toHaveLength(nFiles);
    expect(files.filter((f) => f.endsWith('.hlog'))).toHaveLength(nFiles);
    expect(files.filter((f) => f.includes('/failures/'))).toHaveLength(2);
    expect(files.some((f) => /(^|\/)\.[^/]*$/.test(f))).toBe(false); // no hidden file, no temporary file
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
    expect(existsSync('/tmp/x')).toBe(false);
  });
});

/** Running as root, chmod does not stop writes. */
const ROOT_USER = process.getuid?.() === 0;

describe('write errors', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('/proc and /sys are refused at once (a recursive mkdir there loops forever)', () => {
    const t0 = Date.now();
    for (const [f, p] of [[ensureDir, '/proc/out/deeper'], [probeDir, '/proc/out'], [probeFile, '/proc/t.txt'], [probeDir, '/sys/x']] as const) {
      expect(() => f(p, '--out'), p).toThrow(WriteError);
    }
    expect(() => writeFileAtomic('/proc/out/x.txt', 'x', '--trace')).toThrow(/^--trace: cannot create \/proc\/out: \/proc is a kernel pseudo file system/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a file as a parent folder: WriteError, exit 73, one line', () => {
    const d = mkdtempSync(join(tmpdir(), 'proxysim-wr-'));
    writeFileSync(join(d, 'file'), 'x');
    const target = join(d, 'file', 'sub', 'x.txt');
    for (const f of [() => probeFile(target, '--trace'), () => probeDir(join(d, 'file', 'sub'), '--out'), () => writeFileAtomic(target, 'x'), () => ensureDir(join(d, 'file', 'sub'))]) {
      let err: unknown;
      try { f(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(WriteError);
      expect((err as WriteError).exitCode).toBe(EXIT.CANT_CREATE);
      expect((err as WriteError).message).not.toContain('\n');
      expect((err as WriteError).message).toMatch(/not a folder/);
    }
    expect(readdirSync(d)).toEqual(['file']);
  });

  it.skipIf(ROOT_USER)('a read-only folder (chmod 0555): WriteError before anything is written', () => {
    const d = mkdtempSync(join(tmpdir(), 'proxysim-ro-'));
    chmodSync(d, 0o555);
    try {
      expect(() => probeDir(d, '--out')).toThrow(/^--out: cannot write .*: permission denied \(EACCES\)$/);
      expect(() => probeDir(join(d, 'new'), '--out')).toThrow(/permission denied/);
      expect(() => probeFile(join(d, 't.txt'), '--trace')).toThrow(/^--trace: cannot write .*t\.txt: permission denied/);
      expect(() => writeFileAtomic(join(d, 't.txt'), 'x')).toThrow(WriteError);
      expect(readdirSync(d)).toEqual([]);
    } finally {
      chmodSync(d, 0o755);
    }
  });

  it('a write that fails half way (a full disk) removes its temporary file', () => {
    const d = mkdtempSync(join(tmpdir(), 'proxysim-full-'));
    const now = 1_700_000_000_000;
    vi.useFakeTimers({ now, toFake: ['Date'] });
    const target = join(d, 'results.json');
    // the temporary file leads to /dev/full: created, then the write fails with ENOSPC
    symlinkSync('/dev/full', `${target}.tmp-${process.pid}-${now}`);
    expect(() => writeFileAtomic(target, 'x'.repeat(100_000), '--out')).toThrow(/^--out: cannot write .*results\.json: no space left on device \(ENOSPC\)$/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('a device is written in place, never replaced by a rename', () => {
    writeFileAtomic('/dev/null', 'x');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    probeFile('/dev/null', '--trace');
  });

  it('probes leave nothing behind; ensureDir makes the folders one level at a time', () => {
    const d = mkdtempSync(join(tmpdir(), 'proxysim-probe-'));
    probeDir(d);
    probeDir(join(d, 'x', 'y'));
    probeFile(join(d, 'x', 't.txt'));
    expect(readdirSync(d)).toEqual([]);
    ensureDir(join(d, 'x', 'y', 'z'));
    expect(statSync(join(d, 'x', 'y', 'z')).isDirectory()).toBe(true);
    mkdirSync(join(d, 'dir'));
    expect(() => probeFile(join(d, 'dir'), '--dump')).toThrow(/--dump: cannot write .*dir: it is a folder/);
  });
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('write errors on the command line: exit 73, one line, before the run', () => {
  it('run --trace /proc/t.txt, --dump under a file, --artifact-dir under a file', () => {
    const d = mkdtempSync(join(tmpdir(), 'proxysim-cli-wr-'));
    writeFileSync(join(d, 'file'), 'x');
    const cases: [string[], RegExp][] = [
      [['--trace', '/proc/t.txt'], /^proxysim: --trace: cannot write \/proc\/t\.txt: \/proc is a kernel pseudo file system/],
      [['--trace-json', '/sys/t.json'], /^proxysim: --trace-json: cannot write \/sys\/t\.json: /],
      [['--dump', join(d, 'file', 'd.json')], /^proxysim: --dump: cannot write .*d\.json: /],
      [['--artifact-dir', join(d, 'file', 'f')], /^proxysim: --artifact-dir: cannot create .*f: .*file is not a folder\n$/],
    ];
    for (const [flags, want] of cases) {
      const r = cli(['run', '--scenario', 'pi-basic', '--duration', '5s', ...flags]);
      expect(r.code, r.err).toBe(EXIT.CANT_CREATE);
      expect(r.err).toMatch(want);
      expect(r.err.trim().split('\n')).toHaveLength(1); // no banner: refused before the run
      expect(r.err).not.toMatch(/internal error|\bat .*\.ts:\d+/);
    }
  });

  it('stress/compare/merge --out under /proc or under a file: refused at once, no hang', () => {
    const d = mkdtempSync(join(tmpdir(), 'proxysim-cli-out-'));
    writeFileSync(join(d, 'file'), 'x');
    for (const args of [['stress', '--out', '/proc/out'], ['compare', '--out', '/proc/out'], ['stress', '--out', join(d, 'file', 'o'), '--seeds', '1']]) {
      const t0 = Date.now();
      const r = cli(args);
      expect(r.code, r.err).toBe(EXIT.CANT_CREATE);
      expect(r.err).toMatch(/^proxysim: --out: cannot create /);
      expect(r.out).toBe('');
      expect(Date.now() - t0).toBeLessThan(30_000);
    }
    // merge: a valid input, an --out that cannot be made
    const input = join(d, 'in');
    mkdirSync(input);
    const rec: CaseRecord = {
      strategy: 'none', scenario: 'pi-basic', seed: 1, cpus: 1, duration_ns: 1, wall_ms: 1, verdict: 'PASS', failure: null, artifact: null,
      stats: { switches: 0, proxy_picks: 0, donor_migrations: 0, force_returns: 0, deactivations: 0, mutex_acquisitions: 0, eintr: 0, samples: 0, stranded_observations: 0, exec_ms: {} },
      histograms: {},
    };
    writeFileSync(join(input, 'results.json'), JSON.stringify({ proxysim_campaign: 1, started: 'x', finished: 'y', interrupted: false,
      host: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, cpu_model: 'x', mem_gb: 1, hostname: 'h' },
      params: { strategies: ['none'], scenarios: ['pi-basic'], seeds: 1, first_seed: 1, duration_ns: 1, cpus: null, shard: null, chaos: null },
      cases: [rec], histograms: {} }));
    const m = cli(['merge', input, '--out', '/proc/merged']);
    expect(m.code, m.err).toBe(EXIT.CANT_CREATE);
    expect(m.err).toMatch(/^proxysim: --out: cannot create \/proc\/merged: /);
    const ok = cli(['merge', input, '--out', join(d, 'merged')]);
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(join(d, 'merged', 'results.json'), 'utf8')).toContain('"pi-basic"');
  });
});
