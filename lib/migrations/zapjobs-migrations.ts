import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { DataSource, MigrationInterface } from 'typeorm';
import { SchemaNotMigratedError } from '../errors/errors.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { rawSqlite } from '../storage/sqlite/sqlite-connection.js';
import { ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { SQLITE_MIGRATIONS } from './sqlite/index.js';

/**
 * Brings the schema up to date. Migrations are TypeORM MigrationInterface classes recorded in
 * `{prefix}migrations` (TypeORM's own format: id, timestamp, name), applied all in one
 * BEGIN IMMEDIATE transaction: a second process starting at the same time waits on the write lock,
 * then finds them recorded and applies nothing, so both come up on one schema.
 * Only this service touches the database in onModuleInit (Nest runs a module's inits concurrently).
 */
@Injectable()
export class ZapJobsMigrations implements OnModuleInit {
  private readonly logger = new Logger('ZapJobs');
  private readonly table: string;

  constructor(
    @Inject(ZAPJOBS_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {
    this.table = `"${options.tablePrefix}migrations"`;
  }

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
    const db = rawSqlite(this.dataSource);
    const exists = db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`)
      .get(`${this.options.tablePrefix}migrations`);
    const applied = new Set(
      exists ? (db.prepare(`SELECT name FROM ${this.table}`).all() as Array<{ name: string }>).map((r) => r.name) : [],
    );
    return this.all().filter((m) => !applied.has(m.name as string)).map((m) => m.name as string);
  }

  /** Applies pending migrations; returns the names applied (none when up to date). */
  async migrate(): Promise<string[]> {
    const db = rawSqlite(this.dataSource);
    const queryRunner = this.dataSource.createQueryRunner();
    const applied: string[] = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, timestamp BIGINT NOT NULL, name VARCHAR NOT NULL)`);
      const done = new Set((db.prepare(`SELECT name FROM ${this.table}`).all() as Array<{ name: string }>).map((r) => r.name));
      for (const migration of this.all()) {
        const name = migration.name as string;
        if (done.has(name)) continue;
        // Nothing else uses the connection during module init, so these statements join the
        // transaction opened above.
        await migration.up(queryRunner);
        db.prepare(`INSERT INTO ${this.table} (timestamp, name) VALUES (?, ?)`).run(Number(name.slice(-13)), name);
        applied.push(name);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    } finally {
      await queryRunner.release();
    }
    if (applied.length) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    return applied;
  }

  private all(): MigrationInterface[] {
    return SQLITE_MIGRATIONS.map((Migration) => new Migration());
  }
}
