import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * The change feed that carries events across processes on SQLite (issue 11; PostgreSQL sends them
 * by NOTIFY and needs no table). AUTOINCREMENT so that an id is never reused once pruned rows are
 * gone: a reader that remembers the last id it saw never misses a later row for an old one. The
 * index on created_at serves the pruning, which keeps the table at a few seconds of events.
 */
export class ZapJobsEventFeed1764730000000 implements MigrationInterface {
  name = 'ZapJobsEventFeed1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(
      `CREATE TABLE "${p}events" (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL, payload TEXT NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX "${p}events_created_at" ON "${p}events" (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`DROP TABLE "${p}events"`);
  }
}
