/**
 * SIGINT and SIGTERM, once or twice, on the campaign commands started the way a user starts them
 * (`node --import tsx`, as `npm start` does): the finished cases are never lost. The
 * signals go to the whole process group, as a terminal's Ctrl-C does, and only once a line says that
 * a case finished (no sleeping and hoping).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interrupts, SECOND_SIGNAL_MS } from '../../src/cli/interrupts.ts';
import { exitCodeOfSignal } from '../../stress/verdict.ts';


interface Outcome { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; sent: number }

/**
 * Run the CLI; when `ready` matches (stdout + stderr), send `sig` to its process group; then a second
 * one: 'burst' at once (the copies a wrapper relays, and a quick double Ctrl-C), or 'late' once `late`
 * matches and SECOND_SIGNAL_MS has passed (a real second signal while the command is stopping).
 */
function signalled(args: string[], o: { sig: NodeJS.Signals; ready: RegExp; second: 'burst' | 'late'; late?: RegExp }): Promise<Outcome> {
  // started as `npm start` starts it: node with tsx's loader, no relaying wrapper process in between
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let sent = 0;
  let exited = false;
  const kill = (): void => {
    if (exited) return;
    try { process.kill(-child.pid!, o.sig); sent++; } catch { /* already gone */ }
  };
  const check = (): void => {
    const all = stdout + stderr;
    if (sent === 0 && o.ready.test(all)) {
      kill();
      const at = Date.now();
      if (o.second === 'burst') kill();
      else {
        const wait = setInterval(() => {
          if (exited) { clearInterval(wait); return; }
          if (o.late!.test(stdout + stderr) && Date.now() - at > SECOND_SIGNAL_MS + 100) { clearInterval(wait); kill(); }
        }, 20);
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => { stdout += d; check(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d; check(); });
  return new Promise((res) => {
    child.on('exit', () => { exited = true; });
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr, sent }));
  });
}

const passed = (stdout: string): string[] => [...stdout.matchAll(/^PASS +\[\d+\/\d+\] (\S+) seed (\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);

function checkResults(out: string, r: Outcome, code: number): void {
  const why = r.stdout + r.stderr;
  expect(r.sent, why).toBeGreaterThanOrEqual(1);
  expect(r.code, why).toBe(code);
  expect(existsSync(join(out, 'results.json')), why).toBe(true);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  expect(res.interrupted).toBe(true);
  const inFile = new Set(res.cases.filter((c: { verdict: string }) => c.verdict === 'PASS')
    .map((c: { strategy: string; scenario: string; seed: number }) => `${c.strategy}/${c.scenario} ${c.seed}`));
  const shown = passed(r.stdout);
  expect(shown.length, why).toBeGreaterThanOrEqual(1);
  for (const name of shown) expect(inFile.has(name), `${name} in results.json`).toBe(true);
}

describe('signals: the finished cases are kept', () => {
  const stress = (out: string): string[] => ['stress', '--strategies', 'none,force-return', '--scenarios', 'pi-basic', '--seeds', '3',
    '--duration', '2s', '--out', out];

  it('stress, SIGINT twice at once after the first case: exit 130, results.json and report with the finished cases', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'proxysim-sig-')), 'run');
    const r = await signalled(stress(out), { sig: 'SIGINT', ready: /^PASS /m, second: 'burst' });
    checkResults(out, r, 130);
    expect(r.stdout).toMatch(/End of test: INTERRUPTED/);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  }, 90_000);

  it('stress, SIGTERM, then SIGTERM again while it stops: exit 143, results.json with the finished cases', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'proxysim-sig-')), 'run');
    const r = await signalled(stress(out), { sig: 'SIGTERM', ready: /^PASS /m, second: 'late', late: /SIGTERM: stopping/ });
    checkResults(out, r, 143);
  }, 90_000);

  it('compare, SIGINT twice at once after the first case: exit 130, results.json with the finished cases', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'proxysim-sig-')), 'run');
    const r = await signalled(['compare', '--duration', '2s', '--out', out], { sig: 'SIGINT', ready: /^PASS /m, second: 'burst' });
    checkResults(out, r, 130);
  }, 90_000);

  it('hunt, SIGTERM after the first case, then again during the running one: exit 143 and what it has on stdout', async () => {
    const r = await signalled(['hunt', '--bug', 'BUG11', '--runs', '1', '--budget', '6s', '--artifact-dir', mkdtempSync(join(tmpdir(), 'proxysim-sig-'))],
      { sig: 'SIGTERM', ready: /^hunt: \[1\//m, second: 'late', late: /hunt: SIGTERM: stopping/ });
    const why = r.stdout + r.stderr;
    expect(r.sent, why).toBe(2);
    expect(r.code, why).toBe(143);
    expect(r.stderr).toMatch(/hunt: SIGTERM again: 1 of \d+ cases finished; stopped in clean/);
    expect(r.stdout).toMatch(/End of hunt: INTERRUPTED/);
  }, 90_000);
});

describe('Interrupts', () => {
  it('first signal stops, copies within SECOND_SIGNAL_MS are the same signal, a later one is the second', () => {
    let t = 1000;
    const seen: string[] = [];
    const i = new Interrupts({ first: (s) => seen.push(`first ${s}`), second: (s) => seen.push(`second ${s}`), now: () => t });
    i.handle('SIGTERM');
    t += SECOND_SIGNAL_MS - 1;
    i.handle('SIGTERM');
    i.handle('SIGINT');
    expect(seen).toEqual(['first SIGTERM']);
    t += 1;
    i.handle('SIGINT');
    expect(seen).toEqual(['first SIGTERM', 'second SIGINT']);
    expect(i.signal).toBe('SIGTERM');
  });

  it('installs one handler per signal, removed by remove()', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const i = new Interrupts({ first: () => undefined, second: () => undefined }).install().install();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0] + 1, before[1] + 1]);
    i.remove();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });

  it('exit codes: 128 + the signal', () => {
    expect(exitCodeOfSignal('SIGINT')).toBe(130);
    expect(exitCodeOfSignal('SIGTERM')).toBe(143);
  });
});
