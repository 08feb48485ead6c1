/**
 * Design (a): proxy execution as merged in v26 ("Simple Donor Migration"). The wakeup path is
 * untouched; return migration happens only when the foreign CPU picks the donor again and
 * find_proxy_task() sees PROXY_WAKING, a NULL owner, or a sleeping owner with a RUNNING donor,
 * and calls proxy_force_return().
 */
import type { ProxyDesign } from './design.ts';
import { findProxyTaskV26 } from './chain.ts';

export const forceReturn: ProxyDesign = {
  name: 'force-return',
  summary: 'the v26 series as merged: return migration by proxy_force_return() from find_proxy_task()',
  proxy: true,
  wakingIsSpecial: false,
  bugs: [1, 2, 3, 4, 5, 7, 12, 13, 18],
  findProxyTask(c, donor) {
    return findProxyTaskV26(c, donor, { forceReturn: true, deactivate: 'v26' });
  },
};
