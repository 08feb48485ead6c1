/**
 * The event log as ftrace text (what `cat /sys/kernel/tracing/trace` shows; Perfetto's text
 * importer reads sched_switch, sched_waking, sched_blocked_reason and tracing_mark_write).
 *   <comm>-<pid> [<cpu>] d..2. <sec.usec>: <event>: <args>
 * Proxy events without a kernel tracepoint are tracing_mark_write lines, so both Perfetto and grep
 * see them; sched_wakeup and sched_migrate_task are kept for humans.
 */
import type { TraceEvent } from './ring.ts';
import { EV, FPT_NAME } from './events.ts';
import { stateName } from '../sched/constants.ts';

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

/** prev_state as the kernel prints it */
function prevState(s: number): string {
  return s === 0 ? 'R' : stateName(s & 0x3) || 'R';
}

/** One event as one ftrace line; `cur` is the task current on that CPU at the time (line prefix). */
export function ftraceLine(ctx: TraceContext, e: TraceEvent, cur: number): string {
  const who = cur >= 0 ? cur : e.cpu;
  const head = `${commOf(ctx, who).padStart(16)}-${String(ctx.pidOf(who)).padEnd(5)} [${String(e.cpu).padStart(3, '0')}] d..2. ${ts(e.time).padStart(12)}: `;
  const n = (t: number): string => commOf(ctx, t);
  const pid = (t: number): number => ctx.pidOf(t);
  const prio = (t: number): number => ctx.prioOf(t);
  const mark = (text: string): string => `${head}tracing_mark_write: ${text}`;
  switch (e.type) {
    case EV.SCHED_SWITCH:
      return `${head}sched_switch: prev_comm=${n(e.task)} prev_pid=${pid(e.task)} prev_prio=${prio(e.task)} prev_state=${prevState(e.b)} ==> next_comm=${n(e.a)} next_pid=${pid(e.a)} next_prio=${prio(e.a)}`;
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
    case EV.WARN: return mark(`WARN: comm=${n(e.task)}`);
    case EV.VIOLATION: return mark(`VIOLATION: comm=${n(e.task)}`);
    default: return mark(`event${e.type}: task=${e.task} a=${e.a} b=${e.b} c=${e.c}`);
  }
}

/** The whole trace as ftrace text with the `# tracer: nop` header. */
export function ftraceText(ctx: TraceContext, events: readonly TraceEvent[], header: string[] = []): string {
  const cur = new Array<number>(ctx.nrCpus).fill(-1);
  const lines: string[] = ['# tracer: nop', '#', ...header.map((h) => `# ${h}`), '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |'];
  for (let k = 0; k < ctx.nrCpus; k++) cur[k] = k;
  for (const e of events) {
    lines.push(ftraceLine(ctx, e, cur[e.cpu]));
    if (e.type === EV.SCHED_SWITCH) cur[e.cpu] = e.a;
  }
  return lines.join('\n') + '\n';
}
