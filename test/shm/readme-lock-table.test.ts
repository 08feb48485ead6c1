import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layoutTable } from '../../src/shm/dump.ts';
import { README, readmeLockTable, withLockTable } from '../helpers/readme-lock-table.ts';

describe('README lock table', () => {
  it('is the one layoutTable() renders from src/shm/layout.ts', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readmeLockTable(readme), 'README.md lock table is stale: run `npm run readme:locks`').toBe(layoutTable());
  });

  it('the rewrite replaces only the marked section and is idempotent', () => {
    const doc = 'intro\n<!-- lock-table:begin -->\nold\n<!-- lock-table:end -->\ntail\n';
    const once = withLockTable(doc, '| t |');
    expect(once).toBe('intro\n<!-- lock-table:begin -->\n\n| t |\n\n<!-- lock-table:end -->\ntail\n');
    expect(withLockTable(once, '| t |')).toBe(once);
    expect(readmeLockTable(once)).toBe('| t |');
  });

  it('refuses a README without both markers', () => {
    expect(() => readmeLockTable('no markers here')).toThrow(/lock-table:begin/);
  });
});
