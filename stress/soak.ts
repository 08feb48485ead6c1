/**
 * `npm run soak -- --duration 1h`: the long run. Every design that must be clean (baseline and
 * correct) on every built-in scenario, under light chaos at every gate, round after round with new
 * seeds, until the duration is up. One run at a time in this process (each run has one worker thread
 * per simulated CPU), so the process's RSS over the hour says whether anything grows with run length.
 *
 *   a status line a minute:   soak 12m00s  runs 310  fail 0  events/min 1.9M  rss 212 MB  heap 41 MB
 *   at the end:               the failures (each with its failure artifact and re-run command), the
 *                             per-minute samples in <out>/soak.json, and one JSON line on stdout
 *
 * Exit: 0 when no run failed (0 false positives), 1 when one did, 130/143 when interrupted (what ran
 * is still written).
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { runMachine } from '../src/machine/machine.ts';
import { cleanDesigns } from '../src/proxy/index.ts';
import { BUILTINS } from '../src/workload/builtin/index.ts';
import { resolveScenario } from '../src/workload/validate.ts';
import { formatDuration, parseDuration } from '../src/workload/duration.ts';
import { buildArtifact, writeArtifact } from '../src/report/artifact.ts';
import { writeFileAtomic } from '../src/files.ts';

/** The same light chaos hunt's clean runs use: a delay at 1% of gate passes, up to 50 us. */
const SOAK_CHAOS = { p: 0.01, maxNs: 50_000 };
const RUN_NS = 2e9;

interface Minute { t_s: number; runs: number; failures: number; events: number; rss_mb: number; heap_mb: number }
interface Failure { design: string; scenario: string; seed: number; id: string; msg: string; artifact: string; rerun: string }

function usage(msg: string): never {
  process.stderr.write(`soak: ${msg}\nusage: npm run soak -- [--duration <dur>] [--status-every <dur>] [--out <dir>] [--first-seed <n>]\n`);
  process.exit(2);
}

function options(): { durationNs: number; statusNs: number; out: string; firstSeed: number } {
  let v;
  try {
    v = parseArgs({
      options: {
        duration: { type: 'string', default: '1h' }, 'status-every': { type: 'string', default: '1m' },
        out: { type: 'string' }, 'first-seed': { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    usage((e as Error).message.split('\n')[0]);
  }
  if (v.help) usage('the long run: every clean design on every built-in scenario under chaos');
  // a soak is measured in minutes and hours (scenario durations stay in s and below)
  const dur = (flag: string, s: string): number => {
    const long = /^(\d{1,4})(m|h)$/.exec(s);
    if (long) return Number(long[1]) * (long[2] === 'h' ? 3600e9 : 60e9);
    try { return parseDuration(s); } catch (e) { return usage(`--${flag}: ${(e as Error).message} (or <n>m, <n>h)`); }
  };
  if (!/^\d{1,9}$/.test(v['first-seed']!)) usage(`--first-seed: expected a decimal integer, got ${JSON.stringify(v['first-seed'])}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    durationNs: dur('duration', v.duration!), statusNs: dur('status-every', v['status-every']!),
    out: v.out ?? join('reports', `soak-${stamp}`), firstSeed: Number(v['first-seed']),
  };
}

const mb = (b: number): number => Math.round(b / 2 ** 20);
/** elapsed wall time as 12m05s */
const clock = (ms: number): string => `${Math.floor(ms / 60_000)}m${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}s`;

async function main(): Promise<number> {
  const o = options();
  const designs = cleanDesigns().map((d) => d.name);
  const scenarios = BUILTINS.map((b) => b.name);
  process.stderr.write(`soak: ${designs.length} designs x ${scenarios.length} scenarios, ${formatDuration(RUN_NS)} runs, chaos p=${SOAK_CHAOS.p}, `
    + `for ${formatDuration(o.durationNs)}; output ${o.out}\n`);
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals): void => { signal = s; process.stderr.write(`soak: ${s}: stopping after the current run\n`); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const t0 = Date.now();
  const minutes: Minute[] = [];
  const failures: Failure[] = [];
  let runs = 0;
  let events = 0;
  let eventsAtLastStatus = 0;
  let lastStatus = t0;
  const status = (): void => {
    const now = Date.now();
    const m = process.memoryUsage();
    const perMin = ((events - eventsAtLastStatus) / Math.max(1, now - lastStatus)) * 60_000;
    minutes.push({ t_s: Math.round((now - t0) / 1000), runs, failures: failures.length, events, rss_mb: mb(m.rss), heap_mb: mb(m.heapUsed) });
    process.stderr.write(`soak ${clock(now - t0)}  runs ${runs}  fail ${failures.length}  `
      + `events/min ${(perMin / 1e6).toFixed(2)}M  rss ${mb(m.rss)} MB  heap ${mb(m.heapUsed)} MB\n`);
    eventsAtLastStatus = events;
    lastStatus = now;
  };
  status();
  let seed = o.firstSeed;
  outer: for (;;) {
    for (const scenarioName of scenarios) {
      const scenario = resolveScenario(scenarioName);
      for (const design of designs) {
        if (signal || Date.now() - t0 >= o.durationNs / 1e6) break outer;
        const chaos = { ...SOAK_CHAOS, windows: null };
        const r = await runMachine({ scenario, strategy: design, durationNs: RUN_NS, seed, chaos, keepEvents: false });
        runs++;
        events += r.kernel.rqs.reduce((n, rq) => n + rq.ring_head, 0);
        if (r.failure) {
          const art = buildArtifact(r, {
            scenario: scenarioName, strategy: design, cpus: r.nrCpus, durationNs: RUN_NS, seed, bugs: [], chaos: { ...SOAK_CHAOS, windows: [] },
          });
          const path = writeArtifact(art, join(o.out, 'failures'));
          failures.push({ design, scenario: scenarioName, seed, id: r.failure.id, msg: r.failure.msg, artifact: path, rerun: art.command });
          process.stderr.write(`soak: FAIL ${design}/${scenarioName} seed ${seed}: ${r.failure.id}: ${r.failure.msg}\n      artifact: ${path}\n`);
        }
        if (Date.now() - lastStatus >= o.statusNs / 1e6) status();
      }
    }
    seed++;
  }
  status();
  const result = {
    proxysim_soak: 1, started: new Date(t0).toISOString(), wall_s: Math.round((Date.now() - t0) / 1000), interrupted: signal !== null,
    designs, scenarios, run_ns: RUN_NS, chaos: SOAK_CHAOS, first_seed: o.firstSeed, last_seed: seed,
    runs, failures, events, minutes,
    rss_mb: { first: minutes[0].rss_mb, after_5min: minutes.find((m) => m.t_s >= 300)?.rss_mb ?? null, last: minutes[minutes.length - 1].rss_mb,
      max: Math.max(...minutes.map((m) => m.rss_mb)) },
  };
  writeFileAtomic(join(o.out, 'soak.json'), JSON.stringify(result, null, 1) + '\n');
  for (const f of failures) process.stderr.write(`FAIL ${f.design}/${f.scenario} seed ${f.seed}: ${f.id}\n  re-run: ${f.rerun}\n`);
  process.stderr.write(`soak: ${runs} runs in ${formatDuration((Date.now() - t0) * 1e6)}, ${failures.length} failed; ${join(o.out, 'soak.json')}\n`);
  process.stdout.write(JSON.stringify({ soak: 'proxysim', runs, failures: failures.length, events, rss_mb: result.rss_mb, wall_s: result.wall_s }) + '\n');
  if (signal) return signal === 'SIGTERM' ? 143 : 130;
  return failures.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`soak: ${(e as Error)?.message ?? String(e)}\n`);
  process.exitCode = 70;
});
