/** Shared between stress/bench.ts and its spinlock worker (kept apart so importing it runs no worker code). */
export const PHASE = { WAIT: 0, WARM: 1, MEASURE: 2, STOP: 3 } as const;

export interface SpinBenchData {
  sab: SharedArrayBuffer;
  cpu: number;
  lock: number;
  /** i32 index of the phase word (written by the host) */
  phase: number;
  /** i32 index of the counter bumped inside the critical section (plain accesses) */
  counter: number;
}

export interface SpinBenchResult {
  cpu: number;
  /** pairs done in total */
  pairs: number;
  /** hrtime (ns) and pairs when this worker first saw MEASURE */
  t2: number;
  c2: number;
  /** hrtime (ns) and pairs when this worker first saw STOP */
  t3: number;
  c3: number;
}
