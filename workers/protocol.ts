/**
 * The CPU worker protocol: what the host hands a CPU worker at start, and every message a CPU
 * worker sends back. One discriminated union; both ends are typed by it.
 *
 *   host                                  CPU worker
 *   new Worker(cpu.ts, CpuWorkerData) ->  attach the arena, warm up
 *                                     <-  ready
 *   park = 0 (start)                  ->  the CPU loop runs
 *                                     <-  warn | violation   (any time: the kernel's reports)
 *   stop = 1                          ->
 *                                     <-  done               (chaos counts, histograms)
 *                                     <-  crash              (instead of done: an exception that is
 *                                                             not a check; the machine aborts)
 */
import type { ChaosSpec } from '../src/workload/boot.ts';
import type { CpuReport } from '../src/sched/cpu.ts';

export interface CpuWorkerData {
  sab: SharedArrayBuffer;
  cpu: number;
  /** the design (strategy) name */
  design: string;
  /** task names by id (for lockdep messages) */
  names: string[];
  chaos: ChaosSpec | null;
  /** the executor's shared state (src/exec/area.ts): a controlled run, or a free run with --record */
  exec: { sab: SharedArrayBuffer; mode: 'controlled' | 'record' } | null;
}

/** Where a report was made: the global step of the CPU's last step point, and its own count. */
export interface StepWhere { step: number; cpuStep: number }

/** Per gate window: delays injected, and passes. */
export interface ChaosCounts { fired: [string, number][]; passed: [string, number][] }

/** A lockdep report that ended the CPU: the kind, the lock ids held, and those of the other CPU. */
export interface LockdepReport { kind: string; held: number[]; other: number[] | null }

export type CpuMessage =
  | { type: 'ready'; cpu: number }
  | (CpuReport & { where?: StepWhere })
  | {
    type: 'done'; cpu: number;
    /** the CPU stopped on an abort (its own violation or another CPU's), not on `stop` */
    aborted: boolean;
    chaos: ChaosCounts | null;
    /** its latency histograms, encoded (trace/metrics.ts) */
    hist: Record<string, string>;
  }
  | {
    type: 'crash'; cpu: number; msg: string; stack: string;
    lockdep: LockdepReport | null;
    /** lock ids held when it crashed, and the task whose op was executing (-1 none) */
    held: number[]; task: number;
    where?: StepWhere;
  };
