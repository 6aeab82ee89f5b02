import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidOptionsError } from '../errors/errors.js';
import { resolveOptions } from '../options/resolve-options.js';
import type { ZapJobsModuleOptions } from '../options/zapjobs-options.interface.js';
import { openBackend, type OpenedBackend } from '../storage/open-storage.js';
import { isMemoryDatabase } from '../storage/sqlite/sqlite-connection.js';
import { CliError, ExitCode, usageError } from './exit-codes.js';

/** The connection flags every command takes (declared once, on the program: see program.ts). */
export interface ConnectionFlags {
  database?: string;
  url?: string;
  schema?: string;
  tablePrefix?: string;
}

type Source = 'cli' | 'env' | 'default' | 'config' | 'implied' | undefined;

const NO_DATABASE =
  'no database given: pass --database <file> (SQLite) or --url <postgres url> (PostgreSQL), or set ZAPJOBS_DATABASE or DATABASE_URL';

/**
 * The module options for the flags. A flag on the command line wins over the environment (an app's
 * DATABASE_URL may well be set in the shell where someone points --database at a SQLite file);
 * two databases from the same place are refused rather than one guessed.
 */
export function connectionOptions(flags: ConnectionFlags, sourceOf: (flag: 'database' | 'url') => Source): ZapJobsModuleOptions {
  const fromCli = (['database', 'url'] as const).filter((flag) => flags[flag] !== undefined && sourceOf(flag) === 'cli');
  const given = fromCli.length > 0 ? fromCli : (['database', 'url'] as const).filter((flag) => flags[flag] !== undefined);
  if (given.length === 0) throw usageError(NO_DATABASE);
  if (given.length === 2) {
    throw usageError(
      fromCli.length > 0
        ? 'both --database and --url given: pass one (--database for a SQLite file, --url for PostgreSQL)'
        : 'both ZAPJOBS_DATABASE and DATABASE_URL are set: pick one with --database <file> or --url <postgres url>',
    );
  }
  const common = { tablePrefix: flags.tablePrefix, autoMigrate: false, enableWorkers: false, enableScheduler: false, poolSize: 2 };
  if (given[0] === 'database') {
    if (flags.schema !== undefined) throw usageError('--schema applies to PostgreSQL (--url) only');
    return { ...common, storage: 'sqlite', database: flags.database };
  }
  const url = flags.url as string;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw usageError(`--url: expected a PostgreSQL URL such as postgres://user:password@host:5432/db, got '${url.replace(/:[^:@/]*@/, ':***@')}'`);
  }
  return { ...common, storage: 'postgres', url, schema: flags.schema };
}

export interface ConnectOptions {
  /** SQLite: create the file when missing (migrate); otherwise a missing file is an error, not a new empty database. */
  create?: boolean;
  /** Refuse a schema with pending migrations (every command but migrate). Default: true. */
  requireMigrated?: boolean;
  /** SQLite: a missing file reads as an empty database, in memory, and nothing is created (migrate --dry-run). */
  emptyWhenMissing?: boolean;
}

/** Opens the database the command's flags name. Exit 2 for bad flags, 3 when it cannot be opened. */
export async function connect(
  command: Command,
  { create = false, requireMigrated = true, emptyWhenMissing = false }: ConnectOptions = {},
): Promise<OpenedBackend> {
  let root = command;
  while (root.parent) root = root.parent;
  const moduleOptions = connectionOptions(command.optsWithGlobals<ConnectionFlags>(), (flag) => root.getOptionValueSource(flag) as Source);
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

/** Runs `body` on the database of the command's flags, closing it afterwards whatever happens. */
export async function withBackend<T>(command: Command, body: (opened: OpenedBackend) => Promise<T>, options?: ConnectOptions): Promise<T> {
  const opened = await connect(command, options);
  try {
    return await body(opened);
  } finally {
    await opened.close();
  }
}

/** 'tablePrefix: must ...' -> 'table-prefix: must ...': the options' wording, with the flag's name. */
function flagOf(problem: string): string {
  return problem.replace(/^([a-zA-Z]+)/, (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
}
