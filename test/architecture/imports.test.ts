/**
 * Data flows one way. The kernel half (what a CPU worker loads) never imports the host half, and
 * inside the host each layer imports only the layers below it:
 *
 *   4  src/cli                      parses and prints
 *   3  stress/  src/hunt            campaigns, merge, the detection matrix
 *   2  src/report                   summary, artifact, HTML
 *   1  src/machine                  runs the CPU workers, takes the snapshot
 *   0  the kernel and what it shares: workers/, src/{shm,sync,sched,proxy,locking,signal,check,
 *      trace,exec,workload}, src/errors.ts, src/files.ts, src/messages.ts (shared by all), src/results (types of
 *      the results format)
 *
 * Edges are static imports and re-exports, and `new URL('<file>', import.meta.url)` (how worker
 * and lazily loaded modules are named).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir))) {
    const p = join(dir, e);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

const EDGE = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]|new URL\(\s*['"](\.[^'"]+\.(?:ts|mjs))['"]\s*,\s*import\.meta\.url/g;

/** The project files `file` names, relative to the root. */
export function edgesOf(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(EDGE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
  }
  return out;
}

/** The layer of a project file (see the header); undefined: not a layered file. */
export function layerOf(file: string): number | undefined {
  if (file.startsWith('src/cli/')) return 4;
  if (file.startsWith('stress/') || file.startsWith('src/hunt/')) return 3;
  if (file.startsWith('src/report/')) return 2;
  if (file.startsWith('src/machine/')) return 1;
  if (file.startsWith('workers/') || file.startsWith('src/')) return 0;
  return undefined;
}

const FILES = [...sources('src'), ...sources('workers'), ...sources('stress')];

describe('import direction', () => {
  it('the rule itself: an arrow up is caught, an arrow down is not', () => {
    const up = "import { cmdRun } from '../cli/run.ts';\nimport type { X } from '../../stress/format.ts';";
    const edges = edgesOf('src/sched/core.ts', up);
    expect(edges).toEqual(['src/cli/run.ts', 'stress/format.ts']);
    expect(edges.every((t) => layerOf(t)! > layerOf('src/sched/core.ts')!)).toBe(true);
    expect(edgesOf('src/machine/x.ts', "const W = new URL('../../workers/cpu.ts', import.meta.url);")).toEqual(['workers/cpu.ts']);
  });

  it('every file imports only its own layer or the layers below', () => {
    const bad: string[] = [];
    for (const f of FILES) {
      const from = layerOf(f)!;
      for (const t of edgesOf(f)) {
        const to = layerOf(t);
        if (to !== undefined && to > from) bad.push(`${f} (layer ${from}) -> ${t} (layer ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('stress/ and src/hunt/ do not import each other', () => {
    const bad = FILES.flatMap((f) => edgesOf(f).filter((t) =>
      (f.startsWith('stress/') && t.startsWith('src/hunt/')) || (f.startsWith('src/hunt/') && t.startsWith('stress/'))).map((t) => `${f} -> ${t}`));
    expect(bad).toEqual([]);
  });

  it('a CPU worker loads no host module (the whole import closure of workers/cpu.ts)', () => {
    const seen = new Set<string>();
    const todo = ['workers/cpu.ts'];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...edgesOf(f).filter((t) => !seen.has(t)));
    }
    expect(seen.size).toBeGreaterThan(20);
    expect([...seen].filter((f) => layerOf(f) !== 0)).toEqual([]);
  });
});
