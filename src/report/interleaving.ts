/**
 * A race drawn as the kernel's comments draw them: one column per CPU, time going down, each step
 * with its window and what it reads or locks, and under it the ftrace lines of what the step did.
 *
 *   step   CPU0                              CPU1
 *   3590   find_proxy_task:read_blocked_on
 *          reads p->blocked_on
 *   3591                                     try_to_wake_up:pi_lock
 *                                            takes p->pi_lock
 */
import { STEP_WINDOWS, stepCpu, stepWindow } from '../exec/area.ts';
import { windowAccess } from '../sync/windows.ts';
import type { TraceEvent } from '../trace/ring.ts';

/** windows that, without an event, only show an idle or looping CPU */
const QUIET = new Set(['idle', 'cpu_loop', 'cpu_loop:need_resched', 'relax', 'spin', 'sched_tick:rq_lock']);

export interface DrawInput {
  nrCpus: number;
  /** packed steps, and the virtual time of each */
  order: Int32Array;
  times: Float64Array;
  /** the events of the run (virtual time) with their ftrace lines */
  events: readonly (TraceEvent & { line: string })[];
  /** the last step drawn (the violation's) and how many before it */
  upTo: number;
  last: number;
  /** the violation, drawn under the last step */
  violation?: string;
  width?: number;
}

export function drawInterleaving(d: DrawInput): string[] {
  const width = d.width ?? 46;
  const upTo = Math.min(d.upTo, d.order.length - 1);
  // each event belongs to the last step of its CPU that started before it
  const byStep = new Map<number, string[]>();
  const stepsOf: number[][] = Array.from({ length: d.nrCpus }, () => []);
  for (let k = 0; k <= upTo; k++) { const c = stepCpu(d.order[k]); if (c >= 0) stepsOf[c].push(k); }
  for (const e of d.events) {
    const l = stepsOf[e.cpu];
    if (!l) continue;
    let lo = 0, hi = l.length - 1, at = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (d.times[l[mid]] < e.time) { at = l[mid]; lo = mid + 1; } else hi = mid - 1; }
    if (at < 0 || at > upTo) continue;
    const list = byStep.get(at) ?? [];
    list.push(e.line.replace(/^.*?\d+\.\d+: /, ''));
    byStep.set(at, list);
  }
  const cell = (s: string): string => (s.length > width - 2 ? s.slice(0, width - 3) + '…' : s).padEnd(width);
  const row = (step: string, cpu: number, text: string): string => {
    const cols = Array.from({ length: d.nrCpus }, (_, c) => (c === cpu ? cell(text) : ' '.repeat(width)));
    return (step.padEnd(8) + cols.join('')).trimEnd();
  };
  const out: string[] = [];
  out.push(('step'.padEnd(8) + Array.from({ length: d.nrCpus }, (_, c) => cell(`CPU${c}`)).join('')).trimEnd());
  out.push('-'.repeat(8 + width * d.nrCpus));
  const full: string[] = [];
  // idle CPUs looping add nothing to a race: a stretch of such steps that did nothing is one line
  const quiet = (k: number): boolean => {
    const w = STEP_WINDOWS[stepWindow(d.order[k])];
    return QUIET.has(w) && !byStep.has(k) && stepCpu(d.order[k]) >= 0;
  };
  // `last` steps that did something, and the quiet ones between them
  let from = upTo;
  for (let seen = 0; from > 0 && seen < d.last; from--) if (!quiet(from)) seen++;
  for (let k = from; k <= upTo; k++) {
    if (quiet(k)) {
      let j = k;
      while (j + 1 <= upTo && quiet(j + 1)) j++;
      if (j > k) {
        const cpus = [...new Set(Array.from({ length: j - k + 1 }, (_, q) => stepCpu(d.order[k + q])))].sort();
        out.push(`${`${k}-${j}`.padEnd(8)}(${j - k + 1} steps of ${cpus.map((c) => `CPU${c}`).join(', ')} looping or idle: nothing happened)`);
        k = j;
        continue;
      }
    }
    const c = stepCpu(d.order[k]);
    const w = STEP_WINDOWS[stepWindow(d.order[k])] ?? '?';
    if (c < 0) { out.push(`${String(k).padEnd(8)}[host] ${w}: ${windowAccess(w)}`); continue; }
    out.push(row(String(k), c, w));
    const acc = windowAccess(w);
    if (acc) out.push(row('', c, `  ${acc}`));
    for (const l of byStep.get(k) ?? []) {
      out.push(row('', c, `  > ${l.replace(/^tracing_mark_write: /, '')}`));
      full.push(`${String(k).padEnd(8)}CPU${c}  ${l}`);
    }
  }
  if (d.violation) out.push(`!!! ${d.violation}`);
  if (full.length) out.push('', 'the events of the steps drawn (ftrace):', ...full);
  return out;
}
