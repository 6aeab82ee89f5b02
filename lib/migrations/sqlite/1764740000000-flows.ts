import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Flows (issue 11). Checkpoints: one JSON object per run, keyed by the handler's names, kept with
 * the run so that a retried or rescued attempt reads what the previous one saved. Named schedules:
 * many per job type, each with its own input and next tick (the definition's stays the job's default).
 * The key is unique across jobs, so that a key names one schedule wherever it is used.
 */
export class ZapJobsFlows1764740000000 implements MigrationInterface {
  name = 'ZapJobsFlows1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN checkpoint_json TEXT`);
    await queryRunner.query(`
      CREATE TABLE "${p}schedules" (
        key             TEXT PRIMARY KEY NOT NULL,
        job_type_id     TEXT NOT NULL REFERENCES "${p}definitions" (job_type_id) ON DELETE CASCADE,
        schedule_type   TEXT NOT NULL,
        cron_expression TEXT,
        interval_ms     INTEGER,
        timezone        TEXT,
        input_json      TEXT,
        misfire_policy  TEXT NOT NULL DEFAULT 'once',
        is_enabled      INTEGER NOT NULL DEFAULT 1,
        next_run_at     INTEGER,
        last_run_at     INTEGER,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
      )`);
    // The scheduler's read: enabled schedules by next tick.
    await queryRunner.query(`CREATE INDEX "${p}schedules_due" ON "${p}schedules" (next_run_at) WHERE is_enabled = 1`);
    await queryRunner.query(`CREATE INDEX "${p}schedules_job" ON "${p}schedules" (job_type_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`DROP TABLE "${p}schedules"`);
    await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN checkpoint_json`);
  }
}
