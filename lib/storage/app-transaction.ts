import type { EntityManager, QueryRunner } from 'typeorm';
import { InvalidManagerError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { Statement, StatementResult } from './sql/executor.js';

/**
 * The application's open transaction, once checked to be on ZapJobs' database: runs the storage's
 * own insert statements on the application's connection, inside its transaction, so the runs
 * commit or roll back with the application's writes.
 */
export interface AppTransaction {
  run(statement: Statement): Promise<StatementResult>;
}

/** What TypeORM's `queryRunner.query(text, params, true)` gives, as a statement's result. */
export function resultOf(result: { records?: unknown[]; affected?: number | null } | undefined): StatementResult {
  const rows = (Array.isArray(result?.records) ? result.records : []) as StatementResult['rows'];
  // A RETURNING statement is a reader on better-sqlite3: its rows are what it changed.
  return { rows, changes: typeof result?.affected === 'number' ? result.affected : rows.length };
}

/** The TypeORM driver a backend's application DataSource must use, and how to name the backend. */
export interface AppDriver {
  type: string;
  storage: string;
}

/**
 * The query runner of `manager`, checked to be in an open transaction on a DataSource of the
 * expected driver: an InvalidManagerError (naming the field) otherwise, before anything is run.
 */
export function openTransactionOf(manager: unknown, driver: AppDriver): { manager: EntityManager; queryRunner: QueryRunner } {
  const m = manager as Partial<EntityManager> | null;
  if (m === null || typeof m !== 'object' || typeof m.query !== 'function' || typeof m.dataSource !== 'object' || m.dataSource === null) {
    throw new InvalidManagerError(messages.managerNotManager(manager));
  }
  const queryRunner = m.queryRunner;
  if (!queryRunner || queryRunner.isReleased || queryRunner.isTransactionActive !== true) {
    throw new InvalidManagerError(messages.managerNotInTransaction());
  }
  const type = m.dataSource.options?.type;
  if (type !== driver.type) throw new InvalidManagerError(messages.managerOtherDriver(type, driver.storage, driver.type));
  return { manager: m as EntityManager, queryRunner };
}
