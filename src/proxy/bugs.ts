/**
 * The known bugs of spec §6 that proxysim can plant (--bug BUGn), described once. Each toggles one
 * branch in the real code path (grep for `c.bug(n)`); with the toggle off the path is the kernel's.
 * Which design a bug can be planted in, and the directed run that exposes it, is part of the design's
 * record (`ProxyDesign.bugs`, proxy/design.ts): a design lists the bugs that live in its code.
 */

export interface KnownBug {
  n: number;
  /** the invariant expected to catch it */
  caughtBy: string;
  /** other invariants that may fire first on the same fault (spec §6 names them too) */
  alsoBy?: readonly string[];
  summary: string;
}

/** Planted bugs are bits of a 32-bit word in the arena header (BUGn -> bit n). */
export const MAX_BUG = 31;

function bug(n: number, caughtBy: string, summary: string, alsoBy?: string[]): KnownBug {
  return { n, caughtBy, summary, alsoBy };
}

export const BUG = {
  1: bug(1, 'I9', 'proxy_deactivate without the TASK_RUNNING guard: a signalled donor is dequeued RUNNING', ['L1']),
  2: bug(2, 'I9', 'v22 force return: block_task + clear blocked_on + wake_up_process, which bails on a RUNNING task', ['L1']),
  3: bug(3, 'L3', 'PROXY_WAKING / owner-NULL exits return proxy_resched_idle instead of forcing the return', ['L1']),
  4: bug(4, 'I18', 'unlock clears blocked_on instead of setting PROXY_WAKING', ['I6']),
  5: bug(5, 'I6', 'no return migration: F1/F6 just clear blocked_on and run the task where it is', ['I18']),
  7: bug(7, 'I5', 'migrate/deactivate while curr is in the chain (curr_in_chain checks dropped)'),
  8: bug(8, 'I3', 'ttwu_runnable handles blocked_on before requeueing a sched_delayed task', ['I4']),
  9: bug(9, 'I3', 'no p == rq->curr guard: a task between M10 and M11 is dequeued while it runs', ['I4', 'I5']),
  10: bug(10, 'I8', 'no donor reset: rq->donor is dequeued by ttwu_runnable and placed elsewhere'),
  11: bug(11, 'I10', 'blocked_on not cleared on the full-wakeup and p == current paths', ['I9']),
  12: bug(12, 'I2', 'the mutex -EINTR path does not clear blocked_on'),
  13: bug(13, 'I17', 'blocked_on written without blocked_lock'),
  17: bug(17, 'I18', 'proxy_needs_return trusts wake_cpu == this CPU although the affinity changed meanwhile', ['I6']),
  18: bug(18, 'L1', 'wake_up_q clears wake_q.next after waking: a concurrent wake_q_add is lost'),
  20: bug(20, 'I3', 'TASK_WAKING not a special state: block_task(WAKING) may be delayed while ttwu places the task elsewhere', ['I4']),
  21: bug(21, 'I6', 'proxy_needs_return stays home but leaves the task rq->donor: a setaffinity skips it and it runs outside its new mask (found by proxysim)', ['I18']),
} as const satisfies Record<number, KnownBug>;

/**
 * Not plantable here, and why:
 *  BUG14 needs the ttwu wakelist, which is not modelled (ttwu_queue always takes the target rq lock).
 *  BUG16 (drop the F10 re-check): with seq-cst atomics and the rq lock held, the owner cannot leave
 *  this rq between F8 and F10 in this model; the directed F10 test plays that race through the gate.
 */

/** The bug described under number n, if any. */
export function knownBug(n: number): KnownBug | undefined {
  return (BUG as Record<number, KnownBug>)[n];
}

/** The one place "BUGn" is read: "BUG11", "bug11" -> 11; anything else -> null. */
export function parseBugName(s: string): number | null {
  const m = /^bug(\d{1,3})$/i.exec(s.trim());
  return m ? Number(m[1]) : null;
}

export function bugName(n: number): string {
  return `BUG${n}`;
}
