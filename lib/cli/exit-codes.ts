/**
 * What `zapjobs` exits with, so that scripts can tell a refused operation from a typo and from a
 * database that is down. Documented in the README ("Command line").
 */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** The operation failed: the run does not exist, its status forbids it, the schema is not migrated... */
  Failed: 1,
  /** The command line is wrong: an unknown flag, a bad value, no database or two. Nothing was done. */
  Usage: 2,
  /** The database could not be reached or opened. */
  CannotConnect: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the command line reports on stderr, exiting with its code. */
export class CliError extends Error {
  constructor(readonly exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A flag that is wrong or missing: exit 2. */
export const usageError = (message: string): CliError => new CliError(ExitCode.Usage, message);
