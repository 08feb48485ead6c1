/**
 * fuzz — spec §7 T9, a randomized scenario generated from a seed.
 *
 * `fuzz` is seed 1; `fuzz-<n>` (any decimal uint32 n, e.g. fuzz-42) is seed n (findBuiltin parses the
 * name). The same seed and CPU count always give the same scenario; the scheduler's own random choices
 * come from the run's --seed, independently.
 *
 * A scenario has 8..24 tasks and 2..4 mutexes (m0..m3), a random delayed_dequeue probability, and per
 * task a random policy (fifo prio 1..99, or fair nice -10..10), affinity (all CPUs or a random subset),
 * first CPU and start offset (0..5ms). Programs are random sequences of every op:
 *   run (20us..1.5ms), sleep (50us..3ms, sometimes uninterruptible), lock / lock_interruptible /
 *   trylock with a critical section, a bare lock ... unlock pair, signal (another task or self), yield,
 *   set_affinity (self or another task), bounded repeat (2..4 times), exit (only with nothing held).
 * Most tasks loop forever; some repeat their body a few times and exit; some run it once. A looping
 * fifo task's body ends with an unconditional sleep (300us..2ms), so no fifo task hogs a CPU forever.
 *
 * Rules that keep a scenario valid and deadlock-free (so any hang is the simulator's fault):
 *   - a task only *blocks* on a mutex whose index is above every mutex it holds (lock and
 *     lock_interruptible); trylock may take any mutex it does not hold (it never blocks). Holding and
 *     waiting therefore always climb the index order: no cycle, no self-deadlock;
 *   - critical sections nest at most 2 deep and contain only bounded loops, so every lock is released;
 *   - loops nest at most 3 deep (the compiler's limit is 4);
 *   - exit only when nothing is held.
 * What to expect: every design except ttwu-blocks (and the planted --bug mutants) must run clean;
 * ttwu-blocks may show any of its holes (BUG9/10/11/20) depending on the seed. Caveat for
 * force-return: a donor woken (RUNNING + PROXY_WAKING) while queued on a CPU saturated by higher
 * priority work waits there for its force return (spec 4(a) race window (i)); if the owner keeps
 * re-taking the mutex meanwhile, L4 may fire on some seeds. Check the trace before calling it a bug.
 */
import type { Op, Scenario, TaskSpec } from '../scenario.ts';
import type { BuiltinBody, BuiltinInfo } from './common.ts';
import {
  at, defineBuiltin, forever, lock, lockInterruptible, range, repeat, run, setAffinity, signal, sleep, trylock, unlock, us,
} from './common.ts';
import { Rng } from './prng.ts';

export const FUZZ_DEFAULT_SEED = 1;
export const FUZZ_TASKS = { min: 8, max: 24 } as const;
export const FUZZ_MUTEXES = { min: 2, max: 4 } as const;
/** Critical sections nest at most this deep. */
export const FUZZ_MAX_CRITICAL_DEPTH = 2;
/** Loops (including the outer forever) nest at most this deep. */
export const FUZZ_MAX_LOOP_DEPTH = 3;

const FUZZ_NAME = /^fuzz-(0|[1-9][0-9]{0,9})$/;

/** The seed of a `fuzz-<n>` name (n a decimal uint32 without leading zeros), else undefined. */
export function parseFuzzName(name: string): number | undefined {
  const m = FUZZ_NAME.exec(name);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffffffff ? n : undefined;
}

interface Ctx {
  rng: Rng;
  cpus: number;
  self: string;
  others: string[];
  mutexes: string[];
  /** indices of the mutexes held here */
  held: number[];
  critDepth: number;
  loopDepth: number;
}

function genSeq(c: Ctx, min: number, max: number): Op[] {
  const n = c.rng.int(min, max);
  return range(n).flatMap(() => genOp(c));
}

function genCritical(c: Ctx, m: number): Op[] {
  return genSeq({ ...c, held: [...c.held, m], critDepth: c.critDepth + 1 }, 1, 3);
}

/** One op (or a bare lock ... unlock group). */
function genOp(c: Ctx): Op[] {
  const r = c.rng;
  const maxHeld = c.held.length === 0 ? -1 : Math.max(...c.held);
  const blockable = range(c.mutexes.length).filter((m) => m > maxHeld);
  const tryable = range(c.mutexes.length).filter((m) => !c.held.includes(m));
  const canNest = c.critDepth < FUZZ_MAX_CRITICAL_DEPTH;
  const canLoop = c.loopDepth < FUZZ_MAX_LOOP_DEPTH;
  const what = r.weighted([
    [5, 'run'],
    [3, 'sleep'],
    [canNest && blockable.length > 0 ? 4 : 0, 'lock'],
    [canNest && blockable.length > 0 ? 3 : 0, 'lock_interruptible'],
    [canNest && tryable.length > 0 ? 2 : 0, 'trylock'],
    [canNest && blockable.length > 0 ? 1 : 0, 'bare'],
    [2, 'signal'],
    [1, 'yield'],
    [1, 'set_affinity'],
    [canLoop ? 1 : 0, 'repeat'],
    [c.held.length === 0 ? 0.3 : 0, 'exit'],
  ] as const);
  const name = (m: number) => c.mutexes[m];
  switch (what) {
    case 'run':
      return [run(us(r.int(20, 1500)))];
    case 'sleep':
      return [sleep(us(r.int(50, 3000)), r.chance(0.3) ? false : undefined)];
    case 'lock': {
      const m = r.pick(blockable);
      return [lock(name(m), genCritical(c, m))];
    }
    case 'lock_interruptible': {
      const m = r.pick(blockable);
      return [lockInterruptible(name(m), genCritical(c, m))];
    }
    case 'trylock': {
      const m = r.pick(tryable);
      return [trylock(name(m), genCritical(c, m))];
    }
    case 'bare': {
      const m = r.pick(blockable);
      return [lock(name(m)), ...genCritical(c, m), unlock(name(m))];
    }
    case 'signal':
      return [signal(c.others.length === 0 || r.chance(0.1) ? 'self' : r.pick(c.others))];
    case 'yield':
      return [{ op: 'yield' }];
    case 'set_affinity': {
      const cpus = r.subset(range(c.cpus));
      return [r.chance(0.4) || c.others.length === 0 ? { op: 'set_affinity', cpus } : setAffinity(r.pick(c.others), cpus)];
    }
    case 'repeat':
      return [repeat(r.int(2, 4), genSeq({ ...c, loopDepth: c.loopDepth + 1 }, 1, 3))];
    case 'exit':
      return [{ op: 'exit' }];
  }
}

/** The scenario of seed `seed` on `cpus` CPUs (named fuzz-<seed>). */
export function makeFuzz(seed: number, cpus: number): Scenario {
  return fuzzSeeded(seed).make({ cpus });
}

function fuzzBody(seed: number, cpus: number): BuiltinBody {
  const r = new Rng(seed);
  const nTasks = r.int(FUZZ_TASKS.min, FUZZ_TASKS.max);
  const mutexes = range(r.int(FUZZ_MUTEXES.min, FUZZ_MUTEXES.max)).map((k) => `m${k}`);
  const names = range(nTasks).map((k) => `t${k}`);
  const allCpus = range(cpus);

  const tasks: TaskSpec[] = names.map((self): TaskSpec => {
    const fifo = r.chance(0.45);
    const affinity = r.chance(0.5) ? undefined : r.subset(allCpus);
    const cpu = r.pick(affinity ?? allCpus);
    const start = at(r.int(0, 50) / 10);
    const shape = r.weighted([[7, 'forever'], [2, 'repeat'], [1, 'once']] as const);
    const ctx: Ctx = {
      rng: r, cpus, self, others: names.filter((n) => n !== self), mutexes, held: [], critDepth: 0,
      loopDepth: shape === 'once' ? 0 : 1,
    };
    const body = genSeq(ctx, 2, 6);
    // A looping fifo task ends each iteration with an unconditional sleep: there is no RT throttling,
    // so a fifo loop whose sleeps all sit in conditional paths (a failed trylock skips its critical
    // section) can hog its CPU forever and starve everything below it, which only shows up as L4/L1
    // noise (a woken first waiter that never gets a CPU), not as a proxy bug.
    if (fifo && shape !== 'once') body.push(sleep(us(r.int(300, 2000))));
    const program: Op[] = shape === 'forever' ? [forever(body)]
      : shape === 'repeat' ? [repeat(r.int(2, 20), body), { op: 'exit' }]
        : body;
    return {
      name: self,
      ...(fifo ? { policy: 'fifo' as const, prio: r.int(1, 99) } : { policy: 'fair' as const, nice: r.int(-10, 10) }),
      ...(affinity === undefined ? {} : { affinity }),
      cpu,
      start,
      program,
    };
  });

  return {
    description: `Randomized scenario (spec T9) from seed ${seed}: ${nTasks} tasks, ${mutexes.length} mutexes, `
      + 'random programs of every op (see src/workload/builtin/fuzz.ts for the rules).',
    duration: '2s',
    delayed_dequeue: r.pick([0, 0, 0.3, 0.8]),
    mutexes,
    tasks,
  };
}

function fuzzBuiltin(name: string, seed: number, summary: string): BuiltinInfo {
  return defineBuiltin({
    name,
    summary,
    cpus: { min: 1, default: 2 },
    build: (cpus) => fuzzBody(seed, cpus),
  });
}

/** `fuzz`: seed 1. */
export const fuzz = fuzzBuiltin('fuzz', FUZZ_DEFAULT_SEED,
  `T9 randomized fuzz (seed ${FUZZ_DEFAULT_SEED}; fuzz-<n> for seed n): 8-24 tasks, 2-4 mutexes, random programs of every op`);

/** `fuzz-<n>` as a built-in (not listed in BUILTINS; findBuiltin makes it on demand). */
export function fuzzSeeded(seed: number): BuiltinInfo {
  return fuzzBuiltin(`fuzz-${seed}`, seed, `T9 randomized fuzz, seed ${seed}`);
}
