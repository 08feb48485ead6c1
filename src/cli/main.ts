/**
 * proxysim command line. Exit codes: 0 clean, 1 a check failed, 2 bad flags, 65 bad scenario,
 * 70 infrastructure failure, 73 an output file cannot be written, 130 interrupted (143 on SIGTERM).
 */
import { parseArgs, usage, type Command, type ArgsContext } from './args.ts';
import { EXIT, exitCodeOf, CliError } from '../errors.ts';
import { DESIGNS, knownBugs } from '../proxy/index.ts';
import { bugName } from '../proxy/bugs.ts';
import { cmdRun } from './run.ts';
import { cmdList } from './list.ts';
import { cmdHunt } from './hunt.ts';
import { cmdStress } from './stress.ts';
import { cmdCompare } from './compare.ts';
import { cmdMerge } from './merge.ts';
import { cmdReplay } from './replay.ts';
import { cmdShrink } from './shrink.ts';
import { GATE_WINDOWS } from '../sync/windows.ts';

export const ctx: ArgsContext = {
  allowedStrategies: DESIGNS.map((d) => d.name),
  allowedBugs: knownBugs().map((b) => bugName(b.n)),
  allowedChaosWindows: GATE_WINDOWS,
};

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    // no arguments: the main job for a new user, the comparison of every design
    process.stderr.write(`proxysim: no command given: running "compare" (every design on a few scenarios, about a minute); `
      + `'npm start -- help' lists the commands\n`);
    argv = ['compare'];
  }
  let cmd: Command;
  try {
    cmd = parseArgs(argv, ctx);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`proxysim: ${e.message}\n`);
      if (exitCodeOf(e) === EXIT.USAGE) process.stderr.write(`Try 'npm start -- ${argv[0] && !argv[0].startsWith('-') ? `${argv[0]} ` : ''}--help'.\n`);
      return exitCodeOf(e);
    }
    throw e;
  }
  if (cmd.command === 'help') {
    process.stdout.write(usage(cmd.topic, ctx) + '\n');
    return cmd.implicit ? EXIT.USAGE : EXIT.OK;
  }
  return (COMMAND_RUNNERS[cmd.command] as (o: unknown) => number | Promise<number>)(cmd.options);
}

type Options<K> = Extract<Command, { command: K; options: unknown }>['options'];

/** What each command runs, given its parsed options. */
const COMMAND_RUNNERS: { [K in Exclude<Command['command'], 'help'>]: (o: Options<K>) => number | Promise<number> } = {
  list: cmdList, run: cmdRun, hunt: cmdHunt, stress: cmdStress, compare: cmdCompare, merge: cmdMerge,
  replay: cmdReplay, shrink: cmdShrink,
};

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`proxysim: ${e.message}\n`);
      process.exitCode = exitCodeOf(e);
      return;
    }
    process.stderr.write(`proxysim: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = EXIT.INFRA;
  },
);
