/** `proxysim list`: built-in scenarios, strategies (designs) and plantable bugs. */
import { BUILTINS } from '../workload/builtin/index.ts';
import { DESIGNS, designsOfBug, knownBugs } from '../proxy/index.ts';
import { bugName } from '../proxy/bugs.ts';
import { EXIT } from '../errors.ts';
import type { ListOptions } from './args.ts';

export function cmdList(o: ListOptions): number {
  const data = {
    scenarios: BUILTINS.map((b) => ({ name: b.name, summary: b.summary })),
    strategies: DESIGNS.map((d) => ({ name: d.name, status: d.status, summary: d.summary, proxy: d.proxy, bugs: d.bugs.map((b) => bugName(b.bug.n)) })),
    bugs: knownBugs().map((b) => ({ name: bugName(b.n), designs: designsOfBug(b.n), caught_by: b.caughtBy, summary: b.summary })),
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return EXIT.OK;
  }
  const w = (xs: string[]): number => Math.max(...xs.map((x) => x.length));
  const sw = w(data.scenarios.map((s) => s.name));
  const dw = w(data.strategies.map((s) => s.name));
  const out: string[] = ['Scenarios (--scenario <name>, or a JSON file):'];
  for (const s of data.scenarios) out.push(`  ${s.name.padEnd(sw)}  ${s.summary}`);
  out.push('', 'Strategies (--strategy <name>):');
  for (const s of data.strategies) out.push(`  ${s.name.padEnd(dw)}  ${`[${s.status}]`.padEnd(14)} ${s.summary}`);
  out.push('', 'Known bugs (--bug BUGn, repeatable):');
  for (const b of data.bugs) out.push(`  ${b.name.padEnd(6)} [${b.designs.join(', ')}; caught by ${b.caught_by}]  ${b.summary}`);
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.OK;
}
