import { existsSync } from 'node:fs';
import { InvalidOptionsError } from '../errors/errors.js';
import { resolveOptions } from '../options/resolve-options.js';
import type { ZapJobsModuleOptions } from '../options/zapjobs-options.interface.js';
import { openBackend, type OpenedBackend } from '../storage/open-storage.js';
import { isMemoryDatabase } from '../storage/sqlite/sqlite-connection.js';
import { CliError, ExitCode, usageError } from './exit-codes.js';

export interface ConnectOptions {
  /** SQLite: create the file when missing (migrate); otherwise a missing file is an error, not a new empty database. */
  create?: boolean;
  /** Refuse a schema with pending migrations (every command but migrate). Default: true. */
  requireMigrated?: boolean;
  /** SQLite: a missing file reads as an empty database, in memory, and nothing is created (migrate --dry-run). */
  emptyWhenMissing?: boolean;
}

/** Opens the database of `moduleOptions` (see connectionOptions). Exit 2 for bad options, 3 when it cannot be opened. */
export async function connect(
  moduleOptions: ZapJobsModuleOptions,
  { create = false, requireMigrated = true, emptyWhenMissing = false }: ConnectOptions = {},
): Promise<OpenedBackend> {
  let options;
  try {
    // Flags not given are left out, so the module's defaults apply.
    options = resolveOptions(Object.fromEntries(Object.entries(moduleOptions).filter(([, value]) => value !== undefined)));
  } catch (error) {
    if (error instanceof InvalidOptionsError) throw usageError(error.problems.map((problem) => `--${flagOf(problem)}`).join('; '));
    throw error;
  }
  const where = options.storage === 'sqlite' ? `the SQLite database '${options.database}'` : 'PostgreSQL';
  const missing = options.storage === 'sqlite' && !isMemoryDatabase(options.database) && !existsSync(options.database);
  if (missing && emptyWhenMissing) options = { ...options, database: ':memory:' };
  else if (missing && !create) {
    throw new CliError(ExitCode.CannotConnect, `no SQLite database at '${options.database}': give the path of an existing file (zapjobs migrate creates one)`);
  }
  let opened: OpenedBackend;
  try {
    opened = await openBackend(options);
  } catch (error) {
    const message = (error as Error).message;
    throw new CliError(ExitCode.CannotConnect, options.storage === 'sqlite' ? `could not open ${where}: ${message}` : message, { cause: error });
  }
  if (requireMigrated) {
    try {
      const applied = new Set(await opened.migrations.applied());
      const pending = opened.migrations.migrations.map((m) => m.name as string).filter((name) => !applied.has(name));
      if (pending.length > 0) {
        throw new CliError(
          ExitCode.Failed,
          applied.size === 0
            ? `no ZapJobs schema in ${where} (tables prefixed '${options.tablePrefix}'${options.storage === 'postgres' ? `, schema '${options.schema}'` : ''}): run zapjobs migrate first`
            : `the ZapJobs schema in ${where} is behind this version (pending migrations: ${pending.join(', ')}): run zapjobs migrate first`,
        );
      }
    } catch (error) {
      await opened.close();
      if (error instanceof CliError) throw error;
      throw new CliError(ExitCode.CannotConnect, `could not read ${where}: ${(error as Error).message}`, { cause: error });
    }
  }
  return opened;
}

/** 'tablePrefix: must ...' -> 'table-prefix: must ...': the options' wording, with the flag's name. */
function flagOf(problem: string): string {
  return problem.replace(/^([a-zA-Z]+)/, (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
}
