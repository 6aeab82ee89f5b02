import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Fan-in (issue 11): a continuation that waits on several existing runs is a batch of kind 'fan-in'
 * whose members are those runs, listed in batch_parents (a run may be awaited by many). `awaited`
 * marks such runs so that the transaction finishing one knows, from the row it updates, to count
 * it: runs no fan-in waits on pay nothing. `counted` is the outcome a member was counted with,
 * which makes counting idempotent (a run is counted once per batch, whichever path sees it end).
 * Batches may hand their callbacks the children's outputs (`include_outputs`).
 */
export class ZapJobsFanIn1764750000000 implements MigrationInterface {
  name = 'ZapJobsFanIn1764750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`ALTER TABLE "${p}batches" ADD COLUMN kind TEXT NOT NULL DEFAULT 'batch'`);
    await queryRunner.query(`ALTER TABLE "${p}batches" ADD COLUMN include_outputs INTEGER NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN awaited INTEGER`);
    await queryRunner.query(`
      CREATE TABLE "${p}batch_parents" (
        batch_id TEXT NOT NULL REFERENCES "${p}batches" (id) ON DELETE CASCADE,
        run_id   TEXT NOT NULL,
        position INTEGER NOT NULL,
        counted  TEXT,
        PRIMARY KEY (batch_id, run_id)
      )`);
    await queryRunner.query(`CREATE INDEX "${p}batch_parents_run" ON "${p}batch_parents" (run_id)`);
    // The recovery sweep's read: members not counted yet (few: a member is counted as it ends).
    await queryRunner.query(`CREATE INDEX "${p}batch_parents_uncounted" ON "${p}batch_parents" (run_id) WHERE counted IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`DROP TABLE "${p}batch_parents"`);
    await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN awaited`);
    for (const column of ['include_outputs', 'kind']) await queryRunner.query(`ALTER TABLE "${p}batches" DROP COLUMN ${column}`);
  }
}
