/**
 * Lockdep: the kernel's lock order as data, and the per-CPU held stacks.
 *
 *   p->siglock  ->  p->pi_lock  ->  rq->lock  ->  mutex->wait_lock  ->  p->blocked_lock
 *
 * Two rq locks only in ascending CPU order (double_rq_lock). Never two wait_locks or two
 * blocked_locks, never two pi_locks (v26 never nests them). A violation, an unlock by a non-owner
 * and a self-deadlock raise LockdepError naming both lock stacks (I14).
 */

export const LOCK_CLASS = {
  SIG: 0,
  PI: 1,
  RQ: 2,
  WAIT: 3,
  BLOCKED: 4,
} as const;
export type LockClass = (typeof LOCK_CLASS)[keyof typeof LOCK_CLASS];

const CLASS_NAMES = ['siglock', 'pi_lock', 'rq->lock', 'wait_lock', 'blocked_lock'];

/** A lock id packs class and index: class * 65536 + index (task, cpu or mutex). */
export function lockId(cls: LockClass, index: number): number { return cls * 65536 + index; }
export function lockClass(id: number): LockClass { return (id >>> 16) as LockClass; }
export function lockIndex(id: number): number { return id & 0xffff; }

/** Human name: rq[1]->lock, task[3]->pi_lock, mutex[0]->wait_lock. taskName maps task ids. */
export function lockName(id: number, taskName?: (t: number) => string): string {
  const cls = lockClass(id);
  const i = lockIndex(id);
  switch (cls) {
    case LOCK_CLASS.RQ: return `rq[${i}]->lock`;
    case LOCK_CLASS.WAIT: return `mutex[${i}]->wait_lock`;
    default: return `${taskName ? taskName(i) : `task[${i}]`}->${CLASS_NAMES[cls]}`;
  }
}

export class LockdepError extends Error {
  readonly kind: 'order' | 'non-owner-unlock' | 'self-deadlock' | 'not-held';
  readonly held: number[];
  readonly otherHeld: number[] | null;
  constructor(kind: LockdepError['kind'], msg: string, held: number[], otherHeld: number[] | null) {
    super(msg);
    this.kind = kind;
    this.held = held;
    this.otherHeld = otherHeld;
  }
}

/**
 * May `next` be acquired while `held` (in acquisition order) are held?
 * Returns the offending held lock, or -1 when the order is legal.
 */
export function orderConflict(held: readonly number[], next: number): number {
  const nc = lockClass(next);
  for (let k = held.length - 1; k >= 0; k--) {
    const h = held[k];
    const hc = lockClass(h);
    if (hc < nc) continue;
    if (hc === nc && nc === LOCK_CLASS.RQ && lockIndex(h) < lockIndex(next)) continue;
    return h;
  }
  return -1;
}
