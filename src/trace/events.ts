/**
 * Event ids, named like the tracepoints they stand for. Each event: time, cpu (the ring), task and
 * up to three arguments, whose meaning is given here once.
 */
export const EV = {
  /** task=prev a=next b=prev_state (-1: preempted, printed R+) c=donor(next's scheduling context) */
  SCHED_SWITCH: 1,
  /** task=p a=target_cpu b=waker task (-1 irq) */
  SCHED_WAKING: 2,
  /** task=p a=cpu it was activated on */
  SCHED_WAKEUP: 3,
  /** task=p a=orig_cpu b=dest_cpu */
  SCHED_MIGRATE: 4,
  /** task=p a=mutex : blocked on a mutex (sched_blocked_reason) */
  MUTEX_BLOCK: 5,
  /** task=p a=mutex */
  MUTEX_ACQUIRE: 6,
  /** task=p a=mutex */
  MUTEX_EINTR: 7,
  /** task=p a=mutex b=woken waiter (-1 none) c=handoff(1) */
  MUTEX_UNLOCK: 8,
  /** task=donor a=owner b=chain length : owner runs on the donor's behalf */
  PROXY_RUN: 9,
  /** task=p a=from b=to : proxy_migrate_task */
  PROXY_MIGRATE: 10,
  /** task=p a=from b=to : proxy_force_return moved p */
  PROXY_FORCE_RETURN: 11,
  /** task=donor : proxy_deactivate dequeued it */
  PROXY_DEACTIVATE: 12,
  /** task=p a=mutex : unlock marked the waiter PROXY_WAKING */
  PROXY_WAKING_SET: 13,
  /** task=target a=sender */
  SIGNAL_SEND: 14,
  /** task=p */
  SIGNAL_DELIVER: 15,
  /** task=p a=state : ttwu_runnable made a queued task RUNNING (b=1 if still blocked_on) */
  TTWU_RUNNABLE: 16,
  /** task=donor a=exit id (FPT_EXIT) b=chain element */
  FIND_PROXY_EXIT: 17,
  /** task=p a=mask */
  SET_AFFINITY: 18,
  /** task=p a=mutex b=1 acquired / 0 failed */
  MUTEX_TRYLOCK: 19,
  /** task=p a=duration us */
  SLEEP: 20,
  /** task=p */
  EXIT: 21,
  /** task=p a=warn id (WARN_IDS index + 1) */
  WARN: 22,
  /** task=p a=violation code (violationCode) */
  VIOLATION: 23,
  /** task=p a=state : try_to_block_task dequeued prev (b=1 delayed) */
  BLOCK: 24,
  /** task=p : donor picked: find_proxy_task entered */
  PICK_DONOR: 25,
  /** task=p : try_to_wake_up failed state match (c=1 if blocked_on set) */
  TTWU_FAIL: 26,
  /** task=p a=mutex : waiter returned from schedule() (M12) */
  MUTEX_RESUME: 27,
} as const;
export type EventId = (typeof EV)[keyof typeof EV];

export const EV_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(EV).map(([k, v]) => [v, k.toLowerCase()]));

/** WARN ids, so a WARN event names its check (a = index + 1; 0 = unlisted) */
export const WARN_IDS = [
  'attach_task_rq', 'blocked_on_waking', 'clear_blocked_on', 'deactivate_sleep', 'dequeue_delayed_again',
  'enqueue_delayed_not_delayed', 'exit_holding_mutex', 'exited_runs', 'force_return_curr', 'force_return_on_cpu',
  'fpt_owner_not_queued', 'mutex_flags_no_owner', 'proxy_deactivate_running', 'proxy_migrate_curr',
  'select_fallback_rq', 'set_blocked_on', 'set_task_cpu_queued', 'unlock_not_owner', 'unlock_owner_changed', 'unlock_pickup',
] as const;

/** Violation ids as event arguments: In -> n, Ln -> 100 + n */
export function violationCode(id: string): number {
  const m = /^([IL])(\d+)/.exec(id);
  return m ? (m[1] === 'L' ? 100 : 0) + Number(m[2]) : 0;
}
export function violationName(code: number): string {
  return code === 0 ? '?' : code > 100 ? `L${code - 100}` : `I${code}`;
}

/** find_proxy_task exits (spec §3.7), recorded with FIND_PROXY_EXIT. */
export const FPT = {
  F1_WAKING_RUN_SELF: 1,
  F1_WAKING_FORCE_RETURN: 2,
  F3_CHAIN_CHANGED: 3,
  F6_OWNER_NULL_RUN_SELF: 4,
  F6_OWNER_NULL_FORCE_RETURN: 5,
  F7_OWNER_SLEEPING_IDLE: 6,
  F7_OWNER_SLEEPING_DEACTIVATE: 7,
  F8_OWNER_REMOTE_IDLE: 8,
  F8_OWNER_REMOTE_MIGRATE: 9,
  F9_OWNER_MIGRATING: 10,
  F10_RECHECK_FAILED: 11,
  F11_OWNER_IS_P: 12,
  F12_RUN_OWNER: 13,
  DEACTIVATE_REFUSED_FORCE_RETURN: 14,
  E15_NO_BLOCKED_ON: 15,
} as const;
export const FPT_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(FPT).map(([k, v]) => [v, k]));
