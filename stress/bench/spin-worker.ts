/**
 * Worker for stress/bench.ts: one "CPU" hammering one raw spinlock (the real Locks class) in a loop
 * of lock / plain counter increment / unlock, driven by a phase word the host writes:
 *   PHASE.WAIT -> PHASE.WARM (spin, not measured) -> PHASE.MEASURE -> PHASE.STOP.
 * On every phase change it notes (hrtime, pairs so far), so the host measures the window it wants
 * without a per-iteration clock read. The counter is bumped with a plain (non-atomic)
 * read-modify-write: if the lock did not exclude, the host sees lost updates.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena } from '../../src/shm/arena.ts';
import { Locks } from '../../src/sync/spinlock.ts';
import { PHASE, type SpinBenchData, type SpinBenchResult } from './spin-protocol.ts';

/** Pairs between two looks at the phase word. */
const BATCH = 256;

function main(): void {
  const d = workerData as SpinBenchData;
  const a = Arena.attach(d.sab);
  const locks = new Locks(a, d.cpu);
  const i32 = a.i32;
  const { lock, counter, phase } = d;
  parentPort!.postMessage({ type: 'ready' });
  while (Atomics.load(i32, phase) === PHASE.WAIT) Atomics.wait(i32, phase, PHASE.WAIT, 50);

  let pairs = 0;
  let seen: number = Atomics.load(i32, phase);
  let t2 = 0, c2 = 0, t3 = 0, c3 = 0;
  for (;;) {
    for (let k = 0; k < BATCH; k++) {
      locks.lock(lock, 'bench:spin');
      i32[counter] = i32[counter] + 1;
      locks.unlock(lock);
    }
    pairs += BATCH;
    const ph = Atomics.load(i32, phase);
    if (ph !== seen) {
      seen = ph;
      const now = Number(process.hrtime.bigint());
      if (ph === PHASE.MEASURE) { t2 = now; c2 = pairs; }
      if (ph === PHASE.STOP) {
        t3 = now; c3 = pairs;
        // started measuring late (never saw MEASURE): count from the start
        if (t2 === 0) { t2 = now; c2 = pairs; }
        break;
      }
    }
  }
  const r: SpinBenchResult = { cpu: d.cpu, pairs, t2, c2, t3, c3 };
  parentPort!.postMessage({ type: 'done', result: r });
}

main();
