import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Flows (issue 11). Checkpoints: one JSON object per run, keyed by the handler's names, kept with
 * the run so that a retried or rescued attempt reads what the previous one saved. Named schedules:
 * many per job type, each with its own input and next tick (the definition's stays the job's default).
 * The key is unique across jobs, so that a key names one schedule wherever it is used.
 */
export class ZapJobsPgFlows1764740000000 implements MigrationInterface {
  name = 'ZapJobsPgFlows1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`ALTER TABLE ${t('runs')} ADD COLUMN checkpoint_json jsonb`);
    await queryRunner.query(`
      CREATE TABLE ${t('schedules')} (
        key             text PRIMARY KEY,
        job_type_id     text NOT NULL REFERENCES ${t('definitions')} (job_type_id) ON DELETE CASCADE,
        schedule_type   text NOT NULL,
        cron_expression text,
        interval_ms     bigint,
        timezone        text,
        input_json      jsonb,
        misfire_policy  text NOT NULL DEFAULT 'once',
        is_enabled      boolean NOT NULL DEFAULT true,
        next_run_at     timestamptz,
        last_run_at     timestamptz,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
      )`);
    // The scheduler's read: enabled schedules by next tick.
    await queryRunner.query(`CREATE INDEX "${p}schedules_due" ON ${t('schedules')} (next_run_at) WHERE is_enabled`);
    await queryRunner.query(`CREATE INDEX "${p}schedules_job" ON ${t('schedules')} (job_type_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`DROP TABLE ${t('schedules')}`);
    await queryRunner.query(`ALTER TABLE ${t('runs')} DROP COLUMN checkpoint_json`);
  }
}
