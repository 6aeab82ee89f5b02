import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { InvalidManagerError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import { openTransactionOf, resultOf, type AppTransaction } from '../app-transaction.js';
import { isMemoryDatabase } from './sqlite-connection.js';
import type { SqliteExecutor } from './sqlite-executor.js';

/** The file a path names, links resolved (two spellings of one file compare equal). */
function realPath(path: string): string {
  try {
    return realpathSync(resolve(path));
  } catch {
    return resolve(path);
  }
}

const inMemory = (db: BetterSqlite3.Database): boolean => db.memory || isMemoryDatabase(db.name) || db.name === '';

/**
 * The application's transaction on its own better-sqlite3 connection, checked to be on ZapJobs'
 * file. From then on ZapJobs' own writes in this process wait while that connection has a
 * transaction open (see SqliteExecutor.shareFileWith): SQLite has one writer per file, and the
 * application's transaction holds the lock across awaits, which ZapJobs' never do.
 */
export function sqliteAppTransaction(manager: unknown, zapjobs: SqliteExecutor): AppTransaction {
  const { queryRunner } = openTransactionOf(manager, { type: 'better-sqlite3', storage: 'SQLite (better-sqlite3)' });
  const app = (queryRunner.dataSource.driver as unknown as { databaseConnection?: BetterSqlite3.Database }).databaseConnection;
  if (!app || typeof app.prepare !== 'function') throw new InvalidManagerError(messages.managerNotInTransaction());
  if (app === zapjobs.db) throw new InvalidManagerError(messages.managerIsZapJobs());
  if (inMemory(zapjobs.db)) throw new InvalidManagerError(messages.managerInMemory("ZapJobs'"));
  if (inMemory(app)) throw new InvalidManagerError(messages.managerInMemory("your DataSource's"));
  const appFile = realPath(app.name);
  const ownFile = realPath(zapjobs.db.name);
  if (appFile !== ownFile) throw new InvalidManagerError(messages.managerOtherFile(appFile, ownFile));
  zapjobs.shareFileWith(app);
  return {
    run: async (statement) => {
      // The storage's statement text as it is: better-sqlite3 takes the same `?` placeholders.
      return resultOf(await queryRunner.query(statement.sql, [...statement.params], true));
    },
  };
}
