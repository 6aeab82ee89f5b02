import type { DataSource } from 'typeorm';
import type { MigrationRunner } from '../migrations/migration-runner.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import type { Clock } from '../util/clock.js';
import type { EngineStorage } from './engine-storage.js';

/**
 * A backend as a driver, chosen once from `options.storage` (model: riverqueue/river's driver
 * interface): how to open its DataSource, migrate it, and build its storage on it.
 */
export interface StorageBackend {
  readonly name: 'sqlite' | 'postgres';
  createDataSource(options: ResolvedZapJobsOptions): Promise<DataSource>;
  migrationRunner(dataSource: DataSource, options: ResolvedZapJobsOptions): MigrationRunner;
  createStorage(dataSource: DataSource, options: ResolvedZapJobsOptions, clock: Clock): EngineStorage;
}

/**
 * The backend of `storage`, loaded on demand: an application on SQLite never loads `pg`, and one
 * on PostgreSQL never needs better-sqlite3 (both are optional peer dependencies).
 */
export async function backendFor(storage: ResolvedZapJobsOptions['storage']): Promise<StorageBackend> {
  return storage === 'postgres'
    ? (await import('./postgres/postgres-backend.js')).postgresBackend
    : (await import('./sqlite/sqlite-backend.js')).sqliteBackend;
}
