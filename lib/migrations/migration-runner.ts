import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Applies a backend's migrations, recorded in `{prefix}migrations` (TypeORM's own format: id,
 * timestamp, name), all in one transaction that first takes a lock (BEGIN IMMEDIATE on SQLite, an
 * advisory lock on PostgreSQL): a second process starting at the same time waits, then finds them
 * recorded and applies nothing, so both come up on one schema.
 */
export interface MigrationRunner {
  /** Every migration of the backend, in order. */
  readonly migrations: readonly MigrationInterface[];
  /** Names of the migrations recorded as applied. */
  applied(): Promise<string[]>;
  /** Applies the pending ones under the lock; returns their names. */
  migrate(): Promise<string[]>;
  /** The statements migrate() would run now, per pending migration, without running any (a dry run). */
  plan(): Promise<PlannedMigration[]>;
}

/** A pending migration and the SQL it would run. */
export interface PlannedMigration {
  name: string;
  statements: string[];
}

/**
 * The statements of each migration not in `applied`, recorded instead of run: the migration's up()
 * gets a query runner whose query() only writes the text down. Our migrations issue plain
 * statements and read no results, which is what makes this exact; one that branched on a query's
 * result would have to be planned otherwise.
 */
export async function planMigrations(
  migrations: readonly MigrationInterface[],
  applied: readonly string[],
  connection: DataSource,
): Promise<PlannedMigration[]> {
  const done = new Set(applied);
  const planned: PlannedMigration[] = [];
  for (const migration of migrations) {
    const name = migration.name as string;
    if (done.has(name)) continue;
    const statements: string[] = [];
    const recorder = {
      connection,
      query: async (sql: string) => {
        statements.push(dedent(sql));
        return [];
      },
    };
    await migration.up(recorder as unknown as QueryRunner);
    planned.push({ name, statements });
  }
  return planned;
}

/** Statement text without the indentation of the source it was written in. */
function dedent(sql: string): string {
  const lines = sql.replace(/^\s*\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.match(/^ */)![0].length));
  return lines.map((line) => line.slice(indent)).join('\n');
}

/** The timestamp TypeORM records for a migration: the 13 digits its name ends with. */
export const migrationTimestamp = (name: string): number => Number(name.slice(-13));
