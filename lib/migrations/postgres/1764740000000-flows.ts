import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Flows (issue 11). Checkpoints: one JSON object per run, keyed by the handler's names, kept with
 * the run so that a retried or rescued attempt reads what the previous one saved.
 */
export class ZapJobsPgFlows1764740000000 implements MigrationInterface {
  name = 'ZapJobsPgFlows1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`ALTER TABLE ${t('runs')} ADD COLUMN checkpoint_json jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`ALTER TABLE ${t('runs')} DROP COLUMN checkpoint_json`);
  }
}
