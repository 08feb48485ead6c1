/**
 * The trace formats: ftrace text (src/trace/ftrace.ts) parsed back with test/helpers/ftrace-parse.ts, and
 * Chrome trace-event JSON (src/trace/chrome.ts), first on small hand-made event streams, then on a real
 * run (seed-signal under force-return on CPU workers).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMachine } from '../../src/machine/machine.ts';
import { traceContext, type RunSnapshot } from '../../src/machine/snapshot.ts';
import { resolveScenario } from '../../src/workload/validate.ts';
import { ftraceText, prevStateName, type TraceContext } from '../../src/trace/ftrace.ts';
import { parseAtrace, parseFtrace, parseFtraceLine, type FtraceRecord } from '../helpers/ftrace-parse.ts';
import { chromeTrace, writeChromeTrace, type ChromeEvent, type ChromeTrace } from '../../src/trace/chrome.ts';
import { EV } from '../../src/trace/events.ts';
import type { TraceEvent } from '../../src/trace/ring.ts';
import { TASK } from '../../src/sched/constants.ts';

/**
 * The line regex of Perfetto's systrace/ftrace text importer, roughly as in
 * src/trace_processor/importers/systrace/systrace_line_tokenizer.cc (google/perfetto): task-pid, optional
 * tgid column, [cpu], optional irq-info flags (4 or 5 characters), seconds.micros, event name, args.
 */
const PERFETTO_LINE = /^\s*(.+)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:[dX.]\S{3,4}\s+)?(\d+\.\d+):\s+(\S+):\s*(.*)$/;
/** The tokenizer's own std::regex (regex_search, unanchored) in the same file, upstream at the time of writing. */
const PERFETTO_TOKENIZER = /-(\d+)\s+\(?\s*(\d+|-+)?\)?\s?\[(\d+)\]\s*[a-zA-Z0-9.]{0,5}\s*(\d+\.\d+):\s+(\S+):/;

/** include/trace/events/sched.h TP_printk of sched_switch, in the kernel's field order. */
const SCHED_SWITCH_ARGS = /^prev_comm=\S+ prev_pid=\d+ prev_prio=-?\d+ prev_state=(R\+?|[SDTtXZPI](\|[SDTtXZPI])*\+?) ==> next_comm=\S+ next_pid=\d+ next_prio=-?\d+$/;
const SCHED_SWITCH_FIELDS = ['prev_comm', 'prev_pid', 'prev_prio', 'prev_state', 'next_comm', 'next_pid', 'next_prio'];

// ------------------------------------------------------------------ hand-made streams

/** 2 CPUs; tasks 0,1 = swapper/0,1; 2 = B (owner, pid 100), 3 = A (donor, pid 101), 4 = W-x-1 (pid 102). */
function miniCtx(): TraceContext {
  const names = ['swapper/0', 'swapper/1', 'B', 'A', 'W-x-1'];
  const prio = [140, 140, 120, 49, 120];
  return {
    names, nrCpus: 2,
    pidOf: (t) => (t < 2 ? 0 : 98 + t),
    prioOf: (t) => prio[t] ?? -1,
    mutexName: (m) => `m${m}`,
  };
}

let seq = [0, 0];
function ev(time: number, cpu: number, type: number, task: number, a = 0, b = 0, c = 0): TraceEvent {
  return { time, cpu, type, task, a, b, c, seq: seq[cpu]++ };
}

/**
 * B runs on CPU1; A runs on CPU0, blocks on m0, is migrated to CPU1 where B then runs for it (prev == next:
 * no sched_switch); later B sleeps and switches out.
 */
function miniStream(): TraceEvent[] {
  seq = [0, 0];
  const us = 1000;
  return [
    ev(10 * us, 1, EV.SCHED_WAKING, 2, 1, -1),
    ev(11 * us, 1, EV.SCHED_SWITCH, 1, 2, TASK.RUNNING, 2),
    ev(12 * us, 1, EV.MUTEX_ACQUIRE, 2, 0),
    ev(20 * us, 0, EV.SCHED_WAKING, 3, 0, -1),
    ev(21 * us, 0, EV.SCHED_SWITCH, 0, 3, TASK.RUNNING, 3),
    ev(22 * us, 0, EV.MUTEX_BLOCK, 3, 0),
    ev(23 * us, 0, EV.SCHED_SWITCH, 3, 0, TASK.INTERRUPTIBLE, 0),
    ev(24 * us, 0, EV.PICK_DONOR, 3),
    ev(25 * us, 0, EV.SCHED_MIGRATE, 3, 0, 1),
    ev(25.5 * us, 0, EV.PROXY_MIGRATE, 3, 0, 1),
    ev(30 * us, 1, EV.PICK_DONOR, 3),
    ev(31 * us, 1, EV.FIND_PROXY_EXIT, 3, 13, 2),
    ev(32 * us, 1, EV.PROXY_RUN, 3, 2),
    ev(40 * us, 1, EV.BLOCK, 2, TASK.INTERRUPTIBLE),
    ev(41 * us, 1, EV.PROXY_FORCE_RETURN, 3, 1, 0),
    ev(42 * us, 1, EV.SCHED_SWITCH, 2, 1, TASK.INTERRUPTIBLE, 1),
    ev(50 * us, 0, EV.SCHED_SWITCH, 0, 4, TASK.RUNNING, 4),
    ev(51 * us, 0, EV.EXIT, 4),
    ev(52 * us, 0, EV.SCHED_SWITCH, 4, 0, TASK.DEAD, 0),
  ];
}

describe('parseFtrace', () => {
  it('reads the kernel line shape: comm with dashes, optional tgid and flags columns, ==> form, raw marks', () => {
    const text = [
      '# tracer: nop',
      '#',
      '',
      '     kworker/u16:1-77    (   77) [004] ....   316.196720: 0: B|77|__scm_call_armv8_64|0',
      '          <idle>-0     [000]  0.002188: task_newtask: pid=1 comm=swapper/0 clone_flags=0 oom_score_adj=0',
      '   Binder-a-b-12-4321    [001] d..2. 12345.000001: sched_switch: prev_comm=Binder-a-b-12 prev_pid=4321 prev_prio=120 prev_state=D|K ==> next_comm=Chrome IO next_pid=9 next_prio=110',
      '              B1-100     [001] d..2.     0.013906: tracing_mark_write: proxy_run: donor=A1 donor_pid=101 owner=B1 owner_pid=100',
      '            sh-9     (-------) [002] dN.1.     1.500000: sched_waking: comm=sh pid=9 prio=120 target_cpu=002',
    ].join('\n');
    const r = parseFtrace(text);
    expect(r.map((x) => [x.line, x.comm, x.pid, x.cpu, x.event])).toEqual([
      [4, 'kworker/u16:1', 77, 4, '0'],
      [5, '<idle>', 0, 0, 'task_newtask'],
      [6, 'Binder-a-b-12', 4321, 1, 'sched_switch'],
      [7, 'B1', 100, 1, 'tracing_mark_write'],
      [8, 'sh', 9, 2, 'sched_waking'],
    ]);
    expect(r[0].tgid).toBe(77);
    expect(r[0].flags).toBe('....');
    expect(r[0].fields).toEqual({ buf: 'B|77|__scm_call_armv8_64|0' });
    expect(r[1].flags).toBeUndefined();
    expect(r[1].ts).toBeCloseTo(0.002188, 9);
    expect(r[2].ts).toBeCloseTo(12345.000001, 6);
    expect(Object.keys(r[2].fields)).toEqual(SCHED_SWITCH_FIELDS);
    expect(r[2].fields).toMatchObject({ prev_comm: 'Binder-a-b-12', prev_state: 'D|K', next_comm: 'Chrome IO', next_prio: '110' });
    expect(r[3].fields).toEqual({ buf: 'proxy_run: donor=A1 donor_pid=101 owner=B1 owner_pid=100' });
    expect(r[4].tgid).toBeNull();
    expect(r[4].flags).toBe('dN.1.');
    expect(r[4].fields).toEqual({ comm: 'sh', pid: '9', prio: '120', target_cpu: '002' });
  });

  it('rejects a line that does not parse, naming its line number', () => {
    expect(() => parseFtrace('# tracer: nop\n\nthis is not a trace line\n')).toThrow(/line 3/);
    expect(() => parseFtrace('  B1-100 [001] d..2. 0.1: sched_switch: x=1\n')).not.toThrow();
    expect(() => parseFtrace('  B1 [001] d..2. 0.100000: sched_switch: x=1\n')).toThrow(/line 1/);
    expect(parseFtraceLine('   # a comment')).toBeNull();
  });

  it('reads atrace marks', () => {
    expect(parseAtrace('B|100|B1 (for A1)')).toEqual({ phase: 'B', pid: 100, name: 'B1 (for A1)' });
    expect(parseAtrace('E|100')).toEqual({ phase: 'E', pid: 100 });
    expect(parseAtrace('C|7|queue|-3')).toEqual({ phase: 'C', pid: 7, name: 'queue', value: -3 });
    expect(parseAtrace('mutex_acquire: comm=B1 pid=100 mutex=m0')).toBeNull();
  });
});

describe('ftraceText (hand-made stream)', () => {
  it('prints prev_state as the kernel does', () => {
    expect([0, TASK.INTERRUPTIBLE, TASK.UNINTERRUPTIBLE, TASK.UNINTERRUPTIBLE | TASK.WAKEKILL, TASK.DEAD,
      TASK.UNINTERRUPTIBLE | TASK.NOLOAD, TASK.__STOPPED, TASK.PARKED].map(prevStateName))
      .toEqual(['R', 'S', 'D', 'D', 'X', 'I', 'T', 'P']);
  });

  it('writes parseable kernel lines, <idle> prefixes, prio 120 for swapper, and B/E marks around the proxy stretch', () => {
    const text = ftraceText(miniCtx(), miniStream(), ['mini']);
    const recs = parseFtrace(text);
    const sw = recs.filter((r) => r.event === 'sched_switch');
    expect(sw.map((r) => r.args)).toEqual([
      'prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=B next_pid=100 next_prio=120',
      'prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=A next_pid=101 next_prio=49',
      'prev_comm=A prev_pid=101 prev_prio=49 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120',
      'prev_comm=B prev_pid=100 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120',
      'prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=W-x-1 next_pid=102 next_prio=120',
      'prev_comm=W-x-1 prev_pid=102 prev_prio=120 prev_state=X ==> next_comm=swapper/0 next_pid=0 next_prio=120',
    ]);
    expect(sw[0].comm).toBe('<idle>');
    expect(sw[5].comm).toBe('W-x-1');
    const marks = recs.filter((r) => r.event === 'tracing_mark_write' && parseAtrace(r.fields.buf));
    expect(marks.map((r) => [r.comm, r.pid, r.cpu, r.fields.buf])).toEqual([
      ['B', 100, 1, 'B|100|B (for A)'],
      ['B', 100, 1, 'E|100'],
    ]);
    expect(marks[0].ts).toBeCloseTo(0.000032, 9);
    expect(marks[1].ts).toBeCloseTo(0.000042, 9);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(PERFETTO_LINE);
      expect(line).toMatch(PERFETTO_TOKENIZER);
    }
  });
});

describe('chromeTrace (hand-made stream)', () => {
  it('tiles each CPU track with slices, names the proxy stretch and draws donor -> owner and migration arrows', () => {
    const t = chromeTrace(miniCtx(), miniStream(), { scenario: 'mini', endNs: 60_000 });
    const x = (tid: number) => t.traceEvents.filter((e) => e.ph === 'X' && e.tid === tid).map((e) => [e.name, e.ts, e.dur]);
    expect(x(1)).toEqual([['swapper/0', 10, 11], ['A', 21, 2], ['swapper/0', 23, 27], ['W-x-1', 50, 2], ['swapper/0', 52, 8]]);
    expect(x(2)).toEqual([['swapper/1', 10, 1], ['B', 11, 21], ['B (for A)', 32, 10], ['swapper/1', 42, 18]]);
    const proxy = t.traceEvents.find((e) => e.name === 'B (for A)')!;
    expect(proxy.cat).toBe('proxy');
    expect(proxy.args).toMatchObject({ owner: 'B', donor: 'A', prio: 120, donor_prio: 49, end_state: 'S' });
    const flows = t.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
    const byName = (name: string) => flows.filter((e) => e.name === name).map((e) => [e.ph, e.tid, e.ts]);
    expect(byName('proxy_migrate_task')).toEqual([['s', 1, 25.5], ['f', 2, 25.5]]);
    expect(byName('proxy_force_return')).toEqual([['s', 2, 41], ['f', 1, 41]]);
    expect(byName('sched_migrate_task')).toEqual([]); // the same move as proxy_migrate_task: one arrow
    // from A's last position (its migration off CPU0) into B's proxy slice
    expect(byName('donor -> owner')).toEqual([['s', 1, 25.5], ['f', 2, 33]]);
    expect(t.traceEvents.filter((e) => e.ph === 'f').every((e) => e.bp === 'e')).toBe(true);
    expect(t.otherData).toMatchObject({ scenario: 'mini', cpus: 2, proxy_slices: 1 });
    expect(t.otherData.switch_mismatches).toBeUndefined();
  });

  it('ends the proxy stretch when another CPU migrates the donor away', () => {
    seq = [0, 0];
    const us = 1000;
    const evs = [
      ev(1 * us, 1, EV.SCHED_SWITCH, 1, 2, 0, 3), // B switched in for A
      ev(5 * us, 0, EV.SCHED_MIGRATE, 3, 1, 0), // CPU0's ttwu moves A back
      ev(9 * us, 1, EV.SCHED_SWITCH, 2, 1, 0, 1),
    ];
    const t = chromeTrace(miniCtx(), evs);
    expect(t.traceEvents.filter((e) => e.ph === 'X' && e.tid === 2).map((e) => [e.name, e.ts, e.dur]))
      .toEqual([['swapper/1', 1, 0], ['B (for A)', 1, 4], ['B', 5, 4], ['swapper/1', 9, 0]]);
    const text = ftraceText(miniCtx(), evs);
    expect(parseFtrace(text).filter((r) => r.event === 'tracing_mark_write').map((r) => [r.cpu, Math.round(r.ts * 1e6), r.fields.buf]))
      .toEqual([[1, 1, 'B|100|B (for A)'], [1, 5, 'E|100']]);
  });
});

// ------------------------------------------------------------------ a real run

interface Slice { name: string; cat?: string; ts: number; dur: number; tid: number; args?: Record<string, unknown> }

describe('traces of a real run (seed-signal, force-return, 2 CPU workers)', () => {
  let r: RunSnapshot;
  let text: string;
  let recs: FtraceRecord[];
  let chrome: ChromeTrace;
  let dir: string;

  beforeAll(async () => {
    r = await runMachine({ scenario: resolveScenario('seed-signal'), strategy: 'force-return', durationNs: 300e6, seed: 1, keepEvents: true });
    const ctx = traceContext(r);
    text = ftraceText(ctx, r.events, ['proxysim scenario=seed-signal strategy=force-return']);
    recs = parseFtrace(text);
    dir = mkdtempSync(join(tmpdir(), 'proxysim-trace-'));
    const file = join(dir, 'trace.json');
    writeChromeTrace(file, ctx, r.events, { scenario: 'seed-signal', strategy: 'force-return', findings: r.findings, endNs: r.elapsedNs });
    chrome = JSON.parse(readFileSync(file, 'utf8')) as ChromeTrace;
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('ran cleanly and kept every event', () => {
    expect(r.eventsLost).toBe(0);
    expect(r.findings).toEqual([]);
    expect(r.events.some((e) => e.type === EV.PROXY_RUN)).toBe(true);
  });

  describe('ftrace text', () => {
    it('starts with "# tracer: nop" and every non-comment line parses', () => {
      expect(text.startsWith('# tracer: nop\n')).toBe(true);
      const eventLines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
      expect(recs.length).toBe(eventLines.length);
      expect(recs.filter((x) => x.event === 'sched_switch').length).toBe(r.events.filter((e) => e.type === EV.SCHED_SWITCH).length);
    });

    it('matches the line regex of Perfetto\'s systrace text importer', () => {
      const bad = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))
        .filter((l) => !PERFETTO_LINE.test(l) || !PERFETTO_TOKENIZER.test(l));
      expect(bad).toEqual([]);
      const m = PERFETTO_LINE.exec(text.split('\n').find((l) => l.includes('sched_switch:'))!)!;
      expect(m[6]).toBe('sched_switch');
    });

    it('prints sched_switch with the kernel fields in the kernel order', () => {
      for (const x of recs.filter((y) => y.event === 'sched_switch')) {
        expect(x.args).toMatch(SCHED_SWITCH_ARGS);
        expect(Object.keys(x.fields)).toEqual(SCHED_SWITCH_FIELDS);
      }
    });

    it('has a consistent sched_switch sequence on each CPU', () => {
      const problems: string[] = [];
      for (let cpu = 0; cpu < r.nrCpus; cpu++) {
        const sw = recs.filter((x) => x.event === 'sched_switch' && x.cpu === cpu);
        expect(sw.length, `switches on CPU${cpu}`).toBeGreaterThan(0);
        let cur = { comm: `swapper/${cpu}`, pid: '0' };
        let lastTs = -1;
        for (const x of sw) {
          const f = x.fields;
          if (f.prev_comm !== cur.comm || f.prev_pid !== cur.pid) {
            problems.push(`line ${x.line}: CPU${cpu} switches from ${f.prev_comm}-${f.prev_pid}, but ${cur.comm}-${cur.pid} was switched in last`);
          }
          // the line is written by prev: its comm-pid prefix is prev (the idle task shows as <idle>)
          if (x.pid !== Number(f.prev_pid) || x.comm !== (f.prev_pid === '0' ? '<idle>' : f.prev_comm)) {
            problems.push(`line ${x.line}: prefix ${x.comm}-${x.pid} is not prev ${f.prev_comm}-${f.prev_pid}`);
          }
          if (f.next_pid === f.prev_pid) problems.push(`line ${x.line}: switch to itself`);
          if (x.ts < lastTs) problems.push(`line ${x.line}: time goes back on CPU${cpu}`);
          lastTs = x.ts;
          cur = { comm: f.next_comm, pid: f.next_pid };
        }
      }
      expect(problems).toEqual([]);
    });

    it('prints sched_waking/sched_wakeup with a 3-digit target_cpu and the other sched events in kernel form', () => {
      const waking = recs.filter((x) => x.event === 'sched_waking');
      expect(waking.length).toBeGreaterThan(0);
      for (const x of recs.filter((y) => y.event === 'sched_waking' || y.event === 'sched_wakeup')) {
        expect(Object.keys(x.fields)).toEqual(['comm', 'pid', 'prio', 'target_cpu']);
        expect(x.fields.target_cpu).toMatch(/^\d{3}$/);
      }
      for (const x of recs.filter((y) => y.event === 'sched_migrate_task')) {
        expect(Object.keys(x.fields)).toEqual(['comm', 'pid', 'prio', 'orig_cpu', 'dest_cpu']);
      }
      const blocked = recs.filter((y) => y.event === 'sched_blocked_reason');
      expect(blocked.length).toBeGreaterThan(0);
      for (const x of blocked) expect(Object.keys(x.fields)).toEqual(['pid', 'iowait', 'caller']);
    });

    it('keeps marks raw and brackets each proxy stretch with balanced atrace B/E marks on the owner', () => {
      const marks = recs.filter((x) => x.event === 'tracing_mark_write');
      for (const x of marks) expect(x.fields).toEqual({ buf: x.args });
      const open = new Map<number, string>();
      let begun = 0;
      for (const x of marks) {
        const m = parseAtrace(x.fields.buf);
        if (!m) continue;
        expect(m.pid, `line ${x.line}: the mark is written by its thread`).toBe(x.pid);
        if (m.phase === 'B') {
          expect(open.has(m.pid), `line ${x.line}: nested B`).toBe(false);
          expect(m.name).toMatch(new RegExp(`^${x.comm} \\(for \\S+\\)$`));
          open.set(m.pid, m.name!);
          begun++;
        } else if (m.phase === 'E') {
          expect(open.has(m.pid), `line ${x.line}: E without B`).toBe(true);
          open.delete(m.pid);
        }
      }
      expect(begun).toBeGreaterThan(0);
      expect(open.size).toBeLessThanOrEqual(1); // a stretch still running at the end of the trace
    });
  });

  describe('Chrome trace-event JSON', () => {
    const slices = (): Slice[] => chrome.traceEvents.filter((e) => e.ph === 'X') as Slice[];

    it('is one process with a named track per CPU', () => {
      expect(chrome.displayTimeUnit).toBe('ns');
      const ev = chrome.traceEvents;
      expect(ev.find((e) => e.ph === 'M' && e.name === 'process_name')).toMatchObject({ pid: 1, args: { name: 'proxysim' } });
      for (let cpu = 0; cpu < r.nrCpus; cpu++) {
        expect(ev.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === cpu + 1)).toMatchObject({ pid: 1, args: { name: `CPU${cpu}` } });
        expect(slices().some((s) => s.tid === cpu + 1), `slices on CPU${cpu}`).toBe(true);
      }
      expect(ev.every((e) => e.pid === 1)).toBe(true);
      expect(chrome.otherData).toMatchObject({ scenario: 'seed-signal', strategy: 'force-return', cpus: r.nrCpus });
      expect(chrome.otherData.switch_mismatches).toBeUndefined();
    });

    it('has X slices with ts, dur >= 0 that never overlap on a track', () => {
      const byTid = new Map<number, Slice[]>();
      for (const s of slices()) {
        expect(Number.isFinite(s.ts) && s.ts >= 0, `${s.name} ts`).toBe(true);
        expect(Number.isFinite(s.dur) && s.dur >= 0, `${s.name} dur`).toBe(true);
        if (!byTid.has(s.tid)) byTid.set(s.tid, []);
        byTid.get(s.tid)!.push(s);
      }
      for (const [tid, ss] of byTid) {
        ss.sort((a, b) => a.ts - b.ts);
        for (let i = 1; i < ss.length; i++) {
          expect(ss[i].ts, `tid ${tid}: ${ss[i].name} starts inside ${ss[i - 1].name}`).toBeGreaterThanOrEqual(ss[i - 1].ts + ss[i - 1].dur - 1e-6);
        }
      }
      // and one slice per rq->curr stretch: a switch closes one and opens the next
      const switches = r.events.filter((e) => e.type === EV.SCHED_SWITCH).length;
      expect(slices().length).toBeGreaterThanOrEqual(switches + r.nrCpus);
    });

    it('pairs every flow start with a flow end, each inside a slice of its track', () => {
      const flows = chrome.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
      const starts = new Map<number, ChromeEvent>();
      const ends = new Map<number, ChromeEvent>();
      for (const f of flows) {
        const m = f.ph === 's' ? starts : ends;
        expect(m.has(f.id!), `flow id ${f.id} twice`).toBe(false);
        m.set(f.id!, f);
      }
      expect([...starts.keys()].sort()).toEqual([...ends.keys()].sort());
      for (const [id, s] of starts) {
        const f = ends.get(id)!;
        expect([f.name, f.cat, f.bp]).toEqual([s.name, s.cat, 'e']);
        expect(f.ts!).toBeGreaterThanOrEqual(s.ts!);
      }
      const inside = (e: ChromeEvent) => slices().some((s) => s.tid === e.tid && s.ts <= e.ts! && e.ts! <= s.ts + s.dur);
      expect(flows.filter((e) => !inside(e))).toEqual([]);
      expect(starts.size).toBeGreaterThan(0);
    });

    it('shows the owner running for the donor as a proxy slice, with an arrow from the donor', () => {
      const proxy = slices().filter((s) => s.cat === 'proxy');
      expect(proxy.length).toBeGreaterThan(0);
      for (const p of proxy) {
        expect(p.args!.owner).not.toBe(p.args!.donor);
        expect(p.name).toBe(`${p.args!.owner} (for ${p.args!.donor})`);
      }
      const runs = r.events.filter((e) => e.type === EV.PROXY_RUN).map((e) => `${r.names[e.a]} (for ${r.names[e.task]})`);
      expect([...new Set(proxy.map((p) => p.name))].sort()).toEqual([...new Set(runs)].sort());
      const arrowsIn = chrome.traceEvents.filter((e) => e.ph === 'f' && e.name === 'donor -> owner');
      expect(proxy.some((p) => arrowsIn.some((f) => f.tid === p.tid && p.ts <= f.ts! && f.ts! <= p.ts + p.dur))).toBe(true);
    });

    it('marks wakeups, mutex and proxy events as thread-scoped instants', () => {
      const inst = chrome.traceEvents.filter((e) => e.ph === 'i');
      expect(inst.every((e) => e.s === 't' && e.tid! >= 1 && e.tid! <= r.nrCpus && e.ts! >= 0)).toBe(true);
      for (const kind of ['sched_waking', 'mutex_block', 'mutex_acquire', 'proxy_migrate_task', 'find_proxy_task', 'signal_generate']) {
        expect(inst.some((e) => e.name.startsWith(kind)), kind).toBe(true);
      }
    });
  });
});
