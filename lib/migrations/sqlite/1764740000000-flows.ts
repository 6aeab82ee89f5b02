import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Flows (issue 11). Checkpoints: one JSON object per run, keyed by the handler's names, kept with
 * the run so that a retried or rescued attempt reads what the previous one saved.
 */
export class ZapJobsFlows1764740000000 implements MigrationInterface {
  name = 'ZapJobsFlows1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN checkpoint_json TEXT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN checkpoint_json`);
  }
}
