import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_WINDOWS } from '../../src/sync/windows.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('gate windows', () => {
  it('the published list is exactly the windows named in the source', () => {
    const found = new Set<string>();
    // window names are the string literals shaped '<function>:<place>' (plus one bare function name)
    const re = /'([a-z_]+:[A-Za-z0-9_]+|proxy_reacquire_rq_lock)'/g;
    for (const f of files('src')) {
      if (f.endsWith('windows.ts')) continue;
      // (imports such as 'node:fs' are not windows)
      for (const m of readFileSync(f, 'utf8').matchAll(re)) if (!m[1].startsWith('node:')) found.add(m[1]);
    }
    expect([...found].sort()).toEqual([...GATE_WINDOWS].sort());
  });
});
