import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, ScenarioError } from '../../src/errors.ts';
import { BUILTINS } from '../../src/workload/builtin/index.ts';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../../src/workload/duration.ts';
import {
  FIFO_PRIO, MAX_CPUS, NICE, OP_FIELDS, OP_NAMES, POLICIES, SCENARIO_KEYS, SCENARIO_REQUIRED, TASK_KEYS,
  TASK_REQUIRED, checkScenario, loadScenarioFile, parseScenarioText, resolveScenario, validateScenario,
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
      'scn.json: tasks[0].affinity[0]: expected a CPU number (an integer >= 0), got -1',
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
      'scn.json: tasks[1].program[0].times: expected an integer >= 1, or -1 for forever, got 0',
    ]);
    expect(problems(mutate((d) => { d.tasks[1].program[0].times = -2; }))).toEqual([
      'scn.json: tasks[1].program[0].times: expected an integer >= 1, or -1 for forever, got -2',
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
      'scn.json: tasks[0].program[0].critical[1].mutex: mutex "m0" is already held here (locked by tasks[0].program[0]); locking it again would deadlock',
      'scn.json: tasks[0].program[0].critical[2].mutex: unlocks "m0" inside its own critical section (tasks[0].program[0] unlocks it at the end)',
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

  it('duplicate keys are reported with the other problems', () => {
    const text = '{"name": "x", "cpus": 1, "cpus": 2, "mutexes": [], "tasks": [{"name": "A", "policy": "fifo", "program": []}]}';
    expect(errorOf(() => parseScenarioText(text, 'f.json')).message.split('\n')).toEqual([
      'f.json: cpus: key "cpus" appears more than once in this object (JSON keeps only the last)',
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
// scenario.schema.json must describe exactly what validate.ts accepts.
// ---------------------------------------------------------------------------------------------

const schema: Json = JSON.parse(readFileSync(new URL('../../src/workload/scenario.schema.json', import.meta.url), 'utf8'));

/** A minimal JSON Schema (2020-12) checker for the keywords scenario.schema.json uses; it throws on
 *  any other keyword, so the schema cannot grow features this test silently ignores. */
function schemaErrors(value: unknown, s: Json = schema, path = '$'): string[] {
  if (s === true) return [];
  if (s === false) return [`${path}: not allowed`];
  const errs: string[] = [];
  const known = new Set(['$schema', '$id', 'title', 'description', '$defs', '$ref', 'type', 'enum', 'const',
    'properties', 'required', 'additionalProperties', 'items', 'minItems', 'uniqueItems', 'minimum', 'maximum',
    'minLength', 'pattern', 'not', 'allOf', 'oneOf', 'if', 'then']);
  for (const k of Object.keys(s)) if (!known.has(k)) throw new Error(`schema keyword ${k} not supported by the test checker`);
  if (s.$ref !== undefined) {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    if (m === null) throw new Error(`unsupported $ref ${s.$ref}`);
    errs.push(...schemaErrors(value, schema.$defs[m[1]], path));
  }
  const isObj = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (s.type !== undefined) {
    const ok = s.type === 'object' ? isObj
      : s.type === 'array' ? Array.isArray(value)
        : s.type === 'integer' ? Number.isInteger(value)
          : s.type === 'number' ? typeof value === 'number'
            : s.type === 'string' ? typeof value === 'string'
              : s.type === 'boolean' ? typeof value === 'boolean' : false;
    if (!ok) return [...errs, `${path}: expected ${s.type}`];
  }
  if (s.enum !== undefined && !s.enum.includes(value)) errs.push(`${path}: not in enum`);
  if ('const' in s && s.const !== value) errs.push(`${path}: not const ${s.const}`);
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) errs.push(`${path}: < minimum`);
    if (s.maximum !== undefined && value > s.maximum) errs.push(`${path}: > maximum`);
  }
  if (typeof value === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength) errs.push(`${path}: too short`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) errs.push(`${path}: pattern`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) errs.push(`${path}: too few items`);
    if (s.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errs.push(`${path}: not unique`);
    if (s.items !== undefined) value.forEach((v, i) => errs.push(...schemaErrors(v, s.items, `${path}[${i}]`)));
  }
  if (isObj) {
    const o = value as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errs.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(o)) {
      if (s.properties?.[k] !== undefined) errs.push(...schemaErrors(v, s.properties[k], `${path}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}: additional property ${k}`);
    }
  }
  for (const sub of s.allOf ?? []) errs.push(...schemaErrors(value, sub, path));
  if (s.oneOf !== undefined) {
    const n = s.oneOf.filter((sub: Json) => schemaErrors(value, sub, path).length === 0).length;
    if (n !== 1) errs.push(`${path}: matches ${n} of oneOf`);
  }
  if (s.not !== undefined && schemaErrors(value, s.not, path).length === 0) errs.push(`${path}: matches not`);
  if (s.if !== undefined && schemaErrors(value, s.if, path).length === 0 && s.then !== undefined) {
    errs.push(...schemaErrors(value, s.then, path));
  }
  return errs;
}

describe('scenario.schema.json', () => {
  const defs = schema.$defs;
  const opBranches: Json[] = defs.op.oneOf.map((b: Json) => defs[b.$ref.replace('#/$defs/', '')]);

  it('is draft 2020-12 and strict', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(defs.task.additionalProperties).toBe(false);
    for (const b of opBranches) expect(b.additionalProperties).toBe(false);
  });

  it('has the keys validate.ts accepts (scenario, task, ops) and the same required ones', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...SCENARIO_KEYS].sort());
    expect([...schema.required].sort()).toEqual([...SCENARIO_REQUIRED].sort());
    expect(Object.keys(defs.task.properties).sort()).toEqual([...TASK_KEYS].sort());
    expect([...defs.task.required].sort()).toEqual([...TASK_REQUIRED].sort());
    expect(defs.task.properties.policy.enum).toEqual([...POLICIES]);
    expect(defs.op.properties.op.enum).toEqual(OP_NAMES);
    expect(opBranches.map((b) => b.properties.op.const)).toEqual(OP_NAMES);
    for (const b of opBranches) {
      const name = b.properties.op.const as keyof typeof OP_FIELDS;
      const f = OP_FIELDS[name];
      expect(Object.keys(b.properties).sort(), name).toEqual(['op', ...f.required, ...f.optional].sort());
      expect([...b.required].sort(), name).toEqual(['op', ...f.required].sort());
    }
  });

  it('has the same bounds and duration syntax', () => {
    expect([schema.properties.cpus.minimum, schema.properties.cpus.maximum]).toEqual([1, MAX_CPUS]);
    expect(defs.cpu.maximum).toBe(MAX_CPUS - 1);
    expect([defs.task.properties.prio.minimum, defs.task.properties.prio.maximum]).toEqual([FIFO_PRIO.min, FIFO_PRIO.max]);
    expect([defs.task.properties.nice.minimum, defs.task.properties.nice.maximum]).toEqual([NICE.min, NICE.max]);
    expect(defs.duration.pattern).toBe(DURATION_PATTERN.source);
    for (const s of ['250us', '2ms', '1.5s', '100ns', '0ms']) expect(schemaErrors(s, defs.duration)).toEqual([]);
    for (const s of ['5', '2 ms', '1m', '.5ms', '-1ms']) expect(schemaErrors(s, defs.duration)).not.toEqual([]);
    expect(schemaErrors('0.00s', defs.positiveDuration)).not.toEqual([]);
  });

  it('every built-in scenario satisfies the schema', () => {
    for (const b of BUILTINS) {
      const doc = JSON.parse(JSON.stringify(b.make({})));
      expect(schemaErrors(doc), b.name).toEqual([]);
    }
  });

  it('example files satisfy the schema and validate', () => {
    const examples: Json[] = [
      base(),
      {
        $schema: './scenario.schema.json',
        name: 'two-owners', description: 'example', cpus: 4, duration: '500ms', delayed_dequeue: 0.5,
        mutexes: ['a', 'b'],
        tasks: [
          { name: 'o1', policy: 'fair', affinity: [2, 3], program: [{ op: 'repeat', times: -1, body: [{ op: 'lock', mutex: 'a', critical: [{ op: 'sleep', for: '1ms' }] }] }] },
          { name: 'd1', policy: 'fifo', prio: 99, affinity: [0], start: '250us', program: [{ op: 'lock_interruptible', mutex: 'a' }, { op: 'unlock', mutex: 'a' }, { op: 'set_affinity', cpus: [1] }] },
        ],
      },
    ];
    for (const ex of examples) {
      expect(schemaErrors(ex)).toEqual([]);
      expect(() => validateScenario(ex, 'example.json')).not.toThrow();
    }
  });

  it('rejects what validate.ts rejects structurally', () => {
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
      expect(schemaErrors(d), what).not.toEqual([]);
      expect(problems(d), what).not.toEqual([]);
    }
  });
});
