/**
 * The arena read back by field name, driven by the same field tables that give the offsets: every
 * task, runqueue (with its list) and mutex (with its wait list), fields under their kernel names.
 * This is how code outside the kernel reads the kernel's state: never by raw offset.
 */
import type { Arena } from './arena.ts';
import {
  HEADER, HEADER_FIELDS, MUTEX, MUTEX_FIELDS, RQ, RQ_FIELDS, TASK, TASK_FIELDS,
  type FieldValues, type StructLayout,
} from './layout.ts';

export type HeaderState = FieldValues<typeof HEADER_FIELDS>;
export type TaskState = FieldValues<typeof TASK_FIELDS> & { id: number; name: string };
export type RqState = FieldValues<typeof RQ_FIELDS> & { queue: number[] };
export type MutexState = FieldValues<typeof MUTEX_FIELDS> & { id: number; name: string; waiters: number[] };

/** The whole kernel state, by kernel names. */
export interface ArenaDump {
  header: HeaderState;
  tasks: TaskState[];
  rqs: RqState[];
  mutexes: MutexState[];
}

function fields<V>(a: Arena, s: StructLayout<string>, i32Base: number, f64Base: number): V {
  const out: Record<string, number | number[]> = {};
  for (const f of s.fields) {
    const off = (s.off as Record<string, number>)[f.name];
    const read = (k: number): number => (f.kind === 'i32' ? a.i32[i32Base + off + k] : a.f64[f64Base + off + k]);
    out[f.name] = f.len === undefined ? read(0) : Array.from({ length: f.len }, (_, k) => read(k));
  }
  return out as V;
}

export function readHeader(a: Arena): HeaderState {
  return fields(a, HEADER as StructLayout<string>, a.r.headerI, a.r.headerD);
}

export function readTask(a: Arena, p: number, name = `task[${p}]`): TaskState {
  return { id: p, name, ...fields<FieldValues<typeof TASK_FIELDS>>(a, TASK as StructLayout<string>, a.t(p), a.td(p)) };
}

export function readRq(a: Arena, c: number): RqState {
  const r = fields<FieldValues<typeof RQ_FIELDS>>(a, RQ as StructLayout<string>, a.rq(c), a.rqd(c));
  const n = Math.max(0, Math.min(r.nr_queued, a.nrTasks));
  return { ...r, queue: Array.from({ length: n }, (_, k) => a.i32[a.queue(c) + k]) };
}

export function readMutex(a: Arena, m: number, name = `m${m}`): MutexState {
  const r = fields<FieldValues<typeof MUTEX_FIELDS>>(a, MUTEX as StructLayout<string>, a.m(m), 0);
  const n = Math.max(0, Math.min(r.nr_waiters, a.nrTasks));
  return { id: m, name, ...r, waiters: Array.from({ length: n }, (_, k) => a.i32[a.waitList(m) + k]) };
}

export function dumpArena(a: Arena, names: readonly string[] = [], mutexNames: readonly string[] = []): ArenaDump {
  return {
    header: readHeader(a),
    tasks: Array.from({ length: a.nrTasks }, (_, p) => readTask(a, p, names[p])),
    rqs: Array.from({ length: a.nrCpus }, (_, c) => readRq(a, c)),
    mutexes: Array.from({ length: a.nrMutexes }, (_, m) => readMutex(a, m, mutexNames[m])),
  };
}

/** The field tables as a Markdown table (README: which lock protects which field). */
export function layoutTable(): string {
  const rows: string[] = ['| struct | field | kind | lock | meaning |', '|---|---|---|---|---|'];
  for (const s of [TASK, RQ, MUTEX] as StructLayout<string>[]) {
    for (const f of s.fields) rows.push(`| ${s.name} | \`${f.name}\`${f.len ? `[${f.len}]` : ''} | ${f.kind} | ${f.lock} | ${f.doc.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}
