/**
 * The event log as Chrome trace-event JSON (opens in Perfetto and chrome://tracing).
 *
 * One process "proxysim" (pid 1) with one thread per CPU (tid = cpu + 1, named CPU0, CPU1, ...):
 *  - `X` slices tile each CPU track: one per stretch a task is rq->curr (from SCHED_SWITCH), the idle
 *    task's stretches included (cat "idle"), so that every instant and arrow has a slice to bind to.
 *    A stretch in which rq->curr is not the donor (proxy execution) is its own slice named
 *    "<owner> (for <donor>)" (cat "proxy"): it starts at the switch to the owner, or at PROXY_RUN when
 *    the owner is already current, and ends at the owner's switch-out, at a PROXY_RUN for another donor,
 *    or when another CPU migrates the donor away (the owner then goes on in a slice of its own).
 *  - flow arrows (`s`/`f`, bp "e"): donor -> owner (from the donor's last slice or instant to the proxy
 *    slice), and proxy_migrate_task / proxy_force_return / other migrations from the source CPU to the
 *    destination CPU.
 *  - `i` instants (scope thread) on the CPU that recorded the event for everything else: wakeups,
 *    signals, mutex block/acquire/eintr/unlock, proxy migrations and returns, find_proxy_task exits,
 *    warnings and violations (and the run's findings, when given in meta.findings).
 * Timestamps are µs (floats with ns resolution: arena ns / 1000) as the format requires.
 */
import type { TraceEvent } from './ring.ts';
import type { TraceContext } from './ftrace.ts';
import { prevStateName, tracePrio } from './ftrace.ts';
import { EV, EV_NAME, FPT_NAME } from './events.ts';
import { stateName } from '../sched/constants.ts';
import { writeFileAtomic } from '../files.ts';

export const CHROME_PID = 1;
export const cpuTid = (cpu: number): number => cpu + 1;

export interface ChromeEvent {
  name: string;
  ph: 'X' | 'i' | 's' | 'f' | 'M' | 'C';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: 'e';
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ns';
  otherData: Record<string, unknown>;
}

/** A finding of the run (RunResult.findings), shown as an instant. */
export interface ChromeFinding {
  kind: string;
  id: string;
  msg: string;
  cpu: number;
  time: number;
}

export interface ChromeMeta {
  /** the run's findings, as instants (global when cpu < 0) */
  findings?: ChromeFinding[];
  /** end of the trace in arena ns (default: the last event) */
  endNs?: number;
  /** anything else goes to otherData */
  [key: string]: unknown;
}

interface Run {
  task: number;
  donor: number;
  startNs: number;
  /** owner running for another task */
  proxy: boolean;
  /** set by the first SCHED_SWITCH on the CPU (before it, the idle task is assumed) */
  known: boolean;
  /** where the donor was last seen: the donor -> owner arrow starts there */
  flowFrom?: Anchor;
}

interface Anchor { cpu: number; ns: number }

const us = (ns: number): number => Math.round(ns) / 1000;

/** Event kinds: instant name and category. */
const KIND: Record<number, [string, string]> = {
  [EV.SCHED_WAKING]: ['sched_waking', 'sched'],
  [EV.SCHED_WAKEUP]: ['sched_wakeup', 'sched'],
  [EV.SCHED_MIGRATE]: ['sched_migrate_task', 'sched'],
  [EV.MUTEX_BLOCK]: ['mutex_block', 'mutex'],
  [EV.MUTEX_ACQUIRE]: ['mutex_acquire', 'mutex'],
  [EV.MUTEX_EINTR]: ['mutex_eintr', 'mutex'],
  [EV.MUTEX_UNLOCK]: ['mutex_unlock', 'mutex'],
  [EV.MUTEX_TRYLOCK]: ['mutex_trylock', 'mutex'],
  [EV.MUTEX_RESUME]: ['mutex_resume', 'mutex'],
  [EV.PROXY_MIGRATE]: ['proxy_migrate_task', 'proxy'],
  [EV.PROXY_FORCE_RETURN]: ['proxy_force_return', 'proxy'],
  [EV.PROXY_DEACTIVATE]: ['proxy_deactivate', 'proxy'],
  [EV.PROXY_WAKING_SET]: ['proxy_waking', 'proxy'],
  [EV.FIND_PROXY_EXIT]: ['find_proxy_task', 'proxy'],
  [EV.PICK_DONOR]: ['pick_donor', 'proxy'],
  [EV.SIGNAL_SEND]: ['signal_generate', 'signal'],
  [EV.SIGNAL_DELIVER]: ['signal_deliver', 'signal'],
  [EV.TTWU_RUNNABLE]: ['ttwu_runnable', 'sched'],
  [EV.TTWU_FAIL]: ['ttwu_state_mismatch', 'sched'],
  [EV.SET_AFFINITY]: ['sched_setaffinity', 'sched'],
  [EV.SLEEP]: ['sleep', 'task'],
  [EV.EXIT]: ['exit', 'task'],
  [EV.BLOCK]: ['block_task', 'sched'],
  [EV.WARN]: ['WARN', 'check'],
  [EV.VIOLATION]: ['VIOLATION', 'check'],
};

/**
 * Instants that say where their task was (the donor -> owner arrow starts at the donor's last one, or at
 * the end of its last slice): what the task does itself, and its migrations (placed on the source CPU).
 * Wakeups, signals, pick_donor and find_proxy_task exits are recorded by other tasks' CPUs (the waker's,
 * the one picking the donor) and say nothing about where the donor came from.
 */
const ANCHORS = new Set<number>([
  EV.MUTEX_BLOCK, EV.MUTEX_ACQUIRE, EV.MUTEX_EINTR, EV.MUTEX_UNLOCK, EV.MUTEX_TRYLOCK, EV.MUTEX_RESUME,
  EV.SIGNAL_DELIVER, EV.SLEEP, EV.EXIT, EV.SCHED_MIGRATE, EV.PROXY_MIGRATE, EV.PROXY_FORCE_RETURN,
]);

export function chromeTrace(ctx: TraceContext, events: readonly TraceEvent[], meta: ChromeMeta = {}): ChromeTrace {
  const nr = ctx.nrCpus;
  const out: ChromeEvent[] = [];
  const n = (t: number): string => (t >= 0 ? ctx.names[t] ?? `task${t}` : '-');
  const isIdle = (t: number): boolean => t >= 0 && t < nr;
  const inCpu = (c: number): boolean => Number.isInteger(c) && c >= 0 && c < nr;

  const { findings, endNs: metaEnd, ...rest } = meta;
  let startNs = events.length ? events[0].time : 0;
  let lastNs = startNs;
  for (const e of events) { startNs = Math.min(startNs, e.time); lastNs = Math.max(lastNs, e.time); }
  const endNs = Math.max(metaEnd ?? lastNs, lastNs);

  // metadata: the process, one thread per CPU
  out.push({ name: 'process_name', ph: 'M', pid: CHROME_PID, args: { name: 'proxysim' } });
  out.push({ name: 'process_sort_index', ph: 'M', pid: CHROME_PID, args: { sort_index: 0 } });
  for (let c = 0; c < nr; c++) {
    out.push({ name: 'thread_name', ph: 'M', pid: CHROME_PID, tid: cpuTid(c), args: { name: `CPU${c}` } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid: CHROME_PID, tid: cpuTid(c), args: { sort_index: c } });
  }

  const runs: Run[] = [];
  for (let c = 0; c < nr; c++) runs.push({ task: c, donor: c, startNs, proxy: false, known: false });
  const anchor = new Map<number, Anchor>();
  let nextFlow = 1;
  let slices = 0;
  let proxySlices = 0;
  const mismatches: string[] = [];

  const flow = (name: string, cat: string, from: Anchor, to: Anchor, args?: Record<string, unknown>): void => {
    const id = nextFlow++;
    out.push({ name, cat, ph: 's', id, pid: CHROME_PID, tid: cpuTid(from.cpu), ts: us(from.ns), ...(args ? { args } : {}) });
    out.push({ name, cat, ph: 'f', bp: 'e', id, pid: CHROME_PID, tid: cpuTid(to.cpu), ts: us(to.ns), ...(args ? { args } : {}) });
  };

  /** Emit the CPU's current stretch, ending at `ns`. */
  const close = (cpu: number, ns: number, endState?: string, why?: string): void => {
    const r = runs[cpu];
    const t0 = Math.round(r.startNs);
    const t1 = Math.max(t0, Math.round(ns));
    const args: Record<string, unknown> = { pid: ctx.pidOf(r.task), prio: tracePrio(ctx, r.task), donor: n(r.donor) };
    if (r.proxy) {
      args.owner = n(r.task);
      args.donor_pid = ctx.pidOf(r.donor);
      args.donor_prio = tracePrio(ctx, r.donor);
    }
    if (endState !== undefined) args.end_state = endState;
    if (why !== undefined) args.ended_by = why;
    // the arrow ends inside the proxy slice (not on its start, shared with the slice before it)
    if (r.proxy && r.flowFrom) {
      flow('donor -> owner', 'proxy', r.flowFrom, { cpu, ns: t0 + Math.min(1000, (t1 - t0) / 2) }, { donor: n(r.donor), owner: n(r.task) });
    }
    out.push({
      name: r.proxy ? `${n(r.task)} (for ${n(r.donor)})` : n(r.task),
      cat: r.proxy ? 'proxy' : isIdle(r.task) ? 'idle' : 'task',
      ph: 'X', pid: CHROME_PID, tid: cpuTid(cpu), ts: t0 / 1000, dur: (t1 - t0) / 1000, args,
    });
    slices++;
    if (r.proxy) proxySlices++;
    // the task was last seen just before the end of this slice (inside it, for the arrow to bind)
    if (!isIdle(r.task)) anchor.set(r.task, { cpu, ns: Math.max(t0, t1 - Math.min(1000, (t1 - t0) / 2)) });
  };

  /** Start a stretch at `ns`; a proxy one gets the donor -> owner arrow (drawn when it closes). */
  const open = (cpu: number, ns: number, task: number, donor: number): void => {
    const proxy = donor >= 0 && donor !== task && !isIdle(task);
    runs[cpu] = { task, donor: donor >= 0 ? donor : task, startNs: ns, proxy, known: true, flowFrom: proxy ? anchor.get(donor) : undefined };
  };

  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const cpu = e.cpu;
    if (!inCpu(cpu)) continue;
    const ns = e.time;
    switch (e.type) {
      case EV.SCHED_SWITCH: {
        const r = runs[cpu];
        if (r.task !== e.task) {
          if (r.known) mismatches.push(`CPU${cpu} @${us(ns)}us: switch from ${n(e.task)} but rq->curr was ${n(r.task)}`);
          r.task = e.task; // before the first switch: whoever it switches from was current since the start
          r.donor = e.task;
          r.proxy = false;
        }
        close(cpu, ns, prevStateName(e.b));
        open(cpu, ns, e.a, e.c);
        continue;
      }
      case EV.PROXY_RUN: {
        // task = donor, a = owner. If the owner is already current (prev == next: no sched_switch follows),
        // the proxy stretch starts here; otherwise the switch to the owner (c = donor) starts it.
        const r = runs[cpu];
        if (r.task === e.a && !(r.proxy && r.donor === e.task)) {
          close(cpu, ns, undefined, `proxy_run for ${n(e.task)}`);
          open(cpu, ns, e.a, e.task);
        }
        continue;
      }
    }
    const kind = KIND[e.type] ?? [EV_NAME[e.type] ?? `event${e.type}`, 'other'];
    const [name, cat] = kind;
    const args = instantArgs(ctx, e, n);
    const subject = e.task >= 0 ? ` ${n(e.task)}` : '';
    const label = e.type === EV.FIND_PROXY_EXIT ? `${name}: ${FPT_NAME[e.a] ?? e.a}` : `${name}${subject}`;
    out.push({ name: label, cat, ph: 'i', s: 't', pid: CHROME_PID, tid: cpuTid(cpu), ts: us(ns), args });

    // migrations: an arrow from the source CPU to the destination CPU. sched_migrate_task is recorded with
    // proxy_migrate_task / proxy_force_return for the same move: one arrow (the proxy one) is enough.
    if (e.type === EV.SCHED_MIGRATE || e.type === EV.PROXY_MIGRATE || e.type === EV.PROXY_FORCE_RETURN) {
      const from = e.a;
      const to = e.b;
      const dup = e.type === EV.SCHED_MIGRATE && events.slice(i + 1, i + 8).some((x) => x.cpu === cpu && x.task === e.task
        && (x.type === EV.PROXY_MIGRATE || x.type === EV.PROXY_FORCE_RETURN) && x.a === from && x.b === to);
      if (inCpu(from) && inCpu(to) && from !== to && !dup) flow(name, cat, { cpu: from, ns }, { cpu: to, ns }, { task: n(e.task) });
      // the donor left the CPU where its owner runs for it: that proxy stretch is over
      if (inCpu(from) && from !== cpu && runs[from].proxy && runs[from].donor === e.task) {
        const owner = runs[from].task;
        close(from, ns, undefined, `${n(e.task)} migrated away`);
        open(from, ns, owner, owner);
      }
    }
    if (ANCHORS.has(e.type) && e.task >= 0 && !isIdle(e.task)) {
      const moved = e.type === EV.SCHED_MIGRATE || e.type === EV.PROXY_MIGRATE || e.type === EV.PROXY_FORCE_RETURN;
      anchor.set(e.task, { cpu: moved && inCpu(e.a) ? e.a : cpu, ns });
    }
  }
  for (let c = 0; c < nr; c++) close(c, endNs, undefined, 'end of trace');

  for (const f of findings ?? []) {
    const ts = us(Math.min(Math.max(f.time, startNs), endNs));
    const args = { kind: f.kind, id: f.id, msg: f.msg };
    if (inCpu(f.cpu)) out.push({ name: `${f.kind} ${f.id}`, cat: 'check', ph: 'i', s: 't', pid: CHROME_PID, tid: cpuTid(f.cpu), ts, args });
    else out.push({ name: `${f.kind} ${f.id}`, cat: 'check', ph: 'i', s: 'g', pid: CHROME_PID, tid: 0, ts, args });
  }

  // metadata first, then by time (stable: a flow's `s` stays before its `f`)
  const meta0 = out.filter((e) => e.ph === 'M');
  const timed = out.filter((e) => e.ph !== 'M').sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  // displayTimeUnit and otherData before the (long) event array: Perfetto's JSON tokenizer reads the
  // outer dictionary as a stream and only counts a late displayTimeUnit as "too late"
  return {
    displayTimeUnit: 'ns',
    otherData: {
      generator: 'proxysim',
      clock: 'arena time; ts in µs from the start of the run',
      cpus: nr,
      events: events.length,
      slices,
      proxy_slices: proxySlices,
      flows: nextFlow - 1,
      ...(mismatches.length ? { switch_mismatches: mismatches } : {}),
      ...rest,
    },
    traceEvents: meta0.concat(timed),
  };
}

/** The fields of an instant, as in the ftrace line. */
function instantArgs(ctx: TraceContext, e: TraceEvent, n: (t: number) => string): Record<string, unknown> {
  const a: Record<string, unknown> = {};
  if (e.task >= 0) { a.comm = n(e.task); a.pid = ctx.pidOf(e.task); }
  const m = (x: number): string => ctx.mutexName(x);
  switch (e.type) {
    case EV.SCHED_WAKING: a.target_cpu = e.a; a.waker = e.b >= 0 ? n(e.b) : 'irq'; break;
    case EV.SCHED_WAKEUP: a.target_cpu = e.a; break;
    case EV.SCHED_MIGRATE: case EV.PROXY_MIGRATE: case EV.PROXY_FORCE_RETURN: a.orig_cpu = e.a; a.dest_cpu = e.b; break;
    case EV.MUTEX_BLOCK: case EV.MUTEX_ACQUIRE: case EV.MUTEX_RESUME: case EV.PROXY_WAKING_SET: a.mutex = m(e.a); break;
    case EV.MUTEX_EINTR: a.mutex = m(e.a); a.ret = '-EINTR'; break;
    case EV.MUTEX_UNLOCK: a.mutex = m(e.a); a.woken = e.b >= 0 ? n(e.b) : '-'; a.handoff = e.c === 1; break;
    case EV.MUTEX_TRYLOCK: a.mutex = m(e.a); a.acquired = e.b === 1; break;
    case EV.SIGNAL_SEND: a.sender = n(e.a); break;
    case EV.TTWU_RUNNABLE: a.cpu = e.a; a.blocked_on = e.b === 1; break;
    case EV.TTWU_FAIL: a.state = stateName(e.a); a.blocked_on = e.b === 1; break;
    case EV.FIND_PROXY_EXIT: a.donor = n(e.task); a.exit = FPT_NAME[e.a] ?? e.a; a.p = n(e.b); break;
    case EV.SET_AFFINITY: a.mask = `0x${(e.a >>> 0).toString(16)}`; break;
    case EV.SLEEP: a.us = e.a; break;
    case EV.BLOCK: a.state = stateName(e.a); a.delayed = e.b === 1; break;
    case EV.WARN: case EV.VIOLATION: a.code = e.a; break;
    default: break;
  }
  return a;
}

/** chromeTrace() as a JSON file (written atomically). */
export function writeChromeTrace(file: string, ctx: TraceContext, events: readonly TraceEvent[], meta: ChromeMeta = {}): void {
  writeFileAtomic(file, JSON.stringify(chromeTrace(ctx, events, meta)) + '\n');
}
