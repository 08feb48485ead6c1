/**
 * One simulated CPU: attach the arena, verify the layout hash, run the CPU loop, report.
 * Nothing else lives here; the messages are workers/protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Arena } from '../src/shm/arena.ts';
import { Cpu, Violation } from '../src/sched/cpu.ts';
import { CpuLoop } from '../src/exec/cpu-loop.ts';
import { warmUp } from '../src/exec/warmup.ts';
import { MetricsRecorder, initWasm } from '../src/trace/metrics.ts';
import { designByName } from '../src/proxy/index.ts';
import { Chaos, setGateHook } from '../src/sync/gate.ts';
import { ExecArea } from '../src/exec/area.ts';
import { ControlledCpu } from '../src/exec/controlled.ts';
import { FreeRecorder } from '../src/exec/record.ts';
import { MachineAbort } from '../src/sync/spinlock.ts';
import { LockdepError } from '../src/sync/lockdep.ts';
import { R } from '../src/shm/layout.ts';
import type { ChaosCounts, CpuMessage, CpuWorkerData } from './protocol.ts';

const d = workerData as CpuWorkerData;
const port = parentPort!;
let exec: ControlledCpu | FreeRecorder | null = null;
/** every report says at which step it was made (when an executor counts steps) */
const post = (m: CpuMessage): void => {
  if (exec && m.type !== 'ready' && m.type !== 'done') m = { ...m, where: exec.where() };
  port.postMessage(m);
};

let c: Cpu | null = null;
let chaos: Chaos | null = null;
const chaosCounts = (): ChaosCounts | null => (chaos ? { fired: [...chaos.fired], passed: [...chaos.passed] } : null);
try {
  const a = Arena.attach(d.sab);
  const design = designByName(d.design);
  if (!design) throw new Error(`unknown design ${d.design}`);
  c = new Cpu(a, d.cpu, design, a.hdr('bugs'), post);
  c.names = d.names;
  const loop = new CpuLoop(c);
  warmUp(d.design, 40);
  await initWasm();
  // hooks go in after the warm-up (which runs on a private arena)
  if (d.chaos && d.exec?.mode !== 'controlled') {
    chaos = new Chaos((a.hdr('seed') ^ Math.imul(d.cpu + 7, 0x85ebca6b)) >>> 0, d.chaos.p, d.chaos.maxNs, d.chaos.windows);
    setGateHook(chaos.hook);
  }
  if (d.exec) {
    const x = new ExecArea(d.exec.sab);
    exec = d.exec.mode === 'controlled' ? new ControlledCpu(x, a, d.cpu) : new FreeRecorder(x, a, d.cpu, chaos?.hook ?? null);
    exec.install();
    loop.exec = exec;
  }
  c.metrics = new MetricsRecorder(true);
  post({ type: 'ready', cpu: d.cpu });
  // wait for the host's start signal
  const running = a.hdrIndex('running');
  Atomics.add(a.i32, running, 1);
  while (Atomics.load(a.i32, a.hdrIndex('park')) === 2) Atomics.wait(a.i32, a.hdrIndex('park'), 2, 50);
  try { loop.run(); } finally { Atomics.sub(a.i32, running, 1); }
  post({ type: 'done', cpu: d.cpu, aborted: false, chaos: chaosCounts(), hist: c.metrics.encode() });
} catch (e) {
  const err = e as Error;
  // a controlled run: the others wait for a baton this CPU will never pass on
  if (exec instanceof ControlledCpu) { if (c) Atomics.compareExchange(c.i32, c.a.hdrIndex('abort'), 0, d.cpu + 1); exec.baton.wakeAll(); }
  if (e instanceof LockdepError && c) {
    // a lockdep report is a failed check (I14), not an infrastructure failure
    try { c.violation('I14', e.message, [c.rg(d.cpu, R.cur_task)].filter((t) => t >= 0)); } catch { /* Violation */ }
    post({ type: 'done', cpu: d.cpu, aborted: true, chaos: null, hist: {} });
  } else if (e instanceof MachineAbort || e instanceof Violation) {
    post({ type: 'done', cpu: d.cpu, aborted: true, chaos: chaosCounts(), hist: c?.metrics?.encode() ?? {} });
  } else {
    post({
      type: 'crash', cpu: d.cpu, msg: err?.message ?? String(e), stack: err?.stack ?? '',
      lockdep: e instanceof LockdepError ? { kind: e.kind, held: e.held, other: e.otherHeld } : null,
      held: c ? [...c.locks.held] : [], task: c ? c.rg(d.cpu, R.cur_task) : -1,
    });
    if (c) Atomics.compareExchange(c.i32, c.a.hdrIndex('abort'), 0, d.cpu + 1);
  }
}
