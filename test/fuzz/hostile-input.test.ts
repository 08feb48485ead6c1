/**
 * Hostile input: scenarios (objects, JSON text, raw bytes in a file) and command lines that are
 * deeply nested, huge, of the wrong type, full of unknown or prototype-polluting keys, control and
 * unicode characters. Every one either is accepted or is refused with a CliError whose message is
 * one line per problem, without a stack trace; never another exception, never a hang.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError, ScenarioError, UsageError } from '../../src/errors.ts';
import { parseArgs, type ArgsContext } from '../../src/cli/args.ts';
import { DESIGNS, knownBugs } from '../../src/proxy/index.ts';
import { bugName } from '../../src/proxy/bugs.ts';
import { GATE_WINDOWS } from '../../src/sync/windows.ts';
import { argv, deep, hostileValue, mutatedScenario, scenarioText } from './generators.ts';
import { loadScenarioFile, parseScenarioText, validateScenario } from '../../src/workload/validate.ts';

/** As src/cli/main.ts builds it. */
const ctx: ArgsContext = {
  allowedStrategies: DESIGNS.map((d) => d.name),
  allowedBugs: knownBugs().map((b) => bugName(b.n)),
  allowedChaosWindows: GATE_WINDOWS,
  makeSeed: () => 1,
};

const SEED = Number(process.env.FUZZ_SEED ?? 20250101);
/** Longest any single input may take (a hang fails the run long before vitest's timeout). */
const PER_INPUT_MS = 3000;

const dir = mkdtempSync(join(tmpdir(), 'proxysim-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The property: accepted, or a CliError saying one line per problem, without a stack trace. */
function acceptsOrRefuses(f: () => unknown): void {
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    const lines = e.message.split('\n');
    if (e instanceof ScenarioError) expect(lines).toHaveLength(e.problems.length);
    for (const line of lines) {
      expect(line).not.toBe('');
      expect(line).not.toContain('    at ');
      expect(line).not.toContain('\r');
      // (a scenario's values are cut in its messages; flags are echoed as given)
      if (e instanceof ScenarioError) expect(line.length).toBeLessThan(4000);
    }
  }
  expect(performance.now() - t0).toBeLessThan(PER_INPUT_MS);
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

describe('hostile scenarios', () => {
  it('objects: 4,000 given to validateScenario in-process (every tenth with --cpus 1 too)', () => {
    let n = 0;
    fc.assert(fc.property(fc.oneof(mutatedScenario, hostileValue, deep), (d) => {
      acceptsOrRefuses(() => validateScenario(d, 'scn.json'));
      if (n++ % 10 === 0) acceptsOrRefuses(() => validateScenario(d, 'scn.json', { cpus: 1 }));
    }), { numRuns: 4000, seed: SEED });
  }, 120_000);

  it('JSON text: 4,000 given to parseScenarioText', () => {
    fc.assert(fc.property(scenarioText, (t) => { acceptsOrRefuses(() => parseScenarioText(t, 'f.json')); }),
      { numRuns: 4000, seed: SEED });
  }, 120_000);

  it('bytes: 2,000 files of random bytes or UTF-8 with bytes broken, read by loadScenarioFile', () => {
    const f = join(dir, 'scn.json');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(scenarioText, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([t, at, junk]) => {
        const b = Buffer.from(t, 'utf8');
        const i = at % (b.length + 1);
        return Buffer.concat([b.subarray(0, i), junk, b.subarray(i)]);
      }),
    );
    fc.assert(fc.property(bytes, (b) => {
      writeFileSync(f, b);
      acceptsOrRefuses(() => loadScenarioFile(f));
    }), { numRuns: 2000, seed: SEED });
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------------

describe('hostile command lines', () => {
  it('3,000 flag sets given to parseArgs', () => {
    fc.assert(fc.property(argv, (a) => { acceptsOrRefuses(() => parseArgs(a, ctx)); }), { numRuns: 3000, seed: SEED });
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// End to end, through the CLI
// ---------------------------------------------------------------------------------------------

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('the CLI on the nastiest inputs', () => {
  it('exit 65 (or 2 for flags), a short stderr, no stack trace', async () => {
    const file = (name: string, content: string | Buffer): string => {
      const f = join(dir, name);
      writeFileSync(f, content);
      return f;
    };
    let nest = '{"op":"run","for":"1ms"}';
    for (let i = 0; i < 5000; i++) nest = `{"op":"lock","mutex":"m0","critical":[${nest}]}`;
    const scn = (program: string, extra = '') =>
      `{"name":"x","cpus":1,"mutexes":["m0"]${extra},"tasks":[{"name":"A","policy":"fair","program":[${program}]}]}`;
    const cases: [string[], number][] = [
      [['run', '--scenario', file('deep.json', scn(nest))], 65],
      [['run', '--scenario', file('deep-array.json', '['.repeat(100_000))], 65],
      [['run', '--scenario', file('utf8.json', Buffer.concat([Buffer.from('{"name": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]))], 65],
      [['run', '--scenario', file('wrap.json', scn('{"op":"repeat","times":4294967296,"body":[{"op":"sleep","for":"3000s"}]}'))], 65],
      [['run', '--scenario', file('huge.json', scn('{"op":"run","for":"1ms"}', `,"__proto__":{"cpus":5},"${'x'.repeat(1 << 20)}":1`))], 65],
      [['run', '--scenario', 'pi-basic', '--cpus', '1e400'], 2],
      [['run', '--scenario', 'pi-basic', `--${'y'.repeat(1 << 16)}`], 2],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    results.forEach(({ code, stderr }, i) => {
      const args = cases[i][0].map((a) => a.slice(0, 40));
      // (stderr shown only when the code is wrong)
      expect({ args, code, stderr: code === cases[i][1] ? '' : stderr.slice(0, 500) }).toEqual({ args, code: cases[i][1], stderr: '' });
      expect(stderr).not.toContain('    at ');
      // (a scenario's values are cut in its messages; an unknown flag is echoed whole by the flag parser)
      if (cases[i][1] === 65) expect(stderr.length).toBeLessThan(2000);
    });
  }, 60_000);
});

// (UsageError is what the flag checks throw; referenced so the import documents it.)
void UsageError;
