/**
 * Design (a): proxy execution as merged in v26 ("Simple Donor Migration"). The wakeup path is
 * untouched; return migration happens only when the foreign CPU picks the donor again and
 * find_proxy_task() sees PROXY_WAKING, a NULL owner, or a sleeping owner with a RUNNING donor,
 * and calls proxy_force_return().
 */
import type { ProxyDesign } from './design.ts';
import { findProxyTaskV26 } from './chain.ts';
import { BUG } from './bugs.ts';

export const forceReturn: ProxyDesign = {
  name: 'force-return',
  summary: 'the v26 series as merged: return migration by proxy_force_return() from find_proxy_task()',
  proxy: true,
  wakingIsSpecial: false,
  status: 'correct',
  bugs: [
    // the seed's scenario: a signalled donor (RUNNING + blocked) meets a sleeping owner
    { bug: BUG[1], exposedBy: { scenario: 'seed-signal' } },
    // the unlock's ttwu already made the donor RUNNING; the v22 return blocks it and wakes nobody
    { bug: BUG[2], exposedBy: { scenario: 'seed-signal-s2' } },
    // a RUNNING + PROXY_WAKING donor picked over and over, idle each time
    { bug: BUG[3], exposedBy: { scenario: 'seed-signal-s2' } },
    // the woken donor sits on its owner's CPU with blocked_on = NULL
    { bug: BUG[4], exposedBy: { scenario: 'seed-signal-s2' } },
    { bug: BUG[5], exposedBy: { scenario: 'seed-signal-s2' } },
    // the donor is rq->curr when its chain is first walked (§10 E11)
    { bug: BUG[7], exposedBy: { scenario: 'seed-signal' } },
    // -EINTR leaves blocked_on behind
    { bug: BUG[12], exposedBy: { scenario: 'seed-signal' } },
    { bug: BUG[13], exposedBy: { scenario: 'seed-signal' } },
  ],
  findProxyTask(c, donor) {
    return findProxyTaskV26(c, donor, { forceReturn: true, deactivate: 'v26' });
  },
};
