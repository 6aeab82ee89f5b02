import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/** Tables and indexes of the first release. Released: never edit, add a migration instead. */
export class ZapJobsInitialSchema1732838400000 implements MigrationInterface {
  name = 'ZapJobsInitialSchema1732838400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE "${p}definitions" (
        job_type_id        TEXT PRIMARY KEY NOT NULL,
        display_name       TEXT NOT NULL,
        description        TEXT,
        queue              TEXT NOT NULL DEFAULT 'default',
        priority           INTEGER NOT NULL DEFAULT 0,
        schedule_type      TEXT NOT NULL DEFAULT 'none',
        cron_expression    TEXT,
        interval_ms        INTEGER,
        timezone           TEXT,
        misfire_policy     TEXT NOT NULL DEFAULT 'once',
        prevent_overlap    INTEGER NOT NULL DEFAULT 0,
        timeout_ms         INTEGER,
        max_retries        INTEGER,
        retry_delay_ms     INTEGER,
        is_enabled         INTEGER NOT NULL DEFAULT 1,
        default_input_json TEXT,
        tags               TEXT,
        last_run_at        INTEGER,
        next_run_at        INTEGER,
        last_run_status    TEXT,
        created_at         INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE "${p}runs" (
        id                 TEXT PRIMARY KEY NOT NULL,
        job_type_id        TEXT NOT NULL,
        status             TEXT NOT NULL,
        trigger_type       TEXT NOT NULL,
        queue              TEXT NOT NULL,
        priority           INTEGER NOT NULL DEFAULT 0,
        input_json         TEXT,
        output_json        TEXT,
        scheduled_at       INTEGER NOT NULL,
        created_at         INTEGER NOT NULL,
        started_at         INTEGER,
        completed_at       INTEGER,
        duration_ms        INTEGER,
        error_message      TEXT,
        error_details      TEXT,
        worker_id          TEXT,
        attempt_number     INTEGER NOT NULL DEFAULT 0,
        max_retries        INTEGER,
        correlation_id     TEXT,
        parent_run_id      TEXT,
        next_retry_at      INTEGER,
        progress_json      TEXT,
        continue_on        TEXT,
        pass_parent_output INTEGER NOT NULL DEFAULT 0
      )`);
    // The claim: equality on queue, then priority and time order, read from a partial index that
    // holds only pending rows, so millions of finished runs never slow it down.
    await queryRunner.query(
      `CREATE INDEX "${p}runs_claim" ON "${p}runs" (queue, priority DESC, scheduled_at, created_at) WHERE status = 'pending'`,
    );
    // Stale-run recovery and shutdown look up the runs a worker holds.
    await queryRunner.query(`CREATE INDEX "${p}runs_running" ON "${p}runs" (worker_id) WHERE status = 'running'`);
    // No index for the cleanup: it walks the table in rowid (insertion) order instead, which costs
    // nothing per completion, where an index on completed_at cost a third of the completion's time.
    // Listing a job's runs. Its columns never change after insert, so claims and completions,
    // which rewrite status, do not pay for it (every index that holds status costs a write per change).
    await queryRunner.query(`CREATE INDEX "${p}runs_job_type" ON "${p}runs" (job_type_id, created_at DESC)`);
    await queryRunner.query(
      `CREATE INDEX "${p}runs_parent" ON "${p}runs" (parent_run_id) WHERE parent_run_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "${p}logs" (
        id             INTEGER PRIMARY KEY,
        run_id         TEXT NOT NULL REFERENCES "${p}runs" (id) ON DELETE CASCADE,
        level          TEXT NOT NULL,
        message        TEXT NOT NULL,
        timestamp      INTEGER NOT NULL,
        category       TEXT,
        exception      TEXT,
        attempt_number INTEGER
      )`);
    await queryRunner.query(`CREATE INDEX "${p}logs_run" ON "${p}logs" (run_id, id)`);
    await queryRunner.query(`CREATE INDEX "${p}logs_timestamp" ON "${p}logs" (timestamp)`);
    await queryRunner.query(`
      CREATE TABLE "${p}heartbeats" (
        worker_id              TEXT PRIMARY KEY NOT NULL,
        hostname               TEXT,
        pid                    INTEGER,
        queues                 TEXT,
        concurrency            INTEGER,
        started_at             INTEGER NOT NULL,
        last_heartbeat         INTEGER NOT NULL,
        running_run_ids        TEXT,
        current_job_id         TEXT,
        current_job_started_at INTEGER
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    for (const table of ['heartbeats', 'logs', 'runs', 'definitions']) {
      await queryRunner.query(`DROP TABLE IF EXISTS "${p}${table}"`);
    }
  }
}
