import type { MigrationInterface } from 'typeorm';

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
}

/** The timestamp TypeORM records for a migration: the 13 digits its name ends with. */
export const migrationTimestamp = (name: string): number => Number(name.slice(-13));
