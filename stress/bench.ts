/**
 * `npm run bench`: what the replica costs, measured in one run on this machine.
 *
 *   1. simulated context switches per second: 1 simulated CPU, 2 or 4 fair tasks looping sched_yield(),
 *      on the real machine (runMachine), strategies 'none' and 'force-return';
 *   2. model mutex lock+unlock pairs per second, uncontended (1 CPU, 1 task) and contended
 *      (2 CPUs, one task pinned on each), same machine;
 *   3. raw spinlock lock+unlock pairs per second with the real Locks class: uncontended on the main
 *      thread, contended by 2 worker_threads on one lock;
 *   4. the host kernel's context switch (`perf bench sched pipe` pinned to one CPU) when perf exists;
 *   then ratios. A readable table goes to stdout, and the LAST stdout line is one JSON object holding
 *   every figure. Progress lines go to stderr. Nothing here asserts a wall-clock threshold.
 *
 * Machine figures follow the definition "counter / RunSnapshot.elapsedNs" for the whole run. Each
 * configuration first does a short discarded run (host-side warm-up: worker boot, tsx cache, OS),
 * but a machine run always starts in fresh worker isolates, so its first ~0.1-0.3 s execute code
 * the JIT has not optimised yet, and elapsedNs also covers the shutdown (a few tens of ms). The
 * "steady" column therefore also gives the rate over the last part of the same run, read from the
 * event ring (events carry timestamps; only the tail of the ring survives).
 *
 * Environment: BENCH_MS (measured time per figure, default 1500), BENCH_WARM_MS (default 300).
 */
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { runMachine } from '../src/machine/machine.ts';
import type { RunSnapshot } from '../src/machine/snapshot.ts';
import { workerExecArgv } from '../src/machine/exec-argv.ts';
import { Arena } from '../src/shm/arena.ts';
import { M } from '../src/shm/layout.ts';
import { textTable } from '../src/report/text-table.ts';
import { Locks } from '../src/sync/spinlock.ts';
import { EV } from '../src/trace/events.ts';
import type { Op, Scenario } from '../src/workload/scenario.ts';
import type { ExecutorSpec } from '../src/exec/area.ts';
import { PHASE, type SpinBenchData, type SpinBenchResult } from './bench/spin-protocol.ts';

const MEASURE_MS = envMs('BENCH_MS', 1500);
const WARM_MS = envMs('BENCH_WARM_MS', 300);
/** Larger than the default 64 Ki events so that the ring's tail spans a useful window. */
const RING_SIZE = 1 << 18;

const SPIN_WORKER = new URL('./bench/spin-worker.ts', import.meta.url);

function envMs(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of ms, got ${JSON.stringify(v)}`);
  return n;
}

function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// 1 + 2: the machine

const forever = (body: Op[]): Op[] => [{ op: 'repeat', times: -1, body }];

function yieldScenario(tasks: number): Scenario {
  return {
    name: `bench-yield-${tasks}`, cpus: 1, mutexes: [],
    tasks: Array.from({ length: tasks }, (_, k) => ({
      name: `y${k}`, policy: 'fair' as const, program: forever([{ op: 'yield' }]),
    })),
  };
}

function mutexScenario(contended: boolean): Scenario {
  const cpus = contended ? 2 : 1;
  return {
    name: `bench-mutex-${contended ? 'contended' : 'uncontended'}`, cpus, mutexes: ['m0'],
    tasks: Array.from({ length: cpus }, (_, k) => ({
      name: `l${k}`, policy: 'fair' as const, affinity: [k],
      program: forever([{ op: 'lock', mutex: 'm0', critical: [] }]),
    })),
  };
}

type Counter = 'switches' | 'acquisitions';

interface MachineFigure {
  key: string;
  label: string;
  strategy: string;
  cpus: number;
  tasks: number;
  counter: Counter;
  count: number;
  elapsedNs: number;
  perSec: number;
  /** rate over the ring's tail window, null when it is too short to mean anything */
  steadyPerSec: number | null;
  steadyWindowNs: number;
  /** total simulated context switches in the run (also for the mutex runs) */
  switches: number;
  warmupPerSec: number;
  findings: string[];
}

function sumSwitches(r: RunSnapshot): number {
  return r.kernel.rqs.reduce((n, rq) => n + rq.nr_switches, 0);
}

function countOf(r: RunSnapshot, counter: Counter): number {
  return counter === 'switches' ? sumSwitches(r) : r.kernel.mutexes[0].acquisitions;
}

/**
 * Rate of the counted events over the window the rings still hold for every CPU: from the latest
 * "oldest surviving event" among the CPUs whose ring wrapped, to the last event.
 */
function steadyRate(r: RunSnapshot, counter: Counter): { perSec: number | null; windowNs: number } {
  const size = r.kernel.header.ring_size;
  const first = new Array<number>(r.nrCpus).fill(Infinity);
  let end = -Infinity;
  for (const e of r.events) {
    if (e.time < first[e.cpu]) first[e.cpu] = e.time;
    if (e.time > end) end = e.time;
  }
  let start = -Infinity;
  for (let c = 0; c < r.nrCpus; c++) {
    const wrapped = r.kernel.rqs[c].ring_head > size;
    if (wrapped && first[c] > start) start = first[c];
  }
  if (start === -Infinity) start = WARM_MS * 1e6; // nothing lost: the ring holds the whole run; skip the first part
  const windowNs = end - start;
  if (!(windowNs >= 50e6)) return { perSec: null, windowNs: Math.max(0, windowNs) };
  let n = 0;
  for (const e of r.events) {
    if (e.time < start) continue;
    if (counter === 'switches' ? e.type === EV.SCHED_SWITCH : e.type === EV.MUTEX_ACQUIRE && e.a === 0) n++;
  }
  return { perSec: (n / windowNs) * 1e9, windowNs };
}

function describeFindings(r: RunSnapshot): string[] {
  return r.findings.map((f) => `${f.kind} ${f.id}: ${f.msg}`);
}

async function machineFigure(key: string, label: string, scenario: Scenario, strategy: string, counter: Counter): Promise<MachineFigure> {
  const base = { scenario, strategy, seed: 1, samplerMs: 0, keepEvents: false, ringSize: RING_SIZE };
  const w = await runMachine({ ...base, durationNs: WARM_MS * 1e6 });
  const warmupPerSec = w.elapsedNs > 0 ? (countOf(w, counter) / w.elapsedNs) * 1e9 : 0;
  for (const f of describeFindings(w)) progress(`  warm-up run: ${f}`);
  const r = await runMachine({ ...base, durationNs: MEASURE_MS * 1e6 });
  const count = countOf(r, counter);
  const steady = steadyRate(r, counter);
  const fig: MachineFigure = {
    key, label, strategy, cpus: r.nrCpus, tasks: scenario.tasks.length, counter, count,
    elapsedNs: r.elapsedNs, perSec: r.elapsedNs > 0 ? (count / r.elapsedNs) * 1e9 : 0,
    steadyPerSec: steady.perSec, steadyWindowNs: steady.windowNs,
    switches: sumSwitches(r), warmupPerSec, findings: describeFindings(r),
  };
  for (const f of fig.findings) progress(`  ${f}`);
  progress(`  ${fmtRate(fig.perSec)}/s over ${(r.elapsedNs / 1e9).toFixed(2)} s` +
    ` (warm-up run ${fmtRate(warmupPerSec)}/s, steady ${fig.steadyPerSec === null ? 'n/a' : fmtRate(fig.steadyPerSec) + '/s'})`);
  return fig;
}

// ---------------------------------------------------------------------------------------------
// 5: the executors: the same 2-CPU scenario free, free with --record, and on the controlled executor

interface ExecFigure {
  key: string;
  label: string;
  switches: number;
  steps: number;
  wallNs: number;
  /** simulated switches per second of host wall time (virtual time does not count here) */
  switchesPerWallSec: number;
  stepsPerWallSec: number | null;
  findings: string[];
}

/** 2 CPUs, 2 yielding tasks pinned on each: both CPUs switch all the time. */
function execScenario(): Scenario {
  return {
    name: 'bench-exec', cpus: 2, mutexes: ['m0'],
    tasks: Array.from({ length: 4 }, (_, k) => ({
      name: `e${k}`, policy: 'fair' as const, affinity: [k % 2],
      program: forever([{ op: 'lock', mutex: 'm0', critical: [{ op: 'run', for: '2us' }] }, { op: 'yield' }]),
    })),
  };
}

async function execFigure(key: string, label: string, executor: ExecutorSpec | undefined, durationMs: number): Promise<ExecFigure> {
  const base = { scenario: execScenario(), strategy: 'force-return', seed: 1, keepEvents: false };
  await runMachine({ ...base, durationNs: WARM_MS * 1e6, executor });
  const r = await runMachine({ ...base, durationNs: durationMs * 1e6, executor });
  const switches = sumSwitches(r);
  const steps = r.exec?.steps ?? 0;
  const fig: ExecFigure = {
    key, label, switches, steps, wallNs: r.wallNs, switchesPerWallSec: (switches / r.wallNs) * 1e9,
    stepsPerWallSec: r.exec ? (steps / r.wallNs) * 1e9 : null, findings: describeFindings(r),
  };
  progress(`  ${fmtRate(fig.switchesPerWallSec)} switch/s of wall time${fig.stepsPerWallSec ? `, ${fmtRate(fig.stepsPerWallSec)} steps/s` : ''} over ${(r.wallNs / 1e9).toFixed(2)} s`);
  return fig;
}

// ---------------------------------------------------------------------------------------------
// 3: raw spinlocks

function spinArena(): Arena {
  return Arena.create({ nr_cpus: 2, nr_tasks: 2, nr_mutexes: 1, prog_len: 8, ring_size: 16 });
}

interface SpinFigure {
  pairs: number;
  elapsedNs: number;
  perSec: number;
  /** contended only: each worker's share of the measured pairs */
  shares?: number[];
  /** contended only: lost updates of the plain counter (must be 0) */
  lostUpdates?: number;
}

/** The main thread alone, as CPU0, on rq0's lock. */
function spinUncontended(): SpinFigure {
  const a = spinArena();
  const locks = new Locks(a, 0);
  const lock = Locks.rq(0);
  const i32 = a.i32;
  const counter = a.m(0) + M.handoffs; // any word nothing else touches
  const BATCH = 4096;
  const loop = (ms: number): { pairs: number; ns: number } => {
    const t0 = process.hrtime.bigint();
    const until = t0 + BigInt(Math.round(ms * 1e6));
    let pairs = 0;
    let t = t0;
    do {
      for (let k = 0; k < BATCH; k++) {
        locks.lock(lock, 'bench:spin');
        i32[counter] = i32[counter] + 1;
        locks.unlock(lock);
      }
      pairs += BATCH;
      t = process.hrtime.bigint();
    } while (t < until);
    return { pairs, ns: Number(t - t0) };
  };
  loop(WARM_MS);
  const m = loop(MEASURE_MS);
  return { pairs: m.pairs, elapsedNs: m.ns, perSec: (m.pairs / m.ns) * 1e9 };
}

/** Two workers, CPU0 and CPU1, on rq0's lock. */
async function spinContended(nWorkers = 2): Promise<SpinFigure> {
  const a = spinArena();
  const lock = Locks.rq(0);
  const i32 = a.i32;
  const phase = a.hdrIndex('park'); // a header word nothing reads in this arena
  const counter = a.m(0) + M.handoffs;
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<SpinBenchResult>[] = [];
  for (let cpu = 0; cpu < nWorkers; cpu++) {
    const data: SpinBenchData = { sab: a.sab, cpu, lock, phase, counter };
    const w = new Worker(SPIN_WORKER, { workerData: data, execArgv: workerExecArgv(), name: `bench-spin${cpu}` });
    workers.push(w);
    let onReady!: () => void;
    ready.push(new Promise<void>((res) => { onReady = res; }));
    done.push(new Promise<SpinBenchResult>((res, rej) => {
      w.on('message', (m: { type: string; result?: SpinBenchResult }) => {
        if (m.type === 'ready') onReady();
        if (m.type === 'done' && m.result) res(m.result);
      });
      w.on('error', rej);
      w.on('exit', (code) => rej(new Error(`spin worker ${cpu} exited (code ${code}) before reporting`)));
    }));
  }
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const setPhase = (p: number): void => { Atomics.store(i32, phase, p); Atomics.notify(i32, phase); };
  try {
    // a worker that fails to boot rejects its `done` promise; do not wait on `ready` forever then
    await Promise.race([Promise.all(ready), Promise.all(done)]);
    setPhase(PHASE.WARM);
    await sleep(WARM_MS);
    setPhase(PHASE.MEASURE);
    await sleep(MEASURE_MS);
    setPhase(PHASE.STOP);
    const res = await Promise.all(done);
    const measured = res.map((r) => r.c3 - r.c2);
    const pairs = measured.reduce((s, x) => s + x, 0);
    const elapsedNs = res.reduce((s, r) => s + (r.t3 - r.t2), 0) / res.length;
    const total = res.reduce((s, r) => s + r.pairs, 0);
    return {
      pairs, elapsedNs, perSec: elapsedNs > 0 ? (pairs / elapsedNs) * 1e9 : 0,
      shares: measured.map((x) => (pairs > 0 ? x / pairs : 0)),
      lostUpdates: total - i32[counter],
    };
  } finally {
    setPhase(PHASE.STOP);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// 4: the host kernel

interface HostFigure {
  available: boolean;
  note: string;
  usecsPerOp: number | null;
  /** ns per context switch: one pipe round trip is two switches */
  switchNs: number | null;
  pinned: boolean;
}

function hostSwitch(): HostFigure {
  const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
  if (!has('perf')) return { available: false, note: 'perf: not available', usecsPerOp: null, switchNs: null, pinned: false };
  const pinned = has('taskset');
  const run = (loops: number): { usecs: number | null; note: string } => {
    const args = ['bench', 'sched', 'pipe', '-l', String(loops)];
    const p = pinned ? spawnSync('taskset', ['-c', '0', 'perf', ...args], { encoding: 'utf8', timeout: 30_000 })
      : spawnSync('perf', args, { encoding: 'utf8', timeout: 30_000 });
    const out = `${p.stdout ?? ''}\n${p.stderr ?? ''}`;
    const m = /([0-9.]+)\s+usecs\/op/.exec(out);
    if (p.status !== 0 || !m) {
      const why = p.error ? p.error.message : `exit ${p.status}${p.signal ? ` (${p.signal})` : ''}: ${out.trim().split('\n').slice(-2).join(' / ')}`;
      return { usecs: null, note: `perf bench sched pipe failed: ${why}` };
    }
    return { usecs: Number(m[1]), note: '' };
  };
  const warm = run(20_000);
  if (warm.usecs === null) return { available: false, note: warm.note, usecsPerOp: null, switchNs: null, pinned };
  const r = run(200_000);
  if (r.usecs === null) return { available: false, note: r.note, usecsPerOp: null, switchNs: null, pinned };
  return {
    available: true, note: pinned ? 'taskset -c 0 perf bench sched pipe -l 200000' : 'perf bench sched pipe -l 200000 (taskset missing: not pinned)',
    usecsPerOp: r.usecs, switchNs: (r.usecs * 1000) / 2, pinned,
  };
}

// ---------------------------------------------------------------------------------------------
// formatting

function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

function fmtNs(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

function fmtRatio(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}×`;
}

const round = (x: number | null, digits = 0): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const per = (perSec: number): number | null => (perSec > 0 ? 1e9 / perSec : null);
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wall0 = Date.now();
  progress(`measuring ${MEASURE_MS} ms per figure after a ${WARM_MS} ms warm-up (BENCH_MS / BENCH_WARM_MS)`);

  const plan: { key: string; label: string; scen: Scenario; strategy: string; counter: Counter }[] = [];
  for (const tasks of [2, 4]) {
    for (const strategy of ['none', 'force-return']) {
      plan.push({ key: `switch_${tasks}t_${strategy}`, label: `switches, 1 CPU, ${tasks} tasks yield`, scen: yieldScenario(tasks), strategy, counter: 'switches' });
    }
  }
  for (const contended of [false, true]) {
    for (const strategy of ['none', 'force-return']) {
      plan.push({
        key: `mutex_${contended ? 'contended' : 'uncontended'}_${strategy}`,
        label: contended ? 'mutex pairs, 2 CPUs, 2 tasks' : 'mutex pairs, 1 CPU, 1 task',
        scen: mutexScenario(contended), strategy, counter: 'acquisitions',
      });
    }
  }
  const execPlan: { key: string; label: string; executor: ExecutorSpec | undefined; ms: number }[] = [
    { key: 'exec_free', label: 'free (the CPUs race)', executor: undefined, ms: MEASURE_MS },
    { key: 'exec_record', label: 'free --record (serialised, FIFO turns)', executor: { kind: 'free', record: true }, ms: MEASURE_MS },
    { key: 'exec_random', label: 'controlled, random', executor: { kind: 'random' }, ms: 100 },
    { key: 'exec_pct', label: 'controlled, pct d=3', executor: { kind: 'pct', depth: 3 }, ms: 100 },
  ];
  const steps = plan.length + 3 + execPlan.length;
  let step = 0;
  const figs: MachineFigure[] = [];
  for (const p of plan) {
    progress(`${++step}/${steps} machine: ${p.label}, strategy ${p.strategy}`);
    figs.push(await machineFigure(p.key, p.label, p.scen, p.strategy, p.counter));
  }
  const fig = (key: string): MachineFigure => figs.find((f) => f.key === key)!;
  const execFigs: ExecFigure[] = [];
  for (const p of execPlan) {
    progress(`${++step}/${steps} executor: ${p.label} (2 CPUs, 4 tasks lock/yield, force-return)`);
    execFigs.push(await execFigure(p.key, p.label, p.executor, p.ms));
  }
  const efig = (key: string): ExecFigure => execFigs.find((f) => f.key === key)!;

  progress(`${++step}/${steps} raw spinlock, uncontended, main thread`);
  const spinU = spinUncontended();
  progress(`  ${fmtRate(spinU.perSec)}/s`);
  progress(`${++step}/${steps} raw spinlock, contended, 2 workers`);
  const spinC = await spinContended(2);
  progress(`  ${fmtRate(spinC.perSec)}/s, shares ${spinC.shares!.map((s) => (s * 100).toFixed(0) + '%').join('/')}, lost updates ${spinC.lostUpdates}`);

  progress(`${++step}/${steps} host kernel: perf bench sched pipe`);
  const host = hostSwitch();
  progress(`  ${host.available ? `${host.usecsPerOp} usecs/op` : host.note}`);

  // ---- derived ----
  const simSwitchNs = per(fig('switch_2t_none').perSec);
  const ratioSimHost = ratio(simSwitchNs, host.switchNs);
  const ratioMutexSpinU = ratio(per(fig('mutex_uncontended_none').perSec), per(spinU.perSec));
  const ratioMutexSpinC = ratio(per(fig('mutex_contended_none').perSec), per(spinC.perSec));

  // ---- table ----
  const out: string[] = [];
  out.push(`proxysim bench — node ${process.version}, ${MEASURE_MS} ms per figure (+${WARM_MS} ms warm-up), ${new Date().toISOString()}`);
  out.push('');
  const rows: string[][] = [['measurement', 'strategy', 'count', 'rate', 'cost each', 'steady rate', 'vs host switch']];
  for (const f of figs) {
    const unit = f.counter === 'switches' ? 'switch/s' : 'pair/s';
    rows.push([
      f.label, f.strategy, String(f.count), `${fmtRate(f.perSec)} ${unit}`, fmtNs(per(f.perSec)),
      f.steadyPerSec === null ? 'n/a' : `${fmtRate(f.steadyPerSec)} ${unit}`,
      f.counter === 'switches' ? fmtRatio(ratio(per(f.perSec), host.switchNs)) : '',
    ]);
  }
  rows.push(['raw spinlock pairs, main thread', '-', String(spinU.pairs), `${fmtRate(spinU.perSec)} pair/s`, fmtNs(per(spinU.perSec)), '', '']);
  rows.push(['raw spinlock pairs, 2 workers', '-', String(spinC.pairs), `${fmtRate(spinC.perSec)} pair/s`, fmtNs(per(spinC.perSec)), '', '']);
  rows.push(['host kernel switch (perf pipe)', '-', host.available ? '200000 ops' : '-',
    host.switchNs === null ? 'n/a' : `${fmtRate(1e9 / host.switchNs)} switch/s`, fmtNs(host.switchNs), '', host.available ? '1.0×' : '']);
  out.push(textTable(rows[0], rows.slice(1), { rule: true }));
  out.push('');
  out.push('  rate = counter / RunSnapshot.elapsedNs of the whole run (includes the JIT ramp-up and the shutdown);');
  out.push('  steady = same counter from the event ring, over the last part of the same run (JIT warm).');
  out.push('  Mutex runs also switched: ' + figs.filter((f) => f.counter === 'acquisitions')
    .map((f) => `${f.key.replace('mutex_', '')} ${f.switches}`).join(', ') + ' times.');
  out.push('');
  out.push('executors (2 CPUs, 4 tasks taking a mutex and yielding; rates per second of host WALL time)');
  out.push(textTable(['executor', 'switches', 'steps', 'wall s', 'switch/s', 'steps/s', 'vs free'],
    execFigs.map((f) => [f.label, String(f.switches), f.steps ? String(f.steps) : '-', (f.wallNs / 1e9).toFixed(2),
      fmtRate(f.switchesPerWallSec), f.stepsPerWallSec === null ? '-' : fmtRate(f.stepsPerWallSec),
      fmtRatio(ratio(efig('exec_free').switchesPerWallSec, f.switchesPerWallSec))])));
  out.push('  vs free = how many times slower than the free run, per simulated switch (the cost of --record and of control).');
  out.push('');
  out.push('ratios');
  out.push(`  simulated switch / host kernel switch  ${fmtRatio(ratioSimHost)}   (${fmtNs(simSwitchNs)} vs ${host.available ? fmtNs(host.switchNs) : host.note})`);
  out.push(`  model mutex pair / raw spinlock pair   uncontended ${fmtRatio(ratioMutexSpinU)} (${fmtNs(per(fig('mutex_uncontended_none').perSec))} vs ${fmtNs(per(spinU.perSec))}),` +
    ` contended ${fmtRatio(ratioMutexSpinC)} (${fmtNs(per(fig('mutex_contended_none').perSec))} vs ${fmtNs(per(spinC.perSec))})`);
  out.push(`  contended spinlock shares ${spinC.shares!.map((s) => (s * 100).toFixed(1) + '%').join(' / ')}, lost updates ${spinC.lostUpdates}`);
  if (!host.available) out.push(`  ${host.note}`);
  const allFindings = [...figs, ...execFigs].flatMap((f) => f.findings.map((x) => `${f.key}: ${x}`));
  if (allFindings.length) {
    out.push('');
    out.push(`FINDINGS during the bench runs (figures of those runs are suspect):`);
    for (const x of allFindings) out.push(`  ${x}`);
  }
  if (spinC.lostUpdates !== 0) out.push(`WARNING: the contended spinlock lost ${spinC.lostUpdates} counter updates: it did not exclude`);
  out.push('');

  const json: Record<string, unknown> = {
    bench: 'proxysim',
    node: process.version,
    measure_ms: MEASURE_MS,
    warm_ms: WARM_MS,
    sim_switches_per_s: round(fig('switch_2t_none').perSec),
    sim_switch_ns: round(simSwitchNs, 1),
  };
  for (const f of figs) {
    json[`${f.key.replace(/-/g, '_')}_per_s`] = round(f.perSec);
    json[`${f.key.replace(/-/g, '_')}_steady_per_s`] = round(f.steadyPerSec);
  }
  Object.assign(json, {
    mutex_pairs_per_s_uncontended: round(fig('mutex_uncontended_none').perSec),
    mutex_pairs_per_s_contended: round(fig('mutex_contended_none').perSec),
    spin_pairs_per_s_uncontended: round(spinU.perSec),
    spin_pairs_per_s_contended: round(spinC.perSec),
    spin_contended_shares: spinC.shares!.map((s) => round(s, 3)),
    spin_contended_lost_updates: spinC.lostUpdates,
    host_perf: host.available ? 'ok' : host.note,
    host_usecs_per_op: host.usecsPerOp,
    host_switch_ns: round(host.switchNs, 1),
    host_pinned: host.pinned,
    ratio_sim_switch_vs_host_switch: round(ratioSimHost, 2),
    ratio_mutex_vs_spin_uncontended: round(ratioMutexSpinU, 2),
    ratio_mutex_vs_spin_contended: round(ratioMutexSpinC, 2),
    ...Object.fromEntries(execFigs.flatMap((f) => [[`${f.key}_switches_per_wall_s`, round(f.switchesPerWallSec)], [`${f.key}_steps_per_wall_s`, round(f.stepsPerWallSec)]])),
    ratio_record_cost: round(ratio(efig('exec_free').switchesPerWallSec, efig('exec_record').switchesPerWallSec), 2),
    ratio_random_cost: round(ratio(efig('exec_free').switchesPerWallSec, efig('exec_random').switchesPerWallSec), 2),
    findings: allFindings.length,
    wall_s: round((Date.now() - wall0) / 1000, 1),
  });
  out.push(JSON.stringify(json));
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
