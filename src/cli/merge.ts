/**
 * `proxysim merge <dir>...`: combines the results.json of several stress runs (typically the shards
 * of `stress --shard k/N`) into one (stress/merge.ts), then writes the same files as a stress run
 * (results.json, .hgrm, .hlog, report.html). A missing or invalid input is a ResultsError (exit 65);
 * an --out that cannot be written a WriteError (exit 73). An --out holding a previous campaign has
 * that campaign's histogram files replaced (stress/campaign.ts).
 */
import type { MergeOptions } from './args.ts';
import { checkOutDir, newReportDir, writeCampaign } from '../../stress/campaign.ts';
import { loadResults, mergeResults } from '../../stress/merge.ts';
import { exitCodeOfCampaign } from '../../stress/verdict.ts';
import { printEnd } from './campaign-output.ts';

export async function cmdMerge(o: MergeOptions): Promise<number> {
  const inputs = o.inputs.map(loadResults);
  const { result, warnings } = mergeResults(inputs);
  checkOutDir(o.out); // a WriteError (exit 73) before anything is written; /proc and /sys refused
  const dir = o.out ?? newReportDir('reports', '-merged');
  const shards = inputs.map(({ result: r }) => (r.params.shard ? r.params.shard.join('/') : 'whole')).join(', ');
  process.stdout.write(`proxysim merge: ${inputs.length} inputs (${shards}), ${result.cases.length} cases -> ${dir}\n`);
  for (const w of warnings) process.stderr.write(w + '\n');
  printEnd({ result, ...(await writeCampaign(dir, result)) });
  return exitCodeOfCampaign({ ...result, interrupted: false });
}
