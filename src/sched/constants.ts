/** Kernel constants (include/linux/sched.h, kernel/sched/sched.h), as plain `as const` objects. */

export const TASK = {
  RUNNING: 0x0,
  INTERRUPTIBLE: 0x1,
  UNINTERRUPTIBLE: 0x2,
  __STOPPED: 0x4,
  __TRACED: 0x8,
  PARKED: 0x40,
  DEAD: 0x80,
  WAKEKILL: 0x100,
  WAKING: 0x200,
  NOLOAD: 0x400,
  NEW: 0x800,
  FROZEN: 0x8000,
} as const;
export const TASK_KILLABLE = TASK.WAKEKILL | TASK.UNINTERRUPTIBLE;
export const TASK_NORMAL = TASK.INTERRUPTIBLE | TASK.UNINTERRUPTIBLE;

/** v26 is_special_task_state(); Peter's sketch (design c) adds TASK_WAKING. */
export function isSpecialTaskState(s: number, wakingIsSpecial: boolean): boolean {
  const mask = TASK.__STOPPED | TASK.__TRACED | TASK.PARKED | TASK.DEAD | TASK.FROZEN |
    (wakingIsSpecial ? TASK.WAKING : 0);
  return (s & mask) !== 0;
}

export function stateName(s: number): string {
  if (s === 0) return 'R';
  const parts: string[] = [];
  if (s & TASK.INTERRUPTIBLE) parts.push('S');
  if (s & TASK.UNINTERRUPTIBLE) parts.push('D');
  if (s & TASK.__STOPPED) parts.push('T');
  if (s & TASK.__TRACED) parts.push('t');
  if (s & TASK.DEAD) parts.push('X');
  if (s & TASK.WAKEKILL) parts.push('K');
  if (s & TASK.WAKING) parts.push('W');
  if (s & TASK.NOLOAD) parts.push('N');
  if (s & TASK.NEW) parts.push('n');
  return parts.join('|') || `0x${s.toString(16)}`;
}

export const TASK_ON_RQ_QUEUED = 1;
export const TASK_ON_RQ_MIGRATING = 2;

export const DEQUEUE = { SLEEP: 0x01, SAVE: 0x02, MOVE: 0x04, NOCLOCK: 0x08, SPECIAL: 0x10, MIGRATING: 0x100, DELAYED: 0x200 } as const;
export const ENQUEUE = { WAKEUP: 0x01, RESTORE: 0x02, MOVE: 0x04, NOCLOCK: 0x08, MIGRATED: 0x40, DELAYED: 0x200 } as const;
export const WF = { EXEC: 0x02, FORK: 0x04, TTWU: 0x08, SYNC: 0x10, MIGRATED: 0x20, RQ_SELECTED: 0x80 } as const;

export const SCHED = { NORMAL: 0, FIFO: 1, IDLE_TASK: 5 } as const;
export const MAX_RT_PRIO = 100;
/** @kernel include/linux/sched/prio.h: RT 0..98 (MAX_RT_PRIO - 1 - rt_priority), fair NICE_TO_PRIO(nice) */
export function kernelPrio(policy: number, rtPrio: number, nice: number): number {
  return policy === SCHED.FIFO ? 99 - rtPrio : 120 + nice;
}

/** __schedule() modes */
export const SM = { NONE: 0, PREEMPT: 1, IDLE: 2 } as const;

/** task->blocked_on encoding */
export const BLOCKED_NULL = 0;
export const PROXY_WAKING = -1;
export function blockedOnMutex(m: number): number { return m + 1; }
export function mutexOfBlocked(v: number): number { return v - 1; }

/** mutex owner word */
export const MUTEX_FLAG = { WAITERS: 0x1, HANDOFF: 0x2, PICKUP: 0x4 } as const;
export const MUTEX_FLAGS = 0x7;
export function ownerWord(task: number): number { return (task + 1) << 3; }
/** __mutex_owner(): task index or -1 */
export function ownerTask(word: number): number { return (word >>> 3) - 1; }

export const EINTR = 4;

/** sched_prio_to_weight[] (kernel/sched/core.c), nice -20..19 */
export const PRIO_TO_WEIGHT = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
  9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
  110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
] as const;
export const NICE_0_LOAD = 1024;
