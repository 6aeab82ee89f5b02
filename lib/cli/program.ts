import { Command, CommanderError, Option } from 'commander';
import { InvalidDurationError, InvalidOptionsError } from '../errors/errors.js';
import { ZapJobsError } from '../errors/zapjobs.error.js';
import { registerCleanupCommand } from './commands/cleanup.command.js';
import { registerInspectCommand } from './commands/inspect.command.js';
import { registerJobsCommands } from './commands/jobs.command.js';
import { registerMigrateCommand } from './commands/migrate.command.js';
import { registerRunsCommands } from './commands/runs.command.js';
import { registerStatusCommand } from './commands/status.command.js';
import { CliError, ExitCode } from './exit-codes.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  the operation failed (run not found, a status that forbids it, schema not migrated)
  2  usage error (unknown flag, bad value, no database or two): nothing was done
  3  the database could not be reached or opened`;

/** The `zapjobs` program: connection flags on the program (they may come before or after the command), one group per file. */
export function buildProgram(version: string): Command {
  const program = new Command('zapjobs')
    .description('Look after ZapJobs runs in a SQLite file or a PostgreSQL database, with no application running.')
    .version(version)
    // Set before the commands are added: each command inherits both.
    .exitOverride()
    .showHelpAfterError('(zapjobs --help, or zapjobs <command> --help, lists the flags)')
    .addOption(new Option('--database <file>', 'SQLite database file').env('ZAPJOBS_DATABASE'))
    .addOption(new Option('--url <url>', 'PostgreSQL connection URL').env('DATABASE_URL'))
    .addOption(new Option('--schema <name>', 'PostgreSQL schema of the ZapJobs tables (default: public)'))
    .addOption(new Option('--table-prefix <prefix>', "prefix of the ZapJobs tables (default: 'zj_')"))
    .addHelpText('after', EXIT_CODES_HELP);
  registerMigrateCommand(program);
  registerStatusCommand(program);
  registerRunsCommands(program);
  registerJobsCommands(program);
  registerCleanupCommand(program);
  registerInspectCommand(program);
  return program;
}

/** Runs the command line; resolves with the exit code (never rejects). */
export async function runCli(argv: readonly string[], version: string): Promise<ExitCode> {
  const program = buildProgram(version);
  try {
    await program.parseAsync(argv as string[]);
    return ExitCode.Ok;
  } catch (error) {
    // Commander has printed its own message (it names the flag or the argument).
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    const code =
      error instanceof CliError
        ? error.exitCode
        : error instanceof InvalidOptionsError || error instanceof InvalidDurationError
          ? ExitCode.Usage
          : ExitCode.Failed;
    const message = error instanceof CliError || error instanceof ZapJobsError ? (error as Error).message : String((error as Error)?.stack ?? error);
    process.stderr.write(`zapjobs: ${message}\n`);
    return code;
  }
}
