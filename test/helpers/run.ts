import { runMachine, type MachineOptions } from '../../src/machine/machine.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';
import { resolveScenario } from '../../src/workload/validate.ts';
import type { TraceEvent } from '../../src/trace/ring.ts';
import { taskId } from './kernel.ts';

/** Run a built-in (or given) scenario on real CPU workers (free running unless `extra.executor` says otherwise). */
export async function run(scenario: string | MachineOptions['scenario'], strategy: string, ms: number, extra: Partial<MachineOptions> = {}): Promise<RunSnapshot> {
  const s = typeof scenario === 'string' ? resolveScenario(scenario, { cpus: extra.cpus }) : scenario;
  return runMachine({ scenario: s, strategy, durationNs: ms * 1e6, seed: 1, keepEvents: true, ...extra });
}

export function id(r: RunSnapshot, name: string): number {
  return taskId(r.names, name);
}

export function failures(r: RunSnapshot): string[] {
  // every finding, warnings included: a WARN_ON in a correct design is a failure of the test
  return r.findings.map((f) => `${f.kind} ${f.id}: ${f.msg}`);
}

/** first event matching, or undefined */
export function first(ev: TraceEvent[], pred: (e: TraceEvent) => boolean): TraceEvent | undefined {
  return ev.find(pred);
}

/**
 * The tick of controlled runs (100 us; the machine's default is 1 ms). Under the controlled executor
 * one CPU takes a step at a time, and a step of user code (a `run` op) moves the one virtual clock on
 * by up to a tick at once: while one CPU runs user code, every step of another CPU's kernel path (a
 * wakeup, a block, a donor migration: tens of steps) can cost a tick of virtual time. With a 1 ms
 * tick such a path spreads over 10-20 ms and the millisecond timelines of seed-signal and chain-3cpu
 * do not form (A blocks after its signal, or after B let go); with 100 us it spreads over 1-2 ms.
 */
export const CONTROLLED_TICK_NS = 100_000;

/**
 * A controlled run (src/exec): the CPU workers take their steps one at a time in the order the
 * executor picks (random by default, seeded by `seed`), in virtual time. The run is a pure function of
 * (scenario, design, bugs, seed, executor): the same on a loaded host as on an idle one, so a test can
 * assert the order of events of every episode.
 */
export async function runControlled(scenario: string | MachineOptions['scenario'], strategy: string, ms: number, seed: number,
  extra: Partial<MachineOptions> = {}): Promise<RunSnapshot> {
  return run(scenario, strategy, ms, { executor: { kind: 'random' }, tickNs: CONTROLLED_TICK_NS, ...extra, seed });
}
