/**
 * One interface for every return-migration design. The scheduler core calls these hooks and knows
 * nothing else about the designs; each design is one file.
 */
import type { Cpu } from '../sched/cpu.ts';
import type { KnownBug } from './bugs.ts';

/**
 * What a design is to the tools: `baseline` (no proxy execution: the control every comparison needs),
 * `correct` (must run every built-in scenario clean: hunt's clean runs, the stress default), or
 * `known-broken` (posted with holes: run to show them, left out of the stress default).
 */
export type DesignStatus = 'baseline' | 'correct' | 'known-broken';

/** A run that exposes a planted bug: a built-in scenario, and chaos aimed at the gate windows
 *  (prefixes) that widen its race (none: no chaos). */
export interface DirectedRun {
  scenario: string;
  cpus?: number;
  chaos?: { p: number; maxNs: number; windows: string[] };
}

/** A known bug that lives in this design's code path, and the run that exposes it (spec §6:
 *  change -> exposing interleaving -> catching invariant). */
export interface PlantableBug {
  bug: KnownBug;
  exposedBy: DirectedRun;
}

export interface ProxyDesign {
  /** strategy name on the command line */
  readonly name: string;
  /** one line for `list` */
  readonly summary: string;
  /** sched_proxy_exec: mutex waiters stay queued as donors */
  readonly proxy: boolean;
  /** is_special_task_state() includes TASK_WAKING (Peter's sketch) */
  readonly wakingIsSpecial: boolean;
  /** baseline, correct or known-broken (hunt, stress and compare derive their lists from it) */
  readonly status: DesignStatus;
  /** the known bugs that can be planted in this design (--bug BUGn), each with its directed run */
  readonly bugs: readonly PlantableBug[];
  /**
   * find_proxy_task(rq, donor) with rq->lock held (may drop and retake it).
   * Returns the task to run, -1 (NULL: pick again) or rq->idle.
   */
  findProxyTask(c: Cpu, donor: number): number;
  /** try_to_wake_up() T0 (p == current), before the state match */
  ttwuCurrent?(c: Cpu, p: number): void;
  /** T2 failed: return true to go on anyway (design b's "runnable but waking") */
  ttwuRunnableButWaking?(c: Cpu, p: number): boolean;
  /**
   * inside ttwu_runnable (held{pi, rq}), called before and after the sched_delayed requeue:
   * return true to refuse the wakeup and fall through to a full wakeup (select_task_rq)
   */
  ttwuRunnableBlocked?(c: Cpu, cpu: number, p: number, phase: 'before-delayed' | 'after-delayed'): boolean;
  /** try_to_wake_up() full path, right after WRITE_ONCE(p->__state, TASK_WAKING) (held{pi}) */
  ttwuFullWakeup?(c: Cpu, p: number): void;
  /**
   * try_to_block_task() found a signal pending for a task with blocked_on set (held{rq}).
   * Default (v26 as the issue describes it): blocked_on -> PROXY_WAKING.
   */
  signalPendingBlocked?(c: Cpu, p: number): void;
  /** TASK_RUNNING with blocked_on set outside __schedule is illegal (I10 is a violation, not a count) */
  readonly runningBlockedIllegal?: boolean;
}
