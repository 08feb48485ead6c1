/**
 * The host side of a run: builds the arena from a scenario, starts one worker_thread per simulated
 * CPU, watches them (sampler, progress), stops them, and collects what happened.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Arena } from './shm/arena.ts';
import type { Scenario } from './workload/scenario.ts';
import { H, R, T } from './shm/layout.ts';
import { buildArena, type ArenaSpec } from './workload/boot.ts';
import { designByName } from './proxy/index.ts';
import type { ProxyDesign } from './proxy/design.ts';
import { RingReader, mergeByTime, type TraceEvent } from './trace/ring.ts';
import { checkGlobal, countI10 } from './check/global.ts';
import { Watchdog } from './check/watchdog.ts';
import { HistogramSet } from './trace/metrics.ts';
import { analyseWaits } from './trace/waits.ts';
import { suiteChecks, type SuiteResult } from './check/suites.ts';
import { lockName } from './sync/lockdep.ts';
import type { CpuWorkerData } from '../workers/cpu.ts';

export interface MachineOptions extends ArenaSpec {
  durationNs: number;
  /** keep every event (for --trace); otherwise only the last ring's worth */
  keepEvents?: boolean;
  /** stop-the-world sampler period (ms); 0 = off */
  samplerMs?: number;
  /** called about every 100 ms with the elapsed fraction */
  onProgress?: (fraction: number) => void;
  /** a signal to stop early (Ctrl-C) */
  abortSignal?: AbortSignal;
  /** fault injection for the harness's own tests: overwrite a program word before the start */
  corruptProgram?: { task: string; word: number; value: number };
}

export interface Finding {
  kind: 'violation' | 'warn' | 'crash' | 'softlockup';
  id: string;
  msg: string;
  cpu: number;
  tasks: number[];
  time: number;
  held?: string[];
  otherHeld?: string[];
  stack?: string;
}

export interface LivenessMetrics {
  /** L2: samples in which some donor was stranded (PROXY_WAKING, or RUNNING + blocked_on) */
  stranded_observations: number;
  /** L2: the longest a single donor stayed stranded, in samples */
  stranded_longest_samples: number;
}

export interface RunResult {
  arena: Arena;
  names: string[];
  nrCpus: number;
  strategy: string;
  scenario: Scenario;
  seed: number;
  bugs: number[];
  durationNs: number;
  elapsedNs: number;
  events: TraceEvent[];
  eventsLost: number;
  findings: Finding[];
  i10: number;
  samples: number;
  liveness: LivenessMetrics;
  /** suite-level results (football's ball) */
  suite: SuiteResult;
  /** latency histograms of the run (encoded HdrHistogram V2, compressed base64), by metric */
  histograms: Record<string, string>;
  interrupted: boolean;
  chaos: { fired: Record<string, number>; passed: Record<string, number> } | null;
}

/** CPU workers boot in ~0.1-0.5 s each (tsx, JIT warm-up, WASM); a minute means something is wrong */
const BOOT_TIMEOUT_MS = 60_000;

const REGISTER = pathToFileURL(fileURLToPath(new URL('../workers/register-tsx.mjs', import.meta.url))).href;
const WORKER = new URL('../workers/cpu.ts', import.meta.url);

export function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (!argv.some((x) => x.includes('register-tsx'))) argv.push('--import', REGISTER);
  return argv;
}

/** Run a scenario on real CPU workers. */
export async function runMachine(o: MachineOptions): Promise<RunResult> {
  const { arena: a, names } = buildArena(o);
  const nrCpus = a.nrCpus;
  const design = designByName(o.strategy)!;
  if (o.corruptProgram) a.i32[a.prog(names.indexOf(o.corruptProgram.task)) + o.corruptProgram.word] = o.corruptProgram.value;
  const findings: Finding[] = [];
  const events: TraceEvent[] = [];
  const reader = new RingReader(a);
  const chaosFired: Record<string, number> = {};
  const chaosPassed: Record<string, number> = {};
  const hist = new HistogramSet();
  const lname = (l: number): string => lockName(l, (t) => names[t] ?? `task[${t}]`);
  let samples = 0;
  let i10 = 0;
  const watchdog = new Watchdog(a, names);
  let interrupted = false;
  let stoppedAt = 0;

  const workers: Worker[] = [];
  const done = new Set<number>();
  let ready = 0;
  let resolveReady!: () => void;
  let rejectAll!: (e: Error) => void;
  const readyP = new Promise<void>((res, rej) => { resolveReady = res; rejectAll = rej; });
  let resolveDone!: () => void;
  const doneP = new Promise<void>((res) => { resolveDone = res; });

  for (let cpu = 0; cpu < nrCpus; cpu++) {
    const data: CpuWorkerData = { sab: a.sab, cpu, design: o.strategy, names, chaos: o.chaos ?? null };
    const w = new Worker(WORKER, { workerData: data, execArgv: workerExecArgv(), name: `cpu${cpu}` });
    workers.push(w);
    w.on('message', (m: Record<string, unknown>) => {
      switch (m.type) {
        case 'ready':
          if (++ready === nrCpus) resolveReady();
          break;
        case 'warn':
        case 'violation':
          findings.push({ kind: m.type, id: String(m.id), msg: String(m.msg), cpu: Number(m.cpu), tasks: (m.tasks as number[]) ?? [], time: Number(m.time), held: ((m.held as number[]) ?? []).map(lname) });
          break;
        case 'crash': {
          const ld = m.lockdep as { kind: string; held: number[]; other: number[] | null } | null;
          findings.push({
            kind: 'crash', id: ld ? `I14:${ld.kind}` : 'crash', msg: String(m.msg), cpu: Number(m.cpu),
            tasks: [Number(m.task)].filter((t) => t >= 0), time: a.now(),
            held: ((ld?.held ?? (m.held as number[])) ?? []).map(lname), otherHeld: ld?.other?.map(lname), stack: String(m.stack),
          });
          Atomics.store(a.i32, a.hdrIndex('abort'), Number(m.cpu) + 1);
          break;
        }
        case 'done': {
          const ch = m.chaos as { fired: [string, number][]; passed: [string, number][] } | null;
          if (ch) {
            for (const [k, v] of ch.fired) chaosFired[k] = (chaosFired[k] ?? 0) + v;
            for (const [k, v] of ch.passed) chaosPassed[k] = (chaosPassed[k] ?? 0) + v;
          }
          if (m.hist) hist.add(m.hist as Record<string, string>);
          done.add(cpu);
          if (done.size === nrCpus) resolveDone();
          break;
        }
      }
    });
    w.on('error', (e) => {
      findings.push({ kind: 'crash', id: 'crash', msg: `CPU${cpu} worker error: ${e.message}`, cpu, tasks: [], time: 0, stack: e.stack });
      Atomics.store(a.i32, a.hdrIndex('abort'), cpu + 1);
      rejectAll(e);
    });
    w.on('exit', (code) => {
      if (ready < nrCpus && !done.has(cpu) && !terminating) {
        // gone before it was ready: nothing else would ever end the start-up wait
        findings.push({ kind: 'crash', id: 'crash', msg: `CPU${cpu} worker exited (code ${code}) before it was ready`, cpu, tasks: [], time: 0 });
        rejectAll(new Error(`CPU${cpu} exited before ready`));
      }
      if (!done.has(cpu)) { done.add(cpu); if (done.size === nrCpus) resolveDone(); }
    });
  }

  let terminating = false;
  const terminateAll = async (): Promise<void> => { terminating = true; await Promise.all(workers.map((w) => w.terminate())); };
  // start-up: every CPU ready, or a crash, a Ctrl-C, or a start-up that takes unreasonably long
  const onEarlyAbort = (): void => { interrupted = true; rejectAll(new Error('interrupted during start-up')); };
  if (o.abortSignal?.aborted) onEarlyAbort();
  o.abortSignal?.addEventListener('abort', onEarlyAbort);
  const bootTimer = setTimeout(() => {
    findings.push({ kind: 'crash', id: 'crash', msg: `CPU workers not ready after ${BOOT_TIMEOUT_MS} ms (${ready}/${nrCpus} ready)`, cpu: -1, tasks: [], time: 0 });
    rejectAll(new Error('start-up timeout'));
  }, BOOT_TIMEOUT_MS);
  try {
    await readyP;
  } catch {
    clearTimeout(bootTimer);
    o.abortSignal?.removeEventListener('abort', onEarlyAbort);
    Atomics.store(a.i32, a.hdrIndex('abort'), 255);
    await terminateAll();
    return finish();
  }
  clearTimeout(bootTimer);
  o.abortSignal?.removeEventListener('abort', onEarlyAbort);

  a.t0 = Number(process.hrtime.bigint());
  Atomics.store(a.i32, a.hdrIndex('park'), 0);
  Atomics.notify(a.i32, a.hdrIndex('park'));

  const startWall = Date.now();
  const samplerMs = o.samplerMs ?? 50;
  let lastSample = Date.now();
  const onAbort = (): void => { interrupted = true; };
  o.abortSignal?.addEventListener('abort', onAbort);

  while (done.size < nrCpus) {
    await new Promise((r) => setTimeout(r, 10));
    if (o.keepEvents) reader.drain(events);
    const elapsed = a.now();
    o.onProgress?.(Math.min(1, elapsed / o.durationNs));
    if (Atomics.load(a.i32, a.hdrIndex('abort')) !== 0) break;
    if (elapsed >= o.durationNs || interrupted) break;
    if (samplerMs > 0 && Date.now() - lastSample >= samplerMs) {
      lastSample = Date.now();
      const r = stopTheWorld(a, names, design, findings, lname, watchdog);
      samples++;
      if (r === 'violation' || r === 'stuck') break;
      if (r > 0) i10 += r;
    }
  }
  o.abortSignal?.removeEventListener('abort', onAbort);

  Atomics.store(a.i32, a.hdrIndex('stop'), 1);
  stoppedAt = a.now();
  for (let c = 0; c < nrCpus; c++) { Atomics.add(a.i32, a.rq(c) + R.ipi, 1); Atomics.notify(a.i32, a.rq(c) + R.ipi); }
  Atomics.notify(a.i32, a.hdrIndex('park'));
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000));
  if ((await Promise.race([doneP.then(() => 'ok' as const), timeout])) === 'timeout') {
    // a CPU does not come back: report what it spins on, then kill every thread
    softLockupReport(a, findings, lname, done);
    Atomics.store(a.i32, a.hdrIndex('abort'), 255);
  }
  await terminateAll();
  void startWall;
  return finish();

  function finish(): RunResult {
    reader.drain(events);
    const merged = mergeByTime(events);
    const elapsed = stoppedAt || (a.t0 ? a.now() : 0);
    for (const w of analyseWaits(merged, elapsed, (t) => a.i32[a.t(t) + T.prio], (t) => t < nrCpus)) {
      for (const v of w.perWait) hist.record('inversion', v);
    }
    const suite = suiteChecks(a, names, o.scenario.name, design.proxy, elapsed);
    if (suite.failure && !interrupted && !findings.some((f) => f.kind !== 'warn')) {
      findings.push({ kind: 'violation', id: suite.failure.id, msg: suite.failure.msg, cpu: -1, tasks: [], time: elapsed });
    }
    return {
      arena: a, names, nrCpus, strategy: o.strategy, scenario: o.scenario, seed: o.seed, bugs: [...(o.bugs ?? [])],
      durationNs: o.durationNs, elapsedNs: stoppedAt || (a.t0 ? a.now() : 0),
      histograms: hist.encode(), suite,
      events: merged, eventsLost: reader.lost, findings, i10, samples, interrupted,
      liveness: { stranded_observations: watchdog.strandedObservations, stranded_longest_samples: watchdog.strandedLongest },
      chaos: o.chaos ? { fired: chaosFired, passed: chaosPassed } : null,
    };
  }
}

/** Park every CPU at a safe point, check the whole arena, resume. */
function stopTheWorld(a: Arena, names: string[], design: ProxyDesign, findings: Finding[], lname: (l: number) => string, watchdog: Watchdog): 'violation' | 'stuck' | number {
  const i32 = a.i32;
  const park = a.hdrIndex('park');
  const parked = a.hdrIndex('parked');
  const running = Atomics.load(i32, a.hdrIndex('running'));
  Atomics.store(i32, park, 1);
  for (let c = 0; c < a.nrCpus; c++) { Atomics.add(i32, a.rq(c) + R.ipi, 1); Atomics.notify(i32, a.rq(c) + R.ipi); }
  const deadline = Date.now() + 2000;
  while (Atomics.load(i32, parked) < running) {
    if (Atomics.load(i32, a.hdrIndex('abort')) !== 0 || Atomics.load(i32, a.hdrIndex('stop')) !== 0) break;
    if (Date.now() > deadline) {
      softLockupReport(a, findings, lname, new Set());
      Atomics.store(i32, park, 0);
      Atomics.notify(i32, park);
      Atomics.store(i32, a.hdrIndex('abort'), 255);
      return 'stuck';
    }
    Atomics.wait(i32, parked, Atomics.load(i32, parked), 1);
  }
  let ret: 'violation' | number = 0;
  if (Atomics.load(i32, parked) >= running) {
    const v = checkGlobal(a, { proxy: design.proxy, names, runningBlockedIllegal: design.runningBlockedIllegal && a.hdr('count_i10') === 0 }) ?? watchdog.observe();
    if (v) {
      findings.push({ kind: 'violation', id: v.id, msg: v.msg, cpu: -1, tasks: v.tasks, time: a.now() });
      Atomics.add(i32, a.hdrIndex('nr_violations'), 1);
      Atomics.store(i32, a.hdrIndex('abort'), 255);
      ret = 'violation';
    } else {
      ret = countI10(a).length;
    }
  }
  Atomics.store(i32, park, 0);
  Atomics.notify(i32, park);
  return ret;
}

/** Soft lockup: name each CPU that does not come back and the lock it spins on. */
function softLockupReport(a: Arena, findings: Finding[], lname: (l: number) => string, done: Set<number>): void {
  for (let c = 0; c < a.nrCpus; c++) {
    if (done.has(c)) continue;
    const spin = Atomics.load(a.i32, a.rq(c) + R.spinning_on);
    const depth = Math.min(a.i32[a.rq(c) + R.held_depth], 8);
    const held: string[] = [];
    for (let k = 0; k < depth; k++) held.push(lname(a.i32[a.rq(c) + R.held + k]));
    findings.push({
      kind: 'softlockup', id: 'L5', cpu: c, tasks: [a.i32[a.rq(c) + R.cur_task]].filter((t) => t >= 0), time: a.now(), held,
      msg: `soft lockup: CPU${c} stuck${spin >= 0 ? ` spinning on ${lname(spin)}` : ''}${held.length ? ` holding ${held.join(', ')}` : ''}`,
    });
  }
}

export { H };
