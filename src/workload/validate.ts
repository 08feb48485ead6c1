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
import { getLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { ScenarioError, type ScenarioProblem } from '../errors.ts';
import { parseDuration } from './duration.ts';
import { MAX_LOOP_DEPTH } from './program.ts';
import type { Scenario } from './scenario.ts';
import {
  SCHEMA, compareOrderKeys, describeValue, orderKey, parsePath, pathIndex, pathKey, shapeProblems, type SchemaNode,
  type PathProblem,
} from './schema-check.ts';
import { BUILTINS, BUILTIN_FILE_PREFIX, findBuiltin } from './builtin/index.ts';

export { describeValue, pathIndex, pathKey } from './schema-check.ts';

const CPUS = SCHEMA.properties!.cpus as SchemaNode;
/** CPU count bounds, as the schema states them (the CLI's --cpus uses them too). */
export const MIN_CPUS: number = CPUS.minimum!;
export const MAX_CPUS: number = CPUS.maximum!;
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
  const shape = shapeProblems(raw);
  const shapeBad = (path: string): boolean =>
    shape.some((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
  const sem = new Semantics(opts, shapeBad);
  sem.scenario(raw);
  const semPaths = new Set(sem.problems.map((p) => p.path));
  const all = [...shape.filter((p) => !semPaths.has(p.path)), ...sem.problems];
  if (all.length > 0) return { problems: inDocumentOrder(all, raw).map((p) => ({ file, ...p })) };
  const copy = structuredClone(raw) as Scenario & { $schema?: string };
  delete copy.$schema;
  if (opts.cpus !== undefined) copy.cpus = opts.cpus;
  return { problems: [], scenario: copy };
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
    }
    if (Array.isArray(raw.tasks)) this.tasks(raw.tasks);
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
        this.add(p, `duplicate task name ${JSON.stringify(t.name)} (also tasks[${prev}])`);
        return;
      }
      seen.set(t.name, i);
      this.taskNames.push(t.name);
    });
    list.forEach((t, i) => this.task(t, pathIndex('tasks', i)));
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
    if (Array.isArray(t.program)) this.ops(t.program, pathKey(path, 'program'), [], 0);
  }

  private ops(list: unknown[], path: string, held: { mutex: string; at: string }[], repeats: number): void {
    list.forEach((op, i) => this.op(op, pathIndex(path, i), held, repeats));
  }

  private mutexRef(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string' || this.mutexes === undefined) return undefined;
    if (!this.mutexes.includes(v)) {
      const known = this.mutexes.length > 0
        ? `known: ${this.mutexes.join(', ')}`
        : 'no mutexes are declared; list it in "mutexes"';
      this.add(path, `unknown mutex ${JSON.stringify(v)} (${known})`);
      return undefined;
    }
    return v;
  }

  private taskRef(v: unknown, path: string): void {
    if (typeof v === 'string' && v !== SELF && !this.taskNames.includes(v)) {
      this.add(path, `unknown task ${JSON.stringify(v)} (known: ${[SELF, ...this.taskNames].join(', ')})`);
    }
  }

  /** `repeats`: how many repeat ops enclose this one (the program compiler allows MAX_LOOP_DEPTH). */
  private op(op: unknown, path: string, held: { mutex: string; at: string }[], repeats: number): void {
    if (!isObject(op)) return;
    const at = (k: string) => pathKey(path, k);
    switch (op.op) {
      case 'run':
      case 'sleep':
        if (typeof op.for === 'string') this.duration(op.for, at('for'));
        break;
      case 'lock':
      case 'lock_interruptible':
      case 'trylock': {
        const m = this.mutexRef(op.mutex, at('mutex'));
        const outer = m === undefined ? undefined : held.find((h) => h.mutex === m);
        if (outer !== undefined && op.op !== 'trylock') {
          this.add(at('mutex'), `mutex ${JSON.stringify(m)} is already held here (locked by ${outer.at}); `
            + 'locking it again would deadlock');
        }
        if (Array.isArray(op.critical)) {
          const inner = m === undefined || outer !== undefined ? held : [...held, { mutex: m, at: path }];
          this.ops(op.critical, at('critical'), inner, repeats);
        }
        break;
      }
      case 'unlock': {
        const m = this.mutexRef(op.mutex, at('mutex'));
        const outer = m === undefined ? undefined : held.find((h) => h.mutex === m);
        if (outer !== undefined) {
          this.add(at('mutex'), `unlocks ${JSON.stringify(m)} inside its own critical section (${outer.at} unlocks it at the end)`);
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
        if (repeats === MAX_LOOP_DEPTH) {
          this.add(path, `repeat nested ${repeats + 1} deep (at most ${MAX_LOOP_DEPTH} repeats inside one another)`);
        }
        if (Array.isArray(op.body)) this.ops(op.body, at('body'), held, repeats + 1);
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

/** Strict JSON: jsonc-parser's extensions off. */
const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

/** Deeper than this is refused as a syntax error (the checks recurse; no scenario needs a tenth of it). */
const MAX_NESTING = 1000;

/** Parse and validate scenario JSON text (`file` names it in messages). */
export function parseScenarioText(text: string, file: string, opts: ValidateOptions = {}): Scenario {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const syntax = (offset: number, message: string): ScenarioError => {
    const { line, column } = lineColumn(text, offset);
    return new ScenarioError([{ file, path: '', line, column, message: `JSON syntax error: ${message}` }]);
  };
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
  const deepest = walkTree(root, '', 0, (path, key, keyNode) => {
    const { line, column } = lineColumn(text, keyNode.offset);
    problems.push({
      file, path, line, column, message: `key "${key}" appears more than once in this object (JSON keeps only the last)`,
    });
  });
  if (deepest !== undefined) throw syntax(deepest.offset, `nested too deeply (at most ${MAX_NESTING} levels)`);
  const checked = checkScenario(getNodeValue(root), file, opts);
  problems.push(...checked.problems);
  if (problems.length > 0 || checked.scenario === undefined) throw new ScenarioError(problems);
  return checked.scenario;
}

/** Reports every key that appears twice in one object (the later one); returns the first node
 *  nested deeper than MAX_NESTING, if any. */
function walkTree(node: Node, path: string, depth: number,
  duplicate: (path: string, key: string, keyNode: Node) => void): Node | undefined {
  if (depth > MAX_NESTING) return node;
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const [keyNode, value] = prop.children ?? [];
      const key = String(keyNode.value);
      const p = pathKey(path, key);
      if (seen.has(key)) duplicate(p, key, keyNode);
      seen.add(key);
      const deep = value !== undefined ? walkTree(value, p, depth + 1, duplicate) : undefined;
      if (deep !== undefined) return deep;
    }
  } else if (node.type === 'array') {
    for (const [i, child] of (node.children ?? []).entries()) {
      const deep = walkTree(child, pathIndex(path, i), depth + 1, duplicate);
      if (deep !== undefined) return deep;
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
      return say(`invalid number ${JSON.stringify(token)}`);
    case 'EndOfFileExpected':
      return say(`unexpected ${show(at)} after the end of the JSON document`);
    case 'InvalidSymbol':
      if (afterEnd) return say(`unexpected ${show(at)} after the end of the JSON document`);
      if (token.startsWith("'")) return say('strings and names must use double quotes in JSON');
      if (/^[A-Za-z_$]/.test(token)) {
        if (getLocation(text, at).isAtPropertyKey) return say('property names must be in double quotes');
        const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(token)![0];
        return say(`unexpected word "${word}" (strings must be in double quotes; literals are true, false, null)`);
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
      return unexpected(`":" after the property name${key !== undefined ? ` "${key}"` : ''}`);
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
