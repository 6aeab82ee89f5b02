import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Unique (deduplicated) runs: the key a run holds and the statuses it holds it in (a bitmask:
 * pending 1, running 2, completed 4, failed 8, cancelled 16, awaiting 32), and a partial UNIQUE
 * index over the rows whose status is in their own bitmask: at most one run holds a key, and a run
 * leaving its counted statuses frees the key by itself. Rows without a key are not in the index,
 * so runs that do not use the feature cost nothing more. Released: never edit, add a migration.
 */
export class ZapJobsUniqueRuns1764633600000 implements MigrationInterface {
  name = 'ZapJobsUniqueRuns1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN unique_key TEXT`);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN unique_states INTEGER`);
    // The predicate is the text of UNIQUE_HELD (lib/storage/unique.ts): SQLite takes a partial
    // index as an ON CONFLICT target only when the statement repeats its WHERE.
    await queryRunner.query(`CREATE UNIQUE INDEX "${p}runs_unique" ON "${p}runs" (unique_key)
      WHERE unique_key IS NOT NULL AND (unique_states & CASE status WHEN 'pending' THEN 1 WHEN 'running' THEN 2
  WHEN 'completed' THEN 4 WHEN 'failed' THEN 8 WHEN 'cancelled' THEN 16 WHEN 'awaiting' THEN 32 ELSE 0 END) <> 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`DROP INDEX IF EXISTS "${p}runs_unique"`);
    await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN unique_states`);
    await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN unique_key`);
  }
}
