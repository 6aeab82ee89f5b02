import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Flows (issue 11). Checkpoints: one JSON object per run, keyed by the handler's names, kept with
 * the run so that a retried or rescued attempt reads what the previous one saved. Named schedules:
 * many per job type, each with its own input and next tick (the definition's stays the job's default).
 * The key is unique across jobs, so that a key names one schedule wherever it is used. Batches: a
 * row of counters per batch, and on each run the batch it belongs to (or whose callback it is).
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
    // Batches: counters of unfinished and finished children, updated in the transaction that finishes each child.
    await queryRunner.query(`
      CREATE TABLE ${t('batches')} (
        id          uuid PRIMARY KEY,
        description text,
        state       text NOT NULL DEFAULT 'open',
        total       integer NOT NULL,
        pending     integer NOT NULL,
        succeeded   integer NOT NULL DEFAULT 0,
        failed      integer NOT NULL DEFAULT 0,
        cancelled   integer NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL,
        finished_at timestamptz
      )`);
    await queryRunner.query(`ALTER TABLE ${t('runs')} ADD COLUMN batch_id uuid, ADD COLUMN callback_of_batch uuid`);
    await queryRunner.query(`CREATE INDEX "${p}runs_batch" ON ${t('runs')} (batch_id) WHERE batch_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "${p}runs_batch_callback" ON ${t('runs')} (callback_of_batch) WHERE callback_of_batch IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    for (const index of ['runs_batch_callback', 'runs_batch']) await queryRunner.query(`DROP INDEX ${s}."${p}${index}"`);
    await queryRunner.query(`ALTER TABLE ${t('runs')} DROP COLUMN callback_of_batch, DROP COLUMN batch_id`);
    await queryRunner.query(`DROP TABLE ${t('batches')}`);
    await queryRunner.query(`DROP TABLE ${t('schedules')}`);
    await queryRunner.query(`ALTER TABLE ${t('runs')} DROP COLUMN checkpoint_json`);
  }
}
