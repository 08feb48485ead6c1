/**
 * Known bugs of spec §6 that proxysim can plant (--bug BUGn). Each toggles one branch in the real
 * code path (grep for `c.bug(n)`); with the toggle off the path is the kernel's.
 */
export interface KnownBug {
  n: number;
  /** designs it applies to */
  designs: string[];
  /** the invariant expected to catch it */
  caughtBy: string;
  /** other invariants that may fire first on the same fault (spec §6 names them too) */
  alsoBy?: string[];
  summary: string;
}

export const KNOWN_BUGS: KnownBug[] = [
  { n: 1, designs: ['force-return'], caughtBy: 'I9', alsoBy: ['L1'], summary: 'proxy_deactivate without the TASK_RUNNING guard: a signalled donor is dequeued RUNNING' },
  { n: 2, designs: ['force-return'], caughtBy: 'I9', alsoBy: ['L1'], summary: 'v22 force return: block_task + clear blocked_on + wake_up_process, which bails on a RUNNING task' },
  { n: 3, designs: ['force-return'], caughtBy: 'L3', alsoBy: ['L1'], summary: 'PROXY_WAKING / owner-NULL exits return proxy_resched_idle instead of forcing the return' },
  { n: 4, designs: ['force-return'], caughtBy: 'I18', alsoBy: ['I6'], summary: 'unlock clears blocked_on instead of setting PROXY_WAKING' },
  { n: 5, designs: ['force-return'], caughtBy: 'I6', alsoBy: ['I18'], summary: 'no return migration: F1/F6 just clear blocked_on and run the task where it is' },
  { n: 7, designs: ['force-return'], caughtBy: 'I5', summary: 'migrate/deactivate while curr is in the chain (curr_in_chain checks dropped)' },
  { n: 12, designs: ['none', 'force-return'], caughtBy: 'I2', summary: 'the mutex -EINTR path does not clear blocked_on' },
  { n: 13, designs: ['force-return'], caughtBy: 'I17', summary: 'blocked_on written without blocked_lock' },
  { n: 18, designs: ['none'], caughtBy: 'L1', summary: 'wake_up_q clears wake_q.next after waking: a concurrent wake_q_add is lost' },
  { n: 17, designs: ['ttwu-return'], caughtBy: 'I18', alsoBy: ['I6'], summary: 'proxy_needs_return trusts wake_cpu == this CPU although the affinity changed meanwhile' },
  { n: 21, designs: ['ttwu-return'], caughtBy: 'I6', alsoBy: ['I18'], summary: 'proxy_needs_return stays home but leaves the task rq->donor: a setaffinity skips it and it runs outside its new mask (found by proxysim)' },
  { n: 8, designs: ['ttwu-blocks-fixed'], caughtBy: 'I3', alsoBy: ['I4'], summary: 'ttwu_runnable handles blocked_on before requeueing a sched_delayed task' },
  { n: 9, designs: ['ttwu-blocks-fixed'], caughtBy: 'I3', alsoBy: ['I4', 'I5'], summary: 'no p == rq->curr guard: a task between M10 and M11 is dequeued while it runs' },
  { n: 10, designs: ['ttwu-blocks-fixed'], caughtBy: 'I8', summary: 'no donor reset: rq->donor is dequeued by ttwu_runnable and placed elsewhere' },
  { n: 11, designs: ['ttwu-blocks-fixed'], caughtBy: 'I10', alsoBy: ['I9'], summary: 'blocked_on not cleared on the full-wakeup and p == current paths' },
  { n: 20, designs: ['ttwu-blocks-fixed'], caughtBy: 'I3', alsoBy: ['I4'], summary: 'TASK_WAKING not a special state: block_task(WAKING) may be delayed while ttwu places the task elsewhere' },
];

/**
 * Not plantable here, and why:
 *  BUG14 needs the ttwu wakelist, which is not modelled (ttwu_queue always takes the target rq lock).
 *  BUG16 (drop the F10 re-check): with seq-cst atomics and the rq lock held, the owner cannot leave
 *  this rq between F8 and F10 in this model; the directed F10 test plays that race through the gate.
 */

export function bugByName(name: string): KnownBug | undefined {
  const m = /^BUG(\d+)$/i.exec(name);
  return m ? KNOWN_BUGS.find((b) => b.n === Number(m[1])) : undefined;
}
