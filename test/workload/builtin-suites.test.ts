import { describe, expect, it } from 'vitest';
import { BUILTINS, findBuiltin } from '../../src/workload/builtin/index.ts';
import { FOOTBALL_PRIO } from '../../src/workload/builtin/football.ts';
import { FUZZ_MAX_LOOP_DEPTH, makeFuzz, parseFuzzName } from '../../src/workload/builtin/fuzz.ts';
import { compileTask } from '../../src/workload/program.ts';
import { parseDuration } from '../../src/workload/duration.ts';
import type { Op, Scenario, TaskSpec } from '../../src/workload/scenario.ts';
import { resolveScenario, validateScenario } from '../../src/workload/validate.ts';

const NEW = ['football', 'handoff-storm', 'sleeping-owners', 'wake-current', 'affinity-local', 'fuzz'] as const;

import { ops, startMs, task } from '../helpers/scenario.ts';
const loopDepth = (list: Op[]): number => Math.max(0, ...list.map((o) =>
  o.op === 'repeat' ? 1 + loopDepth(o.body) : 'critical' in o && o.critical ? loopDepth(o.critical) : 0));
/** Every task compiles (e.g. loop nesting within the compiler's limit). */
const compiles = (s: Scenario) => s.tasks.forEach((_t, k) => compileTask(s, k, (n) => s.tasks.findIndex((t) => t.name === n)));

describe('built-in suites (T4..T9)', () => {
  it('are registered, with unique names and aliases', () => {
    const names = BUILTINS.flatMap((b) => [b.name, ...(b.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    for (const n of NEW) expect(findBuiltin(n)?.name).toBe(n);
  });

  for (const name of NEW) {
    it(`${name} validates and compiles for its default CPU count and for 2 and 4 CPUs`, () => {
      const b = findBuiltin(name)!;
      const d = validateScenario(b.make({}), `builtin:${name}`);
      expect(d.cpus).toBe(b.defaultCpus);
      expect(d.name).toBe(name);
      compiles(d);
      for (const cpus of [2, 4]) {
        if (cpus < b.minCpus || cpus > b.maxCpus) continue;
        const s = resolveScenario(name, { cpus });
        expect(s.cpus).toBe(cpus);
        compiles(s);
      }
      expect(b.make({})).toEqual(b.make({}));
    });
  }

  it('football: players per team = CPUs, the documented priorities and start order', () => {
    expect(FOOTBALL_PRIO).toEqual({ referee: 20, fan: 15, defenseHi: 10, offense: 5, defenseMid: 3, defenseLow: 2 });
    for (const cpus of [1, 2, 4]) {
      const s = resolveScenario('football', { cpus });
      const team = (prefix: string) => s.tasks.filter((t) => t.name.startsWith(prefix));
      const expectTeam = (prefix: string, prio: number) => {
        const t = team(prefix);
        expect(t).toHaveLength(cpus);
        for (const p of t) expect(p).toMatchObject({ policy: 'fifo', prio });
        return t;
      };
      const low = expectTeam('def-low', 2);
      const mid = expectTeam('def-mid', 3);
      const hi = expectTeam('def-hi', 10);
      const off = expectTeam('offense', 5);
      const fans = expectTeam('fan', 15);
      expect(task(s, 'referee')).toMatchObject({ policy: 'fifo', prio: 20 });
      expect(s.mutexes).toHaveLength(2 * cpus);
      const maxStart = (l: TaskSpec[]) => Math.max(...l.map(startMs));
      const minStart = (l: TaskSpec[]) => Math.min(...l.map(startMs));
      expect(maxStart(low)).toBeLessThan(minStart(mid));
      expect(maxStart(mid)).toBeLessThan(minStart(hi));
      expect(maxStart(hi)).toBeLessThan(minStart(off));
      expect(maxStart(off)).toBeLessThan(minStart(fans));
      for (let i = 0; i < cpus; i++) {
        expect(task(s, `def-low${i}`).program[0]).toMatchObject({ op: 'lock', mutex: `low${i}` });
        expect(task(s, `def-mid${i}`).program[0]).toMatchObject({
          op: 'lock', mutex: `mid${i}`, critical: [{ op: 'lock', mutex: `low${i}` }],
        });
        expect(task(s, `def-hi${i}`).program[0]).toMatchObject({ op: 'lock', mutex: `mid${i}` });
        expect(ops(task(s, `offense${i}`).program).some((o) => o.op.includes('lock'))).toBe(false);
        for (const t of [`def-low${i}`, `def-mid${i}`, `def-hi${i}`, `offense${i}`, `fan${i}`]) expect(task(s, t).cpu).toBe(i);
      }
    }
  });

  it('handoff-storm: 8 tasks per CPU up to 32, both mutexes, every lock kind, signals', () => {
    expect(resolveScenario('handoff-storm').tasks).toHaveLength(16);
    expect(resolveScenario('handoff-storm', { cpus: 1 }).tasks).toHaveLength(8);
    expect(resolveScenario('handoff-storm', { cpus: 8 }).tasks).toHaveLength(32);
    const s = resolveScenario('handoff-storm');
    const all = s.tasks.flatMap((t) => ops(t.program));
    for (const k of ['lock', 'lock_interruptible', 'trylock', 'signal'] as const) expect(all.some((o) => o.op === k)).toBe(true);
    for (const m of ['m0', 'm1']) expect(all.some((o) => 'mutex' in o && o.mutex === m)).toBe(true);
    const runs = all.filter((o) => o.op === 'run').map((o) => (o.op === 'run' ? parseDuration(o.for) / 1e3 : 0));
    expect(runs.some((u) => u >= 1000)).toBe(true); // long critical sections
    expect(runs.some((u) => u <= 200)).toBe(true); // short ones
    for (const t of s.tasks) expect(t.program[0]).toMatchObject({ op: 'repeat', times: -1 });
  });

  it('sleeping-owners: delayed dequeue, fair and fifo donors, owners sleeping with a mutex held', () => {
    const s = resolveScenario('sleeping-owners');
    expect(s.delayed_dequeue).toBe(0.8);
    const donors = s.tasks.filter((t) => ops(t.program).some((o) => o.op === 'lock_interruptible'));
    expect(donors.some((t) => t.policy === 'fair')).toBe(true);
    expect(donors.some((t) => t.policy === 'fifo')).toBe(true);
    const sleepsHolding = (t: TaskSpec) => ops(t.program).some((o) =>
      'critical' in o && o.critical !== undefined && ops(o.critical).some((x) => x.op === 'sleep'));
    expect(s.tasks.filter((t) => t.policy === 'fair' && sleepsHolding(t)).length).toBeGreaterThanOrEqual(2);
    expect(s.tasks.some((t) => ops(t.program).some((o) => o.op === 'signal'))).toBe(true);
  });

  it('wake-current: waiters lock_interruptible, signalled every 100-300us from both CPUs', () => {
    const s = resolveScenario('wake-current');
    for (const w of ['W0', 'W1', 'W2', 'W3']) {
      expect(ops(task(s, w).program).some((o) => o.op === 'lock_interruptible')).toBe(true);
    }
    for (const sig of ['S0', 'S1']) {
      const list = ops(task(s, sig).program);
      expect(list.some((o) => o.op === 'signal')).toBe(true);
      for (const o of list) if (o.op === 'sleep') expect(parseDuration(o.for) / 1e3).toBeGreaterThanOrEqual(100);
      for (const o of list) if (o.op === 'sleep') expect(parseDuration(o.for) / 1e3).toBeLessThanOrEqual(300);
    }
    expect(new Set(['S0', 'S1'].map((n) => task(s, n).cpu))).toEqual(new Set([0, 1]));
  });

  it('affinity-local: O pinned to CPU0, D starts on CPU0 allowed {0,1}, flip on CPU1 cycles D\'s mask', () => {
    const s = resolveScenario('affinity-local');
    expect(task(s, 'O')).toMatchObject({ policy: 'fair', affinity: [0], cpu: 0 });
    expect(task(s, 'D')).toMatchObject({ policy: 'fifo', affinity: [0, 1], cpu: 0 });
    const flip = task(s, 'flip');
    expect(flip).toMatchObject({ policy: 'fifo', affinity: [1], cpu: 1 });
    expect(flip.prio!).toBeGreaterThan(task(s, 'D').prio!);
    const masks = ops(flip.program).filter((o) => o.op === 'set_affinity').map((o) => (o.op === 'set_affinity' ? [o.task, o.cpus] : []));
    expect(masks).toEqual([['D', [0]], ['D', [1]], ['D', [0, 1]]]);
  });

  describe('fuzz', () => {
    it('fuzz-<n> names resolve to makeFuzz(n); fuzz is seed 1', () => {
      expect(parseFuzzName('fuzz-42')).toBe(42);
      expect(parseFuzzName('fuzz-0')).toBe(0);
      expect(parseFuzzName('fuzz-4294967295')).toBe(4294967295);
      for (const bad of ['fuzz-', 'fuzz-01', 'fuzz-4294967296', 'fuzz-x', 'fuzz--1', 'fuzz-1.5']) {
        expect(parseFuzzName(bad)).toBeUndefined();
        expect(findBuiltin(bad)).toBeUndefined();
      }
      const s = resolveScenario('fuzz-42');
      expect(s.name).toBe('fuzz-42');
      expect(s).toEqual(makeFuzz(42, 2));
      expect(resolveScenario('fuzz-42', { cpus: 4 })).toEqual(makeFuzz(42, 4));
      expect({ ...resolveScenario('fuzz'), name: 'x' }).toEqual({ ...makeFuzz(1, 2), name: 'x' });
      expect(BUILTINS.some((b) => b.name === 'fuzz-42')).toBe(false);
    });

    it('is deterministic per seed and differs between seeds', () => {
      expect(makeFuzz(7, 2)).toEqual(makeFuzz(7, 2));
      expect(findBuiltin('fuzz-7')!.make({})).toEqual(findBuiltin('fuzz-7')!.make({}));
      const seen = new Set<string>();
      for (let seed = 0; seed < 20; seed++) seen.add(JSON.stringify({ ...makeFuzz(seed, 2), name: '', description: '' }));
      expect(seen.size).toBe(20);
    });

    it('every seed validates and compiles, within the documented bounds', () => {
      const kinds = new Set<string>();
      for (let seed = 0; seed < 200; seed++) {
        for (const cpus of [1, 2, 4, 32]) {
          const s = validateScenario(makeFuzz(seed, cpus), `builtin:fuzz-${seed}`);
          compiles(s);
          expect(s.tasks.length).toBeGreaterThanOrEqual(8);
          expect(s.tasks.length).toBeLessThanOrEqual(24);
          expect(s.mutexes.length).toBeGreaterThanOrEqual(2);
          expect(s.mutexes.length).toBeLessThanOrEqual(4);
          for (const t of s.tasks) {
            expect(loopDepth(t.program)).toBeLessThanOrEqual(FUZZ_MAX_LOOP_DEPTH);
            for (const o of ops(t.program)) kinds.add(o.op);
          }
        }
      }
      expect([...kinds].sort()).toEqual(['exit', 'lock', 'lock_interruptible', 'repeat', 'run', 'set_affinity',
        'signal', 'sleep', 'trylock', 'unlock', 'yield']);
    });

    it('blocking locks climb the mutex order and exits happen with nothing held', () => {
      const check = (list: Op[], held: number[]): void => {
        const bare: number[] = [];
        for (const o of list) {
          const all = [...held, ...bare];
          const max = all.length === 0 ? -1 : Math.max(...all);
          if (o.op === 'exit') expect(all).toEqual([]);
          if (o.op === 'lock' || o.op === 'lock_interruptible' || o.op === 'trylock') {
            const m = Number(o.mutex.slice(1));
            expect(all).not.toContain(m);
            if (o.op !== 'trylock') expect(m).toBeGreaterThan(max);
            if (o.critical) check(o.critical, [...all, m]);
            else bare.push(m);
          }
          if (o.op === 'unlock') {
            expect(bare.at(-1)).toBe(Number(o.mutex.slice(1)));
            bare.pop();
          }
          if (o.op === 'repeat') check(o.body, all);
        }
        expect(bare).toEqual([]);
      };
      for (let seed = 0; seed < 200; seed++) for (const t of makeFuzz(seed, 4).tasks) check(t.program, []);
    });
  });
});
