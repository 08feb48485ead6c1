/**
 * The event log as ftrace text (what `cat /sys/kernel/tracing/trace` shows; Perfetto's text
 * importer reads sched_switch, sched_waking, sched_blocked_reason and tracing_mark_write).
 *   <comm>-<pid> [<cpu>] d..2. <sec.usec>: <event>: <args>
 * Proxy events without a kernel tracepoint are free-text tracing_mark_write lines for humans and grep
 * (Perfetto counts them as systrace parse failures and skips them); ftraceText() adds atrace B/E marks so
 * that Perfetto shows each proxy stretch as a slice. sched_wakeup and sched_migrate_task are kept for humans.
 */
import type { TraceEvent } from './ring.ts';
import { EV, FPT_NAME, WARN_IDS, violationName } from './events.ts';
import { stateName, TASK } from '../sched/constants.ts';

export interface TraceContext {
  names: string[];
  pidOf: (t: number) => number;
  prioOf: (t: number) => number;
  mutexName: (m: number) => string;
  /** the idle task of each CPU, for the line's comm when the event has no task */
  nrCpus: number;
}

function ts(ns: number): string {
  const us = Math.max(0, Math.floor(ns / 1000));
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

function commOf(ctx: TraceContext, t: number): string {
  const n = ctx.names[t] ?? `task${t}`;
  return n.replace(/\s/g, '_');
}

/** The kernel prints the idle task's prio as 120 (init_task: MAX_PRIO - 20); the simulator keeps 140 internally. */
const IDLE_KERNEL_PRIO = 120;

/**
 * prev_state as the kernel prints it: __trace_sched_switch_state() reduces __state (plus exit_state) to the
 * one highest TASK_REPORT bit (task_state_index()), printed as one of S D T t X Z P I, or R when none.
 * TASK_IDLE (UNINTERRUPTIBLE|NOLOAD) prints I; TASK_KILLABLE (WAKEKILL|UNINTERRUPTIBLE) prints D; a dead task
 * prints X (EXIT_DEAD). A preempted task prints R+ (the SCHED_SWITCH event carries -1 for it).
 */
export function prevStateName(s: number): string {
  if (s === -1) return 'R+';
  if (s === (TASK.UNINTERRUPTIBLE | TASK.NOLOAD)) return 'I';
  if (s & TASK.PARKED) return 'P';
  if (s & TASK.DEAD) return 'X';
  if (s & TASK.__TRACED) return 't';
  if (s & TASK.__STOPPED) return 'T';
  if (s & TASK.UNINTERRUPTIBLE) return 'D';
  if (s & TASK.INTERRUPTIBLE) return 'S';
  return 'R';
}

/** The idle task of CPU k is task k (pid 0). */
function isIdle(ctx: TraceContext, t: number): boolean {
  return t >= 0 && t < ctx.nrCpus;
}

/** A task's prio as the kernel's tracepoints print it (the idle task: 120). */
export function tracePrio(ctx: TraceContext, t: number): number {
  return isIdle(ctx, t) ? IDLE_KERNEL_PRIO : ctx.prioOf(t);
}

/**
 * `<comm>-<pid> [<cpu>] <flags> <ts>: ` as trace_print_context() prints it: "%16s-%-7d [%03d] " then the
 * irq-info flags and " %5lu.%06lu". The idle task is "<idle>" there (trace_find_cmdline() for pid 0),
 * swapper/N in sched_switch's fields.
 */
function lineHead(ctx: TraceContext, cpu: number, cur: number, time: number): string {
  const who = cur >= 0 ? cur : cpu;
  const comm = isIdle(ctx, who) ? '<idle>' : commOf(ctx, who);
  return `${comm.padStart(16)}-${String(ctx.pidOf(who)).padEnd(7)} [${String(cpu).padStart(3, '0')}] d..2. ${ts(time).padStart(12)}: `;
}

/** One event as one ftrace line; `cur` is the task current on that CPU at the time (line prefix). */
export function ftraceLine(ctx: TraceContext, e: TraceEvent, cur: number): string {
  const head = lineHead(ctx, e.cpu, cur, e.time);
  const n = (t: number): string => commOf(ctx, t);
  const pid = (t: number): number => ctx.pidOf(t);
  const prio = (t: number): number => tracePrio(ctx, t);
  const mark = (text: string): string => `${head}tracing_mark_write: ${text}`;
  switch (e.type) {
    case EV.SCHED_SWITCH:
      return `${head}sched_switch: prev_comm=${n(e.task)} prev_pid=${pid(e.task)} prev_prio=${prio(e.task)} prev_state=${prevStateName(e.b)} ==> next_comm=${n(e.a)} next_pid=${pid(e.a)} next_prio=${prio(e.a)}`;
    case EV.SCHED_WAKING:
      return `${head}sched_waking: comm=${n(e.task)} pid=${pid(e.task)} prio=${prio(e.task)} target_cpu=${String(e.a).padStart(3, '0')}`;
    case EV.SCHED_WAKEUP:
      return `${head}sched_wakeup: comm=${n(e.task)} pid=${pid(e.task)} prio=${prio(e.task)} target_cpu=${String(e.a).padStart(3, '0')}`;
    case EV.SCHED_MIGRATE:
      return `${head}sched_migrate_task: comm=${n(e.task)} pid=${pid(e.task)} prio=${prio(e.task)} orig_cpu=${e.a} dest_cpu=${e.b}`;
    case EV.MUTEX_BLOCK:
      return `${head}sched_blocked_reason: pid=${pid(e.task)} iowait=0 caller=mutex_lock:${ctx.mutexName(e.a)}`;
    case EV.MUTEX_ACQUIRE: return mark(`mutex_acquire: comm=${n(e.task)} pid=${pid(e.task)} mutex=${ctx.mutexName(e.a)}`);
    case EV.MUTEX_EINTR: return mark(`mutex_eintr: comm=${n(e.task)} pid=${pid(e.task)} mutex=${ctx.mutexName(e.a)} ret=-EINTR`);
    case EV.MUTEX_UNLOCK: return mark(`mutex_unlock: comm=${n(e.task)} pid=${pid(e.task)} mutex=${ctx.mutexName(e.a)} woken=${e.b >= 0 ? n(e.b) : '-'}${e.c ? ' handoff' : ''}`);
    case EV.MUTEX_TRYLOCK: return mark(`mutex_trylock: comm=${n(e.task)} pid=${pid(e.task)} mutex=${ctx.mutexName(e.a)} ret=${e.b}`);
    case EV.MUTEX_RESUME: return mark(`mutex_resume: comm=${n(e.task)} pid=${pid(e.task)} mutex=${ctx.mutexName(e.a)}`);
    case EV.PROXY_RUN: return mark(`proxy_run: donor=${n(e.task)} donor_pid=${pid(e.task)} owner=${n(e.a)} owner_pid=${pid(e.a)}`);
    case EV.PROXY_MIGRATE: return mark(`proxy_migrate_task: comm=${n(e.task)} pid=${pid(e.task)} from_cpu=${e.a} to_cpu=${e.b}`);
    case EV.PROXY_FORCE_RETURN: return mark(`proxy_force_return: comm=${n(e.task)} pid=${pid(e.task)} from_cpu=${e.a} to_cpu=${e.b}`);
    case EV.PROXY_DEACTIVATE: return mark(`proxy_deactivate: comm=${n(e.task)} pid=${pid(e.task)}`);
    case EV.PROXY_WAKING_SET: return mark(`proxy_waking: comm=${n(e.task)} pid=${pid(e.task)} mutex=${ctx.mutexName(e.a)} blocked_on=PROXY_WAKING`);
    case EV.FIND_PROXY_EXIT: return mark(`find_proxy_task: donor=${n(e.task)} exit=${FPT_NAME[e.a] ?? e.a} p=${n(e.b)}`);
    case EV.PICK_DONOR: return mark(`pick_donor: comm=${n(e.task)} pid=${pid(e.task)}`);
    case EV.SIGNAL_SEND: return mark(`signal_generate: comm=${n(e.task)} pid=${pid(e.task)} sender=${n(e.a)}`);
    case EV.SIGNAL_DELIVER: return mark(`signal_deliver: comm=${n(e.task)} pid=${pid(e.task)}`);
    case EV.TTWU_RUNNABLE: return mark(`ttwu_runnable: comm=${n(e.task)} pid=${pid(e.task)} cpu=${e.a} state=RUNNING${e.b ? ' blocked_on=set' : ''}`);
    case EV.TTWU_FAIL: return mark(`ttwu_state_mismatch: comm=${n(e.task)} pid=${pid(e.task)} state=${stateName(e.a)}${e.b ? ' blocked_on=set' : ''}`);
    case EV.SET_AFFINITY: return mark(`sched_setaffinity: comm=${n(e.task)} pid=${pid(e.task)} mask=0x${(e.a >>> 0).toString(16)}`);
    case EV.SLEEP: return mark(`sleep: comm=${n(e.task)} pid=${pid(e.task)} us=${e.a}`);
    case EV.EXIT: return mark(`exit: comm=${n(e.task)} pid=${pid(e.task)}`);
    case EV.BLOCK: return mark(`block_task: comm=${n(e.task)} pid=${pid(e.task)} state=${stateName(e.a)}${e.b ? ' delayed' : ''}`);
    case EV.WARN: return mark(`WARN: ${WARN_IDS[e.a - 1] ?? 'unlisted'} comm=${n(e.task)}`);
    case EV.VIOLATION: return mark(`VIOLATION: ${violationName(e.a)} comm=${n(e.task)}`);
    default: return mark(`event${e.type}: task=${e.task} a=${e.a} b=${e.b} c=${e.c}`);
  }
}

/**
 * The whole trace as ftrace text with the `# tracer: nop` header.
 * Besides one line per event, a proxy-execution stretch ("owner runs for donor") is bracketed by atrace
 * marks on the owner's thread, `tracing_mark_write: B|<owner pid>|<owner> (for <donor>)` ... `E|<owner pid>`,
 * which Perfetto's systrace importer shows as a slice (it ignores the other, free-text marks). The stretch
 * starts at the switch to the owner (or at proxy_run when the owner is already current) and ends at the
 * owner's switch-out, at a proxy_run for another donor, or when another CPU migrates the donor away.
 */
export function ftraceText(ctx: TraceContext, events: readonly TraceEvent[], header: string[] = []): string {
  const cur = new Array<number>(ctx.nrCpus).fill(-1);
  const proxy = new Array<{ owner: number; donor: number } | null>(ctx.nrCpus).fill(null);
  const lines: string[] = [];
  const head: string[] = ['# tracer: nop', '#',
    '', // entries-in-buffer, filled in at the end
    '#', ...header.map((h) => `# ${h}`), '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |'];
  for (let k = 0; k < ctx.nrCpus; k++) cur[k] = k;
  const mark = (cpu: number, time: number, text: string): string =>
    `${lineHead(ctx, cpu, cur[cpu], time)}tracing_mark_write: ${text}`;
  const begin = (cpu: number, time: number, owner: number, donor: number): void => {
    proxy[cpu] = { owner, donor };
    lines.push(mark(cpu, time, `B|${ctx.pidOf(owner)}|${commOf(ctx, owner)} (for ${commOf(ctx, donor)})`));
  };
  const end = (cpu: number, time: number): void => {
    const p = proxy[cpu];
    if (!p) return;
    proxy[cpu] = null;
    lines.push(mark(cpu, time, `E|${ctx.pidOf(p.owner)}`));
  };
  for (const e of events) {
    const cpu = e.cpu;
    if (e.type === EV.SCHED_SWITCH) end(cpu, e.time);
    lines.push(ftraceLine(ctx, e, cur[cpu]));
    switch (e.type) {
      case EV.SCHED_SWITCH:
        cur[cpu] = e.a;
        if (e.c >= 0 && e.c !== e.a && !isIdle(ctx, e.a)) begin(cpu, e.time, e.a, e.c);
        break;
      case EV.PROXY_RUN: {
        const p = proxy[cpu];
        if (cur[cpu] !== e.a || (p && p.owner === e.a && p.donor === e.task)) break;
        end(cpu, e.time);
        begin(cpu, e.time, e.a, e.task);
        break;
      }
      case EV.SCHED_MIGRATE:
      case EV.PROXY_MIGRATE:
      case EV.PROXY_FORCE_RETURN: {
        const from = e.a;
        if (from >= 0 && from < ctx.nrCpus && from !== cpu && proxy[from]?.donor === e.task) end(from, e.time);
        break;
      }
    }
  }
  head[2] = `# entries-in-buffer/entries-written: ${lines.length}/${lines.length}   #P:${ctx.nrCpus}`;
  return head.concat(lines).join('\n') + '\n';
}
