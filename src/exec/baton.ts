/**
 * The baton of the controlled executor: exactly one thread (a CPU worker, or the host while it
 * samples) runs at a time; at every step point the holder records where it stands, chooses who
 * takes the next step (the strategy), hands the baton over and waits (Atomics.wait: no spinning
 * burn) until it comes back. Same worker threads, same kernel code as a free run; only the order of
 * the steps is decided here, so a run is a pure function of its inputs and the schedule.
 *
 * Who may take the next step (enabled):
 *   AT_STEP  a gate, the loop top                always
 *   SPIN     a spinlock retry                    when the lock word is 0 again
 *   IDLE     the idle wait on the doorbell       when rung, need_resched, its timer is due, or stopping
 *   RELAX    cpu_relax() in a spin-wait loop     once another CPU has taken a step since
 * Nobody enabled: virtual time jumps to the earliest idle timer.
 *
 * Virtual time: each step costs stepNs; a CPU in user code (a `run` op) advances it by its slice.
 * The run stops (the holder sets `stop`) at the duration, when every task has exited, or at the end
 * of a replayed record. Every `sampleNs` the strategy is suspended until every CPU stands at its
 * loop top; then the host takes a step ('host_sample') and checks the whole arena.
 */
import type { Arena } from '../shm/arena.ts';
import { MachineAbort } from '../sync/spinlock.ts';
import {
  ExecArea, ST, STRATEGY, W_CPU_LOOP, W_HOST, X, XC, XD, packStep, stepCpu, stepWindow,
} from './area.ts';

const WAIT_MS = 50;
/** steps (per CPU) an enabled CPU may be passed over before it must run */
export const STARVE_STEPS = 500;
/** idle timers: f64 index of CPU c's wake-up time */
const untilD = (c: number): number => 8 + c;

export class Baton {
  readonly i32: Int32Array;
  /** this thread's slot: its CPU, or nrCpus for the host */
  readonly self: number;
  private started = false;
  /**
   * Replaying a free run: the record, not virtual time, says when an idle CPU wakes and when the
   * host samples. (A controlled run's replay keeps the rules of the run, only the choice is the record's.)
   */
  private readonly recordDriven: boolean;
  private readonly stopIdx: number;
  private readonly abortIdx: number;
  private readonly exitedIdx: number;

  constructor(readonly x: ExecArea, readonly a: Arena, cpu: number) {
    this.i32 = x.i32;
    this.self = cpu < 0 ? x.nrCpus : cpu;
    this.stopIdx = a.hdrIndex('stop');
    this.abortIdx = a.hdrIndex('abort');
    this.exitedIdx = a.hdrIndex('exited_tasks');
    this.recordDriven = x.replaysClocks && x.i32[X.strategy] === STRATEGY.REPLAY;
  }

  /** A CPU arrives at a step point: say where, let the strategy choose, wait for the turn. */
  step(state: number, wid: number, word = 0, val = 0, word2 = 0, until = 0): void {
    const x = this.x;
    const me = this.self;
    x.setCpu(me, XC.state, state);
    x.setCpu(me, XC.window, wid);
    x.setCpu(me, XC.word, word);
    x.setCpu(me, XC.val, val);
    x.setCpu(me, XC.word2, word2);
    x.setCpu(me, XC.enabled_since, this.i32[X.step]);
    if (state === ST.IDLE) x.f64[untilD(me)] = until;
    if (state === ST.RELAX) x.setCpu(me, XC.relax_at, this.i32[X.step]);
    if (!this.started) {
      this.started = true;
      // the last CPU to arrive makes the first choice: the states are the same whoever it is
      if (Atomics.add(this.i32, X.arrived, 1) + 1 < x.nrCpus) { this.waitTurn(); return; }
    }
    const next = this.choose();
    if (next === me) return;
    if (next >= 0) this.handTo(next);
    this.waitTurn();
  }

  /** The CPU left its loop: it takes no more steps. */
  exit(): void {
    this.x.setCpu(this.self, XC.state, ST.DONE);
    if (!this.started) {
      this.started = true;
      if (Atomics.add(this.i32, X.arrived, 1) + 1 < this.x.nrCpus) return;
    } else if (Atomics.load(this.i32, X.baton) !== this.self) return;
    const next = this.choose();
    if (next >= 0 && next !== this.self) this.handTo(next);
  }

  /** The host's turn begins (it samples): its step is recorded first, so a finding of the sample
   *  is at this step; returns the step. */
  hostBegin(): number {
    const i = this.i32;
    const x = this.x;
    const s = i[X.step];
    if (s < x.recCap) { i[x.recI + s] = packStep(-1, W_HOST); i[x.maskI + s] = 0; x.f64[x.timeD + s] = x.f64[XD.vnow]; }
    i[X.step] = s + 1;
    i[X.last] = -1;
    i[X.samples]++;
    return s;
  }

  /** The host's turn is over: resume the strategy. */
  hostDone(): void {
    const i = this.i32;
    const x = this.x;
    i[X.sampling] = 0;
    while (x.f64[XD.next_sample] <= x.f64[XD.vnow]) x.f64[XD.next_sample] += x.f64[XD.sample_ns];
    const next = this.choose();
    if (next >= 0) this.handTo(next);
  }

  /** Is it the host's turn? (the host polls this) */
  hostTurn(): boolean { return Atomics.load(this.i32, X.baton) === this.x.nrCpus; }

  /** user code of a `run` op executes for ns of virtual time */
  advance(ns: number): void { if (ns > 0) this.x.f64[XD.vnow] += ns; }

  /** Wake every thread that waits for the baton (abort, stop). */
  wakeAll(): void {
    for (let c = 0; c <= this.x.nrCpus; c++) {
      Atomics.add(this.i32, this.x.wakeIndex(c), 1);
      Atomics.notify(this.i32, this.x.wakeIndex(c));
    }
  }

  private handTo(next: number): void {
    Atomics.store(this.i32, X.baton, next);
    const w = this.x.wakeIndex(next);
    Atomics.add(this.i32, w, 1);
    Atomics.notify(this.i32, w);
  }

  private waitTurn(): void {
    const i = this.i32;
    const w = this.x.wakeIndex(this.self);
    for (;;) {
      const v = Atomics.load(i, w);
      if (Atomics.load(i, X.baton) === this.self) { this.x.setCpu(this.self, XC.state, ST.RUNNING); return; }
      if (Atomics.load(this.a.i32, this.abortIdx) !== 0) throw new MachineAbort();
      Atomics.wait(i, w, v, WAIT_MS);
    }
  }

  // ---- the choice (runs on whichever thread holds the baton) ----

  private enabled(c: number, sampling: boolean, stopping: boolean): boolean {
    const x = this.x;
    const st = x.getCpu(c, XC.state);
    // a recorded free run took its steps whatever held (its spins failed, its idle waits timed out)
    if (this.recordDriven) return st !== ST.DONE && st !== ST.STARTING && !(sampling && st === ST.AT_STEP && x.getCpu(c, XC.window) === W_CPU_LOOP);
    switch (st) {
      case ST.AT_STEP: return !(sampling && x.getCpu(c, XC.window) === W_CPU_LOOP);
      case ST.SPIN: return Atomics.load(this.a.i32, x.getCpu(c, XC.word)) === 0;
      case ST.IDLE:
        return stopping || sampling || this.recordDriven || Atomics.load(this.a.i32, x.getCpu(c, XC.word)) !== x.getCpu(c, XC.val) ||
          Atomics.load(this.a.i32, x.getCpu(c, XC.word2)) !== 0 || x.f64[XD.vnow] >= x.f64[untilD(c)];
      case ST.RELAX: return this.i32[X.step] > x.getCpu(c, XC.relax_at);
      default: return false;
    }
  }

  private mask(sampling: boolean, stopping: boolean): number {
    let m = 0;
    for (let c = 0; c < this.x.nrCpus; c++) if (this.enabled(c, sampling, stopping)) m |= 1 << c;
    return m;
  }

  /** Who takes the next step: a CPU, the host (nrCpus), or -1 when every CPU is done. */
  choose(): number {
    const x = this.x;
    const i = this.i32;
    const n = x.nrCpus;
    const strategy = i[X.strategy];
    const step = i[X.step];
    let stopping = Atomics.load(this.a.i32, this.stopIdx) !== 0;
    if (!stopping && (x.f64[XD.vnow] >= x.f64[XD.duration] || Atomics.load(this.a.i32, this.exitedIdx) >= i[X.nr_tasks] ||
        (strategy === STRATEGY.REPLAY && step >= i[X.sched_len]))) {
      Atomics.store(this.a.i32, this.stopIdx, 1);
      stopping = true;
    }
    if (!stopping && !i[X.sampling]) {
      if (this.recordDriven) {
        if (step < i[X.sched_len] && stepCpu(i[x.schedI + step]) < 0) i[X.sampling] = 1;
      } else if (x.f64[XD.vnow] >= x.f64[XD.next_sample]) i[X.sampling] = 1;
    }
    const sampling = !stopping && i[X.sampling] === 1;
    let m = this.mask(sampling, stopping);
    while (m === 0) {
      let alive = false;
      let relaxing = false;
      let earliest = Infinity;
      for (let c = 0; c < n; c++) {
        const st = x.getCpu(c, XC.state);
        if (st !== ST.DONE) alive = true;
        if (st === ST.RELAX) relaxing = true;
        if (st === ST.IDLE) earliest = Math.min(earliest, x.f64[untilD(c)]);
      }
      if (!alive) return -1;
      if (sampling) return n;
      if (relaxing) {
        // only spin-waiters are left: let them look again (a true livelock is the watchdog's)
        for (let c = 0; c < n; c++) if (x.getCpu(c, XC.state) === ST.RELAX) m |= 1 << c;
        break;
      }
      if (earliest === Infinity) {
        throw new Error(`controlled executor: no CPU can take a step at step ${step} (every CPU waits on a held spinlock)`);
      }
      x.f64[XD.vnow] = Math.max(x.f64[XD.vnow], earliest);
      return this.choose();
    }
    const next = strategy === STRATEGY.REPLAY ? this.pick(strategy, m, step) : this.starved(m, step) ?? this.pick(strategy, m, step);
    const last = i[X.last];
    if (last >= 0 && last < n && last !== next && (m >> last) & 1 && x.getCpu(last, XC.state) === ST.AT_STEP) i[X.preemptions]++;
    if (step < x.recCap) { i[x.recI + step] = packStep(next, x.getCpu(next, XC.window)); i[x.maskI + step] = m; x.f64[x.timeD + step] = x.f64[XD.vnow]; }
    else i[X.full] = 1;
    i[X.step] = step + 1;
    x.setCpu(next, XC.steps, x.getCpu(next, XC.steps) + 1);
    x.setCpu(next, XC.last_grant, step);
    i[X.last] = next;
    x.f64[XD.vnow] += x.f64[XD.step_ns];
    // Last of all: from this store on, `next` may run (a waiter also wakes on its timeout and looks).
    // (The holder's own id too: exit() hands over only what it holds.)
    Atomics.store(i, X.baton, next);
    return next;
  }

  /**
   * Every CPU makes progress, as hardware guarantees: one that could have run for STARVE_STEPS per
   * CPU without being chosen runs now (else PCT's strict priorities, or a prefix's "never preempt",
   * starve a CPU for a whole run and the liveness checks report what no machine would do).
   */
  private starved(m: number, step: number): number | null {
    const limit = STARVE_STEPS * this.x.nrCpus;
    let worst = -1;
    let most = limit;
    for (let c = 0; c < this.x.nrCpus; c++) {
      if (!((m >> c) & 1)) continue;
      const waited = step - Math.max(this.x.getCpu(c, XC.last_grant), this.x.getCpu(c, XC.enabled_since));
      if (waited > most) { most = waited; worst = c; }
    }
    return worst < 0 ? null : worst;
  }

  private lowest(m: number): number { return 31 - Math.clz32(m & -m); }

  private pick(strategy: number, m: number, step: number): number {
    const x = this.x;
    const i = this.i32;
    switch (strategy) {
      case STRATEGY.RANDOM: {
        const k = Math.floor(x.random() * popcount(m));
        let seen = 0;
        for (let c = 0; c < x.nrCpus; c++) if ((m >> c) & 1 && seen++ === k) return c;
        return this.lowest(m);
      }
      case STRATEGY.PCT: {
        const next = i[X.pct_next];
        if (next < i[X.pct_depth] && step + 1 >= i[x.pctI + next]) {
          const last = i[X.last];
          if (last >= 0 && last < x.nrCpus) x.setCpu(last, XC.prio, i[X.pct_depth] - next);
          i[X.pct_next] = next + 1;
        }
        let best = -1;
        for (let c = 0; c < x.nrCpus; c++) if ((m >> c) & 1 && (best < 0 || x.getCpu(c, XC.prio) > x.getCpu(best, XC.prio))) best = c;
        return best;
      }
      case STRATEGY.REPLAY:
      case STRATEGY.PREFIX: {
        if (step < i[X.sched_len]) {
          const e = i[x.schedI + step];
          const want = stepCpu(e);
          if (want >= 0 && (m >> want) & 1) {
            if (x.getCpu(want, XC.window) !== stepWindow(e)) this.diverged(step, want, stepWindow(e), x.getCpu(want, XC.window));
            return want;
          }
          this.diverged(step, want, stepWindow(e), want >= 0 ? x.getCpu(want, XC.window) : -1);
        }
        // past the given prefix: do not preempt (the exhaustive search's default)
        const last = i[X.last];
        return last >= 0 && last < x.nrCpus && (m >> last) & 1 ? last : this.lowest(m);
      }
      default: return this.lowest(m);
    }
  }

  private diverged(step: number, cpu: number, want: number, got: number): void {
    const i = this.i32;
    if (i[X.diverged_at] < 0) {
      i[X.diverged_at] = step; i[X.div_cpu] = cpu; i[X.div_want] = want; i[X.div_got] = got;
    }
    i[X.divergences]++;
  }
}

function popcount(m: number): number {
  let k = 0;
  for (let v = m >>> 0; v; v &= v - 1) k++;
  return k;
}
