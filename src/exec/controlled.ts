/**
 * A CPU worker's side of the controlled executor: every step point of the kernel (gates, spinlock
 * retries, cpu_relax) and of the CPU loop (loop top, idle wait) becomes a Baton step, and the
 * CPU's clock is the executor's. Nothing under src/sched, src/locking or src/proxy knows this runs.
 */
import type { Arena } from '../shm/arena.ts';
import { setExecHooks, setGateHook, type ExecHooks } from '../sync/gate.ts';
import { Baton } from './baton.ts';
import { ExecArea, ST, W_CPU_LOOP, W_IDLE, W_RELAX, W_SPIN, X, windowId } from './area.ts';
import { ReplayClock, VirtualClock } from './clocks.ts';
import type { LoopExec } from './cpu-loop.ts';

export class ControlledCpu implements ExecHooks, LoopExec {
  readonly baton: Baton;
  private readonly replayClock: boolean;

  constructor(readonly x: ExecArea, a: Arena, cpu: number) {
    this.baton = new Baton(x, a, cpu);
    this.replayClock = x.replaysClocks;
    a.clock = this.replayClock ? new ReplayClock(x, cpu) : new VirtualClock(x);
  }

  install(): void {
    setGateHook((w) => this.baton.step(ST.AT_STEP, windowId(w)));
    setExecHooks(this);
  }

  lockGate(window: string): void { this.baton.step(ST.AT_STEP, windowId(window)); }
  lockAcquired(): void { /* the order was decided at the gate */ }
  lockContended(word: number): void { this.baton.step(ST.SPIN, W_SPIN, word); }
  relax(): void { this.baton.step(ST.RELAX, W_RELAX); }

  loopTop(): boolean {
    const samples = this.x.i32[X.samples];
    this.baton.step(ST.AT_STEP, W_CPU_LOOP);
    return this.x.i32[X.samples] !== samples;
  }
  idle(ipi: number, v: number, needResched: number, untilNs: number): boolean {
    this.baton.step(ST.IDLE, W_IDLE, ipi, v, needResched, untilNs);
    return true;
  }
  userRun(ns: number): void { if (!this.replayClock) this.baton.advance(ns); }
  exit(): void { this.baton.exit(); }
  /** (global step of this CPU's last step, steps this CPU took) */
  where(): { step: number; cpuStep: number } { return this.x.where(this.baton.self); }
}
