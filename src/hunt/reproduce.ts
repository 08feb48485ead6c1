/**
 * `npm run reproduce`: the detection matrix, reproduced exactly. For every planted bug (each design's
 * `bugs`, on the directed run that exposes it): a free run with --record, seed after seed until it
 * catches the bug; its failure artifact; `replay` of it N times (each must stop at the same
 * violation at the same step); then `shrink` (when given a budget). One table, and the last stdout
 * line is one JSON object with every row.
 *
 *   npm run reproduce -- [--out <dir>] [--times 5] [--seeds 6] [--duration 3s] [--shrink 30s] [--bug BUGn]...
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { runMachine } from '../machine/machine.ts';
import { resolveScenario } from '../workload/validate.ts';
import { parseDuration } from '../workload/duration.ts';
import { directedCases } from './directed.ts';
import { shrinkArtifact, writeShrunk } from './shrink.ts';
import { bugName, parseBugName } from '../proxy/bugs.ts';
import { buildArtifact, writeArtifact } from '../report/artifact.ts';
import { loadArtifact } from '../report/load-artifact.ts';
import { replayOnce } from '../report/replay.ts';
import { textTable } from '../report/text-table.ts';
import { ensureDir } from '../files.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join('reports', `reproduce-${new Date().toISOString().replace(/[:.]/g, '-')}`) },
    times: { type: 'string', default: '5' }, seeds: { type: 'string', default: '6' },
    duration: { type: 'string', default: '3s' }, shrink: { type: 'string', default: '0s' },
    bug: { type: 'string', multiple: true, default: [] },
  },
});
const times = Number(values.times);
const seeds = Number(values.seeds);
const durationNs = parseDuration(values.duration!);
const shrinkNs = parseDuration(values.shrink!);
const only = new Set(values.bug!.map((b) => parseBugName(b)));
ensureDir(values.out!, '--out');

interface Row {
  bug: string; design: string; scenario: string; cpus: number; seed: number | null; id: string | null; step: number | null;
  recorded_steps: number; replays: string; replay_ms: number; shrink: string | null;
}
const rows: Row[] = [];
for (const c of directedCases()) {
  if (only.size && !only.has(c.bug)) continue;
  const scenario = resolveScenario(c.scenario, { cpus: c.cpus });
  const cpus = c.cpus ?? scenario.cpus;
  const row: Row = { bug: bugName(c.bug), design: c.design, scenario: c.scenario, cpus, seed: null, id: null, step: null, recorded_steps: 0, replays: '-', replay_ms: 0, shrink: null };
  rows.push(row);
  process.stderr.write(`${row.bug} ${c.design} ${c.scenario}/${cpus}: recording`);
  let path: string | null = null;
  for (let seed = 1; seed <= seeds && path === null; seed++) {
    const chaos = c.chaos ? { p: c.chaos.p, maxNs: c.chaos.maxNs, windows: c.chaos.windows.length ? c.chaos.windows : null } : null;
    const r = await runMachine({ scenario, strategy: c.design, cpus, durationNs, seed, bugs: [c.bug], chaos, executor: { kind: 'free', record: true } });
    process.stderr.write(r.failure ? ` seed ${seed}: ${r.failure.id}` : ` seed ${seed}: clean`);
    if (!r.failure || r.failure.kind === 'crash') continue;
    const art = buildArtifact(r, {
      scenario: c.scenario, strategy: c.design, cpus, durationNs, seed, bugs: [c.bug], chaos: c.chaos ?? null,
      execution: { executor: 'free', record: true, stepNs: 100, samplerMs: 50, countI10: false },
    });
    path = writeArtifact(art, values.out!);
    Object.assign(row, { seed, id: r.failure.id, step: r.failure.step ?? null, recorded_steps: r.exec?.steps ?? 0 });
  }
  if (path === null) { process.stderr.write(' -> not caught\n'); continue; }
  const l = loadArtifact(path);
  let same = 0;
  const t = Date.now();
  for (let k = 0; k < times; k++) {
    const r = await replayOnce(l, false);
    if (r.failure?.id === row.id && r.failure?.step === row.step) same++;
    else {
      const d = r.exec?.divergence;
      process.stderr.write(`\n  replay ${k + 1}: ${r.failure ? `${r.failure.kind} ${r.failure.id} at step ${r.failure.step ?? '?'}: ${r.failure.msg.slice(0, 160)}` : 'no violation'}`
        + `${d ? `; left the record at step ${d.step} (CPU${d.cpu} at ${d.got}, recorded ${d.want})` : ''}; ${r.exec?.steps ?? 0} steps\n`);
    }
  }
  row.replay_ms = Math.round((Date.now() - t) / times);
  row.replays = `${same}/${times}`;
  process.stderr.write(` -> replay ${row.replays}\n`);
  if (shrinkNs > 0) {
    const s = await shrinkArtifact(l, { budgetMs: shrinkNs / 1e6 });
    if (s.best && s.after) {
      const files = writeShrunk(l, s, values.out!);
      const again = await replayOnce(loadArtifact(files.artifactFile), false);
      row.shrink = `${s.smallerIn.join(', ') || 'not smaller'}; replay ${again.failure?.id === s.target ? 'fails' : 'DOES NOT fail'}`;
    } else row.shrink = 'not reproduced on the controlled executor';
  }
}
process.stdout.write(textTable(['bug', 'design', 'scenario', 'cpus', 'seed', 'caught', 'at step', 'recorded', 'replay', 'ms/replay', ...(shrinkNs > 0 ? ['shrink'] : [])],
  rows.map((r) => [r.bug, r.design, r.scenario, r.cpus, r.seed ?? '-', r.id ?? 'not caught', r.step ?? '-', r.recorded_steps, r.replays, r.replay_ms, ...(shrinkNs > 0 ? [r.shrink ?? '-'] : [])])) + '\n');
process.stdout.write(`artifacts: ${values.out}\n`);
process.stdout.write(JSON.stringify({ reproduce: rows }) + '\n');
