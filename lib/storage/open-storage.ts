import type { DataSource } from 'typeorm';
import type { MigrationRunner } from '../migrations/migration-runner.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { SystemClock, type Clock } from '../util/clock.js';
import { backendFor, type StorageBackend } from './backend.js';
import type { EngineStorage } from './engine-storage.js';

/** A backend opened without Nest: what the module's providers build, for the command line and tests. */
export interface OpenedBackend {
  backend: StorageBackend;
  options: ResolvedZapJobsOptions;
  dataSource: DataSource;
  /** Nothing is migrated on opening: the caller decides (the module through ZapJobsMigrations). */
  migrations: MigrationRunner;
  storage: EngineStorage;
  /** Destroys the DataSource (idempotent). */
  close(): Promise<void>;
}

/** Opens the DataSource, the migration runner and the storage of `options.storage`, as ZapJobsModule wires them. */
export async function openBackend(options: ResolvedZapJobsOptions, clock: Clock = new SystemClock()): Promise<OpenedBackend> {
  const backend = await backendFor(options.storage);
  const dataSource = await backend.createDataSource(options);
  return {
    backend,
    options,
    dataSource,
    migrations: backend.migrationRunner(dataSource, options),
    storage: backend.createStorage(dataSource, options, clock),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
