/** fast-check generators of hostile scenarios and command lines (hostile-input.test.ts). */
import fc from 'fast-check';
import { BUILTINS } from '../../src/workload/builtin/index.ts';

export const BIG = 'Ω'.repeat(200_000);
const HOSTILE_KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '$schema', '', ' ', '\u0000', '\n',
  'name', 'cpus', 'mutexes', 'tasks', 'program', 'op', 'critical', 'body', 'times', 'for', 'mutex', 'task', 'policy',
  'prio', 'nice', 'affinity', 'cpu', 'start', 'duration', 'delayed_dequeue', '\u202e', '😀', BIG.slice(0, 70_000),
];
const WORDS = ['run', 'lock', 'lock_interruptible', 'trylock', 'unlock', 'sleep', 'signal', 'yield', 'set_affinity',
  'repeat', 'exit', 'fifo', 'fair', 'self', 'm0', 'm1', 'A', 'B', '1ms', '3000s', '2147483648us', '0ns', '1.5ns',
  '-1ms', '1e3ms', '9'.repeat(400) + 'ms', '__proto__', 'constructor'];

const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 2, 31, 32, 33, 64, 65, 99, 100, 1024, 1025, 4096, 2 ** 31 - 1, 2 ** 31, 2 ** 32,
    2 ** 53, -(2 ** 31), 1e300, -1e300, 0.5, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity),
  fc.integer(), fc.double(),
);
const hostileString = fc.oneof(
  fc.constantFrom(...WORDS, ...HOSTILE_KEYS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1, max: 20_000 }).map((n) => BIG.slice(0, n)),
);
const leaf: fc.Arbitrary<unknown> = fc.oneof(hostileNumber, hostileString, fc.boolean(), fc.constant(null), fc.constant(undefined));

/** A hostile value: a leaf, or a small object/array of them (keys included), or a deep nest. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), tie('v')), { maxLength: 4 }).map(objectOf),
  ),
})).v;

export const deep = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('repeat', 'lock', 'array', 'object')).map(([n, kind]) => {
  let v: unknown = { op: 'run', for: '1ms' };
  for (let i = 0; i < n; i++) {
    v = kind === 'repeat' ? { op: 'repeat', times: 2, body: [v] }
      : kind === 'lock' ? { op: 'lock', mutex: 'm0', critical: [v] }
        : kind === 'array' ? [v] : { a: v };
  }
  return v;
});

/** An object with these keys as own properties ("__proto__" too, as JSON.parse makes it). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const BASES = [
  {
    name: 'demo', cpus: 2, mutexes: ['m0', 'm1'],
    tasks: [
      { name: 'A', policy: 'fifo', prio: 50, affinity: [0, 1], cpu: 0, start: '1ms',
        program: [{ op: 'lock', mutex: 'm0', critical: [{ op: 'run', for: '1ms' }, { op: 'lock', mutex: 'm1' }, { op: 'unlock', mutex: 'm1' }] },
          { op: 'sleep', for: '2ms', interruptible: false }, { op: 'signal', task: 'B' }] },
      { name: 'B', policy: 'fair', nice: 5,
        program: [{ op: 'repeat', times: 3, body: [{ op: 'trylock', mutex: 'm1', critical: [{ op: 'yield' }] }] },
          { op: 'set_affinity', task: 'self', cpus: [1] }, { op: 'exit' }] },
    ],
  },
  ...BUILTINS.slice(0, 2).map((b) => b.make({})),
];

/** A valid scenario with 1..4 places changed: a key set to a hostile value or deleted, or a list replaced. */
export const mutatedScenario = fc.tuple(
  fc.nat(BASES.length - 1),
  fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.nat(10)), fc.oneof(hostileValue, deep), fc.boolean()),
    { minLength: 1, maxLength: 4 }),
).map(([b, edits]) => {
  const d = structuredClone(BASES[b]) as unknown;
  for (const [pick, key, value, del] of edits) {
    const containers: object[] = [];
    const stack: unknown[] = [d];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v !== 'object' || v === null || containers.length > 2000) continue;
      containers.push(v);
      stack.push(...Object.values(v));
    }
    const c = containers[pick % containers.length] as Record<string | number, unknown>;
    const k = Array.isArray(c) ? (typeof key === 'number' ? key : 0) : String(key);
    if (del) delete c[k];
    else Object.defineProperty(c, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return d;
});

/** JSON text of a document (one nested deeper than JSON.stringify can go: written by hand). */
function stringify(d: unknown, pretty: boolean): string {
  try {
    const compact = JSON.stringify(d) ?? 'null';
    // (indenting a deep document makes megabytes of spaces: only small ones are indented)
    return pretty && compact.length < 20_000 ? JSON.stringify(d, null, 2) : compact;
  } catch {
    return `{"tasks":[{"program":[${'{"op":"repeat","times":2,"body":['.repeat(5000)}`;
  }
}

/** JSON text: a hostile scenario serialized (compact or not), random JSON, or random text. */
export const scenarioText = fc.oneof(
  { arbitrary: fc.tuple(mutatedScenario, fc.boolean()).map(([d, pretty]) => stringify(d, pretty)), weight: 4 },
  { arbitrary: fc.json({ maxDepth: 6 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 1 },
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":', '{"op":"repeat","times":1,"body":[')).map(([n, open]) => open.repeat(n)), weight: 1 },
  { arbitrary: fc.tuple(fc.json(), fc.nat(), fc.string({ unit: 'binary', maxLength: 5 })).map(([t, at, s]) => t.slice(0, at % (t.length + 1)) + s + t.slice(at % (t.length + 1))), weight: 2 },
);

const COMMANDS = ['run', 'list', 'hunt', 'stress', 'compare', 'merge', 'help', 'bench', 'rnu', ''];
const FLAGS = ['--scenario', '--strategy', '--cpus', '--duration', '--seed', '--json', '--trace', '--trace-json', '--bug',
  '--chaos', '--chaos-max', '--chaos-window', '--quiet', '--dump', '--help', '-h', '--', '-', '--runs', '--seeds',
  '--first-seed', '--budget', '--jobs', '--shard', '--scenarios', '--strategies', '--out', '--artifact-dir', '--failures',
  '--bugs-only', '--stat-interval', '--all', '--__proto__', '--constructor', '--toString', '--hasOwnProperty', '---', '-x',
  '--cpus=', '--seed=', '--duration=1e9s'];
const VALUES = ['pi-basic', 'football', 'fuzz-7', 'none', 'BUG1', 'bug99', '0', '-1', '1', '32', '33', '4294967295',
  '4294967296', '1e400', 'NaN', 'Infinity', '0x10', '1.5', '2s', '3000s', '99999999999999999999s', '1ns', '0.5', '',
  ' ', '\u0000', '\n', 'é', '😀', '__proto__', 'constructor', 'a,b,,c', ',', '1/2', '9/8', '-3/4', BIG.slice(0, 2000)];

export const argv = fc.tuple(
  fc.constantFrom(...COMMANDS),
  fc.array(fc.oneof(
    { arbitrary: fc.constantFrom(...FLAGS), weight: 3 },
    { arbitrary: fc.constantFrom(...VALUES), weight: 3 },
    { arbitrary: fc.tuple(fc.constantFrom(...FLAGS), fc.constantFrom(...VALUES)).map(([f, v]) => `${f}=${v}`), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 1 },
  ), { maxLength: 8 }),
).map(([c, rest]) => (c === '' ? rest : [c, ...rest]));

