/**
 * Worker for test/sync/spinlock.test.ts: a "CPU" that increments a shared counter under one arena
 * spinlock with a deliberately non-atomic read-modify-write, and counts how often it found someone
 * else inside the critical section.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena } from '../../src/shm/arena.ts';
import { Locks } from '../../src/sync/spinlock.ts';

export interface SpinWorkerData {
  sab: SharedArrayBuffer;
  cpu: number;
  lock: number;
  iterations: number;
  /** i32 index of the counter (plain reads and writes) */
  counter: number;
  /** i32 index of the "tasks inside" instrumentation word (atomic) */
  inside: number;
  /** i32 index of the start barrier */
  go: number;
}

const d = workerData as SpinWorkerData;
const a = Arena.attach(d.sab);
const locks = new Locks(a, d.cpu);
const i32 = a.i32;
let overlaps = 0;
let maxHeld = 0;
Atomics.wait(i32, d.go, 0);
for (let k = 0; k < d.iterations; k++) {
  locks.lock(d.lock, 'test:counter');
  if (Atomics.add(i32, d.inside, 1) !== 0) overlaps++;
  maxHeld = Math.max(maxHeld, locks.held.length);
  const v = i32[d.counter];
  // widen the window between the read and the write: a lost update needs an overlap here
  if ((k & 31) === 0) for (let s = 0; s < 50; s++) Atomics.load(i32, d.go);
  i32[d.counter] = v + 1;
  Atomics.sub(i32, d.inside, 1);
  locks.unlock(d.lock);
}
parentPort!.postMessage({ overlaps, maxHeld, heldAtEnd: locks.held.length });
