/**
 * For each plantable bug, the directed scenario that exposes it and the gate windows where chaos
 * widens the race (spec §6: change -> exposing interleaving -> catching invariant).
 */
export interface DirectedCase {
  bug: number;
  design: string;
  scenario: string;
  cpus?: number;
  /** chaos aimed at these windows (prefixes); none = no chaos */
  chaos?: { p: number; maxNs: number; windows: string[] };
}

export const DIRECTED: DirectedCase[] = [
  // the seed's scenario: a signalled donor (RUNNING + blocked) meets a sleeping owner
  { bug: 1, design: 'force-return', scenario: 'seed-signal' },
  // the unlock's ttwu already made the donor RUNNING; the v22 return blocks it and wakes nobody
  { bug: 2, design: 'force-return', scenario: 'seed-signal-s2' },
  // a RUNNING + PROXY_WAKING donor picked over and over, idle each time
  { bug: 3, design: 'force-return', scenario: 'seed-signal-s2' },
  // the woken donor sits on its owner's CPU with blocked_on = NULL
  { bug: 4, design: 'force-return', scenario: 'seed-signal-s2' },
  { bug: 5, design: 'force-return', scenario: 'seed-signal-s2' },
  // the donor is rq->curr when its chain is first walked (§10 E11)
  { bug: 7, design: 'force-return', scenario: 'seed-signal' },
  // -EINTR leaves blocked_on behind
  { bug: 12, design: 'force-return', scenario: 'seed-signal' },
  { bug: 12, design: 'none', scenario: 'seed-signal' },
  { bug: 13, design: 'force-return', scenario: 'seed-signal' },
  // a second unlock's wake_q_add lands while the first waker still owns wake_q.next
  { bug: 18, design: 'none', scenario: 'wakeq-race', chaos: { p: 1, maxNs: 2_000_000, windows: ['wake_up_q:after_wake'] } },
  // (under force-return the waiter whose wakeup is lost is still queued as a donor with
  // PROXY_WAKING, so the next pick returns it: proxy execution masks BUG18 in this set-up)
  // setaffinity on a current donor at home, then the unlock
  { bug: 17, design: 'ttwu-return', scenario: 'affinity-local' },
  // the stay path of proxy_needs_return leaves a no-longer-blocked current donor behind
  // (chaos on entering __schedule widens the window between the stay decision and the next pick)
  { bug: 21, design: 'ttwu-return', scenario: 'affinity-local', chaos: { p: 0.5, maxNs: 300_000, windows: ['__schedule:rq_lock'] } },
  { bug: 8, design: 'ttwu-blocks-fixed', scenario: 'sleeping-owners' },
  { bug: 9, design: 'ttwu-blocks-fixed', scenario: 'wake-current', chaos: { p: 0.3, maxNs: 200_000, windows: ['mutex_lock:M10_M11'] } },
  // a signal to the current donor while its owner runs for it
  { bug: 10, design: 'ttwu-blocks-fixed', scenario: 'seed-signal-s3' },
  // the even episodes: the signal reaches a deactivated donor through the full wakeup
  { bug: 11, design: 'ttwu-blocks-fixed', scenario: 'seed-signal' },
  { bug: 20, design: 'ttwu-blocks-fixed', scenario: 'sleeping-owners' },
];

/** Scenarios every correct design must run clean (with light chaos everywhere). */
export const CLEAN_SCENARIOS = [
  'pi-basic', 'seed-signal', 'seed-signal-s2', 'seed-signal-s3', 'seed-signal-s4', 'chain-3cpu', 'affinity-donors',
  'handoff-storm', 'sleeping-owners', 'wake-current', 'affinity-local', 'wakeq-race', 'football', 'fuzz',
];
export const CORRECT_DESIGNS = ['none', 'force-return', 'ttwu-return', 'ttwu-blocks-fixed'];
/** The seed's sketch as posted: run on the same scenarios, its violations are the finding. */
export const SKETCH_DESIGN = 'ttwu-blocks';
export const CLEAN_CHAOS = { p: 0.01, maxNs: 50_000, windows: [] as string[] };
