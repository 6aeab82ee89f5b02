import type { Command } from 'commander';
import type { ZapJobsModuleOptions } from '../options/zapjobs-options.interface.js';
import { usageError } from './exit-codes.js';

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
  const common = { tablePrefix: flags.tablePrefix, autoMigrate: false, enableWorkers: false, enableScheduler: false };
  if (given[0] === 'database') {
    if (flags.schema !== undefined) throw usageError('--schema applies to PostgreSQL (--url) only');
    return { ...common, storage: 'sqlite', database: flags.database };
  }
  const url = flags.url as string;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw usageError(`--url: expected a PostgreSQL URL such as postgres://user:password@host:5432/db, got '${url.replace(/:[^:@/]*@/, ':***@')}'`);
  }
  return { ...common, storage: 'postgres', url, schema: flags.schema, poolSize: 2 };
}

/** The module options for the flags of `command` (declared on the program, so looked up from its root). */
export function connectionOptionsOf(command: Command): ZapJobsModuleOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return connectionOptions(command.optsWithGlobals<ConnectionFlags>(), (flag) => root.getOptionValueSource(flag) as Source);
}
