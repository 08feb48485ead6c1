/**
 * What the scheduler and the mutex slowpath ask of signals: is one pending that this sleep state
 * lets in? A leaf (no wakeup code), so sched/core can ask without importing the signal senders.
 */
import type { Cpu } from '../sched/cpu.ts';
import { T } from '../shm/layout.ts';
import { TASK } from '../sched/constants.ts';

/** @kernel include/linux/sched/signal.h signal_pending_state() */
export function signalPendingState(c: Cpu, state: number, p: number): boolean {
  if (!(state & (TASK.INTERRUPTIBLE | TASK.WAKEKILL))) return false;
  if (!c.tr(p, T.sigpending)) return false;
  return (state & TASK.INTERRUPTIBLE) !== 0;
}
