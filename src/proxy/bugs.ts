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
  summary: string;
}

export const KNOWN_BUGS: KnownBug[] = [
  { n: 1, designs: ['force-return'], caughtBy: 'I9', summary: 'proxy_deactivate without the TASK_RUNNING guard: a signalled donor is dequeued RUNNING' },
  { n: 3, designs: ['force-return'], caughtBy: 'L3', summary: 'PROXY_WAKING / owner-NULL exits return proxy_resched_idle instead of forcing the return' },
  { n: 4, designs: ['force-return'], caughtBy: 'I18', summary: 'unlock clears blocked_on instead of setting PROXY_WAKING' },
  { n: 5, designs: ['force-return'], caughtBy: 'I6', summary: 'no return migration: F1/F6 just clear blocked_on and run the task where it is' },
  { n: 7, designs: ['force-return'], caughtBy: 'I5', summary: 'migrate/deactivate while curr is in the chain (curr_in_chain checks dropped)' },
  { n: 12, designs: ['none', 'force-return'], caughtBy: 'I2', summary: 'the mutex -EINTR path does not clear blocked_on' },
  { n: 13, designs: ['force-return'], caughtBy: 'I17', summary: 'blocked_on written without blocked_lock' },
  { n: 16, designs: ['force-return'], caughtBy: 'I8', summary: 'find_proxy_task drops the F10 re-check (owner queued on this rq)' },
  { n: 18, designs: ['none', 'force-return'], caughtBy: 'L1', summary: 'wake_up_q clears wake_q.next after waking: a concurrent wake_q_add is lost' },
];

export function bugByName(name: string): KnownBug | undefined {
  const m = /^BUG(\d+)$/i.exec(name);
  return m ? KNOWN_BUGS.find((b) => b.n === Number(m[1])) : undefined;
}
