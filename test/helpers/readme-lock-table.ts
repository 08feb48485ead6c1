/**
 * README.md's "which lock protects which field" table is generated from the field tables
 * (src/shm/layout.ts, rendered by layoutTable()). It sits between two markers; nothing else in the
 * README is touched.
 *
 *   tsx test/helpers/readme-lock-table.ts          exit 1 if the README table is stale
 *   tsx test/helpers/readme-lock-table.ts --write  rewrite the table (npm run readme:locks)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { layoutTable } from '../../src/shm/dump.ts';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));
export const BEGIN = '<!-- lock-table:begin -->';
export const END = '<!-- lock-table:end -->';

/** Offsets of the text between the markers; throws unless each marker occurs once, in order. */
function section(readme: string): { from: number; to: number } {
  const b = readme.indexOf(BEGIN);
  const e = readme.indexOf(END);
  if (b < 0 || e < 0 || e < b || readme.indexOf(BEGIN, b + 1) >= 0 || readme.indexOf(END, e + 1) >= 0) {
    throw new Error(`README.md must hold ${BEGIN} and ${END} once each, in that order`);
  }
  return { from: b + BEGIN.length, to: e };
}

/** The table currently in the README (between the markers, surrounding blank lines dropped). */
export function readmeLockTable(readme: string): string {
  const { from, to } = section(readme);
  return readme.slice(from, to).trim();
}

/** The README with the section between the markers replaced by `table`. */
export function withLockTable(readme: string, table: string = layoutTable()): string {
  const { from, to } = section(readme);
  return `${readme.slice(0, from)}\n\n${table}\n\n${readme.slice(to)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = readFileSync(README, 'utf8');
  if (process.argv.includes('--write')) {
    const next = withLockTable(readme);
    if (next !== readme) writeFileSync(README, next);
    console.log(next === readme ? 'README.md lock table is up to date' : 'README.md lock table rewritten from layoutTable()');
  } else if (readmeLockTable(readme) !== layoutTable()) {
    console.error('README.md lock table differs from layoutTable(): run `npm run readme:locks`');
    process.exitCode = 1;
  }
}
