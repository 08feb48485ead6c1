/**
 * The baseline: sched_proxy_exec=0. Mutex waiters sleep (block_task), unlock clears blocked_on and
 * wakes the waiter; nothing ever proxies. Every comparison needs it, and football's negative control
 * runs under it.
 */
import type { ProxyDesign } from './design.ts';
import { BUG } from './bugs.ts';

export const none: ProxyDesign = {
  name: 'none',
  summary: 'proxy execution off (sched_proxy_exec=0): mutex waiters sleep, unlock clears blocked_on',
  status: 'baseline',
  proxy: false,
  wakingIsSpecial: false,
  bugs: [
    // -EINTR leaves blocked_on behind
    { bug: BUG[12], exposedBy: { scenario: 'seed-signal' } },
    // a second unlock's wake_q_add lands while the first waker still owns wake_q.next
    // (under force-return the waiter whose wakeup is lost is still queued as a donor with
    // PROXY_WAKING, so the next pick returns it: proxy execution masks BUG18 in this set-up)
    { bug: BUG[18], exposedBy: { scenario: 'wakeq-race', chaos: { p: 1, maxNs: 2_000_000, windows: ['wake_up_q:after_wake'] } } },
  ],
  findProxyTask(): number { throw new Error('find_proxy_task with proxy execution off'); },
};
