import { runMachine, type MachineOptions } from '../../src/machine/machine.ts';
import type { RunSnapshot } from '../../src/machine/snapshot.ts';
import { resolveScenario } from '../../src/workload/validate.ts';
import type { TraceEvent } from '../../src/trace/ring.ts';
import { taskId } from './kernel.ts';

/** Run a built-in (or given) scenario on real CPU workers. */
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
 * A free run in real time until its set-up formed (up to `attempts` seeds): a loaded host can stall a
 * CPU worker past a scenario's first milliseconds, so the interleaving the test is about never happens.
 * Returns the first run where `formed` holds, or one that failed a check, or the last one.
 */
export async function runUntil(scenario: string | MachineOptions['scenario'], strategy: string, ms: number,
  formed: (r: RunSnapshot) => boolean, extra: Partial<MachineOptions> = {}, attempts = 3): Promise<RunSnapshot> {
  let r!: RunSnapshot;
  for (let k = 0; k < attempts; k++) {
    r = await run(scenario, strategy, ms, { ...extra, seed: (extra.seed ?? 1) + k });
    if (r.failure || formed(r)) break;
  }
  return r;
}
