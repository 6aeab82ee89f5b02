import type { DataSource } from 'typeorm';
import type { MigrationRunner } from '../migrations/migration-runner.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import type { Clock } from '../util/clock.js';
import type { EngineStorage } from './engine-storage.js';
import { sqliteBackend } from './sqlite/sqlite-backend.js';

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
 * The backend of `storage`. PostgreSQL's is loaded on demand, so that an application on SQLite never
 * loads `pg` (an optional peer dependency). SQLite's is imported with this module: it loads no
 * optional package (TypeORM opens better-sqlite3 only when its DataSource initializes, so an
 * application on PostgreSQL never needs it). Importing it, and typeorm with it (which every backend
 * needs, and which takes longer to import than the whole boot takes to run), with the module rather
 * than inside `createApplicationContext` leaves the boot to its own work: the database, the
 * migrations, discovery, the first claim.
 */
export async function backendFor(storage: ResolvedZapJobsOptions['storage']): Promise<StorageBackend> {
  return storage === 'postgres' ? (await import('./postgres/postgres-backend.js')).postgresBackend : sqliteBackend;
}
