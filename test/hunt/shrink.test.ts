/**
 * `shrink`: the scenario edits (no runs), then one failing controlled run of the known-broken
 * ttwu-blocks on wakeq-race (3 CPUs, random seed 3: I3 at step 89) padded with a task that starts
 * long after the violation, shrunk under a small budget; the result must validate, fail again with
 * the same violation id on the reported executor and seed, and be smaller.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMachine } from '../../src/machine/machine.ts';
import { buildArtifact, writeArtifact } from '../../src/report/artifact.ts';
import { loadArtifact, type LoadedArtifact } from '../../src/report/load-artifact.ts';
import { resolveScenario, validateScenario } from '../../src/workload/validate.ts';
import { parseDuration } from '../../src/workload/duration.ts';
import type { Op, Scenario } from '../../src/workload/scenario.ts';
import { ResultsError } from '../../src/errors.ts';
import {
  compactJson, countOps, cutDuration, removeOps, removeTasks, scenarioOps, shrinkArtifact, tidy, withCpus, writeShrunk,
} from '../../src/hunt/shrink.ts';

const run = (d: string): Op => ({ op: 'run', for: d });

describe('shrink: scenario edits', () => {
  const base: Scenario = {
    name: 's', cpus: 4, mutexes: ['a', 'b', 'c'],
    tasks: [
      { name: 'A', policy: 'fair', affinity: [2], cpu: 2, program: [{ op: 'lock', mutex: 'a', critical: [run('10us')] }, { op: 'signal', task: 'B' }] },
      { name: 'B', policy: 'fifo', prio: 10, affinity: [3], program: [{ op: 'lock', mutex: 'b' }, run('5us'), { op: 'unlock', mutex: 'b' }, { op: 'set_affinity', task: 'C', cpus: [1, 3] }] },
      { name: 'C', policy: 'fair', program: [{ op: 'repeat', times: 3, body: [{ op: 'trylock', mutex: 'c' }, { op: 'yield' }] }] },
    ],
  };

  it('counts nested ops', () => {
    expect(countOps(base.tasks[0].program)).toBe(3);
    expect(countOps(base.tasks[2].program)).toBe(3);
    expect(scenarioOps(base)).toBe(10);
  });

  it('a removed task takes the ops aimed at it and the mutexes nobody uses any more with it', () => {
    const s = tidy(removeTasks(base, ['B', 'C']), 4)!;
    expect(s.tasks.map((t) => t.name)).toEqual(['A']);
    expect(s.tasks[0].program).toEqual([{ op: 'lock', mutex: 'a', critical: [run('10us')] }]);
    expect(s.mutexes).toEqual(['a']);
    // a first CPU equal to the first allowed one says nothing: dropped
    expect(s.tasks[0].cpu).toBeUndefined();
    expect(() => validateScenario(s, 'x')).not.toThrow();
  });

  it('fewer CPUs: the named CPUs renumbered, or folded when there are too many', () => {
    const two = withCpus(base, 2);
    expect(two.cpus).toBe(2);
    // named: 1, 2, 3 -> more than 2: folded mod 2
    expect(two.tasks.map((t) => t.affinity)).toEqual([[0], [1], undefined]);
    const s3 = withCpus(base, 3);
    // named 1, 2, 3 -> 0, 1, 2
    expect(s3.tasks.map((t) => t.affinity)).toEqual([[1], [2], undefined]);
    expect((s3.tasks[1].program[3] as { cpus: number[] }).cpus).toEqual([0, 2]);
    expect(() => validateScenario(tidy(s3, 3), 'x')).not.toThrow();
    // CPUs beyond the count: a task left with none is no candidate
    expect(tidy(base, 2)).toBeNull();
  });

  it('removing a lock without a critical section removes its unlock, and the other way round', () => {
    const p = base.tasks[1].program;
    expect(removeOps(p, 0, 1)).toEqual([run('5us'), p[3]]);
    expect(removeOps(p, 2, 1)).toEqual([run('5us'), p[3]]);
    expect(removeOps(p, 1, 1)).toEqual([p[0], p[2], p[3]]);
  });

  it('an empty loop goes; a critical section may be empty', () => {
    const s = structuredClone(base);
    (s.tasks[2].program[0] as { body: Op[] }).body = [];
    (s.tasks[0].program[0] as { critical: Op[] }).critical = [];
    const t = tidy(s, 4)!;
    expect(t.tasks[2].program).toEqual([]);
    expect(t.tasks[0].program[0]).toEqual({ op: 'lock', mutex: 'a', critical: [] });
    expect(t.mutexes).toEqual(['a', 'b']);
  });

  it('cuts a run just after its violation, on round numbers', () => {
    expect(cutDuration(67_300, 300e6)).toBe(71_000);
    expect(cutDuration(50_010_100, 300e6)).toBe(53_000_000);
    expect(cutDuration(100, 300e6)).toBe(1100);
    expect(cutDuration(1_000_000, 300e6)).toBe(1_100_000);
    expect(cutDuration(250e6, 200e6)).toBe(200e6);
    for (const t of [1, 999, 12_345, 987_654, 5e6, 123_456_789, 2.5e9]) {
      const c = cutDuration(t, Infinity);
      expect(c).toBeGreaterThan(t);
      expect(c).toBeLessThanOrEqual(Math.max(t * 1.2, t + 2000));
    }
  });

  it('writes JSON a person reads, and the same value', () => {
    const text = compactJson(base);
    expect(JSON.parse(text)).toEqual(base);
    expect(text).toContain('{ "op": "lock", "mutex": "a", "critical": [{ "op": "run", "for": "10us" }] }');
    expect(text.split('\n').every((l) => l.length <= 100)).toBe(true);
  });

  it('an artifact without a violation is refused', async () => {
    const l = { file: 'f.json', art: { violation: null }, scenario: base, bugs: [] } as unknown as LoadedArtifact;
    await expect(shrinkArtifact(l, { budgetMs: 1000 })).rejects.toBeInstanceOf(ResultsError);
  });

  it('the command: a missing artifact is one line, exit 65, no stack', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'shrink', join(tmpdir(), 'no-such-artifact.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(65);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot read the artifact: ENOENT/);
  });
});

describe('shrink: a failing controlled run', () => {
  const strategy = 'ttwu-blocks';
  const seed = 3;

  it('finds a smaller reproducer that validates and fails again the same way', async () => {
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'proxysim-shrink-'));
    const scenario = resolveScenario('wakeq-race', { cpus: 3 });
    scenario.name = 'wakeq-race-padded';
    // a task that starts long after the violation: nothing of the race, and so the first to go
    scenario.tasks.push({ name: 'late', policy: 'fair', start: '250ms', program: [{ op: 'sleep', for: '1ms' }, { op: 'signal', task: 'T0' }] });
    const durationNs = 300e6;
    const r = await runMachine({ scenario, strategy, cpus: 3, durationNs, seed, bugs: [], executor: { kind: 'random' } });
    expect(r.failure, 'the input run must fail (ttwu-blocks, wakeq-race, random seed 3)').not.toBeNull();
    const id = r.failure!.id;
    const art = buildArtifact(r, {
      scenario: 'wakeq-race', strategy, cpus: 3, durationNs, seed, bugs: [], chaos: null,
      execution: { executor: 'random', stepNs: 100, samplerMs: 50, countI10: false },
    });
    const l = loadArtifact(writeArtifact(art, dir));

    const accepted: string[] = [];
    const res = await shrinkArtifact(l, { budgetMs: 40_000, onAccept: (_s, line) => accepted.push(line) });
    expect(res.best, res.notes.join('\n')).not.toBeNull();
    expect(res.target).toBe(id);
    const files = writeShrunk(l, res, dir);

    // the scenario file: what `run --scenario <file>` loads
    const small = resolveScenario(files.scenarioFile);
    expect(JSON.parse(readFileSync(files.scenarioFile, 'utf8'))).toEqual(small);
    expect(small.duration).toBeDefined();
    expect(small.cpus).toBe(res.best!.cpus);
    // the artifact: a controlled run's, with its record
    const back = loadArtifact(files.artifactFile);
    expect(back.art.violation?.id).toBe(id);
    expect(back.art.execution.record).not.toBeNull();
    expect(back.art.execution.executor).toBe(res.best!.exec.kind);
    expect(files.rerun).toContain(`--seed ${res.best!.exec.seed} --executor ${res.best!.exec.kind}`);

    // re-run the small case as reported: the same violation
    const x = res.best!.exec;
    const again = await runMachine({
      scenario: small, strategy, cpus: small.cpus, durationNs: parseDuration(small.duration!), seed: x.seed, bugs: [],
      executor: { kind: x.kind, depth: x.depth },
    });
    expect(again.failure?.id).toBe(id);

    // smaller: never larger in tasks, ops, steps; strictly smaller in one
    const before = res.before;
    const after = res.after!;
    const what = `${JSON.stringify(before)} -> ${JSON.stringify(after)}\n${accepted.join('\n')}`;
    expect(after.tasks, what).toBeLessThanOrEqual(before.tasks);
    expect(after.ops, what).toBeLessThanOrEqual(before.ops);
    expect(after.steps, what).toBeLessThanOrEqual(before.steps);
    expect(after.tasks < before.tasks || after.ops < before.ops || after.steps < before.steps, what).toBe(true);
    expect(small.tasks.map((t) => t.name)).not.toContain('late');
    expect(res.smaller).toBe(true);
    expect(accepted.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(150_000);
  }, 180_000);
});
