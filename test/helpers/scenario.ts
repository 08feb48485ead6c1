/** Reading scenarios in tests: start times, tasks by name, every op of a program (nested ones too). */
import { parseDuration } from '../../src/workload/duration.ts';
import type { Op, Scenario, TaskSpec } from '../../src/workload/scenario.ts';

export const startMs = (t: TaskSpec): number => parseDuration(t.start ?? '0ms') / 1e6;

export function task(s: Scenario, name: string): TaskSpec {
  const t = s.tasks.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no task ${name}`);
  return t;
}

export const ops = (list: Op[]): Op[] => list.flatMap((o) => [
  o, ...('critical' in o && o.critical ? ops(o.critical) : []), ...(o.op === 'repeat' ? ops(o.body) : []),
]);
