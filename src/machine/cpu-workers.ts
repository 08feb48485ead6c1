/**
 * The CPU workers of one machine, seen from the host: one worker_thread per simulated CPU, started
 * with its CpuWorkerData; their messages (workers/protocol.ts) become findings, chaos counts and
 * histograms. Start-up and shut-down are awaited here, each bounded.
 */
import { Worker } from 'node:worker_threads';
import type { Arena } from '../shm/arena.ts';
import type { ChaosSpec } from '../workload/boot.ts';
import { HistogramSet } from '../trace/metrics.ts';
import { workerExecArgv } from './exec-argv.ts';
import type { Finding } from './findings.ts';
import { describeCycle } from '../check/deadlock.ts';
import type { CpuMessage, CpuWorkerData } from '../../workers/protocol.ts';

const WORKER = new URL('../../workers/cpu.ts', import.meta.url);

export class CpuWorkers {
  readonly findings: Finding[] = [];
  readonly histograms = new HistogramSet();
  readonly chaosFired: Record<string, number> = {};
  readonly chaosPassed: Record<string, number> = {};
  private readonly workers: Worker[] = [];
  private readonly done = new Set<number>();
  private nrReady = 0;
  private terminating = false;
  private readonly readyP: Promise<void>;
  private readonly doneP: Promise<void>;
  private resolveReady!: () => void;
  private failStart!: (e: Error) => void;
  private resolveDone!: () => void;

  /** `lockName` turns a lock id into its name (rq[1], pi_lock[A], ...); `mutexNames` the scenario's
   *  mutexes (a deadlock report names them). */
  constructor(private readonly a: Arena, private readonly names: string[], design: string, chaos: ChaosSpec | null,
    private readonly lockName: (l: number) => string, private readonly mutexNames: readonly string[] = [],
    exec: CpuWorkerData['exec'] = null) {
    this.readyP = new Promise<void>((res, rej) => { this.resolveReady = res; this.failStart = rej; });
    this.readyP.catch(() => { /* observed by started() */ });
    this.doneP = new Promise<void>((res) => { this.resolveDone = res; });
    for (let cpu = 0; cpu < a.nrCpus; cpu++) {
      const data: CpuWorkerData = { sab: a.sab, cpu, design, names, chaos, exec };
      const w = new Worker(WORKER, { workerData: data, execArgv: workerExecArgv(), name: `cpu${cpu}` });
      this.workers.push(w);
      w.on('message', (m: CpuMessage) => this.onMessage(m));
      w.on('error', (e) => {
        this.findings.push({ kind: 'crash', id: 'crash', msg: `CPU${cpu} worker error: ${e.message}`, cpu, tasks: [], time: 0, stack: e.stack });
        this.abort(cpu + 1);
        this.failStart(e);
      });
      w.on('exit', (code) => {
        if (this.nrReady < a.nrCpus && !this.done.has(cpu) && !this.terminating) {
          // gone before it was ready: nothing else would ever end the start-up wait
          this.findings.push({ kind: 'crash', id: 'crash', msg: `CPU${cpu} worker exited (code ${code}) before it was ready`, cpu, tasks: [], time: 0 });
          this.failStart(new Error(`CPU${cpu} exited before ready`));
        }
        this.markDone(cpu);
      });
    }
  }

  private onMessage(m: CpuMessage): void {
    const at = m.type !== 'ready' && m.type !== 'done' && m.where ? { step: m.where.step, cpuStep: m.where.cpuStep } : {};
    switch (m.type) {
      case 'ready':
        if (++this.nrReady === this.a.nrCpus) this.resolveReady();
        break;
      case 'warn':
      case 'violation':
        this.findings.push({ kind: m.type, id: m.id, msg: m.msg, cpu: m.cpu, tasks: m.tasks, time: m.time, held: (m.held ?? []).map(this.lockName), ...at });
        break;
      case 'deadlock': {
        // the CPU knows the mutexes by number: name them as the scenario does
        const msg = m.cycle
          ? describeCycle(m.cycle, (t) => this.names[t] ?? `task[${t}]`, (x) => this.mutexNames[x] ?? `mutex ${x}`)
          : m.msg;
        this.findings.push({ kind: 'deadlock', id: m.id, msg, cpu: m.cpu, tasks: m.tasks, time: m.time, held: (m.held ?? []).map(this.lockName), ...at });
        break;
      }
      case 'crash':
        this.findings.push({
          kind: 'crash', id: m.lockdep ? `I14:${m.lockdep.kind}` : 'crash', msg: m.msg, cpu: m.cpu,
          tasks: [m.task].filter((t) => t >= 0), time: this.a.now(),
          held: (m.lockdep?.held ?? m.held).map(this.lockName), otherHeld: m.lockdep?.other?.map(this.lockName), stack: m.stack, ...at,
        });
        this.abort(m.cpu + 1);
        break;
      case 'done':
        if (m.chaos) {
          for (const [k, v] of m.chaos.fired) this.chaosFired[k] = (this.chaosFired[k] ?? 0) + v;
          for (const [k, v] of m.chaos.passed) this.chaosPassed[k] = (this.chaosPassed[k] ?? 0) + v;
        }
        this.histograms.add(m.hist);
        this.markDone(m.cpu);
        break;
    }
  }

  private markDone(cpu: number): void {
    if (this.done.has(cpu)) return;
    this.done.add(cpu);
    if (this.done.size === this.a.nrCpus) this.resolveDone();
  }

  /** Set the abort word every CPU polls (value: the CPU + 1 that caused it, 255 the host). */
  abort(by: number): void { Atomics.store(this.a.i32, this.a.hdrIndex('abort'), by); }

  /** Every CPU ready: true; a crash, an exit, a timeout or `signal`: false (with a finding for the
   *  crash and the timeout; the caller decides what an interruption means). */
  async started(timeoutMs: number, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; interrupted: boolean }> {
    let interrupted = false;
    const onAbort = (): void => { interrupted = true; this.failStart(new Error('interrupted during start-up')); };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort);
    const timer = setTimeout(() => {
      this.findings.push({ kind: 'crash', id: 'crash', msg: `CPU workers not ready after ${timeoutMs} ms (${this.nrReady}/${this.a.nrCpus} ready)`, cpu: -1, tasks: [], time: 0 });
      this.failStart(new Error('start-up timeout'));
    }, timeoutMs);
    try {
      await this.readyP;
      return { ok: true };
    } catch {
      return { ok: false, interrupted };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  get allDone(): boolean { return this.done.size === this.a.nrCpus; }
  isDone(cpu: number): boolean { return this.done.has(cpu); }

  /** Wait for every CPU's `done` (or exit); false if some did not come back within `timeoutMs`. */
  async finished(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => { timer = setTimeout(() => r(false), timeoutMs); });
    const ok = await Promise.race([this.doneP.then(() => true as const), timeout]);
    clearTimeout(timer);
    return ok;
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
