/**
 * The CPU loop: what one simulated CPU does, step by step.
 *
 *   loop:
 *     account the time rq->curr just executed (exec_runtime, the run op's budget)
 *     interrupts (only here, where no spinlock is held): tick, timers, need_resched -> preempt
 *     idle: wait on the doorbell until an IPI, a timer or the next tick
 *     else: one step of rq->curr's program (an op, or the continuation after schedule())
 *
 * A step that blocks calls __schedule() itself (as the kernel's schedule() in mutex_lock does);
 * the continuation (kpc) is kept in the arena, so whichever CPU next runs the task resumes it.
 */
import type { Cpu } from '../sched/cpu.ts';
import { R, T } from '../shm/layout.ts';
import { SM, TASK } from '../sched/constants.ts';
import { __schedule, doSchedYield, schedulerTick, setCpusAllowed } from '../sched/core.ts';
import { tryToWakeUp } from '../sched/ttwu.ts';
import { K_MUTEX_WAIT, LOCK_DONE, LOCK_EINTR, LOCK_SCHEDULE, mutexLock, mutexLockResume, mutexTrylock, mutexUnlock } from '../locking/mutex.ts';
import { deliverSignal, sendSignal } from '../signal/signal.ts';
import { OP, OP_WORDS } from '../workload/program.ts';
import { EV } from '../trace/events.ts';
import { gate } from '../sync/gate.ts';
import { TASK_NORMAL } from '../sched/constants.ts';

export const K_SLEEP = 2;
export const K_RUN = 3;
export const K_EXITED = 4;

const TIMER_CHECK_NS = 100_000;

/**
 * What an executor adds to the loop (src/exec/controlled.ts, record.ts); free running has none.
 * The loop top comes after the park check, so a CPU parked by the sampler stands where a controlled
 * run's CPU waits for its next turn.
 */
export interface LoopExec {
  /** true: the host sampled while this CPU stood here (a controlled run's park) */
  loopTop(): boolean;
  /** the idle wait: true when the executor waited (else the loop waits on the doorbell itself) */
  idle(ipi: number, v: number, needResched: number, untilNs: number): boolean;
  /** user code of rq->curr runs for ns (virtual time moves on) */
  userRun?(ns: number): void;
  /** about to park for the sampler */
  parking?(): void;
  exit(): void;
}

export class CpuLoop {
  private last = 0;
  private nextTimerCheck = 0;
  private readonly tickNs: number;
  private readonly stopIdx: number;
  private readonly parkIdx: number;
  exec: LoopExec | null = null;

  constructor(readonly c: Cpu) {
    this.tickNs = c.a.hdr('tick_ns');
    this.stopIdx = c.a.hdrIndex('stop');
    this.parkIdx = c.a.hdrIndex('park');
  }

  run(): void {
    const c = this.c;
    const i32 = c.i32;
    this.last = c.now();
    c.rsd(c.cpu, R.next_tick, this.last + this.tickNs);
    // (an exception leaves without exit(): it aborts the machine, which wakes every CPU)
    while (Atomics.load(i32, this.stopIdx) === 0) {
      if (c.aborted()) return;
      if (Atomics.load(i32, this.parkIdx) !== 0) this.park();
      if (this.exec !== null) {
        // the host sampled while this CPU waited at its loop top: as after park(), time restarts here
        if (this.exec.loopTop()) this.last = c.now();
        if (Atomics.load(i32, this.stopIdx) !== 0) break;
      }
      this.iteration();
    }
    this.exec?.exit();
  }

  /** Stop-the-world: park at a safe point (no lock held) until the sampler releases us. */
  private park(): void {
    const c = this.c;
    const i32 = c.i32;
    const parked = c.a.hdrIndex('parked');
    this.exec?.parking?.();
    Atomics.add(i32, parked, 1);
    Atomics.notify(i32, parked);
    while (Atomics.load(i32, this.parkIdx) !== 0 && !c.aborted()) Atomics.wait(i32, this.parkIdx, 1, 5);
    Atomics.sub(i32, parked, 1);
    this.last = c.now();
  }

  iteration(): void {
    const c = this.c;
    const cpu = c.cpu;
    c.stat(R.steps);
    const now = c.now();
    const curr = c.current;
    const delta = now - this.last;
    this.last = now;
    const idle = c.isIdleTask(curr);
    if (idle) {
      c.rsd(cpu, R.idle_ns, c.rgd(cpu, R.idle_ns) + delta);
    } else {
      c.tsd(curr, T.exec_runtime, c.tgd(curr, T.exec_runtime) + delta);
      if (c.tg(curr, T.kpc) === K_RUN) c.tsd(curr, T.op_remaining, c.tgd(curr, T.op_remaining) - delta);
    }
    // interrupts
    if (now >= c.rgd(cpu, R.next_tick)) {
      schedulerTick(c);
      c.rsd(cpu, R.next_tick, now + this.tickNs);
    }
    if (now >= this.nextTimerCheck) {
      this.nextTimerCheck = now + TIMER_CHECK_NS;
      this.runTimers(now);
    }
    // a lockless read of what other CPUs write (resched_curr): its own step, so a replay orders it
    gate('cpu_loop:need_resched');
    if (Atomics.load(c.i32, c.rqI + R.need_resched)) {
      __schedule(c, idle ? SM.NONE : SM.PREEMPT);
      return;
    }
    if (idle) {
      const v = Atomics.load(c.i32, c.rqI + R.ipi);
      if (Atomics.load(c.i32, c.rqI + R.need_resched)) return;
      const until = Math.min(c.rgd(cpu, R.next_tick), this.nextTimerCheck);
      // (the clock is read here in every mode: a replay must read the clock as often as the run did)
      const wait = until - c.now();
      if (this.exec !== null && this.exec.idle(c.rqI + R.ipi, v, c.rqI + R.need_resched, until)) return;
      if (wait > 0) Atomics.wait(c.i32, c.rqI + R.ipi, v, Math.max(0.01, wait / 1e6));
      return;
    }
    this.step(curr);
  }

  /** hrtimer expiry: wake sleepers whose timer lives on this CPU. */
  private runTimers(now: number): void {
    const c = this.c;
    for (let p = c.a.nrCpus; p < c.a.nrTasks; p++) {
      const base = c.a.t(p);
      if (Atomics.load(c.i32, base + T.timer_armed) !== 1 || Atomics.load(c.i32, base + T.timer_cpu) !== c.cpu) continue;
      if (c.tgd(p, T.timer_expires) > now) continue;
      if (Atomics.compareExchange(c.i32, base + T.timer_armed, 1, 0) !== 1) continue;
      tryToWakeUp(c, p, TASK_NORMAL, 0);
    }
  }

  /** Execute one step of p (= rq->curr) */
  step(p: number): void {
    const c = this.c;
    const i32 = c.i32;
    const ex = c.a.t(p) + T.exec_cpu;
    const other = Atomics.exchange(i32, ex, c.cpu);
    if (other !== -1 && other !== c.cpu) {
      c.violation('I5', `${c.name(p)} executes on CPU${c.cpu} while CPU${other} executes it`, [p]);
    }
    c.rs(c.cpu, R.cur_task, p);
    try {
      this.__step(p);
    } finally {
      Atomics.compareExchange(i32, ex, c.cpu, -1);
    }
  }

  private __step(p: number): void {
    const c = this.c;
    const kpc = c.tg(p, T.kpc);
    if (kpc === K_RUN) {
      const left = c.tgd(p, T.op_remaining);
      if (left <= 0) { c.ts(p, T.kpc, 0); this.next(p); }
      else if (this.exec?.userRun) this.exec.userRun(Math.min(left, c.rgd(c.cpu, R.next_tick) - this.last));
      return;
    }
    if (kpc === K_MUTEX_WAIT) { this.lockResult(p, mutexLockResume(c, p)); return; }
    if (kpc === K_SLEEP) {
      // back from schedule_timeout(): cancel the timer if it has not fired
      Atomics.store(c.i32, c.a.t(p) + T.timer_armed, 0);
      c.ts(p, T.kpc, 0);
      this.next(p);
      return;
    }
    if (kpc === K_EXITED) {
      c.warn('exited_runs', `${c.name(p)} runs after do_exit()`, p);
      __schedule(c, SM.NONE);
      return;
    }
    // return to user space: deliver pending signals
    deliverSignal(c, p);
    const pc = c.tg(p, T.pc);
    const base = c.a.prog(p) + pc * OP_WORDS;
    const op = c.i32[base];
    const a = c.i32[base + 1];
    const b = c.i32[base + 2];
    // An op that completes in place breaks out to go on with the next op; an op that sleeps,
    // schedules, loops or jumps returns with pc (or its continuation) already set.
    switch (op) {
      case OP.UNLOCK: mutexUnlock(c, p, a); break;
      case OP.SIGNAL: sendSignal(c, a, p); break;
      case OP.SET_AFFINITY: setCpusAllowed(c, a, b); break;
      case OP.RUN:
        c.tsd(p, T.op_remaining, a * 1000);
        c.ts(p, T.kpc, K_RUN);
        return;
      case OP.LOCK:
        this.lockResult(p, mutexLock(c, p, a, TASK.UNINTERRUPTIBLE));
        return;
      case OP.LOCK_INTERRUPTIBLE:
        this.lockResult(p, mutexLock(c, p, a, TASK.INTERRUPTIBLE));
        return;
      case OP.TRYLOCK: {
        const ok = mutexTrylock(c, p, a);
        c.ts(p, T.last_lock_result, ok ? 1 : 0);
        if (ok) this.next(p);
        else {
          c.ts(p, T.nr_trylock_fail, c.tg(p, T.nr_trylock_fail) + 1);
          this.jump(p, b);
        }
        return;
      }
      case OP.SLEEP: {
        c.tsd(p, T.timer_expires, c.now() + a * 1000);
        Atomics.store(c.i32, c.a.t(p) + T.timer_cpu, c.cpu);
        c.tw(p, T.__state, b ? TASK.INTERRUPTIBLE : TASK.UNINTERRUPTIBLE);
        Atomics.store(c.i32, c.a.t(p) + T.timer_armed, 1);
        c.ts(p, T.kpc, K_SLEEP);
        c.emit(EV.SLEEP, p, a);
        __schedule(c, SM.NONE);
        return;
      }
      case OP.YIELD:
        this.next(p);
        doSchedYield(c, p);
        return;
      case OP.LOOP_BEGIN: {
        const sp = c.tg(p, T.loop_sp);
        c.ts(p, T.loop_stack + sp * 2, pc + 1);
        c.ts(p, T.loop_stack + sp * 2 + 1, a);
        c.ts(p, T.loop_sp, sp + 1);
        c.ts(p, T.pc, pc + 1);
        return;
      }
      case OP.LOOP_END: {
        const sp = c.tg(p, T.loop_sp) - 1;
        let rem = c.tg(p, T.loop_stack + sp * 2 + 1);
        if (rem > 0) rem--;
        if (rem !== 0) {
          c.ts(p, T.loop_stack + sp * 2 + 1, rem);
          c.ts(p, T.pc, a);
        } else {
          c.ts(p, T.loop_sp, sp);
          c.ts(p, T.pc, pc + 1);
        }
        return;
      }
      case OP.EXIT:
      case OP.END:
        this.doExit(p);
        return;
      default:
        throw new Error(`${c.name(p)}: bad opcode ${op} at pc ${pc}`);
    }
    this.next(p);
  }

  private next(p: number): void {
    const c = this.c;
    c.ts(p, T.pc, c.tg(p, T.pc) + 1);
    c.ts(p, T.nr_ops, c.tg(p, T.nr_ops) + 1);
  }

  private jump(p: number, target: number): void {
    const c = this.c;
    if (target < 0) this.next(p);
    else { c.ts(p, T.pc, target); c.ts(p, T.nr_ops, c.tg(p, T.nr_ops) + 1); }
  }

  private lockResult(p: number, r: number): void {
    const c = this.c;
    if (r === LOCK_SCHEDULE) { __schedule(c, SM.NONE); return; }
    c.ts(p, T.last_lock_result, r);
    if (r === LOCK_DONE) this.next(p);
    else if (r === LOCK_EINTR) {
      const b = c.i32[c.a.prog(p) + c.tg(p, T.pc) * OP_WORDS + 2];
      this.jump(p, b);
    }
  }

  /** do_exit(): TASK_DEAD, a last schedule(); the task never runs again. */
  private doExit(p: number): void {
    const c = this.c;
    const held = [c.tg(p, T.held_mask), c.tg(p, T.held_mask + 1)];
    if (held[0] || held[1]) c.warn('exit_holding_mutex', `${c.name(p)} exits holding mutexes ${held.map((w) => `0x${(w >>> 0).toString(16)}`).join(':')}`, p);
    c.ts(p, T.kpc, K_EXITED);
    c.emit(EV.EXIT, p);
    Atomics.add(c.i32, c.a.hdrIndex('exited_tasks'), 1);
    c.tw(p, T.__state, TASK.DEAD);
    c.ts(p, T.exited, 1);
    __schedule(c, SM.NONE);
  }
}
