/**
 * The built-in scenarios, by name. Each one is a function of the CPU count (--cpus); `list` shows
 * their summaries. To add one: a file in this folder exporting a defineBuiltin(...) and a line below.
 */
import { affinityDonors } from './affinity-donors.ts';
import { affinityLocal } from './affinity-local.ts';
import { chain3cpu } from './chain-3cpu.ts';
import type { BuiltinInfo } from './common.ts';
import { football } from './football.ts';
import { fuzz, fuzzSeeded, parseFuzzName } from './fuzz.ts';
import { handoffStorm } from './handoff-storm.ts';
import { piBasic } from './pi-basic.ts';
import { seedSignal, seedSignalS2, seedSignalS3, seedSignalS4 } from './seed-signal.ts';
import { sleepingOwners } from './sleeping-owners.ts';
import { tinyHandoff } from './tiny-handoff.ts';
import { wakeCurrent } from './wake-current.ts';
import { wakeqRace } from './wakeq-race.ts';

export { BUILTIN_FILE_PREFIX } from './common.ts';

export const BUILTINS: BuiltinInfo[] = [
  piBasic,
  seedSignal,
  seedSignalS2,
  seedSignalS3,
  seedSignalS4,
  chain3cpu,
  affinityDonors,
  football,
  handoffStorm,
  sleepingOwners,
  wakeCurrent,
  affinityLocal,
  wakeqRace,
  tinyHandoff,
  fuzz,
];

/** A built-in by name (or alias), else undefined. `fuzz-<n>` (n a decimal uint32) is the fuzz
 *  scenario of seed n, made on demand (it is not in BUILTINS). */
export function findBuiltin(name: string): BuiltinInfo | undefined {
  const found = BUILTINS.find((b) => b.name === name || (b.aliases?.includes(name) ?? false));
  if (found !== undefined) return found;
  const seed = parseFuzzName(name);
  return seed === undefined ? undefined : fuzzSeeded(seed);
}
