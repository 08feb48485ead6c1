/**
 * --record on a free run, as rr records threads: the CPU workers still race, in real time, but
 * between two step points only one of them runs. At each step point a CPU gives up the step token,
 * takes a ticket and waits for its turn (FIFO, so every CPU that can run advances one step per
 * round); the host's timing decides who arrives first, idle CPUs sleep on their doorbells in real
 * time, and chaos delays are taken without the token, so others run meanwhile. Every turn is
 * appended to one global order and every clock read is kept per CPU: since no two steps overlap,
 * `replay` follows the order and meets exactly the same states. (A recording that let steps overlap
 * could not be replayed exactly: an access made after another CPU's later ticket would replay in
 * the wrong order.) The cost, serialised CPUs, is measured by `npm run bench`.
 */
import type { Arena } from '../shm/arena.ts';
import { setExecHooks, setGateHook, type ExecHooks, type GateHook } from '../sync/gate.ts';
import { MachineAbort } from '../sync/spinlock.ts';
import { ExecArea, W_CPU_LOOP, W_HOST, W_IDLE, W_RELAX, W_SPIN, X, XC, packStep, windowId } from './area.ts';
import { RecordingClock } from './clocks.ts';
import type { LoopExec } from './cpu-loop.ts';

const WAIT_MS = 20;

export class FreeRecorder implements ExecHooks, LoopExec {
  private steps = 0;
  private held = false;
  private readonly stopIdx: number;
  private readonly abortIdx: number;

  /** cpu -1: the host (its stop-the-world samples are steps too) */
  constructor(readonly x: ExecArea, readonly a: Arena, readonly cpu: number, private readonly chaos: GateHook | null) {
    this.stopIdx = a.hdrIndex('stop');
    this.abortIdx = a.hdrIndex('abort');
    if (cpu >= 0) a.clock = new RecordingClock(x, a, cpu, () => this.full());
  }

  install(): void {
    setGateHook((w) => this.step(windowId(w), w));
    setExecHooks(this);
  }

  lockGate(window: string): void { this.step(windowId(window), window); }
  lockAcquired(): void { /* the turn was taken at the gate */ }
  lockContended(): void { this.step(W_SPIN, null); }
  relax(): void { this.step(W_RELAX, null); }
  loopTop(): boolean { this.step(W_CPU_LOOP, null); return false; }
  idle(ipi: number, v: number, needResched: number, untilNs: number): boolean {
    this.release();
    const ms = (untilNs - this.a.realNow()) / 1e6;
    if (ms > 0 && Atomics.load(this.a.i32, needResched) === 0) Atomics.wait(this.a.i32, ipi, v, Math.max(0.01, ms));
    this.acquire();
    this.record(W_IDLE);
    return true;
  }
  /** parked by the sampler, or gone: the others go on */
  parking(): void { this.release(); }
  exit(): void { this.release(); }
  /** the host parked every CPU and samples: its step */
  hostSample(): number { return this.record(W_HOST); }

  where(): { step: number; cpuStep: number } { return this.x.where(this.cpu); }

  private step(wid: number, window: string | null): void {
    this.release();
    if (window !== null && this.chaos !== null) this.chaos(window);
    this.acquire();
    this.record(wid);
  }

  private acquire(): void {
    const i = this.x.i32;
    const t = Atomics.add(i, X.ticket_next, 1);
    for (;;) {
      const s = Atomics.load(i, X.ticket_serving);
      if (s === t) break;
      if (Atomics.load(this.a.i32, this.abortIdx) !== 0) throw new MachineAbort();
      Atomics.wait(i, X.ticket_serving, s, WAIT_MS);
    }
    this.held = true;
  }

  private release(): void {
    if (!this.held) return;
    this.held = false;
    Atomics.add(this.x.i32, X.ticket_serving, 1);
    Atomics.notify(this.x.i32, X.ticket_serving);
  }

  private record(wid: number): number {
    const x = this.x;
    const k = Atomics.add(x.i32, X.step, 1);
    if (k < x.recCap) x.i32[x.recI + k] = packStep(this.cpu, wid);
    else if (k === x.recCap) this.full();
    if (this.cpu >= 0) {
      this.steps++;
      x.setCpu(this.cpu, XC.last_grant, k);
      x.setCpu(this.cpu, XC.steps, this.steps);
    }
    return k;
  }

  /** The record is full: a replay could not go further, so the run ends here. */
  private full(): void {
    Atomics.store(this.x.i32, X.full, 1);
    Atomics.store(this.a.i32, this.stopIdx, 1);
  }
}
