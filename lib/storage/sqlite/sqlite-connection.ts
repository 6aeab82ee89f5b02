import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
// typeorm's own module, not its index: the index loads all of TypeORM (some 100 ms more at start-up)
// for the two classes ZapJobs uses; an application importing 'typeorm' gets the same class.
import { DataSource } from 'typeorm/data-source/DataSource.js';
import type BetterSqlite3 from 'better-sqlite3';
import type { ResolvedZapJobsOptions } from '../../options/resolved-options.js';
import { zapjobsEntities } from '../entities/entity-schemas.js';

/** Is this a SQLite in-memory database (no file, no WAL)? */
export function isMemoryDatabase(database: string): boolean {
  return database === ':memory:' || database.startsWith('file::memory:');
}

/**
 * The module's own DataSource on one better-sqlite3 connection, with the pragmas ZapJobs relies on:
 * WAL (readers beside the single writer), synchronous=NORMAL (durable at checkpoints, no fsync per
 * commit), a busy timeout (another process's write lock is waited for, not failed on), foreign keys
 * (logs go with their run), temp tables in memory.
 */
export async function createSqliteDataSource(options: ResolvedZapJobsOptions): Promise<DataSource> {
  const memory = isMemoryDatabase(options.database);
  if (!memory) mkdirSync(dirname(resolve(options.database)), { recursive: true });
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: options.database,
    entities: zapjobsEntities('sqlite'),
    entityPrefix: options.tablePrefix,
    synchronize: false,
    migrationsRun: false,
    logging: options.logging,
    timeout: options.busyTimeout,
    prepareDatabase: async (db: BetterSqlite3.Database) => {
      db.pragma(`busy_timeout = ${Math.round(options.busyTimeout)}`);
      if (!memory) await retryWhileBusy(() => db.pragma(`journal_mode = ${options.journalMode}`), options.busyTimeout);
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      db.pragma('cache_size = -16000');
    },
  });
  await dataSource.initialize();
  return dataSource;
}

/**
 * Runs `fn` again while SQLite answers SQLITE_BUSY, for up to `timeoutMs`. Needed for the switch of a
 * new file to WAL: when two processes open it at once, SQLite fails the loser at once instead of
 * calling the busy handler (waiting there could deadlock), so busy_timeout does not cover it.
 */
async function retryWhileBusy<T>(fn: () => T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return fn();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      await delay(10);
    }
  }
}
