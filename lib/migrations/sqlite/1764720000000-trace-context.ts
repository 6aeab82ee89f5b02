import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * The trace context of the code that enqueued a run (issue 13, tracing): JSON text of its W3C
 * propagation fields, so that the run's attempts continue that trace in whatever process runs them.
 * NULL for runs enqueued without tracing: they pay one empty column.
 */
export class ZapJobsTraceContext1764720000000 implements MigrationInterface {
  name = 'ZapJobsTraceContext1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "${tablePrefixOf(queryRunner)}runs" ADD COLUMN trace_context TEXT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "${tablePrefixOf(queryRunner)}runs" DROP COLUMN trace_context`);
  }
}
