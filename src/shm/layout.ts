/**
 * The ONLY place that knows the shape of the shared arena.
 *
 * Every struct is a table of fields. Each field names the lock that protects it, as the kernel's
 * comments in sched.h do; the same table gives offsets, the JSON dump and the README's table.
 * Fields are 32-bit integers (accessed through one Int32Array so Atomics work) or 64-bit floats
 * (times and vruntime; plain accesses, only ever under the lock named).
 *
 * Lock tags:
 *   rq        the rq->lock of the runqueue the task is queued on (task_rq(p))
 *   pi        p->pi_lock
 *   pi+rq     written under both, read under either (task_rq_lock)
 *   blocked   p->blocked_lock
 *   wait      mutex->wait_lock
 *   sig       p->siglock
 *   atomic    lockless, Atomics only (cmpxchg/xchg), like the kernel's atomic_t or READ_ONCE pairs
 *   self      written only by the CPU executing the task (its program state), read by others via dumps
 *   local     owned by one CPU worker (its own rq's statistics, its ring)
 *   immutable set before the CPUs start
 *
 * Handles: tasks and mutexes are indices. In pointer-valued fields, NULL is -1 (e.g. rq.curr never
 * is; task.list_cpu is -1 when on no list). blocked_on is special and keeps the kernel's encoding:
 * 0 = NULL, -1 = PROXY_WAKING, k>0 = mutex k-1.
 */

export type FieldKind = 'i32' | 'f64';
export type LockTag =
  | 'rq' | 'pi' | 'pi+rq' | 'blocked' | 'wait' | 'sig' | 'atomic' | 'self' | 'local' | 'immutable';

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly lock: LockTag;
  readonly doc: string;
  /** Number of consecutive slots (arrays inside a struct). Default 1. */
  readonly len?: number;
}

/** A field; its name (and whether it is an array) stays in the type, so a misspelt field does not compile. */
function f<const N extends string, const L extends number | undefined = undefined>(
  name: N, kind: FieldKind, lock: LockTag, doc: string, len?: L,
): FieldSpec & { readonly name: N; readonly len: L } {
  return { name, kind, lock, doc, len: len as L };
}

/** The values of a struct's fields by kernel name, as the host reads them after a run: a number, or
 *  an array for the fields with a length. */
export type FieldValues<Fs extends readonly FieldSpec[]> = {
  -readonly [F in Fs[number] as F['name']]: F['len'] extends number ? number[] : number
};

export const HEADER_FIELDS = [
  f('magic', 'i32', 'immutable', 'ARENA_MAGIC'),
  f('layout_hash', 'i32', 'immutable', 'hash of every field table; a worker with another hash refuses to attach'),
  f('nr_cpus', 'i32', 'immutable', 'simulated CPUs'),
  f('nr_tasks', 'i32', 'immutable', 'task records (the first nr_cpus are the idle tasks)'),
  f('nr_mutexes', 'i32', 'immutable', 'mutex records'),
  f('prog_len', 'i32', 'immutable', 'i32 slots of program per task'),
  f('ring_size', 'i32', 'immutable', 'events per CPU ring (power of two)'),
  f('strategy', 'i32', 'immutable', 'proxy design id (proxy/index.ts)'),
  f('bugs', 'i32', 'immutable', 'bitmask of planted known bugs (BUGn -> bit n)'),
  f('seed', 'i32', 'immutable', 'run seed'),
  f('delayed_ppm', 'i32', 'immutable', 'fair delayed-dequeue probability, parts per million'),
  f('chaos_ppm', 'i32', 'immutable', 'gate delay probability, parts per million'),
  f('chaos_max_ns', 'i32', 'immutable', 'longest injected delay'),
  f('tick_ns', 'i32', 'immutable', 'scheduler tick period'),
  f('count_i10', 'i32', 'immutable', '1: I10 is counted, not a violation, even for design (c) (to see what follows it)'),
  f('stop', 'i32', 'atomic', '1: CPUs finish their step and exit'),
  f('abort', 'i32', 'atomic', '!=0: a CPU hit BUG_ON / a violation; everyone stops (value = cpu+1)'),
  f('park', 'i32', 'atomic', '1: stop-the-world requested; CPUs park at a safe point'),
  f('parked', 'i32', 'atomic', 'CPUs parked'),
  f('nr_violations', 'i32', 'atomic', 'violations recorded'),
  f('nr_warns', 'i32', 'atomic', 'WARN_ON_ONCE style warnings recorded'),
  f('running', 'i32', 'atomic', 'CPUs inside their loop'),
  f('exited_tasks', 'i32', 'atomic', 'tasks that ran do_exit'),
  f('t0', 'f64', 'immutable', 'hrtime (ns) when the machine started; arena times are relative to it'),
] as const;

export const TASK_FIELDS = [
  // --- scheduler state (kernel names) ---
  f('__state', 'i32', 'pi', 'TASK_* bits. The task writes its own state locklessly (set_current_state); wakers write WAKING/RUNNING under pi_lock'),
  f('on_rq', 'i32', 'rq', '0, TASK_ON_RQ_QUEUED=1, TASK_ON_RQ_MIGRATING=2; written under the rq lock of task_cpu, read locklessly by ttwu'),
  f('on_cpu', 'i32', 'rq', '1 while the task is some rq->curr (set before the switch, cleared after it)'),
  f('cpu', 'i32', 'pi+rq', 'task_cpu(p): the rq it is (or will be) queued on'),
  f('wake_cpu', 'i32', 'pi+rq', 'placement hint for the next wakeup; preserved by proxy_set_task_cpu'),
  f('cpus_mask', 'i32', 'pi+rq', 'allowed CPUs (bit i = CPU i)'),
  f('nr_cpus_allowed', 'i32', 'pi+rq', 'popcount of cpus_mask'),
  f('policy', 'i32', 'pi+rq', 'SCHED_NORMAL=0, SCHED_FIFO=1, idle task=5'),
  f('prio', 'i32', 'pi+rq', 'kernel prio: RT 0..98 (99 - rt_priority), fair 100..139 (120 + nice)'),
  f('weight', 'i32', 'pi+rq', 'fair load weight from nice (sched_prio_to_weight)'),
  f('blocked_on', 'i32', 'blocked', '0=NULL, -1=PROXY_WAKING, k=mutex k-1 the task waits on'),
  f('sched_delayed', 'i32', 'rq', 'fair delayed dequeue: asked to sleep but still queued'),
  f('pi_lock', 'i32', 'atomic', 'raw spinlock word'),
  f('blocked_lock', 'i32', 'atomic', 'raw spinlock word'),
  f('siglock', 'i32', 'atomic', 'spinlock word (signal delivery; outermost)'),
  f('sigpending', 'i32', 'sig', 'TIF_SIGPENDING: a signal is queued (read locklessly by signal_pending_state)'),
  f('wake_q_next', 'i32', 'atomic', 'wake_q membership: 0 = not queued, else 1 (cmpxchg NULL->TAIL to claim)'),
  f('ttwu_active', 'i32', 'atomic', 'try_to_wake_up() calls in flight for this task (liveness checker)'),
  f('list_cpu', 'i32', 'rq', 'which rq list holds the task (-1: none); checked against cpu and on_rq (I3)'),
  f('affinity_pending', 'i32', 'pi+rq', 'an affinity move waits for the task to leave the CPU'),
  f('exited', 'i32', 'rq', 'do_exit() done'),
  f('pid', 'i32', 'immutable', 'pid shown in traces (0 for idle)'),
  f('is_idle', 'i32', 'immutable', '1 for a CPU idle task'),
  f('is_blocked_flag', 'i32', 'blocked', 'reserved for later designs (p->is_blocked)'),
  // --- program state: written only by the CPU that executes the task ---
  f('pc', 'i32', 'self', 'index of the next op in the program'),
  f('kpc', 'i32', 'self', 'kernel continuation: where the task resumes after schedule() (0 = none)'),
  f('kop_mutex', 'i32', 'self', 'mutex of the lock operation in progress'),
  f('kop_state', 'i32', 'self', 'TASK_* state of the lock operation in progress'),
  f('kop_first', 'i32', 'self', 'M12: was first waiter when it came back from schedule()'),
  f('loop_sp', 'i32', 'self', 'repeat-stack depth'),
  f('loop_stack', 'i32', 'self', 'repeat stack: [start pc, remaining] x 4', 8),
  f('held_mask', 'i32', 'self', 'mutexes the task holds (mutex k = bit k%32 of word k/32; up to 64)', 2),
  f('timer_armed', 'i32', 'atomic', '1 while a sleep timer is pending; the firing CPU claims it by cmpxchg'),
  f('timer_cpu', 'i32', 'atomic', 'CPU whose timer base holds the timer'),
  f('last_lock_result', 'i32', 'self', 'result of the last lock op (0, -EINTR, trylock 1/0)'),
  f('exec_cpu', 'i32', 'atomic', 'CPU currently executing this task\'s program step (-1 none) (I5)'),
  // --- per-task statistics (self/local) ---
  f('nr_switches', 'i32', 'rq', 'times switched in as rq->curr'),
  f('nr_wakeups', 'i32', 'atomic', 'successful try_to_wake_up()'),
  f('nr_acquired', 'i32', 'self', 'mutexes acquired'),
  f('nr_eintr', 'i32', 'self', 'mutex_lock_interruptible() returned -EINTR'),
  f('nr_trylock_fail', 'i32', 'self', 'failed trylocks'),
  f('nr_migrations', 'i32', 'atomic', 'task_cpu changes'),
  f('nr_proxied', 'i32', 'atomic', 'times run as the owner on behalf of a donor'),
  f('nr_donated', 'i32', 'atomic', 'times picked as a donor'),
  f('nr_signals', 'i32', 'self', 'signals delivered (on return to user)'),
  f('nr_ops', 'i32', 'self', 'program ops completed (global progress)'),
  f('vruntime', 'f64', 'rq', 'fair virtual runtime (ns); relative to rq min_vruntime while not queued'),
  f('sum_exec_runtime', 'f64', 'rq', 'ns charged as scheduling context (donor)'),
  f('exec_runtime', 'f64', 'self', 'ns executed as execution context (curr)'),
  f('exec_start', 'f64', 'rq', 'clock when it last started being charged'),
  f('slice_start', 'f64', 'rq', 'sum_exec_runtime when picked (fair slice)'),
  f('op_remaining', 'f64', 'self', 'run op: ns still to execute'),
  f('timer_expires', 'f64', 'atomic', 'sleep timer expiry (arena ns)'),
  f('start_at', 'f64', 'immutable', 'first wakeup time (arena ns)'),
  f('wake_time', 'f64', 'pi', 'time of the last successful wakeup (wakeup latency)'),
  f('block_time', 'f64', 'self', 'time the current mutex wait began'),
  f('sig_time', 'f64', 'sig', 'time the pending signal was sent (signal -> -EINTR latency)'),
  f('pw_time', 'f64', 'blocked', 'time blocked_on became PROXY_WAKING (return-migration latency)'),
] as const;

export const RQ_FIELDS = [
  f('lock', 'i32', 'atomic', 'rq->__lock spinlock word'),
  f('cpu', 'i32', 'immutable', 'cpu_of(rq)'),
  f('curr', 'i32', 'rq', 'execution context: the task whose code this CPU runs'),
  f('donor', 'i32', 'rq', 'scheduling context: the task the class picked (== curr unless proxying)'),
  f('idle', 'i32', 'immutable', 'this CPU\'s idle task'),
  f('nr_running', 'i32', 'rq', 'queued tasks including sched_delayed ones'),
  f('nr_queued', 'i32', 'rq', 'length of the queue array (must equal nr_running: I4)'),
  f('need_resched', 'i32', 'atomic', 'TIF_NEED_RESCHED of rq->curr (set remotely by resched_curr)'),
  f('ipi', 'i32', 'atomic', 'doorbell: bumped with Atomics.notify to kick an idle CPU'),
  f('balance_callback', 'i32', 'rq', 'deferred class work; must be zapped before a mid-pick lock drop (I16)'),
  f('nr_switches', 'i32', 'local', 'context switches'),
  f('nr_picks', 'i32', 'local', 'pick_next_task calls'),
  f('nr_ticks', 'i32', 'local', 'scheduler ticks (they run on idle CPUs too: the watchdog\'s clock)'),
  f('proxy_picks', 'i32', 'local', 'owner run on a donor\'s behalf'),
  f('donor_migrations', 'i32', 'local', 'proxy_migrate_task'),
  f('force_returns', 'i32', 'local', 'proxy_force_return that moved a task'),
  f('deactivations', 'i32', 'local', 'proxy_deactivate that dequeued the donor'),
  f('max_chain', 'i32', 'local', 'longest blocked_on chain walked'),
  f('proxy_idle', 'i32', 'local', 'find_proxy_task returned idle'),
  f('spinning_on', 'i32', 'atomic', 'lock id this CPU is waiting for (-1 none): soft-lockup report'),
  f('held_depth', 'i32', 'local', 'lockdep held-stack depth (mirror)'),
  f('held', 'i32', 'local', 'lockdep held-stack mirror (lock ids)', 8),
  f('in_schedule', 'i32', 'local', '1 while inside __schedule'),
  f('ring_head', 'i32', 'atomic', 'events written to this CPU\'s ring'),
  f('cur_task', 'i32', 'local', 'task whose op is executing (for crash reports)'),
  f('steps', 'i32', 'local', 'CPU loop iterations (progress)'),
  f('clock', 'f64', 'rq', 'rq clock (arena ns), update_rq_clock'),
  f('min_vruntime', 'f64', 'rq', 'fair min_vruntime'),
  f('next_tick', 'f64', 'local', 'time of the next scheduler tick'),
  f('idle_ns', 'f64', 'local', 'time spent idle'),
] as const;

export const MUTEX_FIELDS = [
  f('owner', 'i32', 'atomic', 'owner word: (task+1)<<3 | WAITERS 1 | HANDOFF 2 | PICKUP 4'),
  f('wait_lock', 'i32', 'atomic', 'raw spinlock word'),
  f('nr_waiters', 'i32', 'wait', 'length of the FIFO wait list'),
  f('holder', 'i32', 'atomic', 'instrumented: task inside the critical section (-1 none) (I1)'),
  f('inside', 'i32', 'atomic', 'instrumented: tasks inside the critical section (must be 0 or 1) (I1)'),
  f('unlocking', 'i32', 'atomic', 'unlockers between U2 and U6 (liveness checker)'),
  f('acquisitions', 'i32', 'atomic', 'successful acquisitions'),
  f('handoffs', 'i32', 'wait', 'ownership handed off (PICKUP)'),
] as const;

export const EVENT_FIELDS = [
  f('type', 'i32', 'local', 'event id (trace/events.ts)'),
  f('task', 'i32', 'local', 'subject task'),
  f('a', 'i32', 'local', 'argument'),
  f('b', 'i32', 'local', 'argument'),
  f('c', 'i32', 'local', 'argument'),
] as const;

/** Offsets of a struct: i32 slots and f64 slots counted separately. */
export interface StructLayout<N extends string> {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  readonly i32Stride: number;
  readonly f64Stride: number;
  readonly off: { readonly [K in N]: number };
  readonly kind: { readonly [K in N]: FieldKind };
}

function layoutOf<const T extends readonly FieldSpec[]>(name: string, fields: T): StructLayout<T[number]['name']> {
  const off: Record<string, number> = {};
  const kind: Record<string, FieldKind> = {};
  let i = 0;
  let d = 0;
  for (const fl of fields) {
    if (fl.name in off) throw new Error(`layout ${name}: duplicate field ${fl.name}`);
    kind[fl.name] = fl.kind;
    if (fl.kind === 'i32') { off[fl.name] = i; i += fl.len ?? 1; } else { off[fl.name] = d; d += fl.len ?? 1; }
  }
  return { name, fields, i32Stride: i, f64Stride: d, off: off as never, kind: kind as never };
}

export const HEADER = layoutOf('header', HEADER_FIELDS);
export const TASK = layoutOf('task', TASK_FIELDS);
export const RQ = layoutOf('rq', RQ_FIELDS);
export const MUTEX = layoutOf('mutex', MUTEX_FIELDS);
export const EVENT = layoutOf('event', EVENT_FIELDS);

/** Short aliases used by the kernel code: T.on_rq is the i32 (or f64) slot of task.on_rq. */
export const H = HEADER.off;
export const T = TASK.off;
export const R = RQ.off;
export const M = MUTEX.off;
export const E = EVENT.off;

export const ARENA_MAGIC = 0x70726f78; // "prox"

/** FNV-1a over every table: name, kind, lock and length of every field, in order. */
export function layoutHash(): number {
  let h = 0x811c9dc5;
  for (const s of [HEADER, TASK, RQ, MUTEX, EVENT]) {
    for (const fl of s.fields) {
      const str = `${s.name}.${fl.name}:${fl.kind}:${fl.lock}:${fl.len ?? 1};`;
      for (let k = 0; k < str.length; k++) { h ^= str.charCodeAt(k); h = Math.imul(h, 0x01000193); }
    }
  }
  return h | 0;
}

/** Sizes of the regions, derived from the counts. */
export interface Geometry {
  nr_cpus: number;
  nr_tasks: number;
  nr_mutexes: number;
  prog_len: number;
  ring_size: number;
}

/** Base offsets (in i32 or f64 units) of every region. */
export interface Regions {
  headerI: number; headerD: number;
  taskI: number; taskD: number;
  rqI: number; rqD: number;
  rqQueue: number;          // i32: per rq, nr_tasks slots (the run list, FIFO order)
  mutexI: number;
  mutexWait: number;        // i32: per mutex, nr_tasks slots (FIFO wait list)
  prog: number;             // i32: per task, prog_len slots
  ringI: number;            // i32: per cpu, ring_size events of EVENT.i32Stride
  ringD: number;            // f64: per cpu, ring_size timestamps
  i32Len: number;
  f64Len: number;
}

export function regionsOf(g: Geometry): Regions {
  let i = 0;
  let d = 0;
  const headerI = i; i += HEADER.i32Stride;
  const headerD = d; d += HEADER.f64Stride;
  const taskI = i; i += TASK.i32Stride * g.nr_tasks;
  const taskD = d; d += TASK.f64Stride * g.nr_tasks;
  const rqI = i; i += RQ.i32Stride * g.nr_cpus;
  const rqD = d; d += RQ.f64Stride * g.nr_cpus;
  const rqQueue = i; i += g.nr_tasks * g.nr_cpus;
  const mutexI = i; i += MUTEX.i32Stride * g.nr_mutexes;
  const mutexWait = i; i += g.nr_tasks * g.nr_mutexes;
  const prog = i; i += g.prog_len * g.nr_tasks;
  const ringI = i; i += EVENT.i32Stride * g.ring_size * g.nr_cpus;
  const ringD = d; d += g.ring_size * g.nr_cpus;
  return { headerI, headerD, taskI, taskD, rqI, rqD, rqQueue, mutexI, mutexWait, prog, ringI, ringD, i32Len: i, f64Len: d };
}
