import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource, MigrationInterface } from 'typeorm';
import { migrationTimestamp, planMigrations, type MigrationRunner, type PlannedMigration } from '../migration-runner.js';
import { ZapJobsInitialSchema1732838400000 } from './1732838400000-initial-schema.js';
import { ZapJobsUniqueRuns1764633600000 } from './1764633600000-unique-runs.js';
import { ZapJobsConcurrencyAndRateLimits1764633700000 } from './1764633700000-concurrency-and-rate-limits.js';
import { ZapJobsTraceContext1764720000000 } from './1764720000000-trace-context.js';
import { ZapJobsEventFeed1764730000000 } from './1764730000000-event-feed.js';
import { ZapJobsFlows1764740000000 } from './1764740000000-flows.js';
import { ZapJobsFanIn1764750000000 } from './1764750000000-fan-in.js';
import { ZapJobsDashboardIndexes1764760000000 } from './1764760000000-dashboard-indexes.js';

/** Append-only, in order. A released migration is never edited: add a new one. */
export const SQLITE_MIGRATIONS: Array<new () => MigrationInterface> = [
  ZapJobsInitialSchema1732838400000, ZapJobsUniqueRuns1764633600000, ZapJobsConcurrencyAndRateLimits1764633700000,
  ZapJobsTraceContext1764720000000,
  ZapJobsEventFeed1764730000000,
  ZapJobsFlows1764740000000,
  ZapJobsFanIn1764750000000,
  ZapJobsDashboardIndexes1764760000000,
];

/** SQLite's migrations in one BEGIN IMMEDIATE transaction on the DataSource's one connection. */
export class SqliteMigrationRunner implements MigrationRunner {
  readonly migrations = SQLITE_MIGRATIONS.map((Migration) => new Migration());
  private readonly table: string;

  constructor(private readonly dataSource: DataSource, private readonly tablePrefix: string) {
    this.table = `"${tablePrefix}migrations"`;
  }

  private get db(): BetterSqlite3.Database {
    return (this.dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
  }

  async applied(): Promise<string[]> {
    return this.appliedNow();
  }

  private appliedNow(): string[] {
    const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(`${this.tablePrefix}migrations`);
    return exists ? (this.db.prepare(`SELECT name FROM ${this.table}`).all() as Array<{ name: string }>).map((r) => r.name) : [];
  }

  async plan(): Promise<PlannedMigration[]> {
    return planMigrations(this.migrations, await this.applied(), this.dataSource);
  }

  async migrate(): Promise<string[]> {
    const db = this.db;
    const queryRunner = this.dataSource.createQueryRunner();
    const applied: string[] = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, timestamp BIGINT NOT NULL, name VARCHAR NOT NULL)`);
      const done = new Set(this.appliedNow());
      for (const migration of this.migrations) {
        const name = migration.name as string;
        if (done.has(name)) continue;
        // Nothing else uses the connection during module init, so these statements join the
        // transaction opened above.
        await migration.up(queryRunner);
        db.prepare(`INSERT INTO ${this.table} (timestamp, name) VALUES (?, ?)`).run(migrationTimestamp(name), name);
        applied.push(name);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    } finally {
      await queryRunner.release();
    }
    return applied;
  }
}
