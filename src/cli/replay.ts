/**
 * `proxysim replay <artifact>`: re-run a failure's recorded order of steps on the controlled
 * executor, check it stops at the same violation at the same step, and draw the last steps.
 */
import type { RunSnapshot } from '../machine/snapshot.ts';
import { loadArtifact } from '../report/load-artifact.ts';
import { draw, replayOnce, type ReplayRun } from '../report/replay.ts';
import { EXIT, ResultsError } from '../errors.ts';
import type { ReplayOptions } from './args.ts';
import { Progress } from './progress.ts';

export async function cmdReplay(o: ReplayOptions): Promise<number> {
  const l = loadArtifact(o.artifact);
  const e = l.art.execution;
  if (!e.record) {
    throw new ResultsError([{ file: o.artifact, path: 'execution.record', message: 'null: this run was not recorded; re-run it with --record (free) or on a controlled executor (--executor random|pct), then replay that artifact' }]);
  }
  const want = { id: l.art.violation?.id ?? null, step: e.violation_step };
  if (!o.json) {
    process.stderr.write(`proxysim: replaying ${l.art.scenario.name} under ${l.art.strategy} on ${l.art.cpus} CPUs: ${e.record.steps} recorded steps `
      + `(${e.executor}${e.record.clocks ? ', with its clock reads' : ''}); recorded: ${want.id ?? 'no violation'} at step ${want.step ?? '?'}\n`);
  }
  const runs: ReplayRun[] = [];
  let first: RunSnapshot | null = null;
  for (let k = 0; k < o.times; k++) {
    const progress = new Progress(!o.json, `replay ${k + 1}/${o.times}`);
    const t = Date.now();
    let r: RunSnapshot;
    try { r = await replayOnce(l, k === 0, (f) => progress.update(f)); } finally { progress.done(); }
    const got = { id: r.failure?.id ?? null, step: r.failure?.step ?? null };
    const run: ReplayRun = { ...got, same: got.id === want.id && got.step === want.step, divergence: r.exec?.divergence ?? null, wallMs: Date.now() - t };
    runs.push(run);
    if (k === 0) first = r;
    if (!o.json) {
      process.stdout.write(`replay ${k + 1}/${o.times}: ${got.id ?? 'no violation'} at step ${got.step ?? '-'}`
        + `${r.failure ? ` (CPU${r.failure.cpu}${r.failure.cpuStep !== undefined ? `, its step ${r.failure.cpuStep}` : ''})` : ''}`
        + ` — ${run.same ? 'same as recorded' : 'DIFFERENT from the record'}`
        + `${run.divergence ? `; left the record at step ${run.divergence.step} (CPU${run.divergence.cpu} stood at ${run.divergence.got}, the record says ${run.divergence.want}; ${run.divergence.count} steps off)` : ''}`
        + ` [${run.wallMs} ms]\n`);
    }
  }
  const drawing = first ? draw(first, o.last) : [];
  const reproduced = runs.filter((r) => r.same).length;
  if (o.json) {
    process.stdout.write(JSON.stringify({ artifact: o.artifact, recorded: want, reproduced, times: o.times, runs, drawing }, null, 2) + '\n');
  } else {
    process.stdout.write('\n' + drawing.join('\n') + '\n');
    process.stdout.write(`\nreproduced ${reproduced}/${o.times}\n`);
  }
  return reproduced === o.times ? EXIT.OK : EXIT.CHECK_FAILED;
}
