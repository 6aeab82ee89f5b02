import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * The dashboard's indexes (issue 12), the same four as on SQLite, whose migration says why these
 * and no more. runs_job_type, runs_claim and runs_running already serve the job, pending and running
 * filters; runs_finished (completed_at, for the cleanup) has no status or queue in its key, so the
 * overview's range counts per status and queue need runs_finished_queue beside it.
 */
export class ZapJobsPgDashboardIndexes1764760000000 implements MigrationInterface {
  name = 'ZapJobsPgDashboardIndexes1764760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`CREATE INDEX "${p}runs_created" ON ${t('runs')} (created_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX "${p}runs_status_created" ON ${t('runs')} (status, created_at DESC, id DESC)
        WHERE status = 'failed' OR status = 'cancelled' OR status = 'awaiting'`,
    );
    await queryRunner.query(
      `CREATE INDEX "${p}runs_finished_queue" ON ${t('runs')} (status, queue, completed_at) WHERE status = 'completed' OR status = 'failed'`,
    );
    await queryRunner.query(`CREATE INDEX "${p}runs_correlation" ON ${t('runs')} (correlation_id, created_at DESC) WHERE correlation_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    for (const index of ['runs_correlation', 'runs_finished_queue', 'runs_status_created', 'runs_created']) await queryRunner.query(`DROP INDEX ${s}."${p}${index}"`);
  }
}
