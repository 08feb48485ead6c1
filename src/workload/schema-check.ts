/**
 * The shape of a scenario (types, required and unknown keys, enums, ranges, list lengths) is what
 * scenario.schema.json says, checked with ajv; this file turns ajv's errors into one-line problems
 * with the project's JSON paths (`tasks[2].program[4].mutex`) that say what is allowed, e.g.
 * `unknown op "lok" (allowed: run, lock, ...); did you mean "lock"?`.
 *
 * Every rule comes from the schema. The tables below only name things for messages ("a list of
 * ops", "a CPU number"), keyed by the schema node they describe; a test checks that each key still
 * names a node of the schema.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseDuration } from './duration.ts';
import { CLIP_CHARS, clip, didYouMean, quote } from '../messages.ts';

/** A schema node (the schema is plain JSON; only the keywords read here are named). */
export interface SchemaNode {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, SchemaNode | boolean>;
  required?: string[];
  items?: SchemaNode;
  allOf?: SchemaNode[];
  if?: SchemaNode;
  then?: SchemaNode;
  not?: SchemaNode;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  $defs?: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}

export const SCHEMA: SchemaNode = JSON.parse(readFileSync(new URL('./scenario.schema.json', import.meta.url), 'utf8'));

/** The JSON pointer (`#/$defs/task`) of every schema node, by identity (ajv reports nodes, not places). */
const POINTER = new Map<object, string>();
(function index(node: unknown, at: string): void {
  if (typeof node !== 'object' || node === null) return;
  if (!Array.isArray(node)) POINTER.set(node, at);
  for (const [k, v] of Object.entries(node)) index(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
})(SCHEMA, '#');

/** The schema node at a JSON pointer such as `#/$defs/task` (undefined if there is none). */
export function schemaAt(pointer: string): SchemaNode | undefined {
  let node: unknown = SCHEMA;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter((s) => s !== '')) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(k in node)) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : undefined;
}

function pointerOf(node: unknown): string {
  return typeof node === 'object' && node !== null ? POINTER.get(node) ?? '' : '';
}

function parentPointer(pointer: string): string {
  return pointer.slice(0, pointer.lastIndexOf('/'));
}

function deref(node: SchemaNode): SchemaNode {
  return node.$ref !== undefined ? schemaAt(node.$ref) ?? node : node;
}

// ---------------------------------------------------------------------------------------------
// Words for messages (presentation only; the rules are the schema's)
// ---------------------------------------------------------------------------------------------

/** What a value at this schema node should be, after "expected" ({range}: the node's bounds). */
export const EXPECTED: Record<string, string> = {
  '#': 'a JSON object (the scenario)',
  '#/properties/delayed_dequeue': 'a probability {range}',
  '#/properties/mutexes': 'a list of mutex names such as ["m0", "m1"]',
  '#/properties/tasks': 'a list of task objects',
  '#/$defs/task': 'a task object such as {"name": "A", "policy": "fair", "program": [...]}',
  '#/$defs/duration': 'a duration string such as "2ms"',
  '#/$defs/cpu': 'a CPU number {range}',
  '#/$defs/cpuList': 'a list of CPU numbers such as [0, 1]',
  '#/$defs/mutexRef': 'a mutex name',
  '#/$defs/taskRef': 'a task name or "self"',
  '#/$defs/ops': 'a list of ops',
  '#/$defs/op': 'an op object such as {"op": "run", "for": "1ms"}',
  '#/$defs/op_repeat/properties/times': 'an integer 1..2147483647 (a 32-bit program word), or -1 for forever',
};

/** What the items of a list at this schema node are ("must list at least one task"). */
export const ITEM: Record<string, string> = {
  '#/properties/mutexes': 'mutex name',
  '#/properties/tasks': 'task',
  '#/$defs/cpuList': 'CPU',
};

/** Said after "missing required key" for a property at this schema node ({enum}: its values). */
export const REQUIRED_HINT: Record<string, string> = {
  '#/properties/mutexes': 'a list of mutex names, [] for none',
  '#/$defs/task/properties/program': 'a list of ops',
  '#/$defs/op/properties/op': 'every op has "op": one of {enum}',
};

/** The message when a value matches this node's "not" ({value}: the value). */
export const NOT_MESSAGE: Record<string, string> = {
  '#/$defs/positiveDuration': 'must be greater than 0, got {value}',
  '#/$defs/task/properties/name': '{value} is reserved (ops use it for the task running them)',
};

/** How a value is shown after "got". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return quote(v);
  return clip(String(v));
}

// ---------------------------------------------------------------------------------------------
// Paths: `tasks[2].program[4].mutex`, `["my key"]`
// ---------------------------------------------------------------------------------------------

export type PathSegment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function pathKey(path: string, key: string): string {
  if (!IDENT.test(key) || key.length > CLIP_CHARS) return `${path}[${quote(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function pathIndex(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function formatPath(segments: readonly PathSegment[]): string {
  return segments.reduce<string>((p, s) => (typeof s === 'number' ? pathIndex(p, s) : pathKey(p, s)), '');
}

export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const m of path.matchAll(/\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")(?: \(\d+ chars\))?\]/g)) {
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(m[3]) as string));
  }
  return out;
}

/** An ajv instance path (a JSON pointer, `/tasks/0/name`) as segments, array indices as numbers. */
function pointerSegments(pointer: string, doc: unknown): PathSegment[] {
  const out: PathSegment[] = [];
  let v = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg = Array.isArray(v) ? Number(k) : k;
    out.push(seg);
    v = member(v, seg);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------

/** A problem at a JSON path (the file is added by the caller). */
export interface PathProblem {
  path: string;
  message: string;
}

/** ajv's options for the scenario schema. strict: the schema may use no keyword ajv does not know
 *  and must give a type wherever it uses type-specific keywords. strictRequired is off: it wants
 *  every "required" name defined beside it, which an if/then branch ("fifo needs prio") does not do.
 *  validateSchema is off: checking the schema against the 2020-12 meta-schema costs more than
 *  compiling it, on every start; the tests do it once. */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictRequired: false, validateSchema: false } as const;

let compiledOnce: { ajv: Ajv2020; validate: ValidateFunction } | undefined;

function compiled(): { ajv: Ajv2020; validate: ValidateFunction } {
  if (compiledOnce === undefined) {
    const ajv = new Ajv2020(AJV_OPTIONS);
    compiledOnce = { ajv, validate: ajv.compile(SCHEMA) };
  }
  return compiledOnce;
}

/** Which error wins when several concern one path (the lowest). */
const PRECEDENCE: Record<string, number> = {
  'false schema': 0, type: 1, enum: 2, const: 2, minLength: 3, minItems: 3, maxItems: 4,
  minimum: 4, maximum: 4, pattern: 5, not: 5, uniqueItems: 6,
};

/** Check a document against the schema: at most one problem per path, in no particular order. */
export function shapeProblems(doc: unknown): PathProblem[] {
  const { validate } = compiled();
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  // The if/then branch whose "then" failed, by instance path: it says why a key is needed or refused.
  const branches = new Map<string, SchemaNode>();
  for (const e of errors) if (e.keyword === 'if') branches.set(e.instancePath, e.parentSchema as SchemaNode);

  const best = new Map<string, { rank: number; message: string }>();
  for (const e of errors) {
    // Among errors of one kind, prefer the node with words of its own (a value that is not an
    // object fails every op variant's "type", but the op's own words say it best).
    const node = e.parentSchema as SchemaNode | undefined;
    const worded = EXPECTED[pointerOf(node)] !== undefined || EXPECTED[node?.$ref ?? ''] !== undefined;
    const rank = (PRECEDENCE[e.keyword] ?? 3) + (worded ? 0 : 0.5);
    for (const p of explain(e, doc, branches)) {
      const had = best.get(p.path);
      if (had === undefined || rank < had.rank) best.set(p.path, { rank, message: p.message });
    }
  }
  return [...best].map(([path, { message }]) => ({ path, message }));
}

function explain(e: ErrorObject, doc: unknown, branches: Map<string, SchemaNode>): PathProblem[] {
  const segs = pointerSegments(e.instancePath, doc);
  const path = formatPath(segs);
  const node = (e.parentSchema ?? {}) as SchemaNode;
  const v: unknown = e.data;
  const params = e.params as Record<string, unknown>;
  const one = (message: string, at = path): PathProblem[] => [{ path: at, message }];

  switch (e.keyword) {
    case 'if':
      return []; // its "then" reports
    case 'required': {
      const key = String(params.missingProperty);
      return one(`missing required key${requiredHint(node, key, branches.get(e.instancePath))}`, pathKey(path, key));
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(node.properties ?? {});
      const disc = discriminator(node);
      const forWhat = disc !== undefined ? ` for ${disc.key} ${JSON.stringify(disc.value)}` : '';
      return one(`unknown key ${quote(key)}${forWhat} (allowed: ${allowed.join(', ')})${suggest(key, allowed)}`,
        pathKey(path, key));
    }
    case 'false schema': {
      // A key an if/then branch refuses, e.g. nice for a fifo task.
      const key = segs[segs.length - 1];
      const branch = branches.get(e.instancePath.slice(0, e.instancePath.lastIndexOf('/')));
      return one(branch !== undefined && typeof key === 'string' ? refused(key, branch) : 'not allowed here');
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      if (typeof v !== 'string') {
        return one(`expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(v)}`);
      }
      const what = typeof segs[segs.length - 1] === 'string' ? ` ${String(segs[segs.length - 1])}` : ' value';
      return one(`unknown${what} ${quote(v)} (allowed: ${allowed.join(', ')})${suggest(v, allowed)}`);
    }
    case 'uniqueItems':
      return duplicates(v as unknown[], path, ITEM[pointerOf(node)] ?? 'item');
    case 'minItems': {
      const item = ITEM[pointerOf(node)];
      if (params.limit === 1) return one(item !== undefined ? `must list at least one ${item}` : 'must not be empty');
      return one(`must list at least ${String(params.limit)} ${item ?? 'item'}s, got ${(v as unknown[]).length}`);
    }
    case 'maxItems':
      return one(`must list at most ${String(params.limit)} ${ITEM[pointerOf(node)] ?? 'item'}s, got ${(v as unknown[]).length}`);
    case 'minLength':
      return one(params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`);
    case 'pattern':
      return one(patternMessage(pointerOf(node), path, v));
    case 'not': {
      const say = NOT_MESSAGE[pointerOf(node)];
      if (say !== undefined) return one(say.replace('{value}', describeValue(v)));
      return one(`expected ${expected(node)}, got ${describeValue(v)}`);
    }
    case 'type': case 'const': case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
    case 'multipleOf': {
      const hint = typeof v === 'number' && pointerOf(deref(node)) === '#/$defs/duration'
        ? ` (numbers are not accepted: write the unit, e.g. "${v}ms")` : '';
      return one(`expected ${expected(node)}, got ${describeValue(v)}${hint}`);
    }
    default:
      return one(e.message ?? `fails the schema's "${e.keyword}"`);
  }
}

/** didYouMean, for words of a sane length (its edit distance is quadratic). */
function suggest(input: string, candidates: readonly string[]): string {
  return input.length <= CLIP_CHARS ? didYouMean(input, candidates) : '';
}

/** "1..99", ">= 0", "" for a node's numeric bounds. */
export function rangeText(node: SchemaNode | undefined): string {
  if (node === undefined) return '';
  const { minimum: lo, maximum: hi } = node;
  if (lo !== undefined && hi !== undefined) return `${lo}..${hi}`;
  if (lo !== undefined) return `>= ${lo}`;
  if (hi !== undefined) return `<= ${hi}`;
  return node.$ref !== undefined ? rangeText(schemaAt(node.$ref)) : '';
}

/** What a value at `node` should be: the EXPECTED words, else derived from its type and bounds. */
function expected(node: SchemaNode): string {
  const words = EXPECTED[pointerOf(node)];
  if (words !== undefined) return words.replace('{range}', rangeText(node)).trim();
  if (node.$ref !== undefined && EXPECTED[node.$ref] !== undefined) return expected(schemaAt(node.$ref)!);
  if (node.enum !== undefined) return `one of ${node.enum.map((x) => JSON.stringify(x)).join(', ')}`;
  if (node.const !== undefined) return JSON.stringify(node.const);
  const range = rangeText(node);
  switch (node.type ?? (node.$ref !== undefined ? deref(node).type : undefined)) {
    case 'integer': return `an integer ${range}`.trim();
    case 'number': return `a number ${range}`.trim();
    case 'boolean': return 'true or false';
    case 'string': return (node.minLength ?? deref(node).minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
    case 'array': return 'a list';
    case 'object': return 'an object';
    default: return 'a valid value';
  }
}

/** The key `node` fixes to a constant, if any (`"op": {"const": "lock"}` in op_lock, `policy` in an if). */
function discriminator(node: SchemaNode): { key: string; value: unknown } | undefined {
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    if (typeof sub === 'object' && 'const' in sub) return { key, value: sub.const };
  }
  return undefined;
}

/** The if/then branch's condition, e.g. {key: "policy", value: "fifo"}. */
function condition(branch: SchemaNode): { key: string; value: unknown } | undefined {
  return branch.if !== undefined ? discriminator(branch.if) : undefined;
}

function requiredHint(node: SchemaNode, key: string, branch: SchemaNode | undefined): string {
  // Needed because of an if/then branch: "policy "fifo" needs prio 1..99".
  if (branch !== undefined && branch.then === node) {
    const cond = condition(branch);
    const owner = schemaAt(parentPointer(parentPointer(pointerOf(branch))));
    const prop = owner?.properties?.[key];
    const range = typeof prop === 'object' ? rangeText(prop) : '';
    if (cond !== undefined) return ` (${cond.key} ${JSON.stringify(cond.value)} needs ${key}${range ? ` ${range}` : ''})`;
  }
  const prop = node.properties?.[key];
  const hint = typeof prop === 'object' ? REQUIRED_HINT[pointerOf(prop)] : undefined;
  if (hint !== undefined) {
    return ` (${hint.replace('{enum}', (typeof prop === 'object' ? prop.enum ?? [] : []).join(', '))})`;
  }
  if (typeof prop === 'object' && prop.enum !== undefined) return ` (one of: ${prop.enum.join(', ')})`;
  // A key of one variant: `op "lock" needs: mutex`.
  const disc = discriminator(node);
  if (disc !== undefined && key !== disc.key) {
    return ` (${disc.key} ${JSON.stringify(disc.value)} needs: ${(node.required ?? []).filter((k) => k !== disc.key).join(', ')})`;
  }
  return '';
}

/**
 * A key an if/then branch refuses, said from all the branches of its owner, e.g. for "nice" under
 * policy "fifo": `nice is only for policy "fair"; a "fifo" task has prio 1..99`.
 */
function refused(key: string, branch: SchemaNode): string {
  const cond = condition(branch);
  const owner = schemaAt(parentPointer(parentPointer(pointerOf(branch))));
  if (cond === undefined || owner === undefined) return `${key} is not allowed here`;
  const branches = (owner.allOf ?? []).filter((b) => condition(b)?.key === cond.key);
  const refuses = (b: SchemaNode, k: string) => b.then?.properties?.[k] === false;
  const needs = (b: SchemaNode) => b.then?.required ?? [];
  const allowedFor = branches.filter((b) => !refuses(b, key)).map((b) => JSON.stringify(condition(b)!.value));
  const withRange = (k: string) => {
    const p = owner.properties?.[k];
    const r = typeof p === 'object' ? rangeText(p) : '';
    return r ? `${k} ${r}` : k;
  };
  const own = needs(branch);
  const mentioned = [...new Set(branches.flatMap((b) => [...needs(b), ...Object.keys(b.then?.properties ?? {})]))];
  const may = mentioned.filter((k) => !own.includes(k) && !refuses(branch, k));
  const what = own.length > 0 ? `has ${own.map(withRange).join(', ')}`
    : may.length > 0 ? `may have ${may.map(withRange).join(', ')}` : `has no ${key}`;
  const only = allowedFor.length > 0 ? `${key} is only for ${cond.key} ${allowedFor.join(' or ')}` : `${key} is not allowed`;
  return `${only}; a ${JSON.stringify(cond.value)} ${ownerNoun(owner)} ${what}`;
}

function ownerNoun(owner: SchemaNode): string {
  const ptr = pointerOf(owner);
  return ptr.slice(ptr.lastIndexOf('/') + 1);
}

function patternMessage(pointer: string, path: string, v: unknown): string {
  if (pointer === '#/$defs/duration') {
    try {
      parseDuration(v as string);
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (pointer === '#/$defs/name') {
    const noun = path === 'name' ? 'scenario name' : path.startsWith('mutexes[') ? 'mutex name' : 'task name';
    return `${noun} ${describeValue(v)} must not contain spaces or control characters`;
  }
  const node = schemaAt(pointer);
  return `${describeValue(v)} does not match ${String(node?.pattern ?? 'the pattern')}`;
}

/** Every repeated item of a list (ajv names only the first pair). */
function duplicates(list: unknown[], path: string, noun: string): PathProblem[] {
  const out: PathProblem[] = [];
  const seen = new Map<string, number>();
  list.forEach((x, i) => {
    const key = JSON.stringify(x);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else out.push({ path: pathIndex(path, i), message: `duplicate ${noun} ${describeValue(x)} (also ${pathIndex(path, first)})` });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Order: problems are listed in the order of the schema's keys (unknown keys first), list items
// in their order, so a file's problems read top to bottom whatever order its keys are in.
// ---------------------------------------------------------------------------------------------

const ifCache = new WeakMap<object, ValidateFunction>();

/** The member `seg` of a JSON value, own properties only (`constructor` is not a key of `{}`). */
function member(v: unknown, seg: PathSegment): unknown {
  return typeof v === 'object' && v !== null && Object.hasOwn(v, seg) ? (v as Record<PathSegment, unknown>)[seg] : undefined;
}

/** The schema nodes that apply to value `v` at node `n` (following $ref, allOf and matching if/then). */
function expandNode(n: SchemaNode, v: unknown, out: SchemaNode[]): SchemaNode[] {
  const { ajv: a } = compiled();
  const expand = (n: SchemaNode, v: unknown, out: SchemaNode[]): SchemaNode[] => {
    out.push(n);
    if (n.$ref !== undefined) {
      const t = schemaAt(n.$ref);
      if (t !== undefined) expand(t, v, out);
    }
    for (const sub of n.allOf ?? []) expand(sub, v, out);
    if (n.if !== undefined && n.then !== undefined) {
      let test = ifCache.get(n.if);
      // (only objects have keys to order, so the condition may as well require one: strict mode
      // wants a type beside "properties")
      if (test === undefined) ifCache.set(n.if, test = a.compile({ type: 'object', ...n.if }));
      if (test(v)) expand(n.then, v, out);
    }
    return out;
  };
  return expand(n, v, out);
}

/** A sort key for a problem path: per segment, the key's place among its object's schema keys
 *  (-1: unknown) or the list index. Compare with compareOrderKeys. (One walk down the path.) */
export function orderKey(doc: unknown, segs: readonly PathSegment[]): number[] {
  const out: number[] = [];
  let v = doc;
  let nodes = expandNode(SCHEMA, v, []);
  for (const seg of segs) {
    if (typeof seg === 'number') out.push(seg);
    else out.push([...new Set(nodes.flatMap((n) => Object.keys(n.properties ?? {})))].indexOf(seg));
    v = member(v, seg);
    const next: SchemaNode[] = [];
    for (const n of nodes) {
      const sub = typeof seg === 'number' ? n.items : n.properties !== undefined && Object.hasOwn(n.properties, seg) ? n.properties[seg] : undefined;
      if (typeof sub === 'object') expandNode(sub, v, next);
    }
    nodes = next;
  }
  return out;
}

export function compareOrderKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
