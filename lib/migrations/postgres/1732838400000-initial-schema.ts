import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/** PostgreSQL tables of the first release: native timestamptz, jsonb and uuid. Released: never edit. */
export class ZapJobsPgInitialSchema1732838400000 implements MigrationInterface {
  name = 'ZapJobsPgInitialSchema1732838400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`
      CREATE TABLE ${t('definitions')} (
        job_type_id        text PRIMARY KEY,
        display_name       text NOT NULL,
        description        text,
        queue              text NOT NULL DEFAULT 'default',
        priority           integer NOT NULL DEFAULT 0,
        schedule_type      text NOT NULL DEFAULT 'none',
        cron_expression    text,
        interval_ms        bigint,
        timezone           text,
        misfire_policy     text NOT NULL DEFAULT 'once',
        prevent_overlap    boolean NOT NULL DEFAULT false,
        timeout_ms         bigint,
        max_retries        integer,
        retry_delay_ms     bigint,
        is_enabled         boolean NOT NULL DEFAULT true,
        default_input_json jsonb,
        tags               jsonb,
        last_run_at        timestamptz,
        next_run_at        timestamptz,
        last_run_status    text,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE ${t('runs')} (
        id                 uuid PRIMARY KEY,
        job_type_id        text NOT NULL,
        status             text NOT NULL,
        trigger_type       text NOT NULL,
        queue              text NOT NULL,
        priority           integer NOT NULL DEFAULT 0,
        input_json         jsonb,
        output_json        jsonb,
        scheduled_at       timestamptz NOT NULL,
        created_at         timestamptz NOT NULL,
        started_at         timestamptz,
        completed_at       timestamptz,
        duration_ms        bigint,
        error_message      text,
        error_details      text,
        worker_id          text,
        attempt_number     integer NOT NULL DEFAULT 0,
        max_retries        integer,
        correlation_id     text,
        parent_run_id      uuid,
        next_retry_at      timestamptz,
        progress_json      jsonb,
        continue_on        text,
        pass_parent_output boolean NOT NULL DEFAULT false
      )`);
    // Same partial indexes as on SQLite: claims read only pending rows; finished rows cost nothing.
    await queryRunner.query(
      `CREATE INDEX "${p}runs_claim" ON ${t('runs')} (queue, priority DESC, scheduled_at, created_at) WHERE status = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX "${p}runs_running" ON ${t('runs')} (worker_id) WHERE status = 'running'`);
    await queryRunner.query(
      `CREATE INDEX "${p}runs_finished" ON ${t('runs')} (completed_at) WHERE status IN ('completed', 'failed', 'cancelled')`,
    );
    await queryRunner.query(`CREATE INDEX "${p}runs_job_type" ON ${t('runs')} (job_type_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX "${p}runs_parent" ON ${t('runs')} (parent_run_id) WHERE parent_run_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE ${t('logs')} (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id         uuid NOT NULL REFERENCES ${t('runs')} (id) ON DELETE CASCADE,
        level          text NOT NULL,
        message        text NOT NULL,
        timestamp      timestamptz NOT NULL,
        category       text,
        exception      text,
        attempt_number integer
      )`);
    await queryRunner.query(`CREATE INDEX "${p}logs_run" ON ${t('logs')} (run_id, id)`);
    await queryRunner.query(`CREATE INDEX "${p}logs_timestamp" ON ${t('logs')} (timestamp)`);
    await queryRunner.query(`
      CREATE TABLE ${t('heartbeats')} (
        worker_id              text PRIMARY KEY,
        hostname               text,
        pid                    integer,
        queues                 jsonb,
        concurrency            integer,
        started_at             timestamptz NOT NULL,
        last_heartbeat         timestamptz NOT NULL,
        running_run_ids        jsonb,
        current_job_id         text,
        current_job_started_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    for (const table of ['heartbeats', 'logs', 'runs', 'definitions']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${s}."${p}${table}"`);
    }
  }
}
