import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { ZapJobsMigrations } from '../../lib/migrations/zapjobs-migrations.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';
import type { ResolvedZapJobsOptions } from '../../lib/options/resolved-options.js';
import type { ZapJobsModuleOptions } from '../../lib/options/zapjobs-options.interface.js';
import { backendFor } from '../../lib/storage/backend.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { Clock, SystemClock } from '../../lib/util/clock.js';

/** A storage opened as the module opens it, without Nest: its DataSource, migrations and engine contract. */
export interface OpenedStorage {
  storage: EngineStorage;
  dataSource: DataSource;
  migrations: ZapJobsMigrations;
  options: ResolvedZapJobsOptions;
  close(): Promise<void>;
}

/** Opens (and, unless `migrate: false`, migrates) the backend the options name. */
export async function openStorage(
  options: ZapJobsModuleOptions,
  { clock = new SystemClock(), migrate = true }: { clock?: Clock; migrate?: boolean } = {},
): Promise<OpenedStorage> {
  const resolved = resolveOptions(options);
  const backend = await backendFor(resolved.storage);
  const dataSource = await backend.createDataSource(resolved);
  const migrations = new ZapJobsMigrations(backend.migrationRunner(dataSource, resolved), resolved);
  if (migrate) await migrations.migrate();
  const storage = backend.createStorage(dataSource, resolved, clock);
  return {
    storage,
    dataSource,
    migrations,
    options: resolved,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

/** The better-sqlite3 handle under a SQLite DataSource, for tests that look at the file directly. */
export function rawSqlite(dataSource: DataSource): BetterSqlite3.Database {
  return (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
}

/** A clock a test moves by hand. */
export class ManualClock extends Clock {
  constructor(private current = Date.now()) {
    super();
  }
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
