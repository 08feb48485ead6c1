/**
 * The errors proxysim reports without a stack trace, each with its exit code:
 *   UsageError     bad flags or command line          -> EXIT.USAGE (2)
 *   ScenarioError  a scenario file or name is unusable -> EXIT.BAD_SCENARIO (65, sysexits EX_DATAERR)
 *   ResultsError   a campaign result file is unusable  -> EXIT.BAD_SCENARIO (65, the same EX_DATAERR)
 *   InfraError     the simulator itself failed        -> EXIT.INFRA (70, sysexits EX_SOFTWARE)
 *   WriteError     an output file or folder cannot be created or written -> EXIT.CANT_CREATE (73, EX_CANTCREAT)
 * Violations found by the checkers are not errors: the run ends with EXIT.CHECK_FAILED (1).
 *
 * Messages say what was wrong, where, and what is allowed, on one line each.
 */

export const EXIT = {
  OK: 0,
  /** An invariant checker reported a violation (or a run-level check failed). */
  CHECK_FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** Bad scenario (EX_DATAERR). */
  BAD_SCENARIO: 65,
  /** Internal/infrastructure failure, e.g. a crashed worker (EX_SOFTWARE). */
  INFRA: 70,
  /** An output file or folder cannot be created or written (EX_CANTCREAT). */
  CANT_CREATE: 73,
  /** Interrupted by SIGINT (128 + 2). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Base class of the errors the CLI turns into a message and an exit code. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
}

/** Bad flags: one line saying what was wrong and what is allowed. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.USAGE;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One problem found in a scenario. `path` is a JSON path such as `tasks[2].program[4].mutex`
 *  ('' = the document as a whole). `line`/`column` (1-based) are set for JSON syntax errors and duplicate keys. */
export interface ScenarioProblem {
  file: string;
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** `<file>: <path>: <message>`; `<file>:<line>:<column>: <message>` for syntax errors;
 *  `<file>: <message>` when the problem concerns the whole document. */
export function formatProblem(p: ScenarioProblem): string {
  if (p.line !== undefined) {
    const at = `${p.file}:${p.line}:${p.column ?? 1}`;
    return p.path ? `${at}: ${p.path}: ${p.message}` : `${at}: ${p.message}`;
  }
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Everything wrong with a scenario, collected before throwing (never just the first problem). */
export class ScenarioError extends CliError {
  readonly exitCode = EXIT.BAD_SCENARIO;
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[]) {
    if (problems.length === 0) throw new Error('ScenarioError needs at least one problem');
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
    this.problems = problems;
  }
  /** The problems, one per line (same as `message`). */
  format(): string {
    return this.message;
  }
}

/** A campaign result (results.json) that cannot be used: every problem found, one per line. */
export class ResultsError extends CliError {
  readonly exitCode = EXIT.BAD_SCENARIO;
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ResultsError';
    this.problems = problems;
  }
}

/** The simulator failed (a worker crashed, the arena was inconsistent, a timeout...). */
export class InfraError extends CliError {
  readonly exitCode = EXIT.INFRA;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfraError';
  }
}

/** An output (a trace, a dump, an artifact, a result folder) cannot be created or written: one line
 *  `<what>: cannot write <path>: <why>`. `path` is the file or folder concerned. */
export class WriteError extends CliError {
  readonly exitCode = EXIT.CANT_CREATE;
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteError';
    this.path = path;
  }
}

/** Exit code for anything thrown: a CliError's own code, else EXIT.INFRA (an unexpected bug). */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof CliError ? err.exitCode : EXIT.INFRA;
}
