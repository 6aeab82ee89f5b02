import type { DataSource, MigrationInterface } from 'typeorm';
import { migrationTimestamp, planMigrations, type MigrationRunner, type PlannedMigration } from '../migration-runner.js';
import { ZapJobsPgInitialSchema1732838400000 } from './1732838400000-initial-schema.js';
import { ZapJobsPgUniqueRuns1764633600000 } from './1764633600000-unique-runs.js';
import { ZapJobsPgConcurrencyAndRateLimits1764633700000 } from './1764633700000-concurrency-and-rate-limits.js';
import { ZapJobsPgTraceContext1764720000000 } from './1764720000000-trace-context.js';
import { ZapJobsPgFlows1764740000000 } from './1764740000000-flows.js';
import { ZapJobsPgFanIn1764750000000 } from './1764750000000-fan-in.js';
import { ZapJobsPgDashboardIndexes1764760000000 } from './1764760000000-dashboard-indexes.js';

/** Append-only, in order. A released migration is never edited: add a new one. */
export const POSTGRES_MIGRATIONS: Array<new () => MigrationInterface> = [
  ZapJobsPgInitialSchema1732838400000, ZapJobsPgUniqueRuns1764633600000, ZapJobsPgConcurrencyAndRateLimits1764633700000,
  ZapJobsPgTraceContext1764720000000,
  ZapJobsPgFlows1764740000000,
  ZapJobsPgFanIn1764750000000,
  ZapJobsPgDashboardIndexes1764760000000,
];

/** PostgreSQL's migrations in one transaction holding an advisory lock for the schema and prefix. */
export class PostgresMigrationRunner implements MigrationRunner {
  readonly migrations = POSTGRES_MIGRATIONS.map((Migration) => new Migration());
  private readonly table: string;

  constructor(private readonly dataSource: DataSource, private readonly schema: string, private readonly tablePrefix: string) {
    this.table = `"${schema}"."${tablePrefix}migrations"`;
  }

  async applied(): Promise<string[]> {
    const [{ exists }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [this.table]);
    if (!exists) return [];
    return ((await this.dataSource.query(`SELECT name FROM ${this.table}`)) as Array<{ name: string }>).map((r) => r.name);
  }

  async plan(): Promise<PlannedMigration[]> {
    return planMigrations(this.migrations, await this.applied(), this.dataSource);
  }

  async migrate(): Promise<string[]> {
    const queryRunner = this.dataSource.createQueryRunner();
    const applied: string[] = [];
    await queryRunner.connect();
    await queryRunner.startTransaction();
    try {
      // Held until commit: processes starting together migrate one after the other.
      await queryRunner.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`zapjobs:migrate:${this.schema}.${this.tablePrefix}`]);
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id SERIAL PRIMARY KEY, timestamp bigint NOT NULL, name varchar NOT NULL)`);
      const done = new Set(((await queryRunner.query(`SELECT name FROM ${this.table}`)) as Array<{ name: string }>).map((r) => r.name));
      for (const migration of this.migrations) {
        const name = migration.name as string;
        if (done.has(name)) continue;
        await migration.up(queryRunner);
        await queryRunner.query(`INSERT INTO ${this.table} (timestamp, name) VALUES ($1, $2)`, [migrationTimestamp(name), name]);
        applied.push(name);
      }
      await queryRunner.commitTransaction();
    } catch (error) {
      await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await queryRunner.release();
    }
    return applied;
  }
}
