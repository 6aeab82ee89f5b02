import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * Concurrency and rate limits per job type (issue 10). The limits live on the definition; each run
 * of a limited job carries its key ('' when the limit has none). The indexes are partial: runs of
 * jobs without limits have NULL keys, so they are in none of them and pay nothing.
 */
export class ZapJobsPgConcurrencyAndRateLimits1764633700000 implements MigrationInterface {
  name = 'ZapJobsPgConcurrencyAndRateLimits1764633700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(
      `ALTER TABLE ${t('definitions')} ADD COLUMN concurrency_limit integer, ADD COLUMN rate_limit integer, ADD COLUMN rate_period_ms bigint`,
    );
    await queryRunner.query(`ALTER TABLE ${t('runs')} ADD COLUMN concurrency_key text, ADD COLUMN rate_key text`);
    // Running runs per (job, key): what a concurrency limit counts.
    await queryRunner.query(
      `CREATE INDEX "${p}runs_limit_running" ON ${t('runs')} (job_type_id, concurrency_key) WHERE status = 'running' AND concurrency_key IS NOT NULL`,
    );
    // Starts per (job, key) by time: the sliding log a rate limit counts.
    await queryRunner.query(`CREATE INDEX "${p}runs_rate_log" ON ${t('runs')} (job_type_id, rate_key, started_at) WHERE rate_key IS NOT NULL`);
    // Pending runs of limited jobs, for the limited claim.
    await queryRunner.query(
      `CREATE INDEX "${p}runs_limit_pending" ON ${t('runs')} (job_type_id, queue, priority DESC, scheduled_at, created_at)
        WHERE status = 'pending' AND (concurrency_key IS NOT NULL OR rate_key IS NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    for (const index of ['runs_limit_pending', 'runs_rate_log', 'runs_limit_running']) await queryRunner.query(`DROP INDEX ${s}."${p}${index}"`);
    await queryRunner.query(`ALTER TABLE ${t('runs')} DROP COLUMN rate_key, DROP COLUMN concurrency_key`);
    await queryRunner.query(`ALTER TABLE ${t('definitions')} DROP COLUMN rate_period_ms, DROP COLUMN rate_limit, DROP COLUMN concurrency_limit`);
  }
}
