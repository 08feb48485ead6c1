/**
 * Scenario validation: checks the WHOLE document and collects every problem before throwing one
 * ScenarioError, each problem as `<file>: <json.path>: <message>` (e.g.
 * `scn.json: tasks[2].program[4].mutex: unknown mutex "m9" (known: m0, m1)`).
 *
 * The key tables below (SCENARIO_KEYS, TASK_KEYS, OP_FIELDS, POLICIES) are the single list of what is
 * accepted; compile-time checks tie them to the types in scenario.ts, and a test ties them to
 * scenario.schema.json, so the three cannot drift apart.
 *
 * Besides the fields of `Scenario`, a document may carry a top-level "$schema" string (so editors
 * find scenario.schema.json); it is accepted and dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ScenarioError, type ScenarioProblem } from '../errors.ts';
import { parseDuration } from './duration.ts';
import type { Op, Policy, Scenario } from './scenario.ts';
import { BUILTINS, BUILTIN_FILE_PREFIX, findBuiltin } from './builtin/index.ts';

// ---------------------------------------------------------------------------------------------
// What is accepted (data; the schema test compares these with scenario.schema.json)
// ---------------------------------------------------------------------------------------------

export const MIN_CPUS = 1;
export const MAX_CPUS = 32;
export const FIFO_PRIO = { min: 1, max: 99 } as const;
export const NICE = { min: -20, max: 19 } as const;
/** The name an op uses for the task executing it (signal, set_affinity). */
export const SELF = 'self';

export const POLICIES = ['fifo', 'fair'] as const satisfies readonly Policy[];

export const SCENARIO_KEYS = [
  '$schema', 'name', 'description', 'cpus', 'duration', 'delayed_dequeue', 'mutexes', 'tasks',
] as const;
export const SCENARIO_REQUIRED = ['name', 'cpus', 'mutexes', 'tasks'] as const;

export const TASK_KEYS = ['name', 'policy', 'prio', 'nice', 'affinity', 'cpu', 'start', 'program'] as const;
export const TASK_REQUIRED = ['name', 'policy', 'program'] as const;

/** Per op: the keys besides "op" that it requires and that it may have. */
export const OP_FIELDS = {
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

export type OpName = Op['op'];
export const OP_NAMES = Object.keys(OP_FIELDS) as OpName[];

// --- compile-time ties to scenario.ts: adding a field there without adding it here fails tsc ---
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type OpKeys<K extends OpName> = Exclude<keyof Extract<Op, { op: K }>, 'op'>;
type FieldsOf<T extends { required: readonly string[]; optional: readonly string[] }> =
  T['required'][number] | T['optional'][number];
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
const _opsMatch: { [K in OpName]: true } = null as unknown as {
  [K in OpName]: Same<FieldsOf<(typeof OP_FIELDS)[K]>, OpKeys<K>>
};
const _opsRequiredMatch: { [K in OpName]: true } = null as unknown as {
  [K in OpName]: Same<(typeof OP_FIELDS)[K]['required'][number], Exclude<RequiredKeys<Extract<Op, { op: K }>>, 'op'>>
};
const _opNamesMatch: Same<keyof typeof OP_FIELDS, OpName> = true;
const _scenarioKeysMatch: Same<Exclude<(typeof SCENARIO_KEYS)[number], '$schema'>, keyof Scenario> = true;
const _scenarioRequiredMatch: Same<(typeof SCENARIO_REQUIRED)[number], RequiredKeys<Scenario>> = true;
type Task = Scenario['tasks'][number];
const _taskKeysMatch: Same<(typeof TASK_KEYS)[number], keyof Task> = true;
const _taskRequiredMatch: Same<(typeof TASK_REQUIRED)[number], RequiredKeys<Task>> = true;
void [_opsMatch, _opsRequiredMatch, _opNamesMatch, _scenarioKeysMatch, _scenarioRequiredMatch,
  _taskKeysMatch, _taskRequiredMatch];

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

export interface ValidateOptions {
  /** Overrides the scenario's `cpus` (the CLI's --cpus); affinities and CPUs are checked against it. */
  cpus?: number;
}

/** Validate a parsed scenario document. Throws one ScenarioError listing every problem. */
export function validateScenario(raw: unknown, file: string, opts: ValidateOptions = {}): Scenario {
  const { problems, scenario } = checkScenario(raw, file, opts);
  if (problems.length > 0 || scenario === undefined) throw new ScenarioError(problems);
  return scenario;
}

/** Like validateScenario but returns the problems instead of throwing (the scenario only when
 *  there are none). */
export function checkScenario(
  raw: unknown, file: string, opts: ValidateOptions = {},
): { problems: ScenarioProblem[]; scenario?: Scenario } {
  const v = new Validator(file, opts);
  v.scenario(raw);
  if (v.problems.length > 0) return { problems: v.problems };
  const copy = structuredClone(raw) as Scenario & { $schema?: string };
  delete copy.$schema;
  if (opts.cpus !== undefined) copy.cpus = opts.cpus;
  return { problems: [], scenario: copy };
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a value is shown after "got". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v);
  return String(v);
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function pathKey(path: string, key: string): string {
  if (!IDENT.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function pathIndex(path: string, i: number): string {
  return `${path}[${i}]`;
}

function listText(names: readonly string[]): string {
  return names.join(', ');
}

const NAME_CHARS = /^[^\s\u0000-\u001f\u007f]+$/;

class Validator {
  readonly problems: ScenarioProblem[] = [];
  /** CPU count that affinities are checked against (undefined: unknown, skip range checks). */
  private cpus: number | undefined;
  private cpusNote = '';
  private mutexes: string[] = [];
  private taskNames: string[] = [];

  constructor(private readonly file: string, private readonly opts: ValidateOptions) {}

  private add(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message });
  }

  // --- primitive checks: return the value when valid, undefined (after reporting) otherwise ---

  private unknownKeys(o: Obj, path: string, allowed: readonly string[], what = ''): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        this.add(pathKey(path, k), `unknown key "${k}"${what} (allowed: ${listText(allowed)})`);
      }
    }
  }

  private missing(path: string, hint = ''): void {
    this.add(path, `missing required key${hint}`);
  }

  private string(v: unknown, path: string, nonEmpty: boolean): string | undefined {
    if (typeof v !== 'string') {
      this.add(path, `expected a ${nonEmpty ? 'non-empty ' : ''}string, got ${describeValue(v)}`);
      return undefined;
    }
    if (nonEmpty && v === '') {
      this.add(path, 'must not be empty');
      return undefined;
    }
    return v;
  }

  private name(v: unknown, path: string, what: string): string | undefined {
    const s = this.string(v, path, true);
    if (s === undefined) return undefined;
    if (!NAME_CHARS.test(s)) {
      this.add(path, `${what} ${JSON.stringify(s)} must not contain spaces or control characters`);
      return undefined;
    }
    return s;
  }

  private int(v: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.add(path, `expected an integer ${min}..${max}, got ${describeValue(v)}`);
      return undefined;
    }
    return v;
  }

  private bool(v: unknown, path: string): boolean | undefined {
    if (typeof v !== 'boolean') {
      this.add(path, `expected true or false, got ${describeValue(v)}`);
      return undefined;
    }
    return v;
  }

  /** A duration string; `positive`: must be > 0. Returns ns. */
  private duration(v: unknown, path: string, positive: boolean): number | undefined {
    if (typeof v !== 'string') {
      const hint = typeof v === 'number' ? ` (numbers are not accepted: write the unit, e.g. "${v}ms")` : '';
      this.add(path, `expected a duration string such as "2ms", got ${describeValue(v)}${hint}`);
      return undefined;
    }
    let ns: number;
    try {
      ns = parseDuration(v);
    } catch (e) {
      this.add(path, (e as Error).message);
      return undefined;
    }
    if (positive && ns === 0) {
      this.add(path, `must be greater than 0, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return ns;
  }

  private array(v: unknown, path: string, what: string): unknown[] | undefined {
    if (!Array.isArray(v)) {
      this.add(path, `expected ${what}, got ${describeValue(v)}`);
      return undefined;
    }
    return v;
  }

  private cpuRangeText(): string {
    const n = this.cpus!;
    if (this.cpusNote !== '') return `${this.cpusNote}: ${n === 1 ? 'CPU 0 only' : `CPUs 0..${n - 1}`}`;
    return n === 1 ? 'the scenario has 1 CPU: 0' : `the scenario has ${n} CPUs: 0..${n - 1}`;
  }

  /** A list of distinct CPU numbers, non-empty; returns it when fully valid. */
  private cpuList(v: unknown, path: string): number[] | undefined {
    const arr = this.array(v, path, 'a list of CPU numbers such as [0, 1]');
    if (arr === undefined) return undefined;
    if (arr.length === 0) {
      this.add(path, 'must list at least one CPU');
      return undefined;
    }
    let ok = true;
    const seen = new Map<number, number>();
    arr.forEach((c, i) => {
      const p = pathIndex(path, i);
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) {
        this.add(p, `expected a CPU number (an integer >= 0), got ${describeValue(c)}`);
        ok = false;
        return;
      }
      if (this.cpus !== undefined && c >= this.cpus) {
        this.add(p, `CPU ${c} out of range (${this.cpuRangeText()})`);
        ok = false;
      }
      const prev = seen.get(c);
      if (prev !== undefined) {
        this.add(p, `duplicate CPU ${c} (also ${pathIndex(path, prev)})`);
        ok = false;
      } else {
        seen.set(c, i);
      }
    });
    return ok ? (arr as number[]) : undefined;
  }

  // --- the document ---

  scenario(raw: unknown): void {
    if (!isObject(raw)) {
      this.add('', `expected a JSON object (the scenario), got ${describeValue(raw)}`);
      return;
    }
    this.unknownKeys(raw, '', SCENARIO_KEYS);
    if ('$schema' in raw) this.string(raw.$schema, '$schema', false);

    if (!('name' in raw)) this.missing('name');
    else this.name(raw.name, 'name', 'scenario name');
    if ('description' in raw) this.string(raw.description, 'description', false);

    let fileCpus: number | undefined;
    if (!('cpus' in raw)) this.missing('cpus');
    else fileCpus = this.int(raw.cpus, 'cpus', MIN_CPUS, MAX_CPUS);
    this.cpus = fileCpus;
    if (this.opts.cpus !== undefined) {
      const o = this.opts.cpus;
      if (!Number.isInteger(o) || o < MIN_CPUS || o > MAX_CPUS) {
        this.add('cpus', `--cpus: expected an integer ${MIN_CPUS}..${MAX_CPUS}, got ${describeValue(o)}`);
        this.cpus = undefined;
      } else {
        this.cpus = o;
        if (o !== fileCpus) {
          this.cpusNote = fileCpus === undefined ? `--cpus ${o}` : `--cpus ${o} overrides the file's ${fileCpus}`;
        }
      }
    }

    if ('duration' in raw) this.duration(raw.duration, 'duration', true);
    if ('delayed_dequeue' in raw) {
      const d = raw.delayed_dequeue;
      if (typeof d !== 'number' || !(d >= 0 && d <= 1)) {
        this.add('delayed_dequeue', `expected a probability 0..1, got ${describeValue(d)}`);
      }
    }

    if (!('mutexes' in raw)) this.missing('mutexes', ' (a list of mutex names, [] for none)');
    else this.mutexList(raw.mutexes);

    if (!('tasks' in raw)) this.missing('tasks');
    else this.tasks(raw.tasks);
  }

  private mutexList(v: unknown): void {
    const arr = this.array(v, 'mutexes', 'a list of mutex names such as ["m0", "m1"]');
    if (arr === undefined) return;
    const seen = new Map<string, number>();
    arr.forEach((m, i) => {
      const p = pathIndex('mutexes', i);
      const name = this.name(m, p, 'mutex name');
      if (name === undefined) return;
      const prev = seen.get(name);
      if (prev !== undefined) {
        this.add(p, `duplicate mutex name ${JSON.stringify(name)} (also mutexes[${prev}])`);
        return;
      }
      seen.set(name, i);
      this.mutexes.push(name);
    });
  }

  private tasks(v: unknown): void {
    const arr = this.array(v, 'tasks', 'a list of task objects');
    if (arr === undefined) return;
    if (arr.length === 0) {
      this.add('tasks', 'must list at least one task');
      return;
    }
    // First pass: names (tasks may refer to tasks declared later).
    const seen = new Map<string, number>();
    arr.forEach((t, i) => {
      if (!isObject(t) || !('name' in t)) return;
      const p = pathKey(pathIndex('tasks', i), 'name');
      const name = this.name(t.name, p, 'task name');
      if (name === undefined) return;
      if (name === SELF) {
        this.add(p, `"${SELF}" is reserved (ops use it for the task running them)`);
        return;
      }
      const prev = seen.get(name);
      if (prev !== undefined) {
        this.add(p, `duplicate task name ${JSON.stringify(name)} (also tasks[${prev}])`);
        return;
      }
      seen.set(name, i);
      this.taskNames.push(name);
    });
    arr.forEach((t, i) => this.task(t, pathIndex('tasks', i)));
  }

  private task(t: unknown, path: string): void {
    if (!isObject(t)) {
      this.add(path, `expected a task object such as {"name": "A", "policy": "fair", "program": [...]}, got ${describeValue(t)}`);
      return;
    }
    this.unknownKeys(t, path, TASK_KEYS);
    if (!('name' in t)) this.missing(pathKey(path, 'name'));

    let policy: Policy | undefined;
    if (!('policy' in t)) {
      this.missing(pathKey(path, 'policy'), ` (one of: ${listText(POLICIES)})`);
    } else if (typeof t.policy === 'string' && (POLICIES as readonly string[]).includes(t.policy)) {
      policy = t.policy as Policy;
    } else if (typeof t.policy === 'string') {
      this.add(pathKey(path, 'policy'), `unknown policy ${describeValue(t.policy)} (allowed: ${listText(POLICIES)})`);
    } else {
      this.add(pathKey(path, 'policy'), `expected one of ${listText(POLICIES.map((p) => `"${p}"`))}, got ${describeValue(t.policy)}`);
    }

    const prioPath = pathKey(path, 'prio');
    const nicePath = pathKey(path, 'nice');
    if (policy === 'fifo') {
      if (!('prio' in t)) this.missing(prioPath, ` (policy "fifo" needs prio ${FIFO_PRIO.min}..${FIFO_PRIO.max})`);
      else this.int(t.prio, prioPath, FIFO_PRIO.min, FIFO_PRIO.max);
      if ('nice' in t) {
        this.add(nicePath, `nice is only for policy "fair"; a "fifo" task has prio ${FIFO_PRIO.min}..${FIFO_PRIO.max}`);
      }
    } else if (policy === 'fair') {
      if ('prio' in t) {
        this.add(prioPath, `prio is only for policy "fifo"; a "fair" task may have nice ${NICE.min}..${NICE.max}`);
      }
      if ('nice' in t) this.int(t.nice, nicePath, NICE.min, NICE.max);
    } else {
      // Unknown policy: still check the values' types.
      if ('prio' in t) this.int(t.prio, prioPath, FIFO_PRIO.min, FIFO_PRIO.max);
      if ('nice' in t) this.int(t.nice, nicePath, NICE.min, NICE.max);
    }

    let affinity: number[] | undefined;
    let affinityKnown = true;
    if ('affinity' in t) {
      affinity = this.cpuList(t.affinity, pathKey(path, 'affinity'));
      affinityKnown = affinity !== undefined;
    }
    if ('cpu' in t) {
      const p = pathKey(path, 'cpu');
      const c = t.cpu;
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) {
        this.add(p, `expected a CPU number (an integer >= 0), got ${describeValue(c)}`);
      } else if (this.cpus !== undefined && c >= this.cpus) {
        this.add(p, `CPU ${c} out of range (${this.cpuRangeText()})`);
      } else if (affinityKnown && affinity !== undefined && !affinity.includes(c)) {
        this.add(p, `CPU ${c} is not in the task's affinity [${affinity.join(', ')}]`);
      }
    }
    if ('start' in t) this.duration(t.start, pathKey(path, 'start'), false);

    if (!('program' in t)) {
      this.missing(pathKey(path, 'program'), ' (a list of ops)');
    } else {
      const prog = this.array(t.program, pathKey(path, 'program'), 'a list of ops');
      if (prog !== undefined) this.ops(prog, pathKey(path, 'program'), []);
    }
  }

  private ops(list: unknown[], path: string, held: { mutex: string; at: string }[]): void {
    list.forEach((op, i) => this.op(op, pathIndex(path, i), held));
  }

  private mutexRef(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string') {
      this.add(path, `expected a mutex name, got ${describeValue(v)}`);
      return undefined;
    }
    if (!this.mutexes.includes(v)) {
      const known = this.mutexes.length > 0
        ? `known: ${listText(this.mutexes)}`
        : 'no mutexes are declared; list it in "mutexes"';
      this.add(path, `unknown mutex ${JSON.stringify(v)} (${known})`);
      return undefined;
    }
    return v;
  }

  private taskRef(v: unknown, path: string): void {
    if (typeof v !== 'string') {
      this.add(path, `expected a task name or "${SELF}", got ${describeValue(v)}`);
      return;
    }
    if (v !== SELF && !this.taskNames.includes(v)) {
      this.add(path, `unknown task ${JSON.stringify(v)} (known: ${listText([SELF, ...this.taskNames])})`);
    }
  }

  private op(op: unknown, path: string, held: { mutex: string; at: string }[]): void {
    if (!isObject(op)) {
      this.add(path, `expected an op object such as {"op": "run", "for": "1ms"}, got ${describeValue(op)}`);
      return;
    }
    const opPath = pathKey(path, 'op');
    if (!('op' in op)) {
      this.add(opPath, `missing required key (every op has "op": one of ${listText(OP_NAMES)})`);
      return;
    }
    if (typeof op.op !== 'string') {
      this.add(opPath, `expected an op name (one of ${listText(OP_NAMES)}), got ${describeValue(op.op)}`);
      return;
    }
    if (!Object.hasOwn(OP_FIELDS, op.op)) {
      this.add(opPath, `unknown op ${JSON.stringify(op.op)} (allowed: ${listText(OP_NAMES)})`);
      return;
    }
    const name = op.op as OpName;
    const spec = OP_FIELDS[name];
    const allowed = ['op', ...spec.required, ...spec.optional];
    this.unknownKeys(op, path, allowed, ` for op "${name}"`);
    for (const k of spec.required) {
      if (!(k in op)) this.add(pathKey(path, k), `missing required key (op "${name}" needs: ${listText(spec.required)})`);
    }
    const at = (k: string) => pathKey(path, k);

    switch (name) {
      case 'run':
        if ('for' in op) this.duration(op.for, at('for'), true);
        break;
      case 'sleep':
        if ('for' in op) this.duration(op.for, at('for'), true);
        if ('interruptible' in op) this.bool(op.interruptible, at('interruptible'));
        break;
      case 'lock':
      case 'lock_interruptible':
      case 'trylock': {
        const m = 'mutex' in op ? this.mutexRef(op.mutex, at('mutex')) : undefined;
        const outer = m === undefined ? undefined : held.find((h) => h.mutex === m);
        if (outer !== undefined && name !== 'trylock') {
          this.add(at('mutex'), `mutex ${JSON.stringify(m)} is already held here (locked by ${outer.at}); `
            + 'locking it again would deadlock');
        }
        if ('critical' in op) {
          const body = this.array(op.critical, at('critical'), 'a list of ops (run while the mutex is held)');
          if (body !== undefined) {
            this.ops(body, at('critical'), m === undefined || outer !== undefined ? held : [...held, { mutex: m, at: path }]);
          }
        }
        break;
      }
      case 'unlock': {
        const m = 'mutex' in op ? this.mutexRef(op.mutex, at('mutex')) : undefined;
        const outer = m === undefined ? undefined : held.find((h) => h.mutex === m);
        if (outer !== undefined) {
          this.add(at('mutex'), `unlocks ${JSON.stringify(m)} inside its own critical section (${outer.at} unlocks it at the end)`);
        }
        break;
      }
      case 'signal':
        if ('task' in op) this.taskRef(op.task, at('task'));
        break;
      case 'set_affinity':
        if ('task' in op) this.taskRef(op.task, at('task'));
        if ('cpus' in op) this.cpuList(op.cpus, at('cpus'));
        break;
      case 'repeat': {
        if ('times' in op) {
          const n = op.times;
          if (typeof n !== 'number' || !Number.isInteger(n) || n < -1 || n === 0) {
            this.add(at('times'), `expected an integer >= 1, or -1 for forever, got ${describeValue(n)}`);
          }
        }
        if ('body' in op) {
          const body = this.array(op.body, at('body'), 'a list of ops');
          if (body !== undefined) {
            if (body.length === 0) this.add(at('body'), 'must not be empty');
            else this.ops(body, at('body'), held);
          }
        }
        break;
      }
      case 'yield':
      case 'exit':
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Files and names
// ---------------------------------------------------------------------------------------------

/** Read, parse and validate a scenario file. Every problem (JSON syntax error with its line and
 *  column, duplicate keys, validation problems) is reported as a ScenarioError. */
export function loadScenarioFile(path: string, opts: ValidateOptions = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'it is a directory'
        : code === 'EACCES' ? 'permission denied'
          : (e as Error).message;
    throw new ScenarioError([{ file: path, path: '', message: `cannot read file: ${why}` }]);
  }
  return parseScenarioText(text, path, opts);
}

/** Parse and validate scenario JSON text (`file` names it in messages). */
export function parseScenarioText(text: string, file: string, opts: ValidateOptions = {}): Scenario {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const scan = scanJson(text);
    const err = scan.error ?? { offset: text.length, message: (e as Error).message };
    const { line, column } = lineColumn(text, err.offset);
    throw new ScenarioError([{ file, path: '', line, column, message: `JSON syntax error: ${err.message}` }]);
  }
  const problems: ScenarioProblem[] = scanJson(text).duplicates.map((d) => ({
    file, path: d.path, message: `key "${d.key}" appears more than once in this object (JSON keeps only the last)`,
  }));
  const checked = checkScenario(raw, file, opts);
  problems.push(...checked.problems);
  if (problems.length > 0 || checked.scenario === undefined) throw new ScenarioError(problems);
  return checked.scenario;
}

/**
 * A built-in by name, else a scenario file. `opts.cpus` overrides the CPU count (the built-in is
 * generated for it, or the file is re-checked against it).
 */
export function resolveScenario(nameOrFile: string, opts: { cpus?: number } = {}): Scenario {
  const def = findBuiltin(nameOrFile);
  if (def !== undefined) {
    const file = BUILTIN_FILE_PREFIX + def.name;
    return validateScenario(def.make({ cpus: opts.cpus }), file);
  }
  const looksLikePath = /[\\/]/.test(nameOrFile) || /\.json$/i.test(nameOrFile);
  if (!looksLikePath) {
    const exists = existsSync(nameOrFile);
    if (!exists) {
      throw new ScenarioError([{
        file: nameOrFile, path: '',
        message: `no built-in scenario of that name and no such file (built-ins: ${listText(BUILTINS.map((b) => b.name))})`,
      }]);
    }
  }
  return loadScenarioFile(nameOrFile, { cpus: opts.cpus });
}

// ---------------------------------------------------------------------------------------------
// A small strict JSON scanner: where JSON.parse failed (its messages differ between Node versions
// and often lack a position), and which keys appear twice (JSON.parse silently keeps the last).
// ---------------------------------------------------------------------------------------------

export interface JsonScan {
  error?: { offset: number; message: string };
  duplicates: { path: string; key: string }[];
}

class JsonSyntax {
  constructor(readonly offset: number, readonly message: string) {}
}

export function scanJson(text: string): JsonScan {
  const duplicates: { path: string; key: string }[] = [];
  let i = 0;
  const n = text.length;

  const show = (at: number): string => {
    if (at >= n) return 'end of file';
    const c = text[at];
    if (c === '\n' || c === '\r') return 'end of line';
    return c === '"' ? `'"'` : JSON.stringify(c);
  };
  const fail = (at: number, message: string): never => {
    throw new JsonSyntax(at, message);
  };
  const unexpected = (expected: string): never => {
    const c = text[i];
    if (i >= n) fail(i, `unexpected end of file (expected ${expected})`);
    if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) fail(i, 'comments are not allowed in JSON');
    if (c === "'") fail(i, 'strings and names must use double quotes in JSON');
    return fail(i, `unexpected ${show(i)} (expected ${expected})`);
  };
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };

  const string = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= n) fail(start, 'unterminated string');
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i, 'invalid \\u escape (expected 4 hex digits)');
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === undefined || !(e in map)) fail(i, `invalid escape "\\${e ?? ''}" in string`);
        out += map[e];
        i += 2;
        continue;
      }
      if (c < ' ') {
        fail(i, c === '\n' || c === '\r' ? 'unterminated string (strings cannot span lines)' : 'control character in string (escape it)');
      }
      out += c;
      i++;
    }
  };

  const digits = (what: string) => {
    if (i >= n || text[i] < '0' || text[i] > '9') unexpected(what);
    while (i < n && text[i] >= '0' && text[i] <= '9') i++;
  };

  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') {
      i++;
      if (i < n && text[i] >= '0' && text[i] <= '9') fail(i - 1, 'numbers must not have leading zeros');
    } else {
      digits('a digit');
    }
    if (text[i] === '.') {
      i++;
      digits('a digit after "."');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits('a digit in the exponent');
    }
  };

  const value = (path: string, depth: number) => {
    if (depth > 1000) fail(i, 'nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') return object(path, depth);
    if (c === '[') return array(path, depth);
    if (c === '"') return void string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      fail(i, `unexpected word "${word}" (strings must be in double quotes; literals are true, false, null)`);
    }
    unexpected('a value');
  };

  const object = (path: string, depth: number) => {
    i++; // {
    const seen = new Set<string>();
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') {
        if (text[i] === '}') fail(i, 'trailing comma is not allowed in JSON');
        if (text[i] !== undefined && /[A-Za-z_$]/.test(text[i])) fail(i, 'property names must be in double quotes');
        unexpected('a property name in double quotes');
      }
      const key = string();
      if (seen.has(key)) duplicates.push({ path: pathKey(path, key), key });
      seen.add(key);
      ws();
      if (text[i] !== ':') unexpected(`":" after the property name "${key}"`);
      i++;
      value(pathKey(path, key), depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      if (text[i] === '"') fail(i, 'missing "," between properties');
      unexpected('"," or "}" after a property value');
    }
  };

  const array = (path: string, depth: number) => {
    i++; // [
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let k = 0; ; k++) {
      ws();
      if (text[i] === ']') fail(i, 'trailing comma is not allowed in JSON');
      value(pathIndex(path, k), depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      if (text[i] !== undefined && /["{\[0-9-]/.test(text[i])) fail(i, 'missing "," between array elements');
      unexpected('"," or "]" after an array element');
    }
  };

  try {
    ws();
    if (i >= n) fail(i, 'the file is empty (expected a JSON object)');
    value('', 0);
    ws();
    if (i < n) fail(i, `unexpected ${show(i)} after the end of the JSON document`);
  } catch (e) {
    if (e instanceof JsonSyntax) return { error: { offset: e.offset, message: e.message }, duplicates };
    throw e;
  }
  return { duplicates };
}

/** 1-based line and column (in UTF-16 code units) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
