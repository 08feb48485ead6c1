/**
 * Every gate window, by name: a lock acquisition ('<function>:<lock>') or a deliberate lockless
 * read / race window. --chaos-window takes these names or their prefixes. test/sync/windows.test.ts
 * checks this list against the source so the two cannot drift apart.
 */
export const GATE_WINDOWS = [
  '__schedule:prev_state', '__schedule:rq_lock', 'cpu_loop:need_resched', '__task_rq_lock:read_cpu',
  'clear_task_blocked_on:blocked_lock', 'deliver_signal:siglock', 'do_sched_yield:rq_lock',
  'find_proxy_task:blocked_lock', 'find_proxy_task:read_blocked_on', 'find_proxy_task:read_owner_cpu',
  'find_proxy_task:read_owner_on_rq', 'find_proxy_task:recheck_owner', 'find_proxy_task:wait_lock',
  'finish_task:on_cpu_clear', 'migration_cpu_stop:task_rq_lock', 'move_queued_task:dest_rq_lock',
  'move_queued_task:relock', 'mutex_lock:M10_M11', 'mutex_lock:M13_blocked_lock', 'mutex_lock:M13_wait_lock',
  'mutex_lock:blocked_lock', 'mutex_lock:err_blocked_lock', 'mutex_lock:fastpath', 'mutex_lock:first_waiter',
  'mutex_lock:wait_lock', 'mutex_trylock:owner', 'mutex_unlock:before_wait_lock', 'mutex_unlock:before_wake_up_q',
  'mutex_unlock:wait_lock', 'proxy_deactivate:read_state', 'proxy_force_return:after_unlock',
  'proxy_force_return:attach_rq_lock', 'proxy_force_return:before_attach', 'proxy_force_return:task_rq_lock',
  'proxy_migrate_task:after_unlock', 'proxy_migrate_task:attach_rq_lock', 'proxy_needs_return:blocked_lock',
  'proxy_reacquire_rq_lock', 'sched_setaffinity:task_rq_lock', 'sched_tick:rq_lock', 'select_task_rq:read_rqs',
  'send_signal:siglock', 'set_task_blocked_on_waking:blocked_lock', 'task_rq_lock:read_cpu',
  'try_to_block_task:blocked_lock', 'try_to_wake_up:on_cpu_wait', 'try_to_wake_up:pi_lock',
  'try_to_wake_up:read_on_rq', 'ttwu_queue:before_rq_lock', 'ttwu_queue:rq_lock', 'ttwu_runnable:blocked_lock',
  'ttwu_runnable:rq_lock', 'wake_up_q:after_wake', 'wake_up_q:before_wake',
] as const;

/** What a step at a window does, for the drawings of `replay` (a lock, a lockless read, a point). */
const ACCESS: Record<string, string> = {
  '__schedule:prev_state': 'reads prev->__state', '__task_rq_lock:read_cpu': 'reads task_cpu(p)',
  'task_rq_lock:read_cpu': 'reads task_cpu(p)', 'find_proxy_task:read_blocked_on': 'reads p->blocked_on',
  'find_proxy_task:read_owner_cpu': 'reads task_cpu(owner)', 'find_proxy_task:read_owner_on_rq': 'reads owner->on_rq',
  'find_proxy_task:recheck_owner': 'reads __mutex_owner() again', 'finish_task:on_cpu_clear': 'writes prev->on_cpu = 0',
  'move_queued_task:relock': 'rq->lock (relock)', 'mutex_lock:M10_M11': 'between set_current_state() and schedule()',
  'mutex_lock:fastpath': 'cmpxchg lock->owner', 'mutex_lock:first_waiter': 'reads the first waiter',
  'mutex_trylock:owner': 'cmpxchg lock->owner', 'mutex_unlock:before_wait_lock': 'owner released, wait_lock next',
  'mutex_unlock:before_wake_up_q': 'wait_lock dropped, wake_up_q() next', 'proxy_deactivate:read_state': 'reads p->__state',
  'proxy_force_return:after_unlock': 'rq->lock dropped mid-pick', 'proxy_force_return:before_attach': 'p detached, not yet attached',
  'proxy_migrate_task:after_unlock': 'rq->lock dropped mid-pick', 'proxy_reacquire_rq_lock': 'rq->lock (retaken)',
  'select_task_rq:read_rqs': 'reads every rq->donor/curr', 'try_to_wake_up:on_cpu_wait': 'spins while p->on_cpu',
  'try_to_wake_up:read_on_rq': 'reads p->on_rq', 'ttwu_queue:before_rq_lock': 'rq->lock next',
  'wake_up_q:after_wake': 'woke one task', 'wake_up_q:before_wake': 'wakes the next task',
  cpu_loop: 'loop top: tick, timers', 'cpu_loop:need_resched': 'reads need_resched (set by resched_curr)', idle: 'idle: waits for an IPI or a timer',
  spin: 'retries a held spinlock', relax: 'cpu_relax()', host_sample: 'host: stop-the-world checks',
};

export function windowAccess(w: string): string {
  const a = ACCESS[w];
  if (a !== undefined) return a;
  const lock = w.slice(w.lastIndexOf(':') + 1);
  if (/rq_lock$/.test(lock)) return 'takes rq->lock';
  if (lock === 'pi_lock') return 'takes p->pi_lock';
  if (/blocked_lock$/.test(lock)) return 'takes p->blocked_lock';
  if (/wait_lock$/.test(lock)) return 'takes mutex->wait_lock';
  if (lock === 'siglock') return 'takes sighand->siglock';
  return '';
}
