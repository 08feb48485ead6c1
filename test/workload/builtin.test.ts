import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.ts';
import { BUILTINS, findBuiltin } from '../../src/workload/builtin/index.ts';
import { parseDuration } from '../../src/workload/duration.ts';
import { resolveScenario, validateScenario } from '../../src/workload/validate.ts';

import { ops, startMs, task } from '../helpers/scenario.ts';

describe('built-in scenarios', () => {
  it('have unique names, a one-line summary and sane CPU ranges', () => {
    const names = BUILTINS.flatMap((b) => [b.name, ...(b.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    expect(BUILTINS.map((b) => b.name)).toEqual([
      'pi-basic', 'seed-signal', 'seed-signal-s2', 'seed-signal-s3', 'seed-signal-s4', 'chain-3cpu', 'affinity-donors',
      'football', 'handoff-storm', 'sleeping-owners', 'wake-current', 'affinity-local', 'wakeq-race', 'tiny-handoff', 'fuzz',
    ]);
    for (const b of BUILTINS) {
      expect(b.summary).toMatch(/^\S.*\S$/);
      expect(b.summary).not.toContain('\n');
      expect(b.minCpus).toBeLessThanOrEqual(b.defaultCpus);
      expect(b.defaultCpus).toBeLessThanOrEqual(b.maxCpus);
    }
  });

  for (const b of BUILTINS) {
    it(`${b.name} validates for its default CPU count and every count it accepts`, () => {
      const s = validateScenario(b.make({}), `builtin:${b.name}`);
      expect(s.cpus).toBe(b.defaultCpus);
      expect(s.name).toBe(b.name);
      expect(parseDuration(s.duration ?? '2s')).toBeGreaterThan(0);
      for (const cpus of [b.minCpus, b.minCpus + 1, 8, b.maxCpus]) {
        if (cpus > b.maxCpus) continue;
        expect(validateScenario(b.make({ cpus }), `builtin:${b.name}`).cpus).toBe(cpus);
      }
      expect(b.make({})).toEqual(b.make({})); // deterministic
    });
  }

  it('refuse too few CPUs with a clear message', () => {
    const err = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(ScenarioError); return (e as Error).message; } return ''; };
    expect(err(() => findBuiltin('seed-signal')!.make({ cpus: 1 }))).toBe(
      'builtin:seed-signal: cpus: this built-in needs at least 2 CPUs, got --cpus 1');
    expect(err(() => resolveScenario('affinity-donors', { cpus: 3 }))).toBe(
      'builtin:affinity-donors: cpus: this built-in needs at least 4 CPUs, got --cpus 3');
    expect(err(() => resolveScenario('pi-basic', { cpus: 33 }))).toBe(
      'builtin:pi-basic: cpus: this built-in needs at most 32 CPUs, got --cpus 33');
  });

  it('findBuiltin: names and aliases', () => {
    expect(findBuiltin('seed-signal-s1')).toBe(findBuiltin('seed-signal'));
    expect(findBuiltin('nope')).toBeUndefined();
  });

  it('pi-basic: L holds m0, H (fifo 90) and one Med hog (fifo 50) per CPU', () => {
    const one = resolveScenario('pi-basic');
    expect(one.cpus).toBe(1);
    expect(one.tasks.map((t) => t.name)).toEqual(['L', 'H', 'Med']);
    expect(task(one, 'L').policy).toBe('fair');
    expect(task(one, 'H')).toMatchObject({ policy: 'fifo', prio: 90 });
    expect(task(one, 'Med')).toMatchObject({ policy: 'fifo', prio: 50 });
    expect(startMs(task(one, 'L'))).toBeLessThan(startMs(task(one, 'H')));
    expect(startMs(task(one, 'H'))).toBeLessThan(startMs(task(one, 'Med')));
    expect(ops(task(one, 'Med').program).some((o) => o.op === 'lock' || o.op === 'sleep')).toBe(false);
    const four = resolveScenario('pi-basic', { cpus: 4 });
    expect(four.tasks.filter((t) => t.name.startsWith('Med')).map((t) => t.affinity)).toEqual([[0], [1], [2], [3]]);
  });

  for (const name of ['seed-signal', 'seed-signal-s2', 'seed-signal-s3', 'seed-signal-s4']) {
    it(`${name}: each episode orders B takes m0 < A blocks < signal, A on CPU0, B on CPU1`, () => {
      const s = resolveScenario(name);
      expect(s.cpus).toBe(2);
      const as = s.tasks.filter((t) => /^A\d+$/.test(t.name));
      expect(as.length).toBeGreaterThanOrEqual(5);
      for (const a of as) {
        const n = a.name.slice(1);
        const b = s.tasks.find((t) => t.name === `B${n}`) ?? task(s, 'B1');
        const sig = task(s, `sig${n}`);
        expect(a).toMatchObject({ policy: 'fifo', affinity: [0] });
        expect(a.program[0]).toMatchObject({ op: 'lock_interruptible', mutex: 'm0' });
        expect(b.affinity).toEqual([1]);
        expect(b.program[0]).toMatchObject({ op: 'lock', mutex: 'm0' });
        expect(sig.program).toEqual([{ op: 'signal', task: a.name }]);
        expect(startMs(b)).toBeLessThan(startMs(a));
        expect(startMs(a)).toBeLessThan(startMs(sig));
        if (name === 'seed-signal-s4') {
          const hog = task(s, `hog${n}`);
          expect(hog.affinity).toEqual([1]);
          expect(hog.prio!).toBeGreaterThan(a.prio!);
        }
      }
      // Episodes end well inside the default run.
      expect(Math.max(...s.tasks.map(startMs))).toBeLessThan(parseDuration(s.duration!) / 1e6 - 100);
      if (name === 'seed-signal-s3') expect(s.tasks.filter((t) => t.name.startsWith('B'))).toHaveLength(1);
    });
  }

  it('chain-3cpu: C takes m2, then B takes m1 and waits on m2, then A waits on m1; hog on CPU2', () => {
    const s = resolveScenario('chain-3cpu');
    expect(s.cpus).toBe(3);
    for (let n = 1; s.tasks.some((t) => t.name === `A${n}`); n++) {
      const [a, b, c, hog] = ['A', 'B', 'C', 'hog'].map((p) => task(s, `${p}${n}`));
      expect([a.affinity, b.affinity, c.affinity, hog.affinity]).toEqual([[0], [1], [2], [2]]);
      expect(a.prio! > b.prio! && b.prio! > hog.prio! && hog.prio! > (c.prio ?? 0)).toBe(true);
      expect(startMs(c) < startMs(b) && startMs(b) < startMs(a)).toBe(true);
      expect(b.program[0]).toMatchObject({ op: 'lock', mutex: 'm1', critical: [{ op: 'run' }, { op: 'lock', mutex: 'm2' }] });
    }
  });

  it('affinity-donors: donors on the first half of the CPUs, owners on the rest, a mover', () => {
    for (const cpus of [4, 6]) {
      const s = resolveScenario('affinity-donors', { cpus });
      const half = cpus / 2;
      const donors = s.tasks.filter((t) => t.name.startsWith('D'));
      const owners = s.tasks.filter((t) => t.name.startsWith('O'));
      expect(donors.length).toBe(2 * half);
      for (const d of donors) expect(d.affinity!.every((c) => c < half)).toBe(true);
      for (const o of owners) expect(o.affinity!.every((c) => c >= half)).toBe(true);
      const moves = ops(task(s, 'mover').program).filter((o) => o.op === 'set_affinity');
      expect(moves.some((o) => o.op === 'set_affinity' && o.cpus.length > 1 && o.task!.startsWith('D'))).toBe(true);
      expect(new Set(moves.map((o) => (o.op === 'set_affinity' ? o.task : '')))).toEqual(
        new Set([...donors.map((d) => d.name), owners[0].name]));
    }
  });
});
