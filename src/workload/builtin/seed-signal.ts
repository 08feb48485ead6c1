/**
 * seed-signal — spec §7 T1 and §3.11: a signal to a donor that proxy-migrated to its mutex owner.
 *
 * Two CPUs. Each episode (10 of them, 190ms apart, the first at 10ms) has its own three tasks
 * (k = 1..10), started at absolute times so that every episode keeps the intended order whatever the
 * design under test did in the previous one:
 *
 *   t0      Bk  (fair, pinned to CPU1) takes m0 (it is free) and runs with it
 *   t0+3ms  Ak  (fifo 50, pinned to CPU0) mutex_lock_interruptible(m0): blocks, and with proxy
 *               execution migrates to CPU1 as Bk's donor (Bk then runs on Ak's behalf)
 *   t0+8ms  sigk (fifo 90, pinned to CPU0) send_signal(Ak). CPU0 is idle once Ak has left, so the
 *               signal goes out on time in every variant, even when CPU1 is saturated (S4).
 *   ...     Ak returns -EINTR (its critical section is skipped) or acquires m0 (runs 1ms, unlocks).
 *
 * Variants (what Bk does with m0):
 *   S1 seed-signal      Bk runs 15ms, then sleeps 20ms still holding m0, then unlocks. Odd episodes
 *                       signal before Bk sleeps (the seed timeline, 3a); even episodes signal at
 *                       t0+25ms, after Bk went to sleep and Ak was deactivated (the ordering that
 *                       trips BUG11 under the literal sketch, design c).
 *   S2 seed-signal-s2   Bk unlocks after running 15ms (Δ); the signal is 7ms before that. Design (a)
 *                       may return 0: the trylock after the force return precedes the signal check.
 *   S3 seed-signal-s3   B1 takes m0 at 10ms and runs holding it for the whole run; a fresh Ak/sigk
 *                       pair arrives every 190ms. Under (a) every Ak keeps donating: L2 grows.
 *   S4 seed-signal-s4   As S2, plus hogk (fifo 70 > Ak's 50, pinned to CPU1) running 60ms from t0+5ms:
 *                       CPU1 is saturated while Bk holds m0, so neither Ak (queued there as a donor)
 *                       nor Bk runs until the hog is done.
 * Expected (spec T1): (a) -EINTR only after Bk sleeps/unlocks, L2 large in S3/S4, never I6;
 * (c-fixed) -EINTR promptly.
 * With more than 2 CPUs the extra CPUs stay idle.
 */
import type { TaskSpec } from '../scenario.ts';
import type { BuiltinBody, BuiltinInfo } from './common.ts';
import { at, defineBuiltin, episodes, forever, lock, lockInterruptible, ms, run, signal, sleep } from './common.ts';

export type SeedVariant = 'S1' | 'S2' | 'S3' | 'S4';

export const SEED_EPISODES = 10;
export const SEED_FIRST_MS = 10;
export const SEED_PERIOD_MS = 190;

const SUMMARIES: Record<SeedVariant, string> = {
  S1: 'T1/S1 seed signal: donor A (CPU0) migrated to owner B (CPU1) gets a signal; B then sleeps holding m0',
  S2: 'T1/S2 seed signal: as S1, but B unlocks m0 7ms after the signal',
  S3: 'T1/S3 seed signal: B holds m0 and runs for the whole run; a new A is signalled every 190ms',
  S4: 'T1/S4 seed signal: as S2, with CPU1 saturated by a fifo 70 hog while B holds m0',
};

function build(variant: SeedVariant): BuiltinBody {
  const tasks = episodes(SEED_EPISODES, SEED_FIRST_MS, SEED_PERIOD_MS, (k, t0, n): TaskSpec[] => {
    const out: TaskSpec[] = [];
    if (variant !== 'S3' || k === 0) {
      const critical = variant === 'S1' ? [run(ms(15)), sleep(ms(20))]
        : variant === 'S3' ? [forever([run(ms(10))])]
          : [run(ms(15))];
      out.push({
        name: `B${n}`, policy: 'fair', affinity: [1], cpu: 1, start: at(t0),
        program: [lock('m0', critical)],
      });
    }
    out.push({
      name: `A${n}`, policy: 'fifo', prio: 50, affinity: [0], cpu: 0, start: at(t0 + 3),
      program: [lockInterruptible('m0', [run(ms(1))])],
    });
    if (variant === 'S4') {
      out.push({
        name: `hog${n}`, policy: 'fifo', prio: 70, affinity: [1], cpu: 1, start: at(t0 + 5),
        program: [run(ms(60))],
      });
    }
    const signalAt = variant === 'S1' && k % 2 === 1 ? t0 + 25 : t0 + 8;
    out.push({
      name: `sig${n}`, policy: 'fifo', prio: 90, affinity: [0], cpu: 0, start: at(signalAt),
      program: [signal(`A${n}`)],
    });
    return out;
  });
  return {
    description: `${SUMMARIES[variant]}. ${SEED_EPISODES} episodes, ${SEED_PERIOD_MS}ms apart `
      + '(see src/workload/builtin/seed-signal.ts for the timeline).',
    duration: '2s',
    mutexes: ['m0'],
    tasks,
  };
}

function variantBuiltin(variant: SeedVariant): BuiltinInfo {
  return defineBuiltin({
    name: variant === 'S1' ? 'seed-signal' : `seed-signal-${variant.toLowerCase()}`,
    aliases: variant === 'S1' ? ['seed-signal-s1'] : undefined,
    summary: SUMMARIES[variant],
    cpus: { min: 2, default: 2 },
    build: () => build(variant),
  });
}

export const seedSignal = variantBuiltin('S1');
export const seedSignalS2 = variantBuiltin('S2');
export const seedSignalS3 = variantBuiltin('S3');
export const seedSignalS4 = variantBuiltin('S4');
