/**
 * Hostile and out-of-range scenarios: deep nesting, the runtime's limits (CPUs, mutexes, tasks,
 * program size, loop depth), numbers that would wrap in a 32-bit program word, invalid UTF-8,
 * oversized values in messages, and the lock orders lockdep would call a deadlock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.ts';
import { BUILTINS } from '../../src/workload/builtin/index.ts';
import { MAX_OP_NESTING, MAX_PROGRAM_OPS, MAX_WORD, compileTask } from '../../src/workload/program.ts';
import {
  MAX_MUTEXES, MAX_NESTING, MAX_PROBLEMS, MAX_TASKS, loadScenarioFile, parseScenarioText, validateScenario,
} from '../../src/workload/validate.ts';

type Json = any;

function doc(program: Json[], extra: Json = {}): Json {
  return { name: 'x', cpus: 2, mutexes: ['a', 'b'], tasks: [{ name: 'A', policy: 'fair', program }], ...extra };
}

function problems(d: unknown): string[] {
  try {
    validateScenario(d, 'scn.json');
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).message.split('\n');
  }
}

function textProblems(text: string): string[] {
  try {
    parseScenarioText(text, 'f.json');
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).message.split('\n');
  }
}

const run = { op: 'run', for: '1ms' };

function nestText(kind: 'repeat' | 'lock', n: number): string {
  let inner = JSON.stringify(run);
  for (let i = 0; i < n; i++) {
    inner = kind === 'repeat' ? `{"op":"repeat","times":2,"body":[${inner}]}` : `{"op":"lock","mutex":"a","critical":[${inner}]}`;
  }
  return `{"name":"x","cpus":1,"mutexes":["a"],"tasks":[{"name":"A","policy":"fair","program":[${inner}]}]}`;
}

/** n locks inside one another, each on its own mutex (so only the depth is wrong). */
function lockChain(n: number): { mutexes: string[]; op: Json } {
  const mutexes = Array.from({ length: n }, (_, i) => `m${i}`);
  let op: Json = run;
  for (let i = n - 1; i >= 0; i--) op = { op: 'lock', mutex: mutexes[i], critical: [op] };
  return { mutexes, op };
}

describe('deep nesting', () => {
  it('3,000 nested repeats and 5,000 nested locks: one problem at the JSON path, exit 65, no stack overflow', () => {
    for (const [kind, n] of [['repeat', 3000], ['lock', 5000], ['lock', 100_000]] as const) {
      const p = textProblems(nestText(kind, n));
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(new RegExp(`^f\\.json:1:\\d+: tasks\\[0\\]\\.program\\[0\\]\\.${kind === 'lock' ? 'critical' : 'body'}\\[0\\].*: `
        + `nested too deeply: more than ${MAX_NESTING} levels of objects and arrays \\(ops may be nested at most ${MAX_OP_NESTING} deep\\)$`));
      expect(p[0].length).toBeLessThan(400);
    }
  });

  it('a deep document given as an object (a built-in, a test) is refused the same way, cycles too', () => {
    let op: Json = run;
    for (let i = 0; i < 5000; i++) op = { op: 'lock', mutex: 'a', critical: [op] };
    expect(problems(doc([op]))[0]).toMatch(/^scn\.json: tasks\[0\]\.program\[0\]\.critical\[0\].*: nested too deeply/);
    const cyclic: Json = { op: 'repeat', times: 2, body: [] };
    cyclic.body.push(cyclic);
    expect(problems(doc([cyclic]))).toHaveLength(1);
  });

  it(`ops nest at most ${MAX_OP_NESTING} deep; deeper is said at the critical section that is one too deep`, () => {
    const ok = lockChain(MAX_OP_NESTING - 1); // and the run inside: MAX_OP_NESTING ops
    expect(problems({ ...doc([ok.op]), mutexes: ok.mutexes })).toEqual([]);
    const bad = lockChain(MAX_OP_NESTING);
    expect(problems({ ...doc([bad.op]), mutexes: bad.mutexes })).toEqual([
      `scn.json: tasks[0].program[0]${'.critical[0]'.repeat(MAX_OP_NESTING - 1)}.critical: ops nested ${MAX_OP_NESTING + 1} deep `
      + `(at most ${MAX_OP_NESTING} ops inside one another)`,
    ]);
  });

  it('400 nested locks on one mutex: one problem, quickly (was 2 minutes and 399 problems)', () => {
    const t0 = performance.now();
    expect(textProblems(nestText('lock', 400))).toHaveLength(1);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('many problems are capped, the rest counted', () => {
    const many = Array.from({ length: 500 }, () => ({ op: 'lock', mutex: 'nope' }));
    const p = problems(doc(many));
    expect(p).toHaveLength(MAX_PROBLEMS + 1);
    expect(p.at(-1)).toBe(`scn.json: 400 more problems not shown (the first ${MAX_PROBLEMS} are above)`);
  });
});

describe('the runtime\'s limits', () => {
  it('CPUs: 1..32 (cpus_mask is one 32-bit word)', () => {
    expect(problems(doc([run], { cpus: 33 }))).toEqual(['scn.json: cpus: expected an integer 1..32, got 33']);
  });

  it(`mutexes: at most ${MAX_MUTEXES}; tasks: at most ${MAX_TASKS}`, () => {
    const m = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
    expect(problems(doc([run], { mutexes: m(MAX_MUTEXES) }))).toEqual([]);
    expect(problems(doc([run], { mutexes: m(MAX_MUTEXES + 1) }))).toEqual([
      `scn.json: mutexes: must list at most ${MAX_MUTEXES} mutex names, got ${MAX_MUTEXES + 1}`,
    ]);
    const tasks = Array.from({ length: MAX_TASKS + 1 }, (_, i) => ({ name: `T${i}`, policy: 'fair', program: [run] }));
    expect(problems(doc([run], { tasks }))).toEqual([`scn.json: tasks: must list at most ${MAX_TASKS} tasks, got ${MAX_TASKS + 1}`]);
  });

  it('every built-in stays within the limits at every CPU count', () => {
    for (const b of BUILTINS) {
      for (const cpus of [1, 2, 8, 32]) {
        let s;
        try { s = b.make({ cpus }); } catch { continue; }
        expect(s.mutexes.length).toBeLessThanOrEqual(MAX_MUTEXES);
        expect(s.tasks.length).toBeLessThanOrEqual(MAX_TASKS);
        for (let k = 0; k < s.tasks.length; k++) expect(compileTask(s, k, () => 0).length / 4).toBeLessThanOrEqual(MAX_PROGRAM_OPS);
      }
    }
  });

  it(`program size: at most ${MAX_PROGRAM_OPS} compiled ops per task, counted as the compiler does`, () => {
    // a lock with critical is 2 ops, a repeat 2, END 1
    // runs, then lock + repeat + yield + LOOP_END + UNLOCK, then END
    const fits = [...Array.from({ length: MAX_PROGRAM_OPS - 6 }, () => run), { op: 'lock', mutex: 'a', critical: [{ op: 'repeat', times: 2, body: [{ op: 'yield' }] }] }];
    const s = validateScenario(doc(fits), 'scn.json');
    expect(compileTask(s, 0, () => 0).length / 4).toBe(MAX_PROGRAM_OPS);
    expect(problems(doc([...fits, run]))).toEqual([
      `scn.json: tasks[0].program: the program compiles to ${MAX_PROGRAM_OPS + 1} ops, more than ${MAX_PROGRAM_OPS} `
      + '(a lock with "critical" and a repeat count two, the end one more); split the work with "repeat"',
    ]);
  });
});

describe('numbers that would wrap in a 32-bit program word', () => {
  it('repeat times: at most 2^31-1 (4294967296 used to run once, 2^31 forever)', () => {
    const rep = (times: number) => doc([{ op: 'repeat', times, body: [run] }]);
    expect(problems(rep(MAX_WORD))).toEqual([]);
    for (const times of [2 ** 31, 2 ** 32, 1e300]) {
      expect(problems(rep(times))).toEqual([
        `scn.json: tasks[0].program[0].times: expected an integer 1..2147483647 (a 32-bit program word), or -1 for forever, got ${times}`,
      ]);
    }
  });

  it('run and sleep: at most 2147483647us (sleep 3000s used to return at once)', () => {
    expect(problems(doc([{ op: 'sleep', for: '2147.483647s' }, { op: 'run', for: '2147483647499ns' }]))).toEqual([]);
    expect(problems(doc([
      { op: 'sleep', for: '3000s' }, { op: 'run', for: '2147483648us' }, { op: 'run', for: '2147483647500ns' },
    ]))).toEqual([
      'scn.json: tasks[0].program[0].for: "3000s" is too long: at most 2147483647us (2147.483647s), what a 32-bit program word of µs holds',
      'scn.json: tasks[0].program[1].for: "2147483648us" is too long: at most 2147483647us (2147.483647s), what a 32-bit program word of µs holds',
      'scn.json: tasks[0].program[2].for: "2147483647500ns" is too long: at most 2147483647us (2147.483647s), what a 32-bit program word of µs holds',
    ]);
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proxysim-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('invalid UTF-8 is an error with its line, column and byte, not U+FFFD', () => {
    const f = join(dir, 'bad.json');
    const text = JSON.stringify(doc([run]), null, 1).replace('"x"', '"x@"');
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf('@')] = 0xff;
    writeFileSync(f, bytes);
    let err: unknown;
    try { loadScenarioFile(f); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toBe(
      `${f}:2:12: not valid UTF-8: byte 0xff at offset ${bytes.indexOf(0xff)} does not start or continue a UTF-8 character; save the file as UTF-8`);
    // a truncated sequence, an overlong encoding, a surrogate
    for (const bad of [[0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80]]) {
      writeFileSync(f, Buffer.concat([Buffer.from('{"name": "'), Buffer.from(bad), Buffer.from('"}')]));
      expect(() => loadScenarioFile(f)).toThrow(/^.*:1:11: not valid UTF-8: byte 0x/);
    }
    // valid UTF-8 (and a BOM) is read as before
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(doc([run], { description: 'é ✓ 😀' })))]));
    expect(loadScenarioFile(f).description).toBe('é ✓ 😀');
  });
});

describe('oversized values are cut in messages', () => {
  const huge = 'z'.repeat(1 << 20);
  const other = 'y'.repeat(1 << 20);
  it('a 1 MB name, key, mutex reference, op or duration is shown as 60 characters and its length', () => {
    const p = problems({
      ...doc([{ op: 'lock', mutex: other }, { op: huge }, { op: 'run', for: huge }, { op: 'signal', task: huge }]),
      mutexes: [huge, huge], [huge]: 1,
    });
    const cut = `"${'z'.repeat(60)}…" (1048576 chars)`;
    expect(p).toEqual([
      `scn.json: [${cut}]: unknown key ${cut} (allowed: $schema, name, description, cpus, duration, delayed_dequeue, mutexes, tasks)`,
      `scn.json: mutexes[1]: duplicate mutex name ${cut} (also mutexes[0])`,
      `scn.json: tasks[0].program[0].mutex: unknown mutex ${cut.replaceAll('z', 'y')} (known: ${'z'.repeat(60)}…(1048576 chars))`,
      `scn.json: tasks[0].program[1].op: unknown op ${cut} (allowed: run, lock, lock_interruptible, trylock, unlock, sleep, signal, yield, set_affinity, repeat, exit)`,
      `scn.json: tasks[0].program[2].for: invalid duration ${cut}: expected a number and a unit (ns, us, ms, s), e.g. "250us", "2ms", "1.5s"`,
      `scn.json: tasks[0].program[3].task: unknown task ${cut} (known: self, A)`,
    ]);
    for (const line of p) expect(line.length).toBeLessThan(400);
  });

  it('a 1 MB number or word in the text is cut too', () => {
    for (const text of [`{"cpus": ${'9'.repeat(1 << 20)}}`, `{"cpus": ${'x'.repeat(1 << 20)}}`, `{"${huge}" 1}`]) {
      for (const line of textProblems(text)) expect(line.length).toBeLessThan(400);
    }
  });
});

describe('lock order (lockdep, statically)', () => {
  it('possible recursive locking: a nested lock of a held mutex, lock_interruptible too; trylock is fine', () => {
    expect(problems(doc([{ op: 'lock', mutex: 'a', critical: [{ op: 'lock', mutex: 'b', critical: [{ op: 'lock_interruptible', mutex: 'a' }] }] }]))).toEqual([
      'scn.json: tasks[0].program[0].critical[0].critical[0].mutex: possible recursive locking: mutex "a" is already held here '
      + '(locked by tasks[0].program[0]); locking it again would deadlock',
    ]);
    expect(problems(doc([{ op: 'lock', mutex: 'a', critical: [{ op: 'trylock', mutex: 'a' }] }]))).toEqual([]);
  });

  const two = (x: Json[], y: Json[]): Json => ({
    name: 'x', cpus: 2, mutexes: ['a', 'b', 'c'],
    tasks: [{ name: 'X', policy: 'fair', program: x }, { name: 'Y', policy: 'fair', program: y }],
  });
  const nested = (outer: string, inner: string, op = 'lock'): Json => ({ op: 'lock', mutex: outer, critical: [{ op, mutex: inner }] });

  it('possible circular locking dependency: task X takes a then b, task Y b then a', () => {
    expect(problems(two([nested('a', 'b')], [{ op: 'repeat', times: -1, body: [nested('b', 'a')] }]))).toEqual([
      'scn.json: tasks[1].program[0].body[0].critical[0].mutex: possible circular locking dependency: takes "a" while holding "b" '
      + '(locked at tasks[1].program[0].body[0]), but task "X" takes "b" while holding "a" (tasks[0].program[0].critical[0].mutex): '
      + 'each can hold one and wait for the other (ABBA deadlock)',
    ]);
  });

  it('no false alarm: one order everywhere, one task alone, trylock inside, or a plain lock/unlock sequence', () => {
    expect(problems(two([nested('a', 'b')], [nested('a', 'b'), nested('b', 'c')]))).toEqual([]);
    expect(problems(two([nested('a', 'b'), nested('b', 'a')], [run]))).toEqual([]);
    expect(problems(two([nested('a', 'b')], [nested('b', 'a', 'trylock')]))).toEqual([]);
    expect(problems(two([nested('a', 'b')], [{ op: 'lock', mutex: 'b' }, { op: 'lock', mutex: 'a' }, { op: 'unlock', mutex: 'a' }, { op: 'unlock', mutex: 'b' }]))).toEqual([]);
  });
});
