/**
 * The built-in scenarios, by name. Each one is a function of the CPU count (--cpus); `list` shows
 * their summaries. To add one: a file in this folder exporting a defineBuiltin(...) and a line below.
 */
import { affinityDonors } from './affinity-donors.ts';
import { chain3cpu } from './chain-3cpu.ts';
import type { BuiltinInfo } from './common.ts';
import { piBasic } from './pi-basic.ts';
import { seedSignal, seedSignalS2, seedSignalS3, seedSignalS4 } from './seed-signal.ts';

export { BUILTIN_FILE_PREFIX, type BuiltinInfo } from './common.ts';

export const BUILTINS: BuiltinInfo[] = [
  piBasic,
  seedSignal,
  seedSignalS2,
  seedSignalS3,
  seedSignalS4,
  chain3cpu,
  affinityDonors,
];

/** A built-in by name (or alias), else undefined. */
export function findBuiltin(name: string): BuiltinInfo | undefined {
  return BUILTINS.find((b) => b.name === name || (b.aliases?.includes(name) ?? false));
}
