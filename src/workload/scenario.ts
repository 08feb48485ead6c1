/**
 * The scenario format: what a user writes in a JSON file (or a built-in generates).
 * Validated whole by validate.ts; compiled into arena programs by program.ts.
 *
 * Durations are strings with a unit: "250us", "2ms", "1.5s" (also "ns"); numbers are not accepted
 * so that a file never silently means the wrong unit.
 */

export type Policy = 'fifo' | 'fair';

export type Op =
  /** Burn CPU for this much *runtime* (time while the task is rq->curr). */
  | { op: 'run'; for: string }
  /** mutex_lock(). With `critical`, runs those ops and then unlocks. */
  | { op: 'lock'; mutex: string; critical?: Op[] }
  /** mutex_lock_interruptible(). Result (0 or -EINTR) recorded. With `critical`, the ops run and the
   *  mutex is unlocked only when the lock was acquired; on -EINTR they are skipped. */
  | { op: 'lock_interruptible'; mutex: string; critical?: Op[] }
  /** mutex_trylock(). With `critical`, as for lock_interruptible. */
  | { op: 'trylock'; mutex: string; critical?: Op[] }
  | { op: 'unlock'; mutex: string }
  /** Sleep (timer wakeup) in TASK_INTERRUPTIBLE (default) or TASK_UNINTERRUPTIBLE. */
  | { op: 'sleep'; for: string; interruptible?: boolean }
  /** send_signal() to another task (or "self"). */
  | { op: 'signal'; task: string }
  /** sched_yield() */
  | { op: 'yield' }
  /** sched_setaffinity() on a task (default: self). */
  | { op: 'set_affinity'; task?: string; cpus: number[] }
  /** Repeat `body` `times` times; -1 = forever (until the run ends). */
  | { op: 'repeat'; times: number; body: Op[] }
  /** do_exit(): the task leaves for good. A program that runs off its end exits too. */
  | { op: 'exit' };

export interface TaskSpec {
  name: string;
  /** 'fifo' = SCHED_FIFO (needs `prio`), 'fair' = SCHED_NORMAL (optional `nice`). */
  policy: Policy;
  /** SCHED_FIFO user priority 1..99 (higher runs first). Only for 'fifo'. */
  prio?: number;
  /** -20..19, only for 'fair'. Default 0. */
  nice?: number;
  /** Allowed CPUs. Default: all CPUs of the scenario. */
  affinity?: number[];
  /** CPU the task is first woken on. Default: the first allowed CPU. Must be in affinity. */
  cpu?: number;
  /** Delay before the task is first woken. Default "0ms". */
  start?: string;
  program: Op[];
}

export interface Scenario {
  name: string;
  description?: string;
  /** Number of simulated CPUs (1..32). The CLI's --cpus overrides it. */
  cpus: number;
  /** Default run length; the CLI's --duration overrides it. */
  duration?: string;
  /** Probability (0..1) that a fair task's sleep is a delayed dequeue (sched_delayed). Default 0. */
  delayed_dequeue?: number;
  /** Mutex names, referenced by ops. */
  mutexes: string[];
  tasks: TaskSpec[];
}

/** A built-in scenario may depend on the CPU count (e.g. football: players per team = CPUs). */
export interface BuiltinScenario {
  name: string;
  /** One line for `list`. */
  summary: string;
  make(opts: { cpus?: number }): Scenario;
}
