import type { DataSource, QueryRunner } from 'typeorm';
import { InvalidManagerError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import { openTransactionOf, resultOf, type AppTransaction } from '../app-transaction.js';
import { numberPlaceholders, type PostgresExecutor } from './postgres-executor.js';

/** Which server and database a connection is on: the database's name and oid, and when its server started. */
const IDENTITY = `SELECT current_database() AS db, d.oid::text AS oid, pg_postmaster_start_time() AS started
  FROM pg_catalog.pg_database d WHERE d.datname = current_database()`;

/**
 * Whether the runs table is there and writable for the connection's role. Catalog reads and the
 * has_*_privilege functions given oids never raise, so the check cannot abort the application's
 * transaction.
 */
const REACH = `SELECT has_schema_privilege(n.oid, 'USAGE') AS usage, has_table_privilege(c.oid, 'INSERT') AS insert
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2`;

interface Identity {
  db: string;
  oid: string;
  started: number;
}

const identityOf = (row: Record<string, unknown> | undefined): Identity => ({
  db: String(row?.db),
  oid: String(row?.oid),
  started: new Date(row?.started as string | Date).getTime(),
});

/**
 * The application's transactions on PostgreSQL, checked to be on ZapJobs' database: the same
 * database of the same server (name, oid and server start time compared), with ZapJobs' runs table
 * reachable from the application's role. A DataSource that passed once is not checked again.
 * The inserts are the storage's own statements, numbered for TypeORM's `$n` placeholders; their
 * NOTIFY is delivered by PostgreSQL at commit (and never after a rollback).
 */
export class PostgresAppTransactions {
  private readonly verified = new WeakSet<DataSource>();
  private readonly numbered = new Map<string, string>();
  private readonly schema: string;
  private readonly table: string;

  constructor(private readonly zapjobs: PostgresExecutor, private readonly runsTable: string) {
    // runsTable is `"schema"."prefix_runs"`, as postgres-backend.ts builds it.
    const [, schema, table] = /^"(.*)"\."(.*)"$/.exec(runsTable) ?? [];
    this.schema = schema;
    this.table = table;
  }

  async open(manager: unknown): Promise<AppTransaction> {
    const { queryRunner } = openTransactionOf(manager, { type: 'postgres', storage: 'PostgreSQL' });
    if (!this.verified.has(queryRunner.dataSource)) {
      await this.verify(queryRunner);
      this.verified.add(queryRunner.dataSource);
    }
    return {
      run: async (statement) => {
        return resultOf(await queryRunner.query(this.textOf(statement.sql), [...statement.params], true));
      },
    };
  }

  private async verify(queryRunner: QueryRunner): Promise<void> {
    const [appRows, ownRows] = await Promise.all([
      queryRunner.query(IDENTITY) as Promise<Array<Record<string, unknown>>>,
      this.zapjobs.read(IDENTITY),
    ]);
    const app = identityOf(appRows[0]);
    const own = identityOf(ownRows[0]);
    if (app.db !== own.db || app.oid !== own.oid || app.started !== own.started) {
      const describe = (i: Identity, other: Identity) =>
        `database '${i.db}'${i.db === other.db ? ` (oid ${i.oid}, server started ${new Date(i.started).toISOString()})` : ''}`;
      throw new InvalidManagerError(messages.managerOtherDatabase(describe(app, own), describe(own, app)));
    }
    const [reach] = (await queryRunner.query(REACH, [this.schema, this.table])) as Array<Record<string, unknown>>;
    if (!reach) throw new InvalidManagerError(messages.managerTablesUnreachable(this.runsTable, 'missing'));
    if (reach.usage !== true || reach.insert !== true) {
      throw new InvalidManagerError(messages.managerTablesUnreachable(this.runsTable, "not writable (no USAGE on its schema or INSERT on it for your connection's role)"));
    }
  }

  private textOf(text: string): string {
    let found = this.numbered.get(text);
    if (found === undefined) this.numbered.set(text, (found = numberPlaceholders(text)));
    return found;
  }
}
