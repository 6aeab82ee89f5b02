import { closeSync, fstatSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseFileGoneError } from '../../errors/errors.js';
import { runBodySync, type Row, type SqlExecutor, type Statement, type StatementResult, type TxBody } from '../sql/executor.js';

/**
 * Statements on the DataSource's one better-sqlite3 connection. Each SQL text is prepared once.
 * Writes run in `BEGIN IMMEDIATE ... COMMIT` within one turn of the event loop: JavaScript runs
 * the transaction to its end before any other flow continues, so the one connection is a single
 * write lane without a mutex, and IMMEDIATE takes the write lock before reading, so a writer in
 * another process makes it wait (busy_timeout) instead of failing with SQLITE_BUSY_SNAPSHOT.
 */
export class SqliteExecutor implements SqlExecutor {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** One better-sqlite3 transaction wrapper, reused: it calls the function it is given. */
  private readonly lane: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;

  /** A descriptor of our own on the database file (none in memory), to notice it deleted or replaced. */
  private fd: number | undefined;
  private readonly file: string | undefined;

  constructor(readonly db: BetterSqlite3.Database) {
    this.lane = db.transaction((fn: () => unknown) => fn());
    if (!db.memory) {
      this.file = resolve(db.name);
      this.fd = openSync(this.file, 'r');
    }
  }

  /**
   * A file deleted, or replaced by a rename, under an open connection still takes writes, into an
   * inode nobody else can open and that is gone at exit: acknowledged enqueues would vanish. Its
   * link count is then 0, which an fstat() of our descriptor (under a microsecond) shows. Checked
   * before every write but those of the claim and completion hot path: enqueues fail, and a worker
   * notices at its next heartbeat.
   */
  private checkFile(): void {
    if (this.fd !== undefined && fstatSync(this.fd).nlink === 0) throw new DatabaseFileGoneError(this.file as string);
  }

  /**
   * Closes the descriptor. Only once SQLite has closed the database: closing any descriptor of a
   * file drops every POSIX lock the process holds on it, SQLite's included.
   */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The prepared statement of a SQL text, compiled on first use. */
  prepare(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs one statement now, on whatever transaction is open. */
  runSync(text: string, params: readonly unknown[]): StatementResult {
    const statement = this.prepare(text);
    if (statement.reader) {
      const rows = statement.all(...params) as Row[];
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: statement.run(...params).changes };
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction, synchronously. */
  writeSync<T>(fn: () => T): T {
    return this.lane.immediate(fn) as T;
  }

  /** Runs a TxBody now, inside the transaction the caller holds. */
  bodySync<T>(body: TxBody<T>): T {
    return runBodySync(body, (s: Statement) => this.runSync(s.sql, s.params));
  }

  async read(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.prepare(text).all(...params) as Row[];
  }

  async write(text: string, params: readonly unknown[] = []): Promise<StatementResult> {
    this.checkFile();
    return this.writeSync(() => this.runSync(text, params));
  }

  async transaction<T>(body: () => TxBody<T>): Promise<T> {
    this.checkFile();
    return this.writeSync(() => this.bodySync(body()));
  }
}
