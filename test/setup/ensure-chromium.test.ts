/**
 * `npm test`'s set-up step (test/setup/ensure-chromium.sh, the "pretest" script): on a machine where
 * Chromium cannot be found or installed it stops with ONE line saying what to run; the opt-out and
 * an explicit binary skip it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'ensure-chromium.sh');
const empty = mkdtempSync(join(tmpdir(), 'proxysim-nopath-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** the script with a PATH that holds no chromium, no apt-get, no sudo */
function setup(env: Record<string, string>) {
  const r = spawnSync('/bin/bash', [SCRIPT], { env: { PATH: empty, ...env }, encoding: 'utf8' });
  return { code: r.status, err: r.stderr };
}

describe('npm test set-up (pretest)', () => {
  it('no Chromium and no way to install it: exit 1 and one line that says what to run', () => {
    const r = setup({});
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/PROXYSIM_NO_BROWSER=1 npm test/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('PROXYSIM_NO_BROWSER=1 skips it; PROXYSIM_CHROMIUM naming an executable is used as is', () => {
    expect(setup({ PROXYSIM_NO_BROWSER: '1' }).code).toBe(0);
    expect(setup({ PROXYSIM_CHROMIUM: '/bin/bash' })).toEqual({ code: 0, err: '' });
  });
});
