/**
 * The host's stop-the-world sampler: park every CPU at a safe point (no spinlock held, no operation
 * half done), run the global invariants and the liveness watchdog over the quiescent arena, resume.
 * And the soft-lockup report: which CPU did not come back, spinning on what, holding what.
 */
import type { Arena } from '../shm/arena.ts';
import { readRq } from '../shm/dump.ts';
import { checkGlobal, countI10 } from '../check/global.ts';
import type { Watchdog } from '../check/watchdog.ts';
import type { ProxyDesign } from '../proxy/design.ts';
import type { Finding } from './findings.ts';

/** How long the sampler waits for every CPU to park before it calls it a soft lockup. */
const PARK_TIMEOUT_MS = 2000;

export type Sample =
  | { kind: 'clean'; i10: number }
  | { kind: 'violation'; finding: Finding }
  | { kind: 'stuck'; findings: Finding[] }
  /** the machine stopped or aborted while the sampler waited: nothing was checked */
  | { kind: 'skipped' };

export function stopTheWorld(a: Arena, names: string[], design: ProxyDesign, watchdog: Watchdog,
  lockName: (l: number) => string, onParked?: () => void): Sample {
  const i32 = a.i32;
  const park = a.hdrIndex('park');
  const parked = a.hdrIndex('parked');
  const running = Atomics.load(i32, a.hdrIndex('running'));
  Atomics.store(i32, park, 1);
  kickAll(a);
  const deadline = Date.now() + PARK_TIMEOUT_MS;
  let sample: Sample = { kind: 'skipped' };
  while (Atomics.load(i32, parked) < running) {
    if (a.hdrAtomic('abort') !== 0 || a.hdrAtomic('stop') !== 0) break;
    if (Date.now() > deadline) {
      sample = { kind: 'stuck', findings: softLockup(a, lockName, () => false) };
      Atomics.store(i32, a.hdrIndex('abort'), 255);
      break;
    }
    Atomics.wait(i32, parked, Atomics.load(i32, parked), 1);
  }
  if (sample.kind === 'skipped' && Atomics.load(i32, parked) >= running) {
    onParked?.();
    sample = checkQuiescent(a, names, design, watchdog);
  }
  Atomics.store(i32, park, 0);
  Atomics.notify(i32, park);
  return sample;
}

/**
 * The checks of one sample, over an arena where no CPU moves: parked by stopTheWorld, or every CPU
 * waiting at its loop top for the controlled executor's baton. A violation sets `abort`.
 */
export function checkQuiescent(a: Arena, names: string[], design: ProxyDesign, watchdog: Watchdog): Sample {
  const runningBlockedIllegal = Boolean(design.runningBlockedIllegal) && a.hdr('count_i10') === 0;
  const v = checkGlobal(a, { proxy: design.proxy, names, runningBlockedIllegal }) ?? watchdog.observe();
  if (v) {
    Atomics.add(a.i32, a.hdrIndex('nr_violations'), 1);
    Atomics.store(a.i32, a.hdrIndex('abort'), 255);
    return { kind: 'violation', finding: { kind: v.kind ?? 'violation', id: v.id, msg: v.msg, cpu: -1, tasks: v.tasks, time: a.now() } };
  }
  return { kind: 'clean', i10: countI10(a).length };
}

/** Ring every CPU's doorbell (an idle CPU sleeps on it). */
export function kickAll(a: Arena): void {
  for (let c = 0; c < a.nrCpus; c++) a.kick(c);
}

/** Soft lockup (L5): name each CPU that does not come back and the lock it spins on. */
export function softLockup(a: Arena, lockName: (l: number) => string, cameBack: (cpu: number) => boolean): Finding[] {
  const out: Finding[] = [];
  for (let c = 0; c < a.nrCpus; c++) {
    if (cameBack(c)) continue;
    const rq = readRq(a, c);
    const held = rq.held.slice(0, Math.min(rq.held_depth, rq.held.length)).map(lockName);
    const spin = rq.spinning_on;
    out.push({
      kind: 'softlockup', id: 'L5', cpu: c, tasks: [rq.cur_task].filter((t) => t >= 0), time: a.now(), held,
      msg: `soft lockup: CPU${c} stuck${spin >= 0 ? ` spinning on ${lockName(spin)}` : ''}${held.length ? ` holding ${held.join(', ')}` : ''}`,
    });
  }
  return out;
}
