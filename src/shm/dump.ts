/**
 * The arena as readable JSON, driven by the same field tables that give the offsets: every task,
 * runqueue (with its list) and mutex (with its wait list), fields under their kernel names.
 */
import type { Arena } from './arena.ts';
import { HEADER, MUTEX, RQ, TASK, type StructLayout } from './layout.ts';

type Json = Record<string, unknown>;

function fields(a: Arena, s: StructLayout<string>, i32Base: number, f64Base: number): Json {
  const out: Json = {};
  for (const f of s.fields) {
    const off = (s.off as Record<string, number>)[f.name];
    const len = f.len ?? 1;
    const read = (k: number): number => (f.kind === 'i32' ? a.i32[i32Base + off + k] : a.f64[f64Base + off + k]);
    out[f.name] = len === 1 ? read(0) : Array.from({ length: len }, (_, k) => read(k));
  }
  return out;
}

export function dumpArena(a: Arena, names: string[] = [], mutexNames: string[] = []): Json {
  const header = fields(a, HEADER as StructLayout<string>, a.r.headerI, a.r.headerD);
  const tasks = Array.from({ length: a.nrTasks }, (_, p) => ({
    id: p, name: names[p] ?? `task[${p}]`, ...fields(a, TASK as StructLayout<string>, a.t(p), a.td(p)),
  }));
  const rqs = Array.from({ length: a.nrCpus }, (_, c) => {
    const r = fields(a, RQ as StructLayout<string>, a.rq(c), a.rqd(c));
    const n = r.nr_queued as number;
    return { ...r, queue: Array.from({ length: Math.max(0, Math.min(n, a.nrTasks)) }, (_, k) => a.i32[a.queue(c) + k]) };
  });
  const mutexes = Array.from({ length: a.nrMutexes }, (_, m) => {
    const r = fields(a, MUTEX as StructLayout<string>, a.m(m), 0);
    const n = r.nr_waiters as number;
    return { id: m, name: mutexNames[m] ?? `m${m}`, ...r, waiters: Array.from({ length: Math.max(0, Math.min(n, a.nrTasks)) }, (_, k) => a.i32[a.waitList(m) + k]) };
  });
  return { header, tasks, rqs, mutexes };
}

/** The field tables as a Markdown table (README: which lock protects which field). */
export function layoutTable(): string {
  const rows: string[] = ['| struct | field | kind | lock | meaning |', '|---|---|---|---|---|'];
  for (const s of [TASK, RQ, MUTEX] as StructLayout<string>[]) {
    for (const f of s.fields) rows.push(`| ${s.name} | \`${f.name}\`${f.len ? `[${f.len}]` : ''} | ${f.kind} | ${f.lock} | ${f.doc.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}
