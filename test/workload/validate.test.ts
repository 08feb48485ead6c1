import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, ScenarioError } from '../../src/errors.ts';
import { BUILTINS } from '../../src/workload/builtin/index.ts';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../../src/workload/duration.ts';
import { MAX_LOOP_DEPTH } from '../../src/workload/program.ts';
import type { Op, Policy, Scenario } from '../../src/workload/scenario.ts';
import {
  AJV_OPTIONS, EXPECTED, ITEM, NOT_MESSAGE, REQUIRED_HINT, SCHEMA, schemaAt, shapeProblems,
} from '../../src/workload/schema-check.ts';
import {
  MAX_CPUS, MIN_CPUS, SELF, checkScenario, loadScenarioFile, parseScenarioText, resolveScenario, validateScenario,
} from '../../src/workload/validate.ts';

// Test documents are mutated freely.
type Json = any;

/** A valid scenario touching every op; tests break one thing at a time. */
function base(): Json {
  return {
    name: 'demo',
    cpus: 2,
    mutexes: ['m0', 'm1'],
    tasks: [
      {
        name: 'A', policy: 'fifo', prio: 50, affinity: [0], cpu: 0, start: '1ms',
        program: [
          { op: 'lock', mutex: 'm0', critical: [{ op: 'run', for: '1ms' }] },
          { op: 'sleep', for: '2ms', interruptible: false },
          { op: 'lock_interruptible', mutex: 'm1' },
          { op: 'unlock', mutex: 'm1' },
        ],
      },
      {
        name: 'B', policy: 'fair', nice: 5,
        program: [
          { op: 'repeat', times: 3, body: [{ op: 'run', for: '500us' }, { op: 'signal', task: 'A' }] },
          { op: 'trylock', mutex: 'm1', critical: [{ op: 'yield' }] },
          { op: 'set_affinity', task: 'self', cpus: [1] },
          { op: 'set_affinity', cpus: [0, 1] },
          { op: 'exit' },
        ],
      },
    ],
  };
}

/** The formatted problems of a document (empty when valid). */
function problems(doc: unknown, opts: { cpus?: number } = {}): string[] {
  try {
    validateScenario(doc, 'scn.json', opts);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).message.split('\n');
  }
}

function mutate(f: (d: Json) => void): Json {
  const d = base();
  f(d);
  return d;
}

describe('parseDuration / formatDuration', () => {
  it('parses every unit to whole nanoseconds', () => {
    expect(parseDuration('250us')).toBe(250_000);
    expect(parseDuration('2ms')).toBe(2_000_000);
    expect(parseDuration('1.5s')).toBe(1_500_000_000);
    expect(parseDuration('100ns')).toBe(100);
    expect(parseDuration('0ms')).toBe(0);
    expect(parseDuration('0.1s')).toBe(100_000_000);
    expect(parseDuration('1.000000001s')).toBe(1_000_000_001);
  });
  it('says what is wrong with bad input', () => {
    const msg = (s: string) => { try { parseDuration(s); return 'ok'; } catch (e) { return (e as Error).message; } };
    expect(msg('5')).toBe('invalid duration "5": missing unit (ns, us, ms or s), e.g. "5ms"');
    expect(msg('2 ms')).toBe('invalid duration "2 ms": no space between number and unit: "2ms"');
    expect(msg('1m')).toBe('invalid duration "1m": minutes and hours are not supported; use seconds, e.g. "60s"');
    expect(msg('-1ms')).toBe('invalid duration "-1ms": must not be negative');
    expect(msg('5µs')).toBe('invalid duration "5µs": write "us" for microseconds: "5us"');
    expect(msg('2MS')).toBe('invalid duration "2MS": units are lower case: "2ms"');
    expect(msg('3sec')).toBe('invalid duration "3sec": unknown unit "sec" (units: ns, us, ms, s)');
    expect(msg('.5ms')).toBe('invalid duration ".5ms": write a digit before the point: "0.5ms"');
    expect(msg('1.5ns')).toBe('invalid duration "1.5ns": finer than 1ns (at most 0 decimals with "ns")');
    expect(msg('')).toBe('invalid duration "": empty; expected a number and a unit (ns, us, ms, s), e.g. "250us", "2ms", "1.5s"');
  });
  it('formats for display and round-trips short values', () => {
    expect(formatDuration(0)).toBe('0ns');
    expect(formatDuration(1_500)).toBe('1.5us');
    expect(formatDuration(2_000_000)).toBe('2ms');
    expect(formatDuration(1_500_000_000)).toBe('1.5s');
    expect(formatDuration(1_234_567)).toBe('1.235ms');
    expect(formatDuration(999_999.9)).toBe('1ms');
    for (const s of ['250us', '2ms', '1.5s', '17ns', '3.125ms']) expect(formatDuration(parseDuration(s))).toBe(s);
  });
});

describe('validateScenario', () => {
  it('accepts a valid scenario and returns a clean copy', () => {
    const doc = { $schema: './scenario.schema.json', ...base() };
    const s = validateScenario(doc, 'scn.json');
    expect(s).not.toBe(doc);
    expect('$schema' in s).toBe(false);
    expect(s.tasks[1].program).toEqual(base().tasks[1].program);
  });

  it('unknown mutex lists the known ones', () => {
    expect(problems(mutate((d) => { d.tasks[0].program[2].mutex = 'm9'; }))).toEqual([
      'scn.json: tasks[0].program[2].mutex: unknown mutex "m9" (known: m0, m1)',
    ]);
    expect(problems(mutate((d) => { d.mutexes = []; d.tasks[0].program = [{ op: 'unlock', mutex: 'm0' }]; d.tasks[1].program = [{ op: 'exit' }]; }))).toEqual([
      'scn.json: tasks[0].program[0].mutex: unknown mutex "m0" (no mutexes are declared; list it in "mutexes")',
    ]);
  });

  it('unknown op lists the allowed ones', () => {
    expect(problems(mutate((d) => { d.tasks[1].program[0].body[0] = { op: 'spin', for: '1ms' }; }))).toEqual([
      'scn.json: tasks[1].program[0].body[0].op: unknown op "spin" (allowed: run, lock, lock_interruptible, '
      + 'trylock, unlock, sleep, signal, yield, set_affinity, repeat, exit)',
    ]);
  });

  it('bad durations, with the path into nested bodies', () => {
    expect(problems(mutate((d) => {
      d.tasks[1].program[0].body[0].for = '5';
      d.tasks[0].start = 3;
      d.tasks[0].program[1].for = '0ms';
      d.duration = '2 s';
    }))).toEqual([
      'scn.json: duration: invalid duration "2 s": no space between number and unit: "2s"',
      'scn.json: tasks[0].start: expected a duration string such as "2ms", got 3 (numbers are not accepted: write the unit, e.g. "3ms")',
      'scn.json: tasks[0].program[1].for: must be greater than 0, got "0ms"',
      'scn.json: tasks[1].program[0].body[0].for: invalid duration "5": missing unit (ns, us, ms or s), e.g. "5ms"',
    ]);
  });

  it('fifo needs prio 1..99 and no nice', () => {
    expect(problems(mutate((d) => { d.tasks[0].prio = 0; }))).toEqual([
      'scn.json: tasks[0].prio: expected an integer 1..99, got 0',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].prio = 1.5; }))).toEqual([
      'scn.json: tasks[0].prio: expected an integer 1..99, got 1.5',
    ]);
    expect(problems(mutate((d) => { delete d.tasks[0].prio; }))).toEqual([
      'scn.json: tasks[0].prio: missing required key (policy "fifo" needs prio 1..99)',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].nice = 0; }))).toEqual([
      'scn.json: tasks[0].nice: nice is only for policy "fair"; a "fifo" task has prio 1..99',
    ]);
  });

  it('fair allows nice -20..19 and no prio', () => {
    expect(problems(mutate((d) => { d.tasks[1].nice = 20; }))).toEqual([
      'scn.json: tasks[1].nice: expected an integer -20..19, got 20',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].prio = 10; }))).toEqual([
      'scn.json: tasks[1].prio: prio is only for policy "fifo"; a "fair" task may have nice -20..19',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].policy = 'rr'; }))).toEqual([
      'scn.json: tasks[1].policy: unknown policy "rr" (allowed: fifo, fair)',
    ]);
  });

  it('affinity: in range, distinct, non-empty; cpu inside it', () => {
    expect(problems(mutate((d) => { d.tasks[0].affinity = [0, 2]; }))).toEqual([
      'scn.json: tasks[0].affinity[1]: CPU 2 out of range (the scenario has 2 CPUs: 0..1)',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].affinity = [0, 0]; }))).toEqual([
      'scn.json: tasks[0].affinity[1]: duplicate CPU 0 (also tasks[0].affinity[0])',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].affinity = []; }))).toEqual([
      'scn.json: tasks[0].affinity: must list at least one CPU',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].affinity = [-1]; }))).toEqual([
      'scn.json: tasks[0].affinity[0]: CPU -1 out of range (the scenario has 2 CPUs: 0..1)',
    ]);
    expect(problems(mutate((d) => { d.cpus = 0; d.tasks[0].affinity = [-1, 1.5]; }))).toEqual([
      'scn.json: cpus: expected an integer 1..32, got 0',
      'scn.json: tasks[0].affinity[0]: expected a CPU number 0..31, got -1',
      'scn.json: tasks[0].affinity[1]: expected a CPU number 0..31, got 1.5',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].cpu = 1; }))).toEqual([
      'scn.json: tasks[0].cpu: CPU 1 is not in the task\'s affinity [0]',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].cpu = 5; }))).toEqual([
      'scn.json: tasks[1].cpu: CPU 5 out of range (the scenario has 2 CPUs: 0..1)',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].program[2].cpus = [3]; }))).toEqual([
      'scn.json: tasks[1].program[2].cpus[0]: CPU 3 out of range (the scenario has 2 CPUs: 0..1)',
    ]);
  });

  it('cpus must be an integer 1..32; --cpus overrides and re-checks', () => {
    expect(problems(mutate((d) => { d.cpus = 0; }))).toEqual(['scn.json: cpus: expected an integer 1..32, got 0']);
    expect(problems(mutate((d) => { d.cpus = '2'; }))).toEqual(['scn.json: cpus: expected an integer 1..32, got "2"']);
    expect(problems(base(), { cpus: 1 })).toEqual([
      'scn.json: tasks[1].program[2].cpus[0]: CPU 1 out of range (--cpus 1 overrides the file\'s 2: CPU 0 only)',
      'scn.json: tasks[1].program[3].cpus[1]: CPU 1 out of range (--cpus 1 overrides the file\'s 2: CPU 0 only)',
    ]);
    expect(validateScenario(base(), 'scn.json', { cpus: 8 }).cpus).toBe(8);
  });

  it('task names: unique, non-empty, not "self"', () => {
    expect(problems(mutate((d) => { d.tasks[1].name = 'A'; }))).toEqual([
      'scn.json: tasks[1].name: duplicate task name "A" (also tasks[0])',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].name = ''; }))).toEqual(['scn.json: tasks[1].name: must not be empty']);
    expect(problems(mutate((d) => { d.tasks[1].name = 'self'; }))).toEqual([
      'scn.json: tasks[1].name: "self" is reserved (ops use it for the task running them)',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].name = 'my task'; }))).toEqual([
      'scn.json: tasks[1].name: task name "my task" must not contain spaces or control characters',
    ]);
  });

  it('task references: a declared task or "self"', () => {
    expect(problems(mutate((d) => { d.tasks[1].program[0].body[1].task = 'C'; d.tasks[1].program[2].task = 7; }))).toEqual([
      'scn.json: tasks[1].program[0].body[1].task: unknown task "C" (known: self, A, B)',
      'scn.json: tasks[1].program[2].task: expected a task name or "self", got 7',
    ]);
  });

  it('mutex names unique', () => {
    expect(problems(mutate((d) => { d.mutexes = ['m0', 'm1', 'm0']; }))).toEqual([
      'scn.json: mutexes[2]: duplicate mutex name "m0" (also mutexes[0])',
    ]);
  });

  it('unknown keys, with the allowed ones', () => {
    expect(problems(mutate((d) => { d.priority = 1; d.tasks[0].priority = 3; d.tasks[0].program[0].timeout = '1ms'; }))).toEqual([
      'scn.json: priority: unknown key "priority" (allowed: $schema, name, description, cpus, duration, delayed_dequeue, mutexes, tasks)',
      'scn.json: tasks[0].priority: unknown key "priority" (allowed: name, policy, prio, nice, affinity, cpu, start, program)',
      'scn.json: tasks[0].program[0].timeout: unknown key "timeout" for op "lock" (allowed: op, mutex, critical)',
    ]);
    expect(problems(mutate((d) => { d['my key'] = 1; }))).toEqual([
      'scn.json: ["my key"]: unknown key "my key" (allowed: $schema, name, description, cpus, duration, delayed_dequeue, mutexes, tasks)',
    ]);
  });

  it('missing keys', () => {
    expect(problems({})).toEqual([
      'scn.json: name: missing required key',
      'scn.json: cpus: missing required key',
      'scn.json: mutexes: missing required key (a list of mutex names, [] for none)',
      'scn.json: tasks: missing required key',
    ]);
    expect(problems(mutate((d) => { d.tasks[1] = { name: 'B' }; d.tasks[0].program[0] = { op: 'lock' }; d.tasks[0].program[1] = { for: '1ms' }; }))).toEqual([
      'scn.json: tasks[0].program[0].mutex: missing required key (op "lock" needs: mutex)',
      'scn.json: tasks[0].program[1].op: missing required key (every op has "op": one of run, lock, '
      + 'lock_interruptible, trylock, unlock, sleep, signal, yield, set_affinity, repeat, exit)',
      'scn.json: tasks[1].policy: missing required key (one of: fifo, fair)',
      'scn.json: tasks[1].program: missing required key (a list of ops)',
    ]);
  });

  it('repeat: times >= 1 or -1, body non-empty', () => {
    expect(problems(mutate((d) => { d.tasks[1].program[0].times = 0; }))).toEqual([
      'scn.json: tasks[1].program[0].times: expected an integer 1..2147483647 (a 32-bit program word), or -1 for forever, got 0',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].program[0].times = -2; }))).toEqual([
      'scn.json: tasks[1].program[0].times: expected an integer 1..2147483647 (a 32-bit program word), or -1 for forever, got -2',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].program[0].times = -1; }))).toEqual([]);
    expect(problems(mutate((d) => { d.tasks[1].program[0].body = []; }))).toEqual([
      'scn.json: tasks[1].program[0].body: must not be empty',
    ]);
  });

  it('other field types', () => {
    expect(problems(mutate((d) => { d.delayed_dequeue = 1.5; }))).toEqual([
      'scn.json: delayed_dequeue: expected a probability 0..1, got 1.5',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].program[1].interruptible = 'no'; }))).toEqual([
      'scn.json: tasks[0].program[1].interruptible: expected true or false, got "no"',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].program[3] = 'exit'; }))).toEqual([
      'scn.json: tasks[0].program[3]: expected an op object such as {"op": "run", "for": "1ms"}, got "exit"',
    ]);
    expect(problems(mutate((d) => { d.tasks = []; }))).toEqual(['scn.json: tasks: must list at least one task']);
    expect(problems([])).toEqual(['scn.json: expected a JSON object (the scenario), got an array']);
  });

  it('self-deadlock inside a critical section', () => {
    expect(problems(mutate((d) => {
      d.tasks[0].program[0].critical.push({ op: 'lock', mutex: 'm0' }, { op: 'unlock', mutex: 'm0' }, { op: 'trylock', mutex: 'm0' });
    }))).toEqual([
      'scn.json: tasks[0].program[0].critical[1].mutex: possible recursive locking: mutex "m0" is already held here (locked by tasks[0].program[0]); locking it again would deadlock',
      'scn.json: tasks[0].program[0].critical[2].mutex: unlocks "m0" inside its own critical section (tasks[0].program[0] unlocks it at the end)',
    ]);
  });

  it('repeat nesting is limited to what the program compiler supports', () => {
    const nest = (n: number): Json => {
      let op: Json = { op: 'run', for: '1ms' };
      for (let i = 0; i < n; i++) op = { op: 'repeat', times: 2, body: [op] };
      return op;
    };
    expect(problems(mutate((d) => { d.tasks[1].program = [nest(MAX_LOOP_DEPTH)]; }))).toEqual([]);
    expect(problems(mutate((d) => { d.tasks[1].program = [nest(MAX_LOOP_DEPTH + 2)]; }))).toEqual([
      `scn.json: tasks[1].program[0]${'.body[0]'.repeat(MAX_LOOP_DEPTH)}: repeat nested ${MAX_LOOP_DEPTH + 1} deep `
      + `(at most ${MAX_LOOP_DEPTH} repeats inside one another)`,
    ]);
  });

  it('shape errors found by the schema come with the project\'s JSON path', () => {
    const d = mutate((x) => { x.tasks[1].program[0].body[1] = { op: 'sleep', for: '1ms', interruptible: 1 }; });
    expect(checkScenario(d, 'scn.json').problems).toEqual([{
      file: 'scn.json', path: 'tasks[1].program[0].body[1].interruptible', message: 'expected true or false, got 1',
    }]);
    expect(problems(mutate((x) => { x.tasks[0].program[0].critical[0].for = 5; x.tasks[1].cpu = 1.5; x.name = 7; }))).toEqual([
      'scn.json: name: expected a non-empty string, got 7',
      'scn.json: tasks[0].program[0].critical[0].for: expected a duration string such as "2ms", got 5 (numbers are not accepted: write the unit, e.g. "5ms")',
      'scn.json: tasks[1].cpu: expected a CPU number 0..31, got 1.5',
    ]);
    // CPUs out of range: against the scenario's count when it is known, else the schema's bounds.
    expect(problems(mutate((x) => { x.tasks[1].cpu = 40; }))).toEqual([
      'scn.json: tasks[1].cpu: CPU 40 out of range (the scenario has 2 CPUs: 0..1)',
    ]);
    expect(problems(mutate((x) => { x.cpus = 'two'; x.tasks[1].cpu = 40; }))).toEqual([
      'scn.json: cpus: expected an integer 1..32, got "two"',
      'scn.json: tasks[1].cpu: expected a CPU number 0..31, got 40',
    ]);
    // Every duplicate, not only the first pair.
    expect(problems(mutate((x) => { x.mutexes = ['m0', 'm1', 'm0', 'm1']; }))).toEqual([
      'scn.json: mutexes[2]: duplicate mutex name "m0" (also mutexes[0])',
      'scn.json: mutexes[3]: duplicate mutex name "m1" (also mutexes[1])',
    ]);
  });

  it('unknown keys, ops and policies: did you mean', () => {
    expect(problems(mutate((d) => { d.tasks[0].prioo = 5; d.tasks[0].program[0].mutx = 'm0'; d.tasks[1].program[1].op = 'trylok'; }))).toEqual([
      'scn.json: tasks[0].prioo: unknown key "prioo" (allowed: name, policy, prio, nice, affinity, cpu, start, program); did you mean "prio"?',
      'scn.json: tasks[0].program[0].mutx: unknown key "mutx" for op "lock" (allowed: op, mutex, critical); did you mean "mutex"?',
      'scn.json: tasks[1].program[1].op: unknown op "trylok" (allowed: run, lock, lock_interruptible, trylock, unlock, sleep, '
      + 'signal, yield, set_affinity, repeat, exit); did you mean "trylock"?',
    ]);
    expect(problems(mutate((d) => { d.tasks[0].policy = 'FIFO'; d.delayed_deque = 0.5; }))).toEqual([
      'scn.json: delayed_deque: unknown key "delayed_deque" (allowed: $schema, name, description, cpus, duration, delayed_dequeue, '
      + 'mutexes, tasks); did you mean "delayed_dequeue"?',
      'scn.json: tasks[0].policy: unknown policy "FIFO" (allowed: fifo, fair); did you mean "fifo"?',
    ]);
  });

  it('collects every problem at once (names first, then each task in order)', () => {
    const d = mutate((x) => {
      x.cpus = 2;
      x.mutexes = ['m0', 'm1', 'm0'];
      x.tasks[0].policy = 'fifo';
      x.tasks[0].prio = 100;
      x.tasks[0].nice = 1;
      x.tasks[0].affinity = [0, 4];
      x.tasks[0].program[2].mutex = 'm9';
      x.tasks[0].program.push({ op: 'jump' });
      x.tasks[1].name = 'A';
      x.tasks[1].program[0].body[0].for = '1 ms';
    });
    expect(problems(d)).toEqual([
      'scn.json: mutexes[2]: duplicate mutex name "m0" (also mutexes[0])',
      'scn.json: tasks[1].name: duplicate task name "A" (also tasks[0])',
      'scn.json: tasks[0].prio: expected an integer 1..99, got 100',
      'scn.json: tasks[0].nice: nice is only for policy "fair"; a "fifo" task has prio 1..99',
      'scn.json: tasks[0].affinity[1]: CPU 4 out of range (the scenario has 2 CPUs: 0..1)',
      'scn.json: tasks[0].program[2].mutex: unknown mutex "m9" (known: m0, m1)',
      'scn.json: tasks[0].program[4].op: unknown op "jump" (allowed: run, lock, lock_interruptible, trylock, unlock, sleep, signal, yield, set_affinity, repeat, exit)',
      'scn.json: tasks[1].program[0].body[0].for: invalid duration "1 ms": no space between number and unit: "1ms"',
    ]);
    const r = checkScenario(d, 'scn.json');
    expect(r.scenario).toBeUndefined();
    expect(r.problems[0]).toEqual({ file: 'scn.json', path: 'mutexes[2]', message: 'duplicate mutex name "m0" (also mutexes[0])' });
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proxysim-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const errorOf = (f: () => unknown): ScenarioError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return e as ScenarioError;
    }
    throw new Error('no error');
  };

  it('loads a valid file (with a BOM and $schema)', () => {
    const p = write('ok.json', '\ufeff' + JSON.stringify({ $schema: '../src/workload/scenario.schema.json', ...base() }, null, 2));
    expect(loadScenarioFile(p).name).toBe('demo');
  });

  it('JSON syntax error: line and column', () => {
    const p = write('bad.json', '{\n  "name": "x",\n  "cpus": 2\n  "mutexes": []\n}\n');
    const e = errorOf(() => loadScenarioFile(p));
    expect(e.message).toBe(`${p}:4:3: JSON syntax error: missing "," between properties`);
    expect(e.problems[0]).toMatchObject({ line: 4, column: 3, path: '' });
    expect(e.exitCode).toBe(EXIT.BAD_SCENARIO);
    const msg = (text: string) => errorOf(() => parseScenarioText(text, 'f.json')).message;
    expect(msg('{"name": "x",}')).toBe('f.json:1:14: JSON syntax error: trailing comma is not allowed in JSON');
    expect(msg('{"a": [1 2]}')).toBe('f.json:1:10: JSON syntax error: missing "," between array elements');
    expect(msg('{name: 1}')).toBe('f.json:1:2: JSON syntax error: property names must be in double quotes');
    expect(msg('{"a": 1')).toBe('f.json:1:8: JSON syntax error: unexpected end of file (expected "," or "}" after a property value)');
    expect(msg('// c\n{}')).toBe('f.json:1:1: JSON syntax error: comments are not allowed in JSON');
    expect(msg('')).toBe('f.json:1:1: JSON syntax error: the file is empty (expected a JSON object)');
  });

  it('JSON syntax errors: what was expected, at which line and column', () => {
    const msg = (text: string) => errorOf(() => parseScenarioText(text, 'f.json')).message;
    const doc = (lines: string[]) => lines.join('\n');
    expect(msg(doc(['{', '  "name": "x",', '  "mutexes": ["m0", "m1",],', '  "cpus": 1', '}']))).toBe(
      'f.json:3:26: JSON syntax error: trailing comma is not allowed in JSON');
    expect(msg(doc(['{', '  "name": "x",', '  /* two CPUs */', '  "cpus": 2', '}']))).toBe(
      'f.json:3:3: JSON syntax error: comments are not allowed in JSON');
    expect(msg(doc(['{', '  "name": "x', '}']))).toBe('f.json:2:11: JSON syntax error: unterminated string (strings cannot span lines)');
    expect(msg(doc(['{', "  'name': 'x'", '}']))).toBe('f.json:2:3: JSON syntax error: strings and names must use double quotes in JSON');
    expect(msg('{"cpus": 02}')).toBe('f.json:1:10: JSON syntax error: numbers must not have leading zeros');
    expect(msg('{"cpus": 2.}')).toBe('f.json:1:12: JSON syntax error: unexpected "}" (expected a digit after ".")');
    expect(msg('{"cpus" 2}')).toBe('f.json:1:9: JSON syntax error: unexpected "2" (expected ":" after the property name "cpus")');
    expect(msg('{"a": [1, 2}')).toBe('f.json:1:12: JSON syntax error: unexpected "}" (expected "," or "]" after an array element)');
    expect(msg('{"a": tru}')).toBe(
      'f.json:1:7: JSON syntax error: unexpected word "tru" (strings must be in double quotes; literals are true, false, null)');
    expect(msg('{"a": "\\q"}')).toBe('f.json:1:8: JSON syntax error: invalid escape "\\q" in string');
    expect(msg('{} {}')).toBe('f.json:1:4: JSON syntax error: unexpected "{" after the end of the JSON document');
    expect(msg(`{"a": ${'['.repeat(2000)}${']'.repeat(2000)}}`)).toMatch(/^f\.json:1:\d+: a\[0\]\[0\].*: nested too deeply: more than 128 levels/);
  });

  it('duplicate keys are reported with the other problems', () => {
    const text = '{"name": "x", "cpus": 1, "cpus": 2, "mutexes": [], "tasks": [{"name": "A", "policy": "fifo", "program": []}]}';
    expect(errorOf(() => parseScenarioText(text, 'f.json')).message.split('\n')).toEqual([
      'f.json:1:26: cpus: key "cpus" appears more than once in this object (JSON keeps only the last)',
      'f.json: tasks[0].prio: missing required key (policy "fifo" needs prio 1..99)',
    ]);
  });

  it('missing file', () => {
    const p = join(dir, 'nope.json');
    expect(errorOf(() => loadScenarioFile(p)).message).toBe(`${p}: cannot read file: no such file`);
    expect(errorOf(() => loadScenarioFile(dir)).message).toBe(`${dir}: cannot read file: it is a directory`);
  });

  it('resolveScenario: built-in name, file, unknown name', () => {
    expect(resolveScenario('pi-basic').name).toBe('pi-basic');
    expect(resolveScenario('pi-basic', { cpus: 3 }).cpus).toBe(3);
    const p = write('two.json', JSON.stringify(base()));
    expect(resolveScenario(p).tasks.length).toBe(2);
    expect(errorOf(() => resolveScenario(p, { cpus: 1 })).problems.length).toBe(2);
    expect(errorOf(() => resolveScenario('pi-basci')).message).toBe(
      `pi-basci: no built-in scenario of that name and no such file (built-ins: ${BUILTINS.map((b) => b.name).join(', ')})`);
    expect(errorOf(() => resolveScenario('missing/scn.json')).message).toBe('missing/scn.json: cannot read file: no such file');
    expect(errorOf(() => resolveScenario('chain-3cpu', { cpus: 2 })).message).toBe(
      'builtin:chain-3cpu: cpus: this built-in needs at least 3 CPUs, got --cpus 2');
  });
});


// ---------------------------------------------------------------------------------------------
// scenario.schema.json is what is checked; these tie it to the TypeScript types of scenario.ts and
// to the code's own constants.
// ---------------------------------------------------------------------------------------------

// What scenario.ts declares; tsc fails if these lists and the types part ways.
const SCENARIO_KEYS = ['$schema', 'name', 'description', 'cpus', 'duration', 'delayed_dequeue', 'mutexes', 'tasks'] as const;
const SCENARIO_REQUIRED = ['name', 'cpus', 'mutexes', 'tasks'] as const;
const TASK_KEYS = ['name', 'policy', 'prio', 'nice', 'affinity', 'cpu', 'start', 'program'] as const;
const TASK_REQUIRED = ['name', 'policy', 'program'] as const;
const POLICIES = ['fifo', 'fair'] as const satisfies readonly Policy[];
/** Per op: the keys besides "op" that it requires and that it may have. */
const OP_FIELDS = {
  run: { required: ['for'], optional: [] },
  lock: { required: ['mutex'], optional: ['critical'] },
  lock_interruptible: { required: ['mutex'], optional: ['critical'] },
  trylock: { required: ['mutex'], optional: ['critical'] },
  unlock: { required: ['mutex'], optional: [] },
  sleep: { required: ['for'], optional: ['interruptible'] },
  signal: { required: ['task'], optional: [] },
  yield: { required: [], optional: [] },
  set_affinity: { required: ['cpus'], optional: ['task'] },
  repeat: { required: ['times', 'body'], optional: [] },
  exit: { required: [], optional: [] },
} as const;

type OpName = Op['op'];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type OpKeys<K extends OpName> = Exclude<keyof Extract<Op, { op: K }>, 'op'>;
type FieldsOf<T extends { required: readonly string[]; optional: readonly string[] }> =
  T['required'][number] | T['optional'][number];
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
type Task = Scenario['tasks'][number];
const typeTies: {
  ops: { [K in OpName]: Same<FieldsOf<(typeof OP_FIELDS)[K]>, OpKeys<K>> };
  opsRequired: { [K in OpName]: Same<(typeof OP_FIELDS)[K]['required'][number], Exclude<RequiredKeys<Extract<Op, { op: K }>>, 'op'>> };
  opNames: Same<keyof typeof OP_FIELDS, OpName>;
  scenarioKeys: Same<Exclude<(typeof SCENARIO_KEYS)[number], '$schema'>, keyof Scenario>;
  scenarioRequired: Same<(typeof SCENARIO_REQUIRED)[number], RequiredKeys<Scenario>>;
  taskKeys: Same<(typeof TASK_KEYS)[number], keyof Task>;
  taskRequired: Same<(typeof TASK_REQUIRED)[number], RequiredKeys<Task>>;
  policies: Same<(typeof POLICIES)[number], Policy>;
} = {
  ops: { run: true, lock: true, lock_interruptible: true, trylock: true, unlock: true, sleep: true, signal: true,
    yield: true, set_affinity: true, repeat: true, exit: true },
  opsRequired: { run: true, lock: true, lock_interruptible: true, trylock: true, unlock: true, sleep: true, signal: true,
    yield: true, set_affinity: true, repeat: true, exit: true },
  opNames: true, scenarioKeys: true, scenarioRequired: true, taskKeys: true, taskRequired: true, policies: true,
};
void typeTies;

describe('scenario.schema.json', () => {
  const schema: Json = SCHEMA;
  const defs = schema.$defs;
  const opNames = Object.keys(OP_FIELDS);

  it('is valid draft 2020-12 and strict', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const ajv = new Ajv2020({ ...AJV_OPTIONS, validateSchema: true });
    expect(ajv.validateSchema(schema), ajv.errorsText()).toBe(true);
    expect(schema.additionalProperties).toBe(false);
    expect(defs.task.additionalProperties).toBe(false);
    for (const n of opNames) expect(defs[`op_${n}`].additionalProperties, n).toBe(false);
  });

  it('has the keys of the scenario.ts types (scenario, task, ops) and the same required ones', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...SCENARIO_KEYS].sort());
    expect([...schema.required].sort()).toEqual([...SCENARIO_REQUIRED].sort());
    expect(Object.keys(defs.task.properties).sort()).toEqual([...TASK_KEYS].sort());
    expect([...defs.task.required].sort()).toEqual([...TASK_REQUIRED].sort());
    expect(defs.task.properties.policy.enum).toEqual([...POLICIES]);
    // The op's enum, its if/then branches and the op_<name> definitions name the same ops, in order.
    expect(defs.op.properties.op.enum).toEqual(opNames);
    expect(defs.op.allOf.map((b: Json) => [b.if.properties.op.const, b.then.$ref])).toEqual(opNames.map((n) => [n, `#/$defs/op_${n}`]));
    for (const n of opNames) {
      const f = OP_FIELDS[n as OpName];
      const d = defs[`op_${n}`];
      expect(d.properties.op.const, n).toBe(n);
      expect(Object.keys(d.properties).sort(), n).toEqual(['op', ...f.required, ...f.optional].sort());
      expect([...d.required].sort(), n).toEqual(['op', ...f.required].sort());
    }
  });

  it('has the bounds and syntax the code relies on', () => {
    expect([MIN_CPUS, MAX_CPUS]).toEqual([1, 32]); // a CPU mask is one 32-bit word
    expect(defs.cpu.maximum).toBe(MAX_CPUS - 1);
    expect(defs.duration.pattern).toBe(DURATION_PATTERN.source);
    expect(defs.task.properties.name.not).toEqual({ const: SELF });
  });

  it('the words for messages name nodes of the schema', () => {
    for (const table of [EXPECTED, ITEM, REQUIRED_HINT, NOT_MESSAGE]) {
      for (const pointer of Object.keys(table)) expect(schemaAt(pointer), pointer).toBeDefined();
    }
  });

  it('every built-in scenario satisfies it', () => {
    for (const b of BUILTINS) expect(shapeProblems(JSON.parse(JSON.stringify(b.make({})))), b.name).toEqual([]);
  });

  it('is where the structural rules live (the code does not repeat them)', () => {
    const bad: [string, (d: Json) => void][] = [
      ['unknown top-level key', (d) => { d.extra = 1; }],
      ['unknown task key', (d) => { d.tasks[0].priority = 1; }],
      ['unknown op', (d) => { d.tasks[0].program[0] = { op: 'spin' }; }],
      ['unknown op key', (d) => { d.tasks[0].program[0].timeout = '1ms'; }],
      ['fifo without prio', (d) => { delete d.tasks[0].prio; }],
      ['nice on fifo', (d) => { d.tasks[0].nice = 0; }],
      ['prio on fair', (d) => { d.tasks[1].prio = 3; }],
      ['bad duration', (d) => { d.tasks[0].start = '3'; }],
      ['zero run', (d) => { d.tasks[0].program[0].critical[0].for = '0ms'; }],
      ['repeat 0', (d) => { d.tasks[1].program[0].times = 0; }],
      ['empty body', (d) => { d.tasks[1].program[0].body = []; }],
      ['empty affinity', (d) => { d.tasks[0].affinity = []; }],
      ['duplicate affinity', (d) => { d.tasks[0].affinity = [0, 0]; }],
      ['task named self', (d) => { d.tasks[1].name = 'self'; }],
      ['duplicate mutex', (d) => { d.mutexes = ['m0', 'm0', 'm1']; }],
      ['cpus 33', (d) => { d.cpus = 33; }],
      ['delayed_dequeue 2', (d) => { d.delayed_dequeue = 2; }],
    ];
    for (const [what, f] of bad) {
      const d = mutate(f);
      expect(shapeProblems(d), what).not.toEqual([]);
      expect(problems(d), what).not.toEqual([]);
    }
  });
});
