/** `proxysim run`: one scenario under one strategy on real CPU workers. */
import { resolveScenario } from '../workload/validate.ts';
import { parseDuration, formatDuration } from '../workload/duration.ts';
import { runMachine, type MachineOptions } from '../machine/machine.ts';
import { explore } from '../machine/explore.ts';
import { traceContext, type RunSnapshot } from '../machine/snapshot.ts';
import { summarize, renderSummary } from '../report/summary.ts';
import { buildArtifact, renderArtifact, writeArtifact } from '../report/artifact.ts';
import { ftraceText } from '../trace/ftrace.ts';
import { writeChromeTrace } from '../trace/chrome.ts';
import { probeDir, probeFile, writeFileAtomic } from '../files.ts';
import { EXIT, UsageError, WriteError } from '../errors.ts';
import { bugName, parseBugName } from '../proxy/bugs.ts';
import { designsOfBug } from '../proxy/index.ts';
import type { RunOptions } from './args.ts';
import { Progress } from './progress.ts';
import { Interrupts } from './interrupts.ts';
import { exitCodeOfSignal } from '../../stress/verdict.ts';
import type { Scenario } from '../workload/scenario.ts';

/** The exit code of a run: its verdict; for a failure, whether the simulator itself failed (70) or
 *  the scenario deadlocks itself (65: a problem of the workload, not of the design); for an
 *  interruption, 128 + the signal. */
export function exitCodeFor(r: RunSnapshot, signal: NodeJS.Signals | null = null): number {
  if (r.findings.some((f) => f.kind === 'crash')) return EXIT.INFRA;
  if (r.failure?.kind === 'deadlock') return EXIT.BAD_SCENARIO;
  if (r.verdict === 'FAIL') return EXIT.CHECK_FAILED;
  if (r.verdict === 'INTERRUPTED') return signal ? exitCodeOfSignal(signal) : EXIT.INTERRUPTED;
  return EXIT.OK;
}

export async function cmdRun(o: RunOptions): Promise<number> {
  const scenario = resolveScenario(o.scenario, { cpus: o.cpus });
  const durationNs = o.duration ?? parseDuration(scenario.duration ?? '2s');
  const bugs = o.bugs.map((b) => parseBugName(b)!);
  for (const b of bugs) {
    const designs = designsOfBug(b);
    if (designs.length && !designs.includes(o.strategy)) {
      throw new UsageError(`--bug ${bugName(b)}: applies to ${designs.join(', ')}, not to --strategy ${o.strategy}`);
    }
  }
  const cpus = o.cpus ?? scenario.cpus;
  // every output checked before the run (a write error after minutes of running loses the run)
  if (o.trace) probeFile(o.trace, '--trace');
  if (o.traceJson) probeFile(o.traceJson, '--trace-json');
  if (o.dump) probeFile(o.dump, '--dump');
  probeDir(o.artifactDir, '--artifact-dir');
  if (!o.quiet && !o.json) {
    const how = o.executor === 'free' ? (o.record ? ', recorded' : '') : `, executor ${o.executor}${o.executor === 'pct' ? ` depth ${o.depth}` : ''}: virtual time`;
    process.stderr.write(`proxysim: ${scenario.name} under ${o.strategy} on ${cpus} CPU workers for ${formatDuration(durationNs)} (seed ${o.seed}${o.seedGenerated ? ', generated' : ''}${how})\n`);
  }
  // SIGINT/SIGTERM stop the machine; the trace, dump, artifact and summary are still written (a
  // second signal meanwhile changes nothing: the handlers stay until everything is written)
  const ac = new AbortController();
  const interrupts = new Interrupts({
    first: () => ac.abort(),
    second: () => process.stderr.write('proxysim: stopping; writing what the run saw\n'),
  }).install();
  try {
    return await runAndReport(o, scenario, durationNs, bugs, cpus, ac.signal, () => interrupts.signal);
  } finally {
    interrupts.remove();
  }
}

async function runAndReport(o: RunOptions, scenario: Scenario, durationNs: number, bugs: number[], cpus: number,
  abortSignal: AbortSignal, signal: () => NodeJS.Signals | null): Promise<number> {
  const progress = new Progress(!o.quiet && !o.json, `${scenario.name}/${o.strategy}`);
  let r: RunSnapshot;
  /** what the exhaustive search did (for --json) */
  let exploration: Record<string, unknown> | null = null;
  const machine: MachineOptions = {
    scenario, strategy: o.strategy, cpus, durationNs, seed: o.seed, bugs,
    chaos: o.chaos > 0 ? { p: o.chaos, maxNs: o.chaosMax, windows: o.chaosWindows.length ? o.chaosWindows : null } : null,
    keepEvents: Boolean(o.trace || o.traceJson), abortSignal, onProgress: (f) => progress.update(f), countI10: o.countI10,
  };
  try {
    if (o.executor === 'exhaustive') ({ r, exploration } = await exhaustive(o, machine, progress));
    else {
      const kind = o.executor;
      r = await runMachine({ ...machine, executor: kind === 'free' ? { kind, record: o.record } : { kind, depth: o.depth } });
    }
  } finally {
    progress.done();
  }
  const s = summarize(r);
  // a write that fails all the same (the disk filled up during the run): the others are still
  // written and the summary printed, then the first such error ends the command (exit 73)
  const writeErrors: WriteError[] = [];
  const attempt = (f: () => void): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      if (!(e instanceof WriteError)) throw e;
      writeErrors.push(e);
      return false;
    }
  };
  const traceWritten = Boolean(o.trace) && attempt(() => writeFileAtomic(o.trace!, ftraceText(traceContext(r), r.events, [
    `proxysim scenario=${scenario.name} strategy=${o.strategy} cpus=${cpus} seed=${o.seed}${bugs.length ? ` bugs=${o.bugs.join(',')}` : ''}`,
  ]), '--trace'));
  if (o.traceJson) {
    attempt(() => writeChromeTrace(o.traceJson!, traceContext(r), r.events, { findings: r.findings, scenario: scenario.name, strategy: o.strategy, seed: o.seed }));
  }
  if (o.dump) attempt(() => writeFileAtomic(o.dump!, JSON.stringify(r.kernel, null, 1) + '\n', '--dump'));
  const code = exitCodeFor(r, signal());
  if (r.verdict === 'FAIL') {
    const art = buildArtifact(r, {
      scenario: o.scenario, strategy: o.strategy, cpus, durationNs, seed: o.seed, bugs,
      chaos: o.chaos > 0 ? { p: o.chaos, maxNs: o.chaosMax, windows: o.chaosWindows } : null,
      execution: {
        executor: o.executor, record: o.record, stepNs: 100, samplerMs: 50, countI10: o.countI10,
        ...(o.executor === 'pct' ? { depth: o.depth } : {}), ...(o.executor === 'exhaustive' ? { preemptionBound: o.preemptions } : {}),
      },
    });
    s.rerun = art.command;
    let path = '';
    if (attempt(() => { path = writeArtifact(art, o.artifactDir); })) {
      s.artifact = path;
      if (!o.json) process.stderr.write(renderArtifact(art, path) + '\n');
    }
  }
  if (o.json) process.stdout.write(JSON.stringify(exploration ? { ...s, exhaustive: exploration } : s, null, 2) + '\n');
  else process.stdout.write(renderSummary(s) + '\n');
  if (traceWritten && !o.json) process.stderr.write(`trace: ${o.trace} (${r.events.length} events)\n`);
  if (writeErrors.length) {
    for (const e of writeErrors.slice(1)) process.stderr.write(`proxysim: ${e.message}\n`);
    throw writeErrors[0];
  }
  return code;
}

/** --executor exhaustive: every schedule with at most --preemptions preemptions (src/machine/explore.ts);
 *  the first failing one is the run reported (its artifact replays it), else the last one run. */
async function exhaustive(o: RunOptions, machine: MachineOptions, progress: Progress): Promise<{ r: RunSnapshot; exploration: Record<string, unknown> }> {
  let last: RunSnapshot | null = null;
  const res = await explore(machine, {
    preemptions: o.preemptions, maxSchedules: o.maxSchedules,
    onSchedule: (n, snap) => { last = snap; progress.update(Math.min(1, n / o.maxSchedules)); },
  });
  progress.done();
  const per = res.perPreemptions.map((n, k) => `${n} with ${k}`).join(', ');
  const line = `exhaustive: ${res.explored} schedules with at most ${o.preemptions} preemption${o.preemptions === 1 ? '' : 's'} (${per}) in ${(res.wallMs / 1000).toFixed(1)} s: `
    + (res.failing ? `schedule #${res.failing.index} fails (${res.failing.preemptions} preemptions, ${res.failing.schedule.length} steps chosen)`
      : res.exhausted ? 'exhausted, none fails' : `not exhausted (${res.stop}; ${res.pending} schedules left)`);
  if (!o.json) process.stderr.write(line + '\n');
  const exploration = { explored: res.explored, exhausted: res.exhausted, stop: res.stop, per_preemptions: res.perPreemptions,
    failing_schedule: res.failing?.index ?? null, failing_preemptions: res.failing?.preemptions ?? null, wall_ms: res.wallMs };
  const r = res.failing?.snapshot ?? last;
  if (!r) throw new UsageError('--executor exhaustive: no schedule was run');
  return { r, exploration };
}
