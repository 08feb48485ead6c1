/**
 * A run, from the host: build the arena from the scenario, start one CPU worker per simulated CPU,
 * let them run for the duration while the sampler checks the whole arena now and then, stop them,
 * and hand back one snapshot of what happened.
 *
 *   buildArena ─> CpuWorkers (boot, ready) ─> park = 0 ─┬─ every 10 ms: drain rings, progress
 *                                                       └─ every samplerMs: stopTheWorld
 *   stop = 1 ─> every CPU done (or soft lockup) ─> terminate ─> takeSnapshot
 *
 * Every drained batch (merged by time) goes to the streaming wait analysis and to a bounded per-CPU
 * tail (the failure artifact's last events); the events themselves are kept only for a trace
 * (keepEvents), so memory does not grow with the run's length.
 */
import { buildArena, type ArenaSpec } from '../workload/boot.ts';
import { designByName } from '../proxy/index.ts';
import { EventTail, RingReader, mergeByTime, type TraceEvent } from '../trace/ring.ts';
import { WaitAnalysis } from '../trace/waits.ts';
import { readTask } from '../shm/dump.ts';
import { Watchdog } from '../check/watchdog.ts';
import { lockName } from '../sync/lockdep.ts';
import { CpuWorkers } from './cpu-workers.ts';
import { checkQuiescent, kickAll, softLockup, stopTheWorld } from './sampler.ts';
import { ExecArea, STRATEGY, X, type ExecResult, type ExecutorSpec } from '../exec/area.ts';
import { Baton } from '../exec/baton.ts';
import { VirtualClock } from '../exec/clocks.ts';
import { FreeRecorder } from '../exec/record.ts';
import { takeSnapshot, type RunSnapshot } from './snapshot.ts';

export interface MachineOptions extends ArenaSpec {
  durationNs: number;
  /** keep every event (for --trace); otherwise only the last TAIL_PER_CPU of each CPU */
  keepEvents?: boolean;
  /** stop-the-world sampler period (ms); 0 = off */
  samplerMs?: number;
  /** called about every 10 ms with the elapsed fraction */
  onProgress?: (fraction: number) => void;
  /** a signal to stop early (Ctrl-C) */
  abortSignal?: AbortSignal;
  /** fault injection for the harness's own tests: overwrite a program word before the start */
  corruptProgram?: { task: string; word: number; value: number };
  /** free running (default), recorded, or controlled (src/exec) */
  executor?: ExecutorSpec;
}

/** a free run with --record: steps it can hold by default (12 bytes each) */
export const RECORD_CAP = 4_000_000;
/** clock reads per CPU a record can hold by default */
export const CLOCK_CAP = 4_000_000;

function execArea(o: MachineOptions, nrCpus: number, nrTasks: number): ExecArea | null {
  const e = o.executor;
  if (!e || (e.kind === 'free' && !e.record)) return null;
  const strategy = { free: STRATEGY.FREE_RECORD, random: STRATEGY.RANDOM, pct: STRATEGY.PCT, replay: STRATEGY.REPLAY, prefix: STRATEGY.PREFIX }[e.kind];
  const cap = e.recordCap ?? Math.max(RECORD_CAP, (e.schedule?.length ?? 0) + 1024);
  return ExecArea.create({
    nrCpus, nrTasks, strategy, seed: o.seed, recordCap: cap,
    clockCap: e.kind === 'free' || e.clocks ? Math.max(e.kind === 'free' ? CLOCK_CAP : 0, ...(e.clocks ?? []).map((c) => c.length)) : 0,
    durationNs: e.kind === 'replay' && e.clocks ? Infinity : o.durationNs, sampleNs: (o.samplerMs ?? 50) * 1e6, stepNs: e.stepNs ?? 100,
    pctDepth: e.depth, pctSteps: e.pctSteps, schedule: e.schedule, clocks: e.clocks,
  });
}

/** CPU workers boot in ~0.1-0.5 s each (tsx, JIT warm-up, WASM); a minute means something is wrong */
const BOOT_TIMEOUT_MS = 60_000;
/** after `stop`, how long every CPU has to finish its step before it is a soft lockup */
const STOP_TIMEOUT_MS = 3000;
const POLL_MS = 10;
/** events kept per CPU whatever the run keeps (at least what the failure artifact shows) */
export const TAIL_PER_CPU = 64;

/** Atomics.waitAsync (Node 16+; not in this TypeScript lib) */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Run a scenario on real CPU workers. */
export async function runMachine(o: MachineOptions): Promise<RunSnapshot> {
  const { arena: a, names } = buildArena(o);
  const design = designByName(o.strategy)!;
  if (o.corruptProgram) a.i32[a.prog(names.indexOf(o.corruptProgram.task)) + o.corruptProgram.word] = o.corruptProgram.value;
  const lname = (l: number): string => lockName(l, (t) => names[t] ?? `task[${t}]`);
  const x = execArea(o, a.nrCpus, a.nrTasks - a.nrCpus);
  const controlled = x !== null && o.executor!.kind !== 'free';
  const cpus = new CpuWorkers(a, names, o.strategy, o.chaos ?? null, lname, o.scenario.mutexes,
    x ? { sab: x.sab, mode: controlled ? 'controlled' : 'record' } : null);
  // the host reads time as the CPUs do; it takes the baton to sample (controlled) or records its samples
  const baton = controlled ? new Baton(x, a, -1) : null;
  const recorder = x && !controlled ? new FreeRecorder(x, a, -1, null) : null;
  if (controlled) a.clock = new VirtualClock(x);
  const findings = cpus.findings;
  const events: TraceEvent[] = [];
  const reader = new RingReader(a);
  const tail = new EventTail(a.nrCpus, TAIL_PER_CPU);
  // priorities are static (set at boot): read them from the arena as the events come
  // priorities are fixed in this model (no PI boosting): read once
  const prio = Array.from({ length: a.nrTasks }, (_, t) => readTask(a, t).prio);
  const waits = new WaitAnalysis((t) => prio[t] ?? -1, (t) => t < a.nrCpus);
  let eventsSeen = 0;
  /** events stamped after the last drain began: held back to the next batch */
  let pending: TraceEvent[] = [];
  /**
   * Drain what the CPUs wrote since the last time, merge it by time, analyse it, keep its tail (and
   * all of it for a trace). The rings are read one after the other, so an event stamped after the
   * drain began may be in this batch while an older one of another CPU is not yet: such events wait
   * for the next batch. (An event can still come late: a CPU thread preempted between stamping an
   * event and publishing it. WaitAnalysis takes it as it comes.)
   */
  const drain = (all: boolean): void => {
    const cutoff = a.now();
    const batch = pending;
    reader.drain(batch);
    if (!batch.length) return;
    mergeByTime(batch);
    let n = batch.length;
    if (!all) while (n > 0 && batch[n - 1].time > cutoff) n--;
    pending = batch.slice(n);
    batch.length = n;
    eventsSeen += n;
    waits.feed(batch);
    tail.push(batch);
    if (o.keepEvents) for (const e of batch) events.push(e);
  };
  const watchdog = new Watchdog(a, names, o.scenario.mutexes);
  let samples = 0;
  let i10 = 0;
  let interrupted = false;
  let stoppedAt = 0;

  const boot = await cpus.started(BOOT_TIMEOUT_MS, o.abortSignal);
  if (!boot.ok) {
    interrupted = boot.interrupted;
    cpus.abort(255);
    await cpus.terminate();
    return finish();
  }

  a.t0 = Number(process.hrtime.bigint());
  Atomics.store(a.i32, a.hdrIndex('park'), 0);
  Atomics.notify(a.i32, a.hdrIndex('park'));

  if (baton) {
    await runControlled(baton);
    return finish();
  }

  const samplerMs = o.samplerMs ?? 50;
  let lastSample = Date.now();
  const onAbort = (): void => { interrupted = true; };
  o.abortSignal?.addEventListener('abort', onAbort);
  while (!cpus.allDone) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    drain(false);
    const elapsed = a.now();
    o.onProgress?.(Math.min(1, elapsed / o.durationNs));
    if (a.hdrAtomic('abort') !== 0 || elapsed >= o.durationNs || interrupted) break;
    if (samplerMs > 0 && Date.now() - lastSample >= samplerMs) {
      lastSample = Date.now();
      let hostStep: number | undefined;
      const s = stopTheWorld(a, names, design, watchdog, lname, recorder ? () => { hostStep = recorder.hostSample(); } : undefined);
      if (s.kind === 'violation' && hostStep !== undefined) { s.finding.step = hostStep; s.finding.cpuStep = 0; }
      samples++;
      if (s.kind === 'violation') { findings.push(s.finding); break; }
      if (s.kind === 'stuck') { findings.push(...s.findings); break; }
      if (s.kind === 'clean') i10 += s.i10;
    }
  }
  o.abortSignal?.removeEventListener('abort', onAbort);

  Atomics.store(a.i32, a.hdrIndex('stop'), 1);
  stoppedAt = a.now();
  kickAll(a);
  Atomics.notify(a.i32, a.hdrIndex('park'));
  if (!(await cpus.finished(STOP_TIMEOUT_MS))) {
    // a CPU does not come back: report what it spins on, then kill every thread
    findings.push(...softLockup(a, lname, (c) => cpus.isDone(c)));
    cpus.abort(255);
  }
  await cpus.terminate();
  return finish();

  /**
   * A controlled run: the CPUs stop themselves (duration, every task exited, end of a replay); the
   * host drains, shows progress, and takes its turn when the baton comes to it for a sample.
   */
  async function runControlled(b: Baton): Promise<void> {
    const hostWake = x!.wakeIndex(x!.nrCpus);
    const onAbort = (): void => { interrupted = true; b.wakeAll(); };
    o.abortSignal?.addEventListener('abort', onAbort);
    try {
      while (!cpus.allDone) {
        const seen = Atomics.load(x!.i32, hostWake);
        if (!b.hostTurn()) {
          const w = waitAsync(x!.i32, hostWake, seen, POLL_MS);
          if (w.async) await w.value;
        }
        drain(false);
        o.onProgress?.(Math.min(1, a.now() / o.durationNs));
        if (interrupted || a.hdrAtomic('abort') !== 0) break;
        if (b.hostTurn()) {
          const step = b.hostBegin();
          const s = checkQuiescent(a, names, design, watchdog);
          samples++;
          if (s.kind === 'violation') { findings.push({ ...s.finding, step, cpuStep: 0 }); break; }
          if (s.kind === 'clean') i10 += s.i10;
          b.hostDone();
        }
      }
    } finally {
      o.abortSignal?.removeEventListener('abort', onAbort);
    }
    stoppedAt = a.now();
    if (!cpus.allDone) {
      // interrupted, or the host found a violation: every CPU unwinds from its wait
      if (a.hdrAtomic('abort') === 0) Atomics.store(a.i32, a.hdrIndex('abort'), 255);
      b.wakeAll();
      // every CPU only unwinds from its wait: give a loaded host time (a report still in flight
      // would be lost with a terminated worker)
      if (!(await cpus.finished(10 * STOP_TIMEOUT_MS))) cpus.abort(255);
    }
    await cpus.terminate();
  }

  function execResult(): ExecResult | null {
    if (!x) return null;
    return {
      kind: o.executor!.kind, record: !controlled, steps: x.steps, preemptions: x.preemptions,
      full: x.i32[X.full] === 1, divergence: x.divergence(), order: x.record(),
      masks: controlled ? x.masks() : null, times: controlled ? x.times() : null, clocks: controlled ? null : x.clocks(),
    };
  }

  function finish(): RunSnapshot {
    drain(true);
    const elapsedNs = stoppedAt || (a.t0 ? a.now() : 0);
    const wallNs = a.t0 ? Number(process.hrtime.bigint()) - a.t0 : 0;
    return takeSnapshot({
      arena: a, names, scenario: o.scenario, strategy: o.strategy, proxy: design.proxy, seed: o.seed, bugs: [...(o.bugs ?? [])],
      durationNs: o.durationNs, elapsedNs, wallNs, interrupted,
      // a late event can straddle two batches: sort once more
      events: o.keepEvents ? mergeByTime(events) : tail.events(), eventsSeen, eventsLost: reader.lost, findings, samples, i10,
      waits: waits.finish(elapsedNs),
      liveness: { stranded_observations: watchdog.strandedObservations, stranded_longest_samples: watchdog.strandedLongest },
      histograms: cpus.histograms,
      chaos: o.chaos ? { fired: cpus.chaosFired, passed: cpus.chaosPassed } : null,
      exec: execResult(),
    });
  }
}
