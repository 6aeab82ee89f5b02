import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Unique (deduplicated) runs, as on SQLite: unique_key, unique_states (pending 1, running 2,
 * completed 4, failed 8, cancelled 16, awaiting 32) and a partial UNIQUE index over the rows whose
 * status is in their own bitmask. The predicate is a plain (immutable) expression, as a partial
 * index requires. Nullable columns without a default: adding them rewrites no row. Status is in the
 * predicates of the existing partial indexes already, so updates that were HOT stay HOT-eligible
 * as before. Released: never edit, add a migration.
 */
export class ZapJobsPgUniqueRuns1764633600000 implements MigrationInterface {
  name = 'ZapJobsPgUniqueRuns1764633600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    await queryRunner.query(`ALTER TABLE ${s}."${p}runs" ADD COLUMN unique_key text, ADD COLUMN unique_states integer`);
    await queryRunner.query(`CREATE UNIQUE INDEX "${p}runs_unique" ON ${s}."${p}runs" (unique_key)
      WHERE unique_key IS NOT NULL AND (unique_states & CASE status WHEN 'pending' THEN 1 WHEN 'running' THEN 2
  WHEN 'completed' THEN 4 WHEN 'failed' THEN 8 WHEN 'cancelled' THEN 16 WHEN 'awaiting' THEN 32 ELSE 0 END) <> 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    await queryRunner.query(`DROP INDEX IF EXISTS ${s}."${p}runs_unique"`);
    await queryRunner.query(`ALTER TABLE ${s}."${p}runs" DROP COLUMN unique_states, DROP COLUMN unique_key`);
  }
}
