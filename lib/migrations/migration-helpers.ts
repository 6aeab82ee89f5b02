import type { QueryRunner } from 'typeorm';

/**
 * Migrations are plain TypeORM classes shared by every prefix: they read the prefix from the
 * DataSource they run on (its entityPrefix), so one class serves 'zj_' and any custom prefix.
 */
export function tablePrefixOf(queryRunner: QueryRunner): string {
  return queryRunner.connection.options.entityPrefix ?? '';
}
