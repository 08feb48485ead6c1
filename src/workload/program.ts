/**
 * Programs: a scenario's ops compiled to i32 words in the arena, so any CPU can continue a task
 * after a migration. Each op is OP_WORDS words: [opcode, a, b, c].
 */
import type { Op, Scenario } from './scenario.ts';
import { parseDuration } from './duration.ts';

export const OP = {
  END: 0,
  /** a = µs of runtime */
  RUN: 1,
  /** a = mutex, b = pc to continue at if not acquired (-1: next op) */
  LOCK: 2,
  LOCK_INTERRUPTIBLE: 3,
  TRYLOCK: 4,
  /** a = mutex */
  UNLOCK: 5,
  /** a = µs, b = 1 interruptible */
  SLEEP: 6,
  /** a = task */
  SIGNAL: 7,
  YIELD: 8,
  /** a = task, b = mask */
  SET_AFFINITY: 9,
  /** a = times (-1 forever), b = pc after the matching LOOP_END */
  LOOP_BEGIN: 10,
  /** a = pc of the first op of the body */
  LOOP_END: 11,
  EXIT: 12,
} as const;
export const OP_NAME: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k.toLowerCase()]));
export const OP_WORDS = 4;
/** Repeats inside one another: the task's loop_stack holds 4 [start pc, remaining] pairs. */
export const MAX_LOOP_DEPTH = 4;
/** The largest value an arena word holds (program words are i32). */
export const MAX_WORD = 0x7fff_ffff;
/** Ops inside one another (critical sections and repeat bodies together), like lockdep's
 *  MAX_LOCK_DEPTH; deeper than this is refused before anything recursive walks the program. */
export const MAX_OP_NESTING = 48;
/** Compiled ops per task, END included (the arena gives every task prog_len = the longest program's
 *  words; OP_WORDS words an op). No built-in needs a tenth of it. */
export const MAX_PROGRAM_OPS = 4096;

/** Compiled ops of a list of (valid) ops: a lock with "critical" adds its UNLOCK, a repeat its LOOP_END. */
export function compiledOps(ops: readonly Op[]): number {
  let n = 0;
  const stack: (readonly Op[])[] = [ops];
  while (stack.length > 0) {
    for (const op of stack.pop()!) {
      n++;
      if ((op.op === 'lock' || op.op === 'lock_interruptible' || op.op === 'trylock') && op.critical) {
        n++;
        stack.push(op.critical);
      } else if (op.op === 'repeat') {
        n++;
        stack.push(op.body);
      }
    }
  }
  return n;
}

export interface Compiled {
  /** per task, its words */
  words: number[][];
  /** words per task slot in the arena (max over tasks) */
  progLen: number;
}

/** A run or sleep duration as its program word: whole µs, at least 1 (must be <= MAX_WORD). */
export function durationWord(d: string): number { return Math.max(1, Math.round(parseDuration(d) / 1000)); }

const us = durationWord;

/** Compile task k of the scenario; idOf maps a task name to its arena task id. */
export function compileTask(s: Scenario, k: number, idOf: (name: string) => number): number[] {
  const self = idOf(s.tasks[k].name);
  const taskIndex = idOf;
  const out: number[] = [];
  const emit = (op: number, a = 0, b = 0, c = 0): number => { out.push(op, a, b, c); return out.length / OP_WORDS - 1; };
  const mutexIdx = (name: string): number => s.mutexes.indexOf(name);
  const taskRef = (name: string | undefined): number => (name === undefined || name === 'self' ? self : taskIndex(name));
  let depth = 0;
  const walk = (ops: Op[]): void => {
    for (const op of ops) {
      switch (op.op) {
        case 'run': emit(OP.RUN, us(op.for)); break;
        case 'lock': case 'lock_interruptible': case 'trylock': {
          const code = op.op === 'lock' ? OP.LOCK : op.op === 'trylock' ? OP.TRYLOCK : OP.LOCK_INTERRUPTIBLE;
          const m = mutexIdx(op.mutex);
          const at = emit(code, m, -1);
          if (op.critical) {
            walk(op.critical);
            emit(OP.UNLOCK, m);
            out[at * OP_WORDS + 2] = out.length / OP_WORDS;
          }
          break;
        }
        case 'unlock': emit(OP.UNLOCK, mutexIdx(op.mutex)); break;
        case 'sleep': emit(OP.SLEEP, us(op.for), op.interruptible === false ? 0 : 1); break;
        case 'signal': emit(OP.SIGNAL, taskRef(op.task)); break;
        case 'yield': emit(OP.YIELD); break;
        case 'set_affinity': emit(OP.SET_AFFINITY, taskRef(op.task), op.cpus.reduce((m, c) => m | (1 << c), 0)); break;
        case 'repeat': {
          if (++depth > MAX_LOOP_DEPTH) throw new Error(`repeat nested deeper than ${MAX_LOOP_DEPTH}`);
          const begin = emit(OP.LOOP_BEGIN, op.times, 0);
          walk(op.body);
          emit(OP.LOOP_END, begin + 1);
          out[begin * OP_WORDS + 2] = out.length / OP_WORDS;
          depth--;
          break;
        }
        case 'exit': emit(OP.EXIT); break;
      }
    }
  };
  walk(s.tasks[k].program);
  emit(OP.END);
  return out;
}
