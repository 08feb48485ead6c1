/**
 * A run, from the host: build the arena from the scenario, start one CPU worker per simulated CPU,
 * let them run for the duration while the sampler checks the whole arena now and then, stop them,
 * and hand back one snapshot of what happened.
 *
 *   buildArena ─> CpuWorkers (boot, ready) ─> park = 0 ─┬─ every 10 ms: drain rings, progress
 *                                                       └─ every samplerMs: stopTheWorld
 *   stop = 1 ─> every CPU done (or soft lockup) ─> terminate ─> takeSnapshot
 */
import { buildArena, type ArenaSpec } from '../workload/boot.ts';
import { designByName } from '../proxy/index.ts';
import { RingReader, mergeByTime, type TraceEvent } from '../trace/ring.ts';
import { Watchdog } from '../check/watchdog.ts';
import { lockName } from '../sync/lockdep.ts';
import { CpuWorkers } from './cpu-workers.ts';
import { kickAll, softLockup, stopTheWorld } from './sampler.ts';
import { takeSnapshot, type RunSnapshot } from './snapshot.ts';

export interface MachineOptions extends ArenaSpec {
  durationNs: number;
  /** keep every event (for --trace); otherwise only the last ring's worth */
  keepEvents?: boolean;
  /** stop-the-world sampler period (ms); 0 = off */
  samplerMs?: number;
  /** called about every 10 ms with the elapsed fraction */
  onProgress?: (fraction: number) => void;
  /** a signal to stop early (Ctrl-C) */
  abortSignal?: AbortSignal;
  /** fault injection for the harness's own tests: overwrite a program word before the start */
  corruptProgram?: { task: string; word: number; value: number };
}

/** CPU workers boot in ~0.1-0.5 s each (tsx, JIT warm-up, WASM); a minute means something is wrong */
const BOOT_TIMEOUT_MS = 60_000;
/** after `stop`, how long every CPU has to finish its step before it is a soft lockup */
const STOP_TIMEOUT_MS = 3000;
const POLL_MS = 10;

/** Run a scenario on real CPU workers. */
export async function runMachine(o: MachineOptions): Promise<RunSnapshot> {
  const { arena: a, names } = buildArena(o);
  const design = designByName(o.strategy)!;
  if (o.corruptProgram) a.i32[a.prog(names.indexOf(o.corruptProgram.task)) + o.corruptProgram.word] = o.corruptProgram.value;
  const lname = (l: number): string => lockName(l, (t) => names[t] ?? `task[${t}]`);
  const cpus = new CpuWorkers(a, names, o.strategy, o.chaos ?? null, lname);
  const findings = cpus.findings;
  const events: TraceEvent[] = [];
  const reader = new RingReader(a);
  const watchdog = new Watchdog(a, names);
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

  const samplerMs = o.samplerMs ?? 50;
  let lastSample = Date.now();
  const onAbort = (): void => { interrupted = true; };
  o.abortSignal?.addEventListener('abort', onAbort);
  while (!cpus.allDone) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (o.keepEvents) reader.drain(events);
    const elapsed = a.now();
    o.onProgress?.(Math.min(1, elapsed / o.durationNs));
    if (a.hdrAtomic('abort') !== 0 || elapsed >= o.durationNs || interrupted) break;
    if (samplerMs > 0 && Date.now() - lastSample >= samplerMs) {
      lastSample = Date.now();
      const s = stopTheWorld(a, names, design, watchdog, lname);
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

  function finish(): RunSnapshot {
    reader.drain(events);
    return takeSnapshot({
      arena: a, names, scenario: o.scenario, strategy: o.strategy, proxy: design.proxy, seed: o.seed, bugs: [...(o.bugs ?? [])],
      durationNs: o.durationNs, elapsedNs: stoppedAt || (a.t0 ? a.now() : 0), interrupted,
      events: mergeByTime(events), eventsLost: reader.lost, findings, samples, i10,
      liveness: { stranded_observations: watchdog.strandedObservations, stranded_longest_samples: watchdog.strandedLongest },
      histograms: cpus.histograms,
      chaos: o.chaos ? { fired: cpus.chaosFired, passed: cpus.chaosPassed } : null,
    });
  }
}
