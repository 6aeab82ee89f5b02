import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePrefixOf } from '../migration-helpers.js';

/** Fan-in (issue 11): see the SQLite migration of the same name for what each part is for. */
export class ZapJobsPgFanIn1764750000000 implements MigrationInterface {
  name = 'ZapJobsPgFanIn1764750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`ALTER TABLE ${t('batches')} ADD COLUMN kind text NOT NULL DEFAULT 'batch',
      ADD COLUMN include_outputs boolean NOT NULL DEFAULT false`);
    // Nullable without a default: added without rewriting the runs table.
    await queryRunner.query(`ALTER TABLE ${t('runs')} ADD COLUMN awaited boolean`);
    await queryRunner.query(`
      CREATE TABLE ${t('batch_parents')} (
        batch_id uuid NOT NULL REFERENCES ${t('batches')} (id) ON DELETE CASCADE,
        run_id   uuid NOT NULL,
        position integer NOT NULL,
        counted  text,
        PRIMARY KEY (batch_id, run_id)
      )`);
    await queryRunner.query(`CREATE INDEX "${p}batch_parents_run" ON ${t('batch_parents')} (run_id)`);
    await queryRunner.query(`CREATE INDEX "${p}batch_parents_uncounted" ON ${t('batch_parents')} (run_id) WHERE counted IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const p = tablePrefixOf(queryRunner);
    const s = `"${(queryRunner.connection.options as { schema?: string }).schema ?? 'public'}"`;
    const t = (name: string) => `${s}."${p}${name}"`;
    await queryRunner.query(`DROP TABLE ${t('batch_parents')}`);
    await queryRunner.query(`ALTER TABLE ${t('runs')} DROP COLUMN awaited`);
    await queryRunner.query(`ALTER TABLE ${t('batches')} DROP COLUMN include_outputs, DROP COLUMN kind`);
  }
}
