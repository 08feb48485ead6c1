/**
 * Signals, reduced to what the mutex paths see (kernel/signal.c, include/linux/sched/signal.h).
 * One pending bit (TIF_SIGPENDING) per task under p->siglock; delivery happens on "return to user",
 * i.e. between program ops, where the bit is consumed.
 */
import type { Cpu } from '../sched/cpu.ts';
import { Locks } from '../sync/spinlock.ts';
import { T } from '../shm/layout.ts';
import { TASK } from '../sched/constants.ts';
import { EV } from '../trace/events.ts';
import { tryToWakeUp } from '../sched/ttwu.ts';

/**
 * @kernel kernel/signal.c send_signal_locked() + signal_wake_up_state():
 *   siglock -> queue -> TIF_SIGPENDING -> try_to_wake_up(t, TASK_INTERRUPTIBLE)
 */
export function sendSignal(c: Cpu, t: number, sender: number): void {
  c.locks.lock(Locks.sig(t), 'send_signal:siglock');
  c.tw(t, T.sigpending, 1);
  if (c.tgd(t, T.sig_time) === 0) c.tsd(t, T.sig_time, c.now());
  c.emit(EV.SIGNAL_SEND, t, sender);
  tryToWakeUp(c, t, TASK.INTERRUPTIBLE, 0);
  c.locks.unlock(Locks.sig(t));
}

/** Return to user space: the handler runs, the pending bit is consumed. */
export function deliverSignal(c: Cpu, p: number): boolean {
  if (!c.tr(p, T.sigpending)) return false;
  c.locks.lock(Locks.sig(p), 'deliver_signal:siglock');
  c.tw(p, T.sigpending, 0);
  c.tsd(p, T.sig_time, 0);
  c.locks.unlock(Locks.sig(p));
  c.ts(p, T.nr_signals, c.tg(p, T.nr_signals) + 1);
  c.emit(EV.SIGNAL_DELIVER, p);
  return true;
}
