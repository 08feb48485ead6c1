/**
 * The clocks an executor installs behind Arena.now() (the clock seam, shm/arena.ts):
 *   VirtualClock    controlled runs: the executor's virtual time, advanced by steps and `run` slices
 *   RecordingClock  a free run with --record: real time, every value a CPU reads kept in order
 *   ReplayClock     a replay of such a record: the same values, in the same order, per CPU
 */
import type { Arena, Clock } from '../shm/arena.ts';
import { ExecArea, XC, XD } from './area.ts';

export class VirtualClock implements Clock {
  constructor(private readonly x: ExecArea) {}
  now(): number { return this.x.f64[XD.vnow]; }
}

export class RecordingClock implements Clock {
  private n = 0;
  private readonly base: number;
  constructor(private readonly x: ExecArea, private readonly a: Arena, private readonly cpu: number,
    private readonly onFull: () => void) {
    this.base = x.clockD + cpu * x.clockCap;
  }
  now(): number {
    const v = this.a.realNow();
    if (this.n < this.x.clockCap) {
      this.x.f64[this.base + this.n++] = v;
      this.x.setCpu(this.cpu, XC.clock_n, this.n);
    } else if (this.n++ === this.x.clockCap) this.onFull();
    return v;
  }
}

export class ReplayClock implements Clock {
  private k = 0;
  private last = 0;
  private readonly base: number;
  private readonly len: number;
  constructor(private readonly x: ExecArea, cpu: number) {
    this.base = x.clockD + cpu * x.clockCap;
    this.len = x.getCpu(cpu, XC.clock_n);
  }
  now(): number {
    // past the recorded reads (the replay went its own way): time creeps on by a step
    this.last = this.k < this.len ? this.x.f64[this.base + this.k] : this.last + this.x.f64[XD.step_ns];
    this.k++;
    // keep the executor's virtual time in step with the replayed one (stop, samples, progress)
    if (this.last > this.x.f64[XD.vnow]) this.x.f64[XD.vnow] = this.last;
    return this.last;
  }
}
