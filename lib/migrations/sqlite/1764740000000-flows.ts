import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Flows (issue 11). Checkpoints: one JSON object per run, keyed by the handler's names, kept with
 * the run so that a retried or rescued attempt reads what the previous one saved. Named schedules:
 * many per job type, each with its own input and next tick (the definition's stays the job's default).
 * The key is unique across jobs, so that a key names one schedule wherever it is used. Batches: a
 * row of counters per batch, and on each run the batch it belongs to (or whose callback it is).
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
    // Batches: counters of unfinished and finished children, updated in the transaction that finishes each child.
    await queryRunner.query(`
      CREATE TABLE "${p}batches" (
        id          TEXT PRIMARY KEY NOT NULL,
        description TEXT,
        state       TEXT NOT NULL DEFAULT 'open',
        total       INTEGER NOT NULL,
        pending     INTEGER NOT NULL,
        succeeded   INTEGER NOT NULL DEFAULT 0,
        failed      INTEGER NOT NULL DEFAULT 0,
        cancelled   INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        finished_at INTEGER
      )`);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN batch_id TEXT`);
    await queryRunner.query(`ALTER TABLE "${p}runs" ADD COLUMN callback_of_batch TEXT`);
    await queryRunner.query(`CREATE INDEX "${p}runs_batch" ON "${p}runs" (batch_id) WHERE batch_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "${p}runs_batch_callback" ON "${p}runs" (callback_of_batch) WHERE callback_of_batch IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    for (const index of ['runs_batch_callback', 'runs_batch']) await queryRunner.query(`DROP INDEX "${p}${index}"`);
    for (const column of ['callback_of_batch', 'batch_id']) await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN ${column}`);
    await queryRunner.query(`DROP TABLE "${p}batches"`);
    await queryRunner.query(`DROP TABLE "${p}schedules"`);
    await queryRunner.query(`ALTER TABLE "${p}runs" DROP COLUMN checkpoint_json`);
  }
}
