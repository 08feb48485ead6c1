/**
 * --record on a free run: every step point a CPU passes is appended to one global order (an
 * Atomics.add on the step counter), and every clock read is kept per CPU. A lock's step is taken
 * after its cmpxchg succeeded, so the order of acquisitions is exact and a replay that follows the
 * order finds every lock free where the run found it; a lockless read is ordered at its gate,
 * which is where a replay can diverge (the read may have happened later than its ticket says).
 * The CPUs still run freely: recording costs one contended atomic per step and a store per clock read.
 */
import type { Arena } from '../shm/arena.ts';
import { setExecHooks, setGateHook, type ExecHooks, type GateHook } from '../sync/gate.ts';
import { ExecArea, W_CPU_LOOP, W_HOST, W_IDLE, X, XC, packStep, windowId } from './area.ts';
import { RecordingClock } from './clocks.ts';
import type { LoopExec } from './cpu-loop.ts';

export class FreeRecorder implements ExecHooks, LoopExec {
  private steps = 0;
  private readonly stopIdx: number;

  /** cpu -1: the host (its stop-the-world samples are steps too) */
  constructor(readonly x: ExecArea, readonly a: Arena, readonly cpu: number, private readonly chaos: GateHook | null) {
    this.stopIdx = a.hdrIndex('stop');
    if (cpu >= 0) a.clock = new RecordingClock(x, a, cpu, () => this.full());
  }

  install(): void {
    const chaos = this.chaos;
    setGateHook(chaos ? (w) => { chaos(w); this.record(windowId(w)); } : (w) => this.record(windowId(w)));
    setExecHooks(this);
  }

  lockGate(window: string): void { this.chaos?.(window); }
  lockAcquired(window: string): void { this.record(windowId(window)); }
  loopTop(): void { this.record(W_CPU_LOOP); }
  idle(): boolean { this.record(W_IDLE); return false; }
  exit(): void { /* nothing to hand over */ }
  /** the host parked every CPU and samples */
  hostSample(): void { this.record(W_HOST); }

  where(): { step: number; cpuStep: number } {
    return { step: this.x.getCpu(this.cpu, XC.last_grant), cpuStep: this.steps };
  }

  private record(wid: number): void {
    const x = this.x;
    const k = Atomics.add(x.i32, X.step, 1);
    if (k < x.recCap) x.i32[x.recI + k] = packStep(this.cpu, wid);
    else if (k === x.recCap) this.full();
    if (this.cpu >= 0) {
      this.steps++;
      x.setCpu(this.cpu, XC.last_grant, k);
      x.setCpu(this.cpu, XC.steps, this.steps);
    }
  }

  /** The record is full: a replay could not go further, so the run ends here. */
  private full(): void {
    Atomics.store(this.x.i32, X.full, 1);
    Atomics.store(this.a.i32, this.stopIdx, 1);
  }
}
