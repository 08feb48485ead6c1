/**
 * `proxysim shrink <artifact>`: a smaller reproducer of a failure (src/hunt/shrink.ts). Progress on
 * stderr (one line per accepted reduction), the before/after sizes and the files on stdout.
 * Exit 0: a reproducer was written (smaller or not, as it says); 1: the violation could not be
 * reproduced on the controlled executor within the budget; 65: the artifact is unusable.
 */
import { dirname } from 'node:path';
import type { ShrinkOptions } from './args.ts';
import { EXIT } from '../errors.ts';
import { probeDir } from '../files.ts';
import { loadArtifact } from '../report/load-artifact.ts';
import { textTable } from '../report/text-table.ts';
import { formatDuration } from '../workload/duration.ts';
import { shrinkArtifact, sizeRows, writeShrunk, type ShrinkFiles, type ShrinkResult } from '../hunt/shrink.ts';
import { Interrupts } from './interrupts.ts';

export async function cmdShrink(o: ShrinkOptions): Promise<number> {
  const l = loadArtifact(o.artifact);
  const dir = o.out ?? (dirname(o.artifact) || '.');
  // the output folder is checked before the search (a write error after a minute of runs loses them)
  probeDir(dir, o.out !== undefined ? '--out' : 'the artifact\'s folder');
  const art = l.art;
  const say = (line: string): void => { if (!o.json) process.stderr.write(`shrink: ${line}\n`); };
  const tty = !o.json && Boolean(process.stderr.isTTY);
  let status = false;
  const clear = (): void => { if (status) { process.stderr.write('\r\x1b[K'); status = false; } };
  say(`${art.violation?.id ?? 'no violation'} under ${art.strategy} in ${art.scenario.name}: ${l.scenario.tasks.length} tasks on ${art.cpus} CPUs, `
    + `a ${art.execution.executor} run of ${formatDuration(art.duration_ns)} (seed ${art.seed}); budget ${formatDuration(o.budget)}`);
  const ac = new AbortController();
  const interrupts = new Interrupts({
    first: () => { clear(); say('stopping: the best reproducer so far is written'); ac.abort(); },
    second: () => process.stderr.write('proxysim: stopping\n'),
  }).install();
  let res: ShrinkResult;
  try {
    res = await shrinkArtifact(l, {
      budgetMs: o.budget / 1e6, signal: ac.signal,
      onAccept: (_s, line) => { clear(); say(line); },
      onNote: (line) => { clear(); say(line); },
      onTry: tty ? (what) => { process.stderr.write(`\r\x1b[Ktrying ${what.slice(0, (process.stderr.columns ?? 100) - 10)}`); status = true; } : undefined,
    });
  } finally {
    clear();
    interrupts.remove();
  }
  const files = res.best ? writeShrunk(l, res, dir) : null;
  if (o.json) {
    process.stdout.write(JSON.stringify(jsonOf(o, res, files), null, 2) + '\n');
  } else {
    process.stdout.write(render(o, res, files) + '\n');
  }
  if (files) return EXIT.OK;
  return res.stoppedBy === 'interrupted' ? EXIT.INTERRUPTED : EXIT.CHECK_FAILED;
}

function render(o: ShrinkOptions, res: ShrinkResult, f: ShrinkFiles | null): string {
  const out: string[] = [];
  const how = `${res.runs} run${res.runs === 1 ? '' : 's'}, ${res.candidates} candidate${res.candidates === 1 ? '' : 's'} in ${(res.wallMs / 1000).toFixed(1)} s (budget ${formatDuration(o.budget)}`
    + `${res.stoppedBy === 'budget' ? ', spent' : res.stoppedBy === 'interrupted' ? ', interrupted' : ''})`;
  if (!res.best || !f) {
    out.push(`${res.target}: not reproduced on the controlled executor (random, pct) within the budget: ${how}`);
    out.push('nothing written; try a larger --budget, or replay the artifact (npm start -- replay <artifact>)');
    return out.join('\n');
  }
  // a free run's steps are the recorder's: the controlled reproduction is shown beside it
  out.push(res.comparableSteps
    ? textTable(['', 'before', 'after'], sizeRows(res.before, res.after))
    : textTable(['', 'before', 'reproduced', 'after'], sizeRows(res.before, res.reproduction, res.after)));
  out.push('');
  const x = res.best.exec;
  out.push(`${res.target} reproduced by --executor ${x.kind}${x.kind === 'pct' ? ` --depth ${x.depth}` : ''} --seed ${x.seed} `
    + `at step ${res.best.run.failure?.step ?? '?'}; ${res.steps.length} reductions accepted; ${how}`);
  if (!res.smaller) {
    out.push(`not smaller: none of the ${res.candidates} candidates showed ${res.target}${res.stoppedBy === 'done' ? '' : ' within the budget'}; `
      + 'what is written is the same case, re-run on the controlled executor');
  }
  else out.push(`smaller: ${res.smallerIn.join(', ')}`);
  if (!res.comparableSteps) out.push(`(the artifact's run was not controlled: its steps are its recorder's, its preemptions not counted; the "reproduced" column is the first controlled run that showed ${res.target})`);
  out.push(`scenario: ${f.scenarioFile}`);
  out.push(`artifact: ${f.artifactFile}`);
  out.push(`re-run:   ${f.rerun}`);
  if (f.replay) out.push(`replay:   ${f.replay}`);
  return out.join('\n');
}

function jsonOf(o: ShrinkOptions, res: ShrinkResult, f: ShrinkFiles | null): unknown {
  const b = res.best;
  return {
    artifact: o.artifact, violation: res.target, reproduced: b !== null, smaller: res.smaller,
    before: res.before, reproduction: res.reproduction, after: res.after, smaller_in: res.smallerIn, comparable_steps: res.comparableSteps,
    executor: b ? b.exec : null, violation_step: b?.run.failure?.step ?? null,
    scenario_file: f?.scenarioFile ?? null, artifact_file: f?.artifactFile ?? null,
    rerun_command: f?.rerun ?? null, replay_command: f?.replay ?? null,
    runs: res.runs, candidates: res.candidates, wall_ms: res.wallMs, budget_ms: o.budget / 1e6, stopped_by: res.stoppedBy,
    reductions: res.steps.map((s) => ({ pass: s.pass, what: s.what, from: s.from, to: s.to, executor: s.exec, at_ms: s.atMs })),
    notes: res.notes,
  };
}
