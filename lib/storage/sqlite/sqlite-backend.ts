import type BetterSqlite3 from 'better-sqlite3';
import { SqliteMigrationRunner } from '../../migrations/sqlite/sqlite-migration-runner.js';
import type { StorageBackend } from '../backend.js';
import { createSqliteDataSource } from './sqlite-connection.js';
import { SqliteJobStorage } from './sqlite-job-storage.js';

export const sqliteBackend: StorageBackend = {
  name: 'sqlite',
  createDataSource: createSqliteDataSource,
  migrationRunner: (dataSource, options) => new SqliteMigrationRunner(dataSource, options.tablePrefix),
  createStorage: (dataSource, options, clock) => {
    const db = (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
    const p = options.tablePrefix;
    return new SqliteJobStorage(db, {
      tables: {
        definitions: `"${p}definitions"`, runs: `"${p}runs"`, logs: `"${p}logs"`, heartbeats: `"${p}heartbeats"`, events: `"${p}events"`,
        schedules: `"${p}schedules"`, batches: `"${p}batches"`, batchParents: `"${p}batch_parents"`,
      },
      clock,
      maxPayloadBytes: options.maxPayloadBytes,
    });
  },
};
