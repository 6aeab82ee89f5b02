import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/**
 * The trace context of the code that enqueued a run (issue 13, tracing): JSON text of its W3C
 * propagation fields, so that the run's attempts continue that trace in whatever process runs them.
 * NULL for runs enqueued without tracing. A nullable column without a default: no table rewrite.
 */
export class ZapJobsPgTraceContext1764720000000 implements MigrationInterface {
  name = 'ZapJobsPgTraceContext1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ${runsTable(queryRunner)} ADD COLUMN trace_context text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ${runsTable(queryRunner)} DROP COLUMN trace_context`);
  }
}

function runsTable(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
  return `"${schema}"."${tablePrefixOf(queryRunner)}runs"`;
}
