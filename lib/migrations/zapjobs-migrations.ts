import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { DataSource, MigrationInterface } from 'typeorm';
import { SchemaNotMigratedError } from '../errors/errors.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { rawSqlite } from '../storage/sqlite/sqlite-connection.js';
import { ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { POSTGRES_MIGRATIONS } from './postgres/index.js';
import { SQLITE_MIGRATIONS } from './sqlite/index.js';

/**
 * Brings the schema up to date. Migrations are TypeORM MigrationInterface classes recorded in
 * `{prefix}migrations` (TypeORM's own format: id, timestamp, name), all applied in one transaction
 * that first takes a lock: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL. A second
 * process starting at the same time waits, then finds them recorded and applies nothing, so both
 * come up on one schema. Only this service touches the database in onModuleInit (Nest runs a
 * module's inits concurrently).
 */
@Injectable()
export class ZapJobsMigrations implements OnModuleInit {
  private readonly logger = new Logger('ZapJobs');

  constructor(
    @Inject(ZAPJOBS_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.autoMigrate) {
      await this.migrate();
      return;
    }
    const pending = await this.pending();
    if (pending.length > 0) throw new SchemaNotMigratedError(pending);
  }

  /** Names of the migrations not applied yet. */
  async pending(): Promise<string[]> {
    const applied = new Set(this.options.storage === 'postgres' ? await this.appliedPostgres() : this.appliedSqlite());
    return this.all().filter((m) => !applied.has(m.name as string)).map((m) => m.name as string);
  }

  /** Applies pending migrations; returns the names applied (none when up to date). */
  async migrate(): Promise<string[]> {
    const applied = this.options.storage === 'postgres' ? await this.migratePostgres() : await this.migrateSqlite();
    if (applied.length) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    return applied;
  }

  private all(): MigrationInterface[] {
    const list = this.options.storage === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
    return list.map((Migration) => new Migration());
  }

  private get sqliteTable(): string {
    return `"${this.options.tablePrefix}migrations"`;
  }

  private get postgresTable(): string {
    return `"${this.options.schema}"."${this.options.tablePrefix}migrations"`;
  }

  private appliedSqlite(): string[] {
    const db = rawSqlite(this.dataSource);
    const exists = db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`)
      .get(`${this.options.tablePrefix}migrations`);
    return exists ? (db.prepare(`SELECT name FROM ${this.sqliteTable}`).all() as Array<{ name: string }>).map((r) => r.name) : [];
  }

  private async appliedPostgres(): Promise<string[]> {
    const [{ exists }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [this.postgresTable]);
    if (!exists) return [];
    return ((await this.dataSource.query(`SELECT name FROM ${this.postgresTable}`)) as Array<{ name: string }>).map((r) => r.name);
  }

  private async migrateSqlite(): Promise<string[]> {
    const db = rawSqlite(this.dataSource);
    const queryRunner = this.dataSource.createQueryRunner();
    const applied: string[] = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.sqliteTable} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, timestamp BIGINT NOT NULL, name VARCHAR NOT NULL)`);
      const done = new Set(this.appliedSqlite());
      for (const migration of this.all()) {
        const name = migration.name as string;
        if (done.has(name)) continue;
        // Nothing else uses the connection during module init, so these statements join the
        // transaction opened above.
        await migration.up(queryRunner);
        db.prepare(`INSERT INTO ${this.sqliteTable} (timestamp, name) VALUES (?, ?)`).run(Number(name.slice(-13)), name);
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

  private async migratePostgres(): Promise<string[]> {
    const queryRunner = this.dataSource.createQueryRunner();
    const applied: string[] = [];
    await queryRunner.connect();
    await queryRunner.startTransaction();
    try {
      // Held until commit: processes starting together migrate one after the other.
      await queryRunner.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
        `zapjobs:migrate:${this.options.schema}.${this.options.tablePrefix}`,
      ]);
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${this.options.schema}"`);
      await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${this.postgresTable} (
        id SERIAL PRIMARY KEY, timestamp bigint NOT NULL, name varchar NOT NULL)`);
      const done = new Set(
        ((await queryRunner.query(`SELECT name FROM ${this.postgresTable}`)) as Array<{ name: string }>).map((r) => r.name),
      );
      for (const migration of this.all()) {
        const name = migration.name as string;
        if (done.has(name)) continue;
        await migration.up(queryRunner);
        await queryRunner.query(`INSERT INTO ${this.postgresTable} (timestamp, name) VALUES ($1, $2)`, [Number(name.slice(-13)), name]);
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
