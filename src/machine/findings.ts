/**
 * What a run found, and the one verdict on it. Every reader of a run (summary, artifact, stress
 * record, hunt, exit code) takes the verdict from here.
 */
import type { CaseFailure } from '../results/format.ts';

/** A finding: its kind, id and message (what a campaign record keeps of it), and where it was seen. */
export interface Finding extends CaseFailure {
  /** the CPU that reported it (-1: the host's sampler) */
  cpu: number;
  tasks: number[];
  /** arena ns */
  time: number;
  /** locks the CPU held, by name */
  held?: string[];
  /** lockdep: the locks the other CPU held */
  otherHeld?: string[];
  stack?: string;
  /** the executor's step at which it was reported (controlled runs, --record) */
  step?: number;
  /** the reporting CPU's own step count there */
  cpuStep?: number;
}

export type Verdict = 'PASS' | 'FAIL' | 'INTERRUPTED';

/** Any finding but a warning fails the run; the first such finding is the failure. A WARN is
 *  recorded and shown, as WARN_ON_ONCE is in the kernel, and does not fail the run. A 'deadlock'
 *  (id DEADLOCK, check/deadlock.ts) fails it too, as the scenario's problem: the workload locks
 *  recursively or in a cycle, and the design is not judged by that run. */
export function judge(findings: readonly Finding[], interrupted: boolean): { verdict: Verdict; failure: Finding | null } {
  const failure = findings.find((f) => f.kind !== 'warn') ?? null;
  return { verdict: failure ? 'FAIL' : interrupted ? 'INTERRUPTED' : 'PASS', failure };
}
