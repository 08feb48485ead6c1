/**
 * Shared helpers of the built-in scenarios: the CPU-count rule, op builders and the "episode"
 * helper that lays out a pattern several times at absolute start times.
 */
import { ScenarioError } from '../../errors.ts';
import type { BuiltinScenario, Op, Scenario, TaskSpec } from '../scenario.ts';

/** How a built-in is named in messages: `builtin:<name>: cpus: ...`. */
export const BUILTIN_FILE_PREFIX = 'builtin:';

/** A built-in scenario plus its CPU range (for `list` and for clear --cpus errors). */
export interface BuiltinInfo extends BuiltinScenario {
  /** CPU count used when --cpus is not given. */
  defaultCpus: number;
  minCpus: number;
  maxCpus: number;
  /** Other names findBuiltin() accepts. */
  aliases?: readonly string[];
}

/** What a built-in's build() returns: its scenario without the name and the CPU count, which
 *  defineBuiltin fills in (from the record and from --cpus). */
export type BuiltinBody = Omit<Scenario, 'name' | 'cpus'> & { description: string };

export interface BuiltinDef {
  name: string;
  aliases?: readonly string[];
  summary: string;
  /** The CPU counts it accepts (max: MAX_BUILTIN_CPUS unless given) and the one used without --cpus. */
  cpus: { min: number; max?: number; default: number };
  build(cpus: number): BuiltinBody;
}

export const MAX_BUILTIN_CPUS = 32;

/** make({cpus}) = the scenario of build(cpus ?? default), refusing a CPU count outside [min, max]. */
export function defineBuiltin(d: BuiltinDef): BuiltinInfo {
  const { min: minCpus, max: maxCpus = MAX_BUILTIN_CPUS, default: defaultCpus } = d.cpus;
  return {
    name: d.name,
    summary: d.summary,
    defaultCpus,
    minCpus,
    maxCpus,
    aliases: d.aliases,
    make(opts: { cpus?: number }): Scenario {
      const cpus = opts.cpus ?? defaultCpus;
      if (!Number.isInteger(cpus) || cpus < minCpus || cpus > maxCpus) {
        const need = minCpus === maxCpus ? `exactly ${cpuCount(minCpus)}`
          : cpus < minCpus ? `at least ${cpuCount(minCpus)}` : `at most ${cpuCount(maxCpus)}`;
        throw new ScenarioError([{
          file: BUILTIN_FILE_PREFIX + d.name,
          path: 'cpus',
          message: `this built-in needs ${need}, got --cpus ${cpus}`,
        }]);
      }
      // The keys in the order a scenario file has them.
      const { description, ...rest } = d.build(cpus);
      return { name: d.name, description, cpus, ...rest };
    },
  };
}

function cpuCount(n: number): string {
  return `${n} CPU${n === 1 ? '' : 's'}`;
}

// --- op builders (plain JSON objects, exactly what a scenario file would contain) ---

export const ms = (n: number): string => `${n}ms`;
export const us = (n: number): string => `${n}us`;

export const run = (d: string): Op => ({ op: 'run', for: d });
export const sleep = (d: string, interruptible?: boolean): Op =>
  interruptible === undefined ? { op: 'sleep', for: d } : { op: 'sleep', for: d, interruptible };
export const lock = (mutex: string, critical?: Op[]): Op =>
  critical === undefined ? { op: 'lock', mutex } : { op: 'lock', mutex, critical };
export const lockInterruptible = (mutex: string, critical?: Op[]): Op =>
  critical === undefined ? { op: 'lock_interruptible', mutex } : { op: 'lock_interruptible', mutex, critical };
export const trylock = (mutex: string, critical?: Op[]): Op =>
  critical === undefined ? { op: 'trylock', mutex } : { op: 'trylock', mutex, critical };
export const unlock = (mutex: string): Op => ({ op: 'unlock', mutex });
export const signal = (task: string): Op => ({ op: 'signal', task });
export const setAffinity = (task: string, cpus: number[]): Op => ({ op: 'set_affinity', task, cpus });
export const repeat = (times: number, body: Op[]): Op => ({ op: 'repeat', times, body });
export const forever = (body: Op[]): Op => repeat(-1, body);

export function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/**
 * Lay out a pattern `count` times, episode k starting at first + k*period (ms). Each episode gets
 * its own tasks (names suffixed with k+1), started at absolute times: unlike a `repeat` loop whose
 * tasks drift apart by every scheduling delay, every episode starts exactly on time, so the intended
 * order of events holds in each one whatever the proxy design did in the previous one.
 */
export function episodes(
  count: number, firstMs: number, periodMs: number,
  pattern: (k: number, t0Ms: number, suffix: string) => TaskSpec[],
): TaskSpec[] {
  return range(count).flatMap((k) => pattern(k, firstMs + k * periodMs, String(k + 1)));
}

/** "12ms" for a start time in ms (rounded to the microsecond). */
export function at(tMs: number): string {
  return ms(Math.round(tMs * 1000) / 1000);
}

/** Pinned to CPU c and first woken there. */
export const onCpu = (c: number): { affinity: number[]; cpu: number } => ({ affinity: [c], cpu: c });
