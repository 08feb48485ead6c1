/**
 * Scenario validation: checks the WHOLE document and collects every problem before throwing one
 * ScenarioError, each problem as `<file>: <json.path>: <message>` (e.g.
 * `scn.json: tasks[2].program[4].mutex: unknown mutex "m9" (known: m0, m1)`).
 *
 * Two layers:
 *   - the shape (types, required and unknown keys, enums, ranges, list lengths) is scenario.schema.json,
 *     checked with ajv (schema-check.ts turns ajv's errors into these messages);
 *   - what a schema cannot say is checked here: mutex and task references, unique task names, CPUs
 *     against the scenario's (or --cpus) count, lock nesting, repeat depth, duration precision.
 * When both find something at one path, the message from here is kept (it knows the scenario).
 *
 * Files are parsed with jsonc-parser in strict JSON mode (no comments, no trailing commas); syntax
 * errors are reported with their line and column, and keys that appear twice are reported too.
 *
 * Besides the fields of `Scenario`, a document may carry a top-level "$schema" string (so editors
 * find scenario.schema.json); it is accepted and dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { getLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { ScenarioError, type ScenarioProblem } from '../errors.ts';
import { parseDuration } from './duration.ts';
import { MAX_LOOP_DEPTH, MAX_OP_NESTING, MAX_PROGRAM_OPS, MAX_WORD, durationWord } from './program.ts';
import type { Scenario } from './scenario.ts';
import {
  SCHEMA, compareOrderKeys, describeValue, formatPath, orderKey, parsePath, pathIndex, pathKey,
  shapeProblems, type PathSegment, type SchemaNode, type PathProblem,
} from './schema-check.ts';
import { clip, quote } from '../messages.ts';
import { BUILTINS, BUILTIN_FILE_PREFIX, findBuiltin } from './builtin/index.ts';

export { describeValue, pathIndex, pathKey } from './schema-check.ts';

const CPUS = SCHEMA.properties!.cpus as SchemaNode;
/** CPU count bounds, as the schema states them (the CLI's --cpus uses them too). */
export const MIN_CPUS: number = CPUS.minimum!;
export const MAX_CPUS: number = CPUS.maximum!;
/** Mutexes and tasks a scenario may have, as the schema states them. 64 mutexes: football at 32
 *  CPUs has two per CPU. (Tasks and mutexes are 16-bit lock indices for lockdep; every task has a
 *  slot in each mutex's wait list and each CPU's queue, so the arena grows as tasks x (mutexes + CPUs).) */
export const MAX_MUTEXES: number = (SCHEMA.properties!.mutexes as SchemaNode).maxItems!;
export const MAX_TASKS: number = (SCHEMA.properties!.tasks as SchemaNode).maxItems!;
/** Objects and arrays inside one another in a scenario document: enough for MAX_OP_NESTING ops
 *  inside one another (two levels each), refused before anything recursive walks the document. */
export const MAX_NESTING = 128;
/** Problems listed at most; the rest are counted on one last line. */
export const MAX_PROBLEMS = 100;
/** Largest scenario file read. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** The name an op uses for the task executing it (signal, set_affinity); the schema refuses it as a task name. */
export const SELF = 'self';

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
  const deep = tooDeep(raw);
  if (deep !== undefined) return { problems: [{ file, path: deep, message: NESTED_TOO_DEEPLY }] };
  const shape = shapeProblems(raw);
  // Every path at or above a shape problem: the semantic checks skip those values.
  const bad = new Set<string>();
  for (const p of shape) {
    let at = '';
    for (const seg of parsePath(p.path)) bad.add(at = typeof seg === 'number' ? pathIndex(at, seg) : pathKey(at, seg));
  }
  const sem = new Semantics(opts, (path) => bad.has(path));
  sem.scenario(raw);
  const semPaths = new Set(sem.problems.map((p) => p.path));
  const all = [...shape.filter((p) => !semPaths.has(p.path)), ...sem.problems];
  if (all.length > 0) return { problems: capped(inDocumentOrder(all, raw)).map((p) => ({ file, ...p })) };
  const copy = structuredClone(raw) as Scenario & { $schema?: string };
  delete copy.$schema;
  if (opts.cpus !== undefined) copy.cpus = opts.cpus;
  return { problems: [], scenario: copy };
}

const NESTED_TOO_DEEPLY = `nested too deeply: more than ${MAX_NESTING} levels of objects and arrays `
  + `(ops may be nested at most ${MAX_OP_NESTING} deep)`;

/** The path of the first object or array nested more than MAX_NESTING deep in a parsed document
 *  (a cycle counts as infinitely deep), without recursing. */
function tooDeep(raw: unknown): string | undefined {
  const stack: { v: unknown; segs: PathSegment[] }[] = [{ v: raw, segs: [] }];
  while (stack.length > 0) {
    const { v, segs } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (segs.length >= MAX_NESTING) return shortPath(formatPath(segs));
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], segs: [...segs, i] });
    else for (const k of Object.keys(v).reverse()) stack.push({ v: (v as Obj)[k], segs: [...segs, k] });
  }
  return undefined;
}

/** A path cut in the middle when it is very long (a deeply nested one). */
function shortPath(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 80)}…${path.slice(-110)}`;
}

/** At most MAX_PROBLEMS problems, the rest counted. */
function capped(problems: PathProblem[]): PathProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS),
    { path: '', message: `${problems.length - MAX_PROBLEMS} more problems not shown (the first ${MAX_PROBLEMS} are above)` }];
}

/** Schema key order, list order; task names before the rest of the tasks (ops refer to tasks
 *  declared later, so a duplicate name explains problems further down). */
function inDocumentOrder(problems: PathProblem[], raw: unknown): PathProblem[] {
  const keyed = problems.map((p) => {
    const segs = parsePath(p.path);
    const key = orderKey(raw, segs);
    if (segs[0] === 'tasks' && segs.length >= 2) key.splice(1, 0, segs.length >= 3 && segs[2] === 'name' ? 0 : 1);
    return { p, key };
  });
  return keyed.sort((a, b) => compareOrderKeys(a.key, b.key)).map((k) => k.p);
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The checks a schema cannot express. Values of the wrong type are skipped: the schema reports them. */
class Semantics {
  readonly problems: PathProblem[] = [];
  /** CPU count that CPUs are checked against (undefined: unknown, skip range checks). */
  private cpus: number | undefined;
  private cpusNote = '';
  /** The valid mutex names (undefined: "mutexes" is not a list, so references are not checked). */
  private mutexes: string[] | undefined;
  private taskNames: string[] = [];
  private readonly taskNameSet = new Set<string>();
  /** Lock order seen in nested critical sections: "a\0b" -> per task index, the first place that
   *  takes b (blocking) while holding a. */
  private readonly order = new Map<string, Map<number, LockOrder>>();
  private readonly orderList: LockOrder[] = [];
  /** The task being checked (index, name) and its compiled op count. */
  private task_ = { index: -1, name: '' };
  private progOps = 0;

  constructor(private readonly opts: ValidateOptions, private readonly shapeBad: (path: string) => boolean) {}

  private add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  scenario(raw: unknown): void {
    if (!isObject(raw)) return;
    const fileCpus = typeof raw.cpus === 'number' && !this.shapeBad('cpus') ? raw.cpus : undefined;
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
    if (typeof raw.duration === 'string') this.duration(raw.duration, 'duration');
    if (Array.isArray(raw.mutexes)) {
      this.mutexes = raw.mutexes.filter((m, i): m is string => typeof m === 'string' && !this.shapeBad(pathIndex('mutexes', i)));
      this.mutexSet = new Set(this.mutexes);
    }
    if (Array.isArray(raw.tasks)) {
      this.tasks(raw.tasks);
      this.lockOrder();
    }
  }

  private mutexSet = new Set<string>();

  /**
   * lockdep's "possible circular locking dependency", for what a program shows statically: task X
   * takes b inside its critical section of a, task Y takes a inside its critical section of b;
   * each can hold one and wait for the other (ABBA). Reported at the later task's inner lock.
   */
  private lockOrder(): void {
    for (const e of this.orderList) {
      const reverse = this.order.get(`${e.taken}\0${e.held}`);
      if (reverse === undefined) continue;
      let other: LockOrder | undefined;
      for (const [task, f] of reverse) if (task < e.task && (other === undefined || task < other.task)) other = f;
      if (other === undefined) continue;
      this.add(e.at, `possible circular locking dependency: takes ${quote(e.taken)} while holding ${quote(e.held)} `
        + `(locked at ${e.heldAt}), but task ${quote(other.taskName)} takes ${quote(other.taken)} while holding `
        + `${quote(other.held)} (${other.at}): each can hold one and wait for the other (ABBA deadlock)`);
    }
  }

  /** parseDuration says what is wrong with a duration (in the words the shape check uses for what the
   *  schema's pattern refuses), and refuses what the pattern accepts but a run cannot use ("1.5ns"). */
  private duration(v: string, path: string): void {
    try {
      parseDuration(v);
    } catch (e) {
      this.add(path, (e as Error).message);
    }
  }

  private cpuRangeText(): string {
    const n = this.cpus!;
    if (this.cpusNote !== '') return `${this.cpusNote}: ${n === 1 ? 'CPU 0 only' : `CPUs 0..${n - 1}`}`;
    return n === 1 ? 'the scenario has 1 CPU: 0' : `the scenario has ${n} CPUs: 0..${n - 1}`;
  }

  /** A CPU number against the CPU count; false when out of range. */
  private cpu(c: unknown, path: string): boolean {
    if (typeof c !== 'number' || !Number.isInteger(c) || this.cpus === undefined) return true;
    if (c >= 0 && c < this.cpus) return true;
    this.add(path, `CPU ${c} out of range (${this.cpuRangeText()})`);
    return false;
  }

  /** A list of CPU numbers; returns it when it is fully valid (schema and range). */
  private cpuList(v: unknown, path: string): number[] | undefined {
    if (!Array.isArray(v)) return undefined;
    let ok = !this.shapeBad(path);
    v.forEach((c, i) => { ok = this.cpu(c, pathIndex(path, i)) && ok; });
    return ok ? (v as number[]) : undefined;
  }

  private tasks(list: unknown[]): void {
    // First pass: names (tasks may refer to tasks declared later).
    const seen = new Map<string, number>();
    list.forEach((t, i) => {
      const p = pathKey(pathIndex('tasks', i), 'name');
      if (!isObject(t) || typeof t.name !== 'string' || this.shapeBad(p)) return;
      const prev = seen.get(t.name);
      if (prev !== undefined) {
        this.add(p, `duplicate task name ${quote(t.name)} (also tasks[${prev}])`);
        return;
      }
      seen.set(t.name, i);
      this.taskNames.push(t.name);
      this.taskNameSet.add(t.name);
    });
    list.forEach((t, i) => {
      this.task_ = { index: i, name: isObject(t) && typeof t.name === 'string' ? t.name : `tasks[${i}]` };
      this.task(t, pathIndex('tasks', i));
    });
  }

  private task(t: unknown, path: string): void {
    if (!isObject(t)) return;
    const affinity = 'affinity' in t ? this.cpuList(t.affinity, pathKey(path, 'affinity')) : undefined;
    if ('cpu' in t) {
      const p = pathKey(path, 'cpu');
      if (this.cpu(t.cpu, p) && affinity !== undefined && typeof t.cpu === 'number' && !affinity.includes(t.cpu)) {
        this.add(p, `CPU ${t.cpu} is not in the task's affinity [${affinity.join(', ')}]`);
      }
    }
    if (typeof t.start === 'string') this.duration(t.start, pathKey(path, 'start'));
    if (Array.isArray(t.program)) {
      const p = pathKey(path, 'program');
      this.progOps = 1; // END
      this.ops(t.program, p, [], 0, 0);
      if (this.progOps > MAX_PROGRAM_OPS) {
        this.add(p, `the program compiles to ${this.progOps} ops, more than ${MAX_PROGRAM_OPS} (a lock with "critical" `
          + 'and a repeat count two, the end one more); split the work with "repeat"');
      }
    }
  }

  /** `depth`: how many ops enclose these (critical sections and repeat bodies). */
  private ops(list: unknown[], path: string, held: Held[], repeats: number, depth: number): void {
    list.forEach((op, i) => this.op(op, pathIndex(path, i), held, repeats, depth));
  }

  private mutexRef(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string' || this.mutexes === undefined) return undefined;
    if (!this.mutexSet.has(v)) {
      const known = this.mutexes.length > 0
        ? `known: ${list(this.mutexes)}`
        : 'no mutexes are declared; list it in "mutexes"';
      this.add(path, `unknown mutex ${quote(v)} (${known})`);
      return undefined;
    }
    return v;
  }

  private taskRef(v: unknown, path: string): void {
    if (typeof v === 'string' && v !== SELF && !this.taskNameSet.has(v)) {
      this.add(path, `unknown task ${quote(v)} (known: ${list([SELF, ...this.taskNames])})`);
    }
  }

  /** A run or sleep duration: valid, and within the program word that holds its µs. */
  private opDuration(v: string, path: string): void {
    const before = this.problems.length;
    this.duration(v, path);
    if (this.problems.length === before && durationWord(v) > MAX_WORD) {
      this.add(path, `${quote(v)} is too long: at most ${MAX_WORD}us (${MAX_WORD / 1e6}s), what a 32-bit program word of µs holds`);
    }
  }

  /** `repeats`: how many repeat ops enclose this one (the program compiler allows MAX_LOOP_DEPTH);
   *  `depth`: how many ops enclose it (at most MAX_OP_NESTING). */
  private op(op: unknown, path: string, held: Held[], repeats: number, depth: number): void {
    if (!isObject(op)) return;
    const at = (k: string) => pathKey(path, k);
    const key = 'critical' in op ? 'critical' : 'body';
    const inner = op[key];
    if (depth + 1 === MAX_OP_NESTING && Array.isArray(inner) && inner.length > 0) {
      // (the ops inside are not looked at: nothing deeper is walked)
      this.add(at(key), `ops nested ${MAX_OP_NESTING + 1} deep (at most ${MAX_OP_NESTING} ops inside one another)`);
      return;
    }
    this.progOps++;
    switch (op.op) {
      case 'run':
      case 'sleep':
        if (typeof op.for === 'string') this.opDuration(op.for, at('for'));
        break;
      case 'lock':
      case 'lock_interruptible':
      case 'trylock': {
        const m = this.mutexRef(op.mutex, at('mutex'));
        const outer = m === undefined ? undefined : held.find((h) => h.mutex === m);
        if (outer !== undefined && op.op !== 'trylock') {
          this.add(at('mutex'), `possible recursive locking: mutex ${quote(m!)} is already held here (locked by ${outer.at}); `
            + 'locking it again would deadlock');
        }
        if (m !== undefined && outer === undefined && op.op !== 'trylock') {
          for (const h of held) this.lockTaken(h, m, at('mutex'));
        }
        if (Array.isArray(op.critical)) {
          this.progOps++; // the unlock at its end
          const nested = m === undefined || outer !== undefined ? held : [...held, { mutex: m, at: path }];
          this.ops(op.critical, at('critical'), nested, repeats, depth + 1);
        }
        break;
      }
      case 'unlock': {
        const m = this.mutexRef(op.mutex, at('mutex'));
        const outer = m === undefined ? undefined : held.find((h) => h.mutex === m);
        if (outer !== undefined) {
          this.add(at('mutex'), `unlocks ${quote(m!)} inside its own critical section (${outer.at} unlocks it at the end)`);
        }
        break;
      }
      case 'signal':
        this.taskRef(op.task, at('task'));
        break;
      case 'set_affinity':
        this.taskRef(op.task, at('task'));
        this.cpuList(op.cpus, at('cpus'));
        break;
      case 'repeat':
        this.progOps++; // its LOOP_END
        if (repeats === MAX_LOOP_DEPTH) {
          this.add(path, `repeat nested ${repeats + 1} deep (at most ${MAX_LOOP_DEPTH} repeats inside one another)`);
        }
        if (Array.isArray(op.body)) this.ops(op.body, at('body'), held, repeats + 1, depth + 1);
        break;
    }
  }

  /** Task records taking `taken` (blocking) while holding `h`: the lock order lockOrder() checks. */
  private lockTaken(h: Held, taken: string, at: string): void {
    const key = `${h.mutex}\0${taken}`;
    let byTask = this.order.get(key);
    if (byTask === undefined) this.order.set(key, byTask = new Map());
    if (byTask.has(this.task_.index)) return;
    const e: LockOrder = { held: h.mutex, taken, heldAt: h.at, at, task: this.task_.index, taskName: this.task_.name };
    byTask.set(this.task_.index, e);
    this.orderList.push(e);
  }
}

/** A mutex held in an enclosing critical section, and the lock op that took it. */
interface Held { mutex: string; at: string }

/** A task takes `taken` (at `at`) while holding `held` (taken at `heldAt`). */
interface LockOrder { held: string; taken: string; heldAt: string; at: string; task: number; taskName: string }

/** Names for a message: each cut, at most 20 of them. */
function list(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => clip(n)).join(', ');
  return names.length > 20 ? `${shown}, … (${names.length} in all)` : shown;
}

// ---------------------------------------------------------------------------------------------
// Files and names
// ---------------------------------------------------------------------------------------------

/** Read, parse and validate a scenario file. Every problem (JSON syntax error with its line and
 *  column, duplicate keys, validation problems) is reported as a ScenarioError. */
export function loadScenarioFile(path: string, opts: ValidateOptions = {}): Scenario {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'it is a directory'
        : code === 'EACCES' ? 'permission denied'
          : (e as Error).message;
    throw new ScenarioError([{ file: path, path: '', message: `cannot read file: ${why}` }]);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    throw new ScenarioError([{ file: path, path: '', message: `the file is ${bytes.length} bytes, more than ${MAX_FILE_BYTES} (16 MiB)` }]);
  }
  return parseScenarioText(decodeUtf8(bytes, path), path, opts);
}

/** The file's text; bytes that are not UTF-8 are an error (never silently U+FFFD). */
function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = invalidUtf8At(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, at));
    const { line, column } = lineColumn(before, before.length);
    throw new ScenarioError([{
      file, path: '', line, column,
      message: `not valid UTF-8: byte 0x${bytes[at].toString(16).padStart(2, '0')} at offset ${at} `
        + 'does not start or continue a UTF-8 character; save the file as UTF-8',
    }]);
  }
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629). */
function invalidUtf8At(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const x = b[i];
    let n: number; let lo = 0x80; let hi = 0xbf;
    if (x < 0x80) { i++; continue; }
    if (x >= 0xc2 && x <= 0xdf) n = 1;
    else if (x >= 0xe0 && x <= 0xef) { n = 2; if (x === 0xe0) lo = 0xa0; if (x === 0xed) hi = 0x9f; }
    else if (x >= 0xf0 && x <= 0xf4) { n = 3; if (x === 0xf0) lo = 0x90; if (x === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= n; k++) {
      const y = b[i + k];
      if (y === undefined || y < (k === 1 ? lo : 0x80) || y > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** Strict JSON: jsonc-parser's extensions off. */
const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;


/** Parse and validate scenario JSON text (`file` names it in messages). */
export function parseScenarioText(text: string, file: string, opts: ValidateOptions = {}): Scenario {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const syntax = (offset: number, message: string): ScenarioError => {
    const { line, column } = lineColumn(text, offset);
    return new ScenarioError([{ file, path: '', line, column, message: `JSON syntax error: ${message}` }]);
  };
  // Before anything that recurses (jsonc-parser, JSON.parse, ajv, the checks) sees the text.
  const deep = nestedTooDeeply(text);
  if (deep !== undefined) {
    throw new ScenarioError([{ file, path: shortPath(deep.path), ...lineColumn(text, deep.offset), message: NESTED_TOO_DEEPLY }]);
  }
  const errors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, errors, STRICT_JSON);
  } catch (e) {
    if (e instanceof RangeError) throw syntax(0, 'nested too deeply');
    throw e;
  }
  if (errors.length > 0 || root === undefined) {
    const err = syntaxError(text, errors[0], root);
    throw syntax(err.offset, err.message);
  }
  const problems: ScenarioProblem[] = [];
  walkTree(root, '', (path, key, keyNode) => {
    if (problems.length >= MAX_PROBLEMS) return;
    const { line, column } = lineColumn(text, keyNode.offset);
    problems.push({
      file, path, line, column, message: `key ${quote(key)} appears more than once in this object (JSON keeps only the last)`,
    });
  });
  // JSON.parse, not jsonc-parser's getNodeValue: a key "__proto__" stays a key (an unknown one).
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw syntax(0, clip((e as Error).message, 200));
  }
  const checked = checkScenario(value, file, opts);
  problems.push(...checked.problems);
  if (problems.length > 0 || checked.scenario === undefined) throw new ScenarioError(problems);
  return checked.scenario;
}

/** Reports every key that appears twice in one object (the later one). (The document is at most
 *  MAX_NESTING deep: nestedTooDeeply checked it.) */
function walkTree(node: Node, path: string, duplicate: (path: string, key: string, keyNode: Node) => void): void {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const [keyNode, value] = prop.children ?? [];
      const key = String(keyNode.value);
      const p = pathKey(path, key);
      if (seen.has(key)) duplicate(p, key, keyNode);
      seen.add(key);
      if (value !== undefined) walkTree(value, p, duplicate);
    }
  } else if (node.type === 'array') {
    for (const [i, child] of (node.children ?? []).entries()) walkTree(child, pathIndex(path, i), duplicate);
  }
}

/**
 * The first object or array nested more than MAX_NESTING deep in JSON text, with its path and
 * offset; found by a scan that does not recurse (and tolerates syntax errors: they are reported
 * later, by the parser).
 */
function nestedTooDeeply(text: string): { path: string; offset: number } | undefined {
  const stack: { obj: boolean; key: string; index: number }[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.obj && expectKey) {
        try {
          top.key = String(JSON.parse(text.slice(i, j + 1)));
        } catch {
          top.key = text.slice(i + 1, j);
        }
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_NESTING) {
        let path = '';
        for (const s of stack) path = s.obj ? pathKey(path, s.key) : pathIndex(path, s.index);
        return { path, offset: i };
      }
      stack.push({ obj: c === 0x7b, key: '', index: 0 });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.obj) expectKey = true;
      else if (top !== undefined) top.index++;
    }
  }
  return undefined;
}

/**
 * The first syntax error jsonc-parser found, said for a person: where it is (an offset) and what
 * was expected there. Later errors are mostly echoes of the first, so only the first is reported.
 */
function syntaxError(text: string, err: ParseError | undefined, root: Node | undefined): { offset: number; message: string } {
  const n = text.length;
  if (err === undefined) return { offset: 0, message: 'the file is empty (expected a JSON object)' };
  const at = err.offset;
  const token = text.slice(at, at + err.length);
  const show = (i: number): string => {
    if (i >= n) return 'end of file';
    const c = text[i];
    if (c === '\n' || c === '\r') return 'end of line';
    return c === '"' ? `'"'` : JSON.stringify(c);
  };
  const say = (message: string, offset = at) => ({ offset, message });
  const unexpected = (expected: string, i = at) =>
    say(i >= n ? `unexpected end of file (expected ${expected})` : `unexpected ${show(i)} (expected ${expected})`, i);
  const prevChar = text.slice(0, at).trimEnd().slice(-1);
  const inArray = () => typeof getLocation(text, at).path.at(-1) === 'number';
  const afterEnd = root !== undefined && at >= root.offset + root.length;

  const code = printParseErrorCode(err.error);
  switch (code) {
    case 'InvalidCommentToken':
    case 'UnexpectedEndOfComment':
      return say('comments are not allowed in JSON');
    case 'UnexpectedEndOfString':
      return say(at + err.length < n ? 'unterminated string (strings cannot span lines)' : 'unterminated string');
    case 'InvalidEscapeCharacter': {
      const m = /\\(?:[^"\\/bfnrtu]|$)/.exec(token);
      return say(`invalid escape "${m?.[0] ?? '\\'}" in string`, at + (m?.index ?? 0));
    }
    case 'InvalidUnicode': {
      const m = /\\u(?![0-9a-fA-F]{4})/.exec(token);
      return say('invalid \\u escape (expected 4 hex digits)', at + (m?.index ?? 0));
    }
    case 'InvalidCharacter': {
      const i = token.search(/[\u0000-\u001f]/);
      return say('control character in string (escape it)', at + Math.max(0, i));
    }
    case 'UnexpectedEndOfNumber':
      return unexpected(/[.]$/.test(token) ? 'a digit after "."' : 'a digit in the exponent', at + err.length);
    case 'InvalidNumberFormat':
      return say(`invalid number ${quote(token)}`);
    case 'EndOfFileExpected':
      return say(`unexpected ${show(at)} after the end of the JSON document`);
    case 'InvalidSymbol':
      if (afterEnd) return say(`unexpected ${show(at)} after the end of the JSON document`);
      if (token.startsWith("'")) return say('strings and names must use double quotes in JSON');
      if (/^[A-Za-z_$]/.test(token)) {
        if (getLocation(text, at).isAtPropertyKey) return say('property names must be in double quotes');
        const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(token)![0];
        return say(`unexpected word ${quote(word)} (strings must be in double quotes; literals are true, false, null)`);
      }
      if (token === '-') return unexpected('a digit', at + 1);
      return unexpected('a value');
    case 'PropertyNameExpected':
    case 'ValueExpected':
      if (at >= n && text.trim() === '') return say('the file is empty (expected a JSON object)', 0);
      if ((text[at] === '}' || text[at] === ']') && prevChar === ',') return say('trailing comma is not allowed in JSON');
      return unexpected(code === 'PropertyNameExpected' ? 'a property name in double quotes' : 'a value');
    case 'ColonExpected': {
      const key = /"((?:[^"\\]|\\.)*)"\s*$/.exec(text.slice(0, at))?.[1];
      return unexpected(`":" after the property name${key !== undefined ? ` "${clip(key)}"` : ''}`);
    }
    case 'CommaExpected':
      if (/[0-9]/.test(text[at] ?? '') && /(^|[^0-9.eE+-])-?0$/.test(text.slice(0, at))) {
        return say('numbers must not have leading zeros', at - 1);
      }
      if (/["{\[0-9tfn-]/.test(text[at] ?? '')) {
        return say(inArray() ? 'missing "," between array elements' : 'missing "," between properties');
      }
      return unexpected(inArray() ? '"," or "]" after an array element' : '"," or "}" after a property value');
    case 'CloseBraceExpected':
      return unexpected('"," or "}" after a property value');
    case 'CloseBracketExpected':
      return unexpected('"," or "]" after an array element');
    default:
      return say(code);
  }
}

/** 1-based line and column (in UTF-16 code units) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
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
        message: `no built-in scenario of that name and no such file (built-ins: ${BUILTINS.map((b) => b.name).join(', ')})`,
      }]);
    }
  }
  return loadScenarioFile(nameOrFile, { cpus: opts.cpus });
}
