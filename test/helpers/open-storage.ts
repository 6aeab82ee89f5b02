import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { ZapJobsMigrations } from '../../lib/migrations/zapjobs-migrations.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';
import type { ResolvedZapJobsOptions } from '../../lib/options/resolved-options.js';
import type { ZapJobsModuleOptions } from '../../lib/options/zapjobs-options.interface.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { openBackend } from '../../lib/storage/open-storage.js';
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
  const opened = await openBackend(resolved, clock);
  const migrations = new ZapJobsMigrations(opened.migrations, resolved);
  if (migrate) await migrations.migrate();
  return { storage: opened.storage, dataSource: opened.dataSource, migrations, options: resolved, close: opened.close };
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
