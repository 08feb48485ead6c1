/**
 * One directed test per exit of find_proxy_task() (spec §3.7, F1..F12): the machine is put into the
 * state that leads to the exit, __schedule() runs on the test's thread, and what follows is asserted.
 * "Another CPU" acting inside a race window is played by a hook at the named gate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { directed, onceAtGate, clearGate } from '../helpers/kernel.ts';
import { __schedule } from '../../src/sched/core.ts';
import { R, T } from '../../src/shm/layout.ts';
import { SM, TASK, PROXY_WAKING, TASK_ON_RQ_MIGRATING, TASK_ON_RQ_QUEUED, blockedOnMutex } from '../../src/sched/constants.ts';
import { EV, FPT } from '../../src/trace/events.ts';

afterEach(() => clearGate());

function exits(d: ReturnType<typeof directed>): number[] {
  return d.events().filter((e) => e.type === EV.FIND_PROXY_EXIT).map((e) => e.a);
}

/** A (fifo 50, pinned to CPU0) waits on m0 held by B (fair); C is a spare fair task. */
function setup(bugs?: number[]) {
  return directed({
    cpus: 2, bugs,
    tasks: [
      { name: 'A', policy: 'fifo', prio: 50, affinity: [0] },
      { name: 'B', policy: 'fair' },
      { name: 'C', policy: 'fair' },
    ],
  });
}

describe('find_proxy_task exits', () => {
  it('F1_WAKING_RUN_SELF: PROXY_WAKING donor that is rq->curr clears blocked_on and runs', () => {
    const d = setup();
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.setCurr('A', 0);
    d.hold(0, null, []);
    d.ts('A', T.blocked_on, PROXY_WAKING);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F1_WAKING_RUN_SELF]);
    expect(d.tg('A', T.blocked_on)).toBe(0);
    expect(d.a.i32[d.a.rq(0) + R.curr]).toBe(d.id('A'));
  });

  it('F1_WAKING_FORCE_RETURN: a PROXY_WAKING donor on a foreign CPU is returned to an allowed CPU', () => {
    const d = setup();
    d.enqueue('A', 1, TASK.RUNNING);
    d.ts('A', T.wake_cpu, 0);
    d.ts('A', T.blocked_on, PROXY_WAKING);
    __schedule(d.cpu[1], SM.NONE);
    expect(exits(d)).toEqual([FPT.F1_WAKING_FORCE_RETURN]);
    expect(d.tg('A', T.cpu)).toBe(0);
    expect(d.tg('A', T.list_cpu)).toBe(0);
    expect(d.tg('A', T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(d.tg('A', T.blocked_on)).toBe(0);
    expect(d.a.i32[d.a.rq(1) + R.curr]).toBe(d.a.i32[d.a.rq(1) + R.idle]);
    expect(d.a.i32[d.a.rq(1) + R.force_returns]).toBe(1);
    expect(d.events().some((e) => e.type === EV.PROXY_FORCE_RETURN && e.a === 1 && e.b === 0)).toBe(true);
  });

  it('F3_CHAIN_CHANGED: blocked_on changes between the lockless read and the locked re-read', () => {
    const d = setup();
    d.enqueue('B', 1);
    d.enqueue('A', 1, TASK.UNINTERRUPTIBLE);
    d.ts('A', T.wake_cpu, 0);
    d.hold(0, 'B', ['A']);
    // the unlocker on another CPU marks A PROXY_WAKING while we wait for wait_lock (F2)
    onceAtGate('find_proxy_task:wait_lock', () => { d.ts('A', T.blocked_on, PROXY_WAKING); });
    __schedule(d.cpu[1], SM.NONE);
    const x = exits(d);
    expect(x[0]).toBe(FPT.F3_CHAIN_CHANGED);
    // pick again: now A is PROXY_WAKING and not current: force return home
    expect(x[1]).toBe(FPT.F1_WAKING_FORCE_RETURN);
    expect(d.tg('A', T.cpu)).toBe(0);
  });

  it('F6_OWNER_NULL_RUN_SELF: curr is blocked on a mutex with no owner: runs to retry the lock', () => {
    const d = setup();
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.setCurr('A', 0);
    d.hold(0, null, ['A']);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F6_OWNER_NULL_RUN_SELF]);
    expect(d.tg('A', T.blocked_on)).toBe(0);
    expect(d.a.i32[d.a.rq(0) + R.curr]).toBe(d.id('A'));
  });

  it('F6_OWNER_NULL_FORCE_RETURN: a foreign donor whose mutex has no owner goes home', () => {
    const d = setup();
    d.enqueue('A', 1, TASK.UNINTERRUPTIBLE);
    d.ts('A', T.wake_cpu, 0);
    d.hold(0, null, ['A']);
    __schedule(d.cpu[1], SM.NONE);
    expect(exits(d)).toEqual([FPT.F6_OWNER_NULL_FORCE_RETURN]);
    expect(d.tg('A', T.cpu)).toBe(0);
    expect(d.tg('A', T.blocked_on)).toBe(0);
    // the task keeps its sleeping state: the unlocker's ttwu will find it queued (ttwu_runnable)
    expect(d.tg('A', T.__state)).toBe(TASK.UNINTERRUPTIBLE);
  });

  it('F7_OWNER_SLEEPING_IDLE: curr in the chain and the owner sleeps: switch to idle', () => {
    const d = setup();
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.setCurr('A', 0);
    d.hold(0, 'B', ['A']); // B is not on any rq: sleeping
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F7_OWNER_SLEEPING_IDLE]);
    const rq = d.a.rq(0);
    expect(d.a.i32[rq + R.curr]).toBe(d.a.i32[rq + R.idle]);
    expect(d.a.i32[rq + R.donor]).toBe(d.a.i32[rq + R.idle]);
    expect(d.a.i32[rq + R.need_resched]).toBe(1); // idle re-enters __schedule at once
    expect(d.tg('A', T.on_rq)).toBe(TASK_ON_RQ_QUEUED); // still a donor
  });

  it('F7_OWNER_SLEEPING_DEACTIVATE: a sleeping donor of a sleeping owner is dequeued', () => {
    const d = setup();
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F7_OWNER_SLEEPING_DEACTIVATE]);
    expect(d.tg('A', T.on_rq)).toBe(0);
    expect(d.tg('A', T.blocked_on)).toBe(blockedOnMutex(0)); // still waiting: the unlock wakes it
    expect(d.a.i32[d.a.rq(0) + R.deactivations]).toBe(1);
  });

  it('DEACTIVATE_REFUSED_FORCE_RETURN: a RUNNING (signalled) donor is not dequeued but returned home', () => {
    const d = setup();
    d.enqueue('A', 1, TASK.RUNNING); // ttwu_runnable by a signal made it RUNNING, blocked_on still set
    d.ts('A', T.wake_cpu, 0);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[1], SM.NONE);
    expect(exits(d)).toEqual([FPT.F7_OWNER_SLEEPING_DEACTIVATE, FPT.DEACTIVATE_REFUSED_FORCE_RETURN]);
    expect(d.tg('A', T.on_rq)).toBe(TASK_ON_RQ_QUEUED);
    expect(d.tg('A', T.cpu)).toBe(0);
    expect(d.tg('A', T.blocked_on)).toBe(0);
  });

  it('BUG1 (no RUNNING guard) dequeues the RUNNING donor instead: a lost task', () => {
    const d = setup([1]);
    d.enqueue('A', 1, TASK.RUNNING);
    d.ts('A', T.wake_cpu, 0);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[1], SM.NONE);
    expect(d.tg('A', T.on_rq)).toBe(0);
    expect(d.tg('A', T.__state)).toBe(TASK.RUNNING);
  });

  it('F8_OWNER_REMOTE_IDLE: curr in the chain and the owner on another CPU: idle first (§10 E11)', () => {
    const d = setup();
    d.enqueue('B', 1);
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.setCurr('A', 0);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F8_OWNER_REMOTE_IDLE]);
    expect(d.tg('A', T.cpu)).toBe(0);
    expect(d.a.i32[d.a.rq(0) + R.curr]).toBe(d.a.i32[d.a.rq(0) + R.idle]);
  });

  it('F8_OWNER_REMOTE_MIGRATE: the donor migrates to the owner\'s CPU, ignoring affinity, keeping wake_cpu', () => {
    const d = setup();
    d.enqueue('B', 1);
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F8_OWNER_REMOTE_MIGRATE]);
    expect(d.tg('A', T.cpu)).toBe(1);
    expect(d.tg('A', T.list_cpu)).toBe(1);
    expect(d.tg('A', T.wake_cpu)).toBe(0);
    expect(d.tg('A', T.cpus_mask)).toBe(1);
    expect(d.a.i32[d.a.rq(1) + R.need_resched]).toBe(1); // wakeup_preempt: A (RT) beats B's donor
    expect(d.a.i32[d.a.rq(0) + R.donor_migrations]).toBe(1);
  });

  it('F9_OWNER_MIGRATING: the owner is arriving on this CPU: idle until it lands', () => {
    const d = setup();
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(0, 'B', ['A']);
    d.ts('B', T.cpu, 0);
    d.ts('B', T.on_rq, TASK_ON_RQ_MIGRATING);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F9_OWNER_MIGRATING]);
    expect(d.a.i32[d.a.rq(0) + R.curr]).toBe(d.a.i32[d.a.rq(0) + R.idle]);
  });

  it('F10_RECHECK_FAILED: the owner moves away after its CPU was read: pick again', () => {
    const d = setup();
    d.enqueue('B', 0);
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(0, 'B', ['A']);
    let moved = false;
    onceAtGate('find_proxy_task:recheck_owner', () => { d.rawMove('B', 0, 1); moved = true; });
    // after the failed re-check the next pick sees B "on CPU1" and migrates A there
    __schedule(d.cpu[0], SM.NONE);
    expect(moved).toBe(true);
    expect(exits(d).slice(0, 2)).toEqual([FPT.F10_RECHECK_FAILED, FPT.F8_OWNER_REMOTE_MIGRATE]);
  });

  it('F11_OWNER_IS_P: a task blocked on a mutex it owns (a wakeup in flight): idle', () => {
    const d = setup();
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(0, 'A', []);
    d.ts('A', T.blocked_on, blockedOnMutex(0));
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F11_OWNER_IS_P]);
    expect(d.a.i32[d.a.rq(0) + R.curr]).toBe(d.a.i32[d.a.rq(0) + R.idle]);
  });

  it('F12_RUN_OWNER: the owner runs on the donor\'s behalf (curr = owner, donor = waiter)', () => {
    const d = setup();
    d.enqueue('B', 0);
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F12_RUN_OWNER]);
    const rq = d.a.rq(0);
    expect(d.a.i32[rq + R.curr]).toBe(d.id('B'));
    expect(d.a.i32[rq + R.donor]).toBe(d.id('A'));
    expect(d.tg('B', T.on_cpu)).toBe(1);
    expect(d.tg('A', T.on_cpu)).toBe(0);
    expect(d.events().some((e) => e.type === EV.PROXY_RUN && e.task === d.id('A') && e.a === d.id('B'))).toBe(true);
  });

  it('F12 through a two-hop chain on one CPU: A -> m0 (B) -> m1 (C); C runs for A', () => {
    const d = directed({ cpus: 1, mutexes: 2, tasks: [{ name: 'A', policy: 'fifo', prio: 50 }, { name: 'B', policy: 'fifo', prio: 40 }, { name: 'C' }] });
    d.enqueue('C', 0);
    d.enqueue('B', 0, TASK.UNINTERRUPTIBLE);
    d.enqueue('A', 0, TASK.UNINTERRUPTIBLE);
    d.hold(1, 'C', ['B']);
    d.hold(0, 'B', ['A']);
    __schedule(d.cpu[0], SM.NONE);
    expect(exits(d)).toEqual([FPT.F12_RUN_OWNER]);
    expect(d.a.i32[d.a.rq(0) + R.curr]).toBe(d.id('C'));
    expect(d.a.i32[d.a.rq(0) + R.donor]).toBe(d.id('A'));
    expect(d.a.i32[d.a.rq(0) + R.max_chain]).toBe(2);
  });
});
