import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/shm/arena.ts';
import { M, R, T } from '../../src/shm/layout.ts';
import { HOST_OWNER, Locks } from '../../src/sync/spinlock.ts';
import { LOCK_CLASS, LockdepError, lockClass, lockIndex, lockName, orderConflict } from '../../src/sync/lockdep.ts';
import type { SpinWorkerData } from './spinlock-worker.ts';

const G = { nr_cpus: 4, nr_tasks: 8, nr_mutexes: 2, prog_len: 4, ring_size: 4 };

function arena(): Arena { return Arena.create(G); }

/** Run f, return the LockdepError it throws (fails the test if it throws nothing else). */
function lockdepError(f: () => void): LockdepError {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(LockdepError);
    return e as LockdepError;
  }
  throw new Error('expected a LockdepError, nothing was thrown');
}

describe('lock ids', () => {
  it('pack class and index and have readable names', () => {
    expect(lockClass(Locks.rq(3))).toBe(LOCK_CLASS.RQ);
    expect(lockIndex(Locks.rq(3))).toBe(3);
    expect(lockClass(Locks.blocked(7))).toBe(LOCK_CLASS.BLOCKED);
    expect(lockName(Locks.rq(1))).toBe('rq[1]->lock');
    expect(lockName(Locks.pi(5))).toBe('task[5]->pi_lock');
    expect(lockName(Locks.wait(0))).toBe('mutex[0]->wait_lock');
    expect(lockName(Locks.blocked(2), (t) => `T${t}`)).toBe('T2->blocked_lock');
    expect(lockName(Locks.sig(4))).toBe('task[4]->siglock');
  });

  it('orderConflict follows siglock -> pi -> rq -> wait -> blocked, rq ascending', () => {
    expect(orderConflict([Locks.sig(1), Locks.pi(1), Locks.rq(0), Locks.rq(2), Locks.wait(0)], Locks.blocked(1))).toBe(-1);
    expect(orderConflict([Locks.rq(0)], Locks.pi(1))).toBe(Locks.rq(0));
    expect(orderConflict([Locks.rq(2)], Locks.rq(1))).toBe(Locks.rq(2));
    expect(orderConflict([Locks.wait(0)], Locks.wait(1))).toBe(Locks.wait(0));
    expect(orderConflict([Locks.blocked(1)], Locks.blocked(2))).toBe(Locks.blocked(1));
    expect(orderConflict([Locks.pi(1)], Locks.pi(2))).toBe(Locks.pi(1));
    expect(orderConflict([], Locks.blocked(0))).toBe(-1);
  });
});

describe('Locks basics', () => {
  it('lock writes the owner id into the word and the held stack (and its rq mirror); unlock clears both', () => {
    const a = arena();
    const l = new Locks(a, 1);
    const w = l.word(Locks.pi(3));
    expect(w).toBe(a.t(3) + T.pi_lock);
    l.lock(Locks.pi(3), 'test');
    expect(Atomics.load(a.i32, w)).toBe(2); // cpu 1 -> owner id 2
    expect(l.held).toEqual([Locks.pi(3)]);
    expect(l.isHeld(Locks.pi(3))).toBe(true);
    expect(a.i32[a.rq(1) + R.held_depth]).toBe(1);
    expect(a.i32[a.rq(1) + R.held]).toBe(Locks.pi(3));
    l.lock(Locks.rq(0), 'test');
    expect(a.i32[a.rq(0) + R.lock]).toBe(2);
    expect(l.held).toEqual([Locks.pi(3), Locks.rq(0)]);
    expect(a.i32[a.rq(1) + R.held_depth]).toBe(2);
    l.unlock(Locks.rq(0));
    l.unlock(Locks.pi(3));
    expect(Atomics.load(a.i32, w)).toBe(0);
    expect(a.i32[a.rq(0) + R.lock]).toBe(0);
    expect(l.held).toEqual([]);
    expect(l.none()).toBe(true);
    expect(a.i32[a.rq(1) + R.held_depth]).toBe(0);
  });

  it('the host uses its own owner id and keeps no rq mirror', () => {
    const a = arena();
    const h = new Locks(a, -1);
    h.lock(Locks.wait(1), 'test');
    expect(a.i32[a.m(1) + M.wait_lock]).toBe(HOST_OWNER);
    for (let c = 0; c < G.nr_cpus; c++) expect(a.i32[a.rq(c) + R.held_depth]).toBe(0);
    h.unlock(Locks.wait(1));
    expect(a.i32[a.m(1) + M.wait_lock]).toBe(0);
  });

  it('trylock takes a free lock and fails on one held elsewhere, without blocking', () => {
    const a = arena();
    const l0 = new Locks(a, 0);
    const l1 = new Locks(a, 1);
    expect(l0.trylock(Locks.rq(2), 'test')).toBe(true);
    expect(l0.held).toEqual([Locks.rq(2)]);
    expect(l1.trylock(Locks.rq(2), 'test')).toBe(false);
    expect(l1.held).toEqual([]);
    expect(a.i32[a.rq(2) + R.lock]).toBe(1);
    // a trylock of a lock this thread already holds fails instead of deadlocking
    expect(l0.trylock(Locks.rq(2), 'test')).toBe(false);
    expect(l0.held).toEqual([Locks.rq(2)]);
    l0.unlock(Locks.rq(2));
    expect(l1.trylock(Locks.rq(2), 'test')).toBe(true);
    expect(a.i32[a.rq(2) + R.lock]).toBe(2);
    l1.unlock(Locks.rq(2));
    expect(l0.none() && l1.none()).toBe(true);
  });
});

describe('lockdep', () => {
  it('rq->lock then pi_lock is an order violation naming both locks; the pi_lock stays free', () => {
    const a = arena();
    const l = new Locks(a, 0);
    l.taskName = (t) => `worker${t}`;
    l.lock(Locks.rq(0), 'test:first');
    const e = lockdepError(() => l.lock(Locks.pi(3), 'test:second'));
    expect(e.kind).toBe('order');
    expect(e.message).toContain('lock order violation');
    expect(e.message).toContain('rq[0]->lock');
    expect(e.message).toContain('worker3->pi_lock');
    expect(e.message).toContain('test:second');
    expect(e.message).toContain('CPU0');
    expect(e.held).toEqual([Locks.rq(0)]);
    expect(a.i32[a.t(3) + T.pi_lock]).toBe(0);
    expect(l.held).toEqual([Locks.rq(0)]);
    l.unlock(Locks.rq(0));
    // the legal order works
    l.lock(Locks.pi(3), 'test');
    l.lock(Locks.rq(0), 'test');
    l.unlock(Locks.rq(0));
    l.unlock(Locks.pi(3));
    expect(l.none()).toBe(true);
  });

  it('wait_lock then blocked_lock is legal, blocked_lock then wait_lock is not', () => {
    const a = arena();
    const l = new Locks(a, 0);
    l.lock(Locks.wait(0), 'test');
    l.lock(Locks.blocked(5), 'test');
    l.unlock(Locks.blocked(5));
    l.unlock(Locks.wait(0));
    l.lock(Locks.blocked(5), 'test');
    const e = lockdepError(() => l.lock(Locks.wait(0), 'test'));
    expect(e.kind).toBe('order');
    expect(e.message).toContain('mutex[0]->wait_lock');
    expect(e.message).toContain('task[5]->blocked_lock');
    l.unlock(Locks.blocked(5));
  });

  it('two rq locks: ascending is fine, descending throws', () => {
    const a = arena();
    const l = new Locks(a, 0);
    l.lock(Locks.rq(1), 'test');
    l.lock(Locks.rq(3), 'test');
    expect(l.held).toEqual([Locks.rq(1), Locks.rq(3)]);
    l.unlock(Locks.rq(3));
    const e = lockdepError(() => l.lock(Locks.rq(0), 'test:double_rq_lock'));
    expect(e.kind).toBe('order');
    expect(e.message).toContain('acquiring rq[0]->lock');
    expect(e.message).toContain('rq[1]->lock');
    expect(a.i32[a.rq(0) + R.lock]).toBe(0);
    l.unlock(Locks.rq(1));
    expect(l.none()).toBe(true);
  });

  it('two wait_locks or two pi_locks are never nested', () => {
    const a = arena();
    const l = new Locks(a, 0);
    l.lock(Locks.wait(0), 'test');
    expect(lockdepError(() => l.lock(Locks.wait(1), 'test')).kind).toBe('order');
    l.unlock(Locks.wait(0));
    l.lock(Locks.pi(2), 'test');
    expect(lockdepError(() => l.lock(Locks.pi(3), 'test')).kind).toBe('order');
    l.unlock(Locks.pi(2));
    expect(l.none()).toBe(true);
  });

  it('re-taking a held lock is a self-deadlock (not a hang)', () => {
    const a = arena();
    const l = new Locks(a, 2);
    l.lock(Locks.rq(2), 'test');
    const e = lockdepError(() => l.lock(Locks.rq(2), 'test:again'));
    expect(e.kind).toBe('self-deadlock');
    expect(e.message).toContain('recursive locking');
    expect(e.message).toContain('rq[2]->lock');
    expect(e.message).toContain('CPU2');
    // the holder named is this very CPU
    expect(e.otherHeld).toEqual([Locks.rq(2)]);
    // also when it is not the innermost lock
    l.lock(Locks.wait(1), 'test');
    expect(lockdepError(() => l.lock(Locks.rq(2), 'test')).kind).toBe('self-deadlock');
    l.unlock(Locks.wait(1));
    l.unlock(Locks.rq(2));
    expect(l.none()).toBe(true);
  });

  it('unlocking a lock not held is a non-owner unlock naming the current held stack', () => {
    const a = arena();
    const l = new Locks(a, 0);
    l.lock(Locks.pi(4), 'test');
    l.lock(Locks.rq(1), 'test');
    const e = lockdepError(() => l.unlock(Locks.wait(0)));
    expect(e.kind).toBe('non-owner-unlock');
    expect(e.message).toContain('releases mutex[0]->wait_lock it does not hold');
    expect(e.message).toContain('held: [task[4]->pi_lock, rq[1]->lock]');
    expect(e.message).toContain('holder: nobody');
    expect(e.held).toEqual([Locks.pi(4), Locks.rq(1)]);
    // nothing changed
    expect(l.held).toEqual([Locks.pi(4), Locks.rq(1)]);
    l.unlock(Locks.rq(1));
    l.unlock(Locks.pi(4));
    expect(l.none()).toBe(true);
  });

  it('unlocking a lock another CPU holds names that CPU and its stack, and leaves the lock held', () => {
    const a = arena();
    const l0 = new Locks(a, 0);
    const l3 = new Locks(a, 3);
    l3.lock(Locks.rq(3), 'test');
    l3.lock(Locks.wait(1), 'test');
    const e = lockdepError(() => l0.unlock(Locks.wait(1)));
    expect(e.kind).toBe('non-owner-unlock');
    expect(e.message).toContain('CPU0 releases mutex[1]->wait_lock');
    expect(e.message).toContain('held: []');
    expect(e.message).toContain('holder: CPU3 [rq[3]->lock, mutex[1]->wait_lock]');
    expect(e.otherHeld).toEqual([Locks.rq(3), Locks.wait(1)]);
    expect(a.i32[a.m(1) + M.wait_lock]).toBe(4);
    l3.unlock(Locks.wait(1));
    l3.unlock(Locks.rq(3));
  });

  it('an order violation names who holds the wanted lock', () => {
    const a = arena();
    const l0 = new Locks(a, 0);
    const l1 = new Locks(a, 1);
    l1.lock(Locks.pi(6), 'test');
    l0.lock(Locks.rq(0), 'test');
    const e = lockdepError(() => l0.lock(Locks.pi(6), 'test'));
    expect(e.message).toContain('holder of task[6]->pi_lock: CPU1 [task[6]->pi_lock]');
    expect(e.otherHeld).toEqual([Locks.pi(6)]);
    l0.unlock(Locks.rq(0));
    l1.unlock(Locks.pi(6));
  });

  it('assertHeld throws not-held unless this thread holds the lock', () => {
    const a = arena();
    const l0 = new Locks(a, 0);
    const l1 = new Locks(a, 1);
    const e = lockdepError(() => l0.assertHeld(Locks.rq(0), 'enqueue_task'));
    expect(e.kind).toBe('not-held');
    expect(e.message).toContain('enqueue_task requires rq[0]->lock held on CPU0');
    // held by someone else is not held by us
    l1.lock(Locks.rq(0), 'test');
    expect(lockdepError(() => l0.assertHeld(Locks.rq(0), 'x')).kind).toBe('not-held');
    expect(() => l1.assertHeld(Locks.rq(0), 'x')).not.toThrow();
    l1.unlock(Locks.rq(0));
    expect(lockdepError(() => l1.assertHeld(Locks.rq(0), 'x')).kind).toBe('not-held');
  });
});

// ---------------------------------------------------------------- contention on real threads

const REGISTER = pathToFileURL(fileURLToPath(new URL('../../workers/register-tsx.mjs', import.meta.url))).href;
const WORKER = new URL('./spinlock-worker.ts', import.meta.url);

/** as src/machine.ts workerExecArgv() */
function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (!argv.some((x) => x.includes('register-tsx'))) argv.push('--import', REGISTER);
  return argv;
}

interface WorkerResult { overlaps: number; maxHeld: number; heldAtEnd: number }

async function contend(nWorkers: number, iterations: number): Promise<{ total: number; results: WorkerResult[]; a: Arena }> {
  const a = arena();
  const lock = Locks.wait(1);
  const counter = a.m(0) + M.acquisitions;
  const inside = a.m(0) + M.inside;
  const go = a.m(0) + M.unlocking;
  const workers: Worker[] = [];
  const results: Promise<WorkerResult>[] = [];
  const online: Promise<void>[] = [];
  for (let cpu = 0; cpu < nWorkers; cpu++) {
    const data: SpinWorkerData = { sab: a.sab, cpu, lock, iterations, counter, inside, go };
    const w = new Worker(WORKER, { workerData: data, execArgv: workerExecArgv(), name: `spin${cpu}` });
    workers.push(w);
    online.push(new Promise((res) => w.once('online', () => res())));
    results.push(new Promise((res, rej) => {
      w.once('message', (m: WorkerResult) => res(m));
      w.once('error', rej);
      w.once('exit', (code) => rej(new Error(`worker ${cpu} exited with ${code} before reporting`)));
    }));
  }
  try {
    await Promise.all(online);
    Atomics.store(a.i32, go, 1);
    Atomics.notify(a.i32, go);
    const res = await Promise.all(results);
    return { total: a.i32[counter], results: res, a };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

describe('spinlock mutual exclusion on worker_threads', () => {
  it('2 workers x 100k increments under one lock give the exact total', async () => {
    const n = 100_000;
    const { total, results, a } = await contend(2, n);
    expect(results.map((r) => r.overlaps)).toEqual([0, 0]);
    expect(results.map((r) => r.maxHeld)).toEqual([1, 1]);
    expect(results.map((r) => r.heldAtEnd)).toEqual([0, 0]);
    expect(total).toBe(2 * n);
    expect(a.i32[a.m(1) + M.wait_lock]).toBe(0);
  });

  it('4 workers (more than the cores) x 100k increments give the exact total', async () => {
    const n = 100_000;
    const { total, results, a } = await contend(4, n);
    expect(results.map((r) => r.overlaps)).toEqual([0, 0, 0, 0]);
    expect(total).toBe(4 * n);
    // the CONTENDED bit is gone with the last unlock
    expect(a.i32[a.m(1) + M.wait_lock]).toBe(0);
    // no CPU is left marked as spinning (0: never went slow, -1: cleared after the slow path)
    for (let c = 0; c < 4; c++) expect([0, -1]).toContain(a.i32[a.rq(c) + R.spinning_on]);
  });
});
