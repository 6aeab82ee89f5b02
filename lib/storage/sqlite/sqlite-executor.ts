import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseFileGoneError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import { runBodySync, runEffects, type Row, type SqlExecutor, type Statement, type StatementResult, type TxBody } from '../sql/executor.js';

/** How often, at most, a write looks whether the database file is still there (see checkFile). */
export const FILE_CHECK_MS = 1;

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

  /** The database file and its identity when opened (none in memory). */
  private readonly file: { path: string; dev: number; ino: number } | undefined;
  private checkedAt = -Infinity;
  private gone = false;
  /** The application's own connections to this file that enqueued through their transaction (see shareFileWith). */
  private readonly appConnections = new Set<BetterSqlite3.Database>();
  private appWaitMs = 0;

  constructor(readonly db: BetterSqlite3.Database) {
    this.lane = db.transaction((fn: () => unknown) => fn());
    if (!db.memory) {
      const path = resolve(db.name);
      const { dev, ino } = statSync(path);
      this.file = { path, dev, ino };
    }
  }

  /**
   * A file deleted, moved or replaced under an open connection still takes writes, into an inode
   * that other processes no longer find (and, deleted, that is gone at exit): acknowledged enqueues
   * would vanish. A stat() of the path before the writes (but those of the claim and completion hot
   * path): enqueues fail, and a worker notices at its next heartbeat. (Not an
   * fstat() of a descriptor of our own: closing it would drop every POSIX lock the process holds on
   * the file, those of SQLite's other connections included.)
   */
  private checkFile(): void {
    if (!this.file) return;
    // At most once per FILE_CHECK_MS while the file is there: a stat() costs as much as a tenth of
    // an enqueue. A deletion is noticed within that time; from then on every write looks again
    // (and fails until the file is back).
    const at = performance.now();
    if (!this.gone && at - this.checkedAt < FILE_CHECK_MS) return;
    this.checkedAt = at;
    const now = statSync(this.file.path, { throwIfNoEntry: false });
    this.gone = !now || now.ino !== this.file.ino || now.dev !== this.file.dev;
    if (this.gone) throw new DatabaseFileGoneError(this.file.path);
  }

  /**
   * An application connection to this same file, seen in enqueue({ manager }). Its transactions
   * hold SQLite's one write lock across awaits: a write of ours meanwhile would wait in SQLite's
   * busy handler, which blocks this thread, so the application could never commit and the write
   * would fail after busy_timeout. (And a write of ours committed inside the application's read
   * snapshot would make its next write fail with SQLITE_BUSY_SNAPSHOT.) So while one of them has a
   * transaction open, our writes wait for it, with the event loop turning (appLaneClear).
   */
  shareFileWith(app: BetterSqlite3.Database): void {
    if (this.appConnections.has(app)) return;
    this.appConnections.add(app);
    this.appWaitMs = Number(this.db.pragma('busy_timeout', { simple: true })) || 0;
  }

  /**
   * True when writes may go now: no application connection of shareFileWith has a transaction
   * open. Callers do `if (!executor.appLaneClear()) await executor.waitForApp()` before a write:
   * without any such connection this costs one size check.
   */
  appLaneClear(): boolean {
    if (this.appConnections.size === 0) return true;
    for (const app of this.appConnections) {
      if (!app.open) this.appConnections.delete(app);
      else if (app.inTransaction) return false;
    }
    return true;
  }

  /** Waits (polling each millisecond or so) until appLaneClear(); fails as SQLite would after busy_timeout. */
  async waitForApp(): Promise<void> {
    const deadline = Date.now() + this.appWaitMs;
    while (!this.appLaneClear()) {
      if (Date.now() >= deadline) throw Object.assign(new Error(messages.appTransactionHoldsLock(this.appWaitMs)), { code: 'SQLITE_BUSY' });
      await sleep(1);
    }
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

  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction, synchronously (the rider's statements after its
   * own), then the afterCommit functions its TxBodies gave (bodySync), once it has committed.
   */
  writeSync<T>(fn: () => T): T {
    // Nested in an open write (a savepoint): the outer one runs the effects at its commit.
    if (this.effects) return this.immediate(fn);
    const effects: Array<() => void> = (this.effects = []);
    let result: T;
    try {
      result = this.immediate(fn);
    } finally {
      this.effects = undefined;
    }
    runEffects(effects);
    return result;
  }

  private immediate<T>(fn: () => T): T {
    const rider = this.rider;
    if (!rider) return this.lane.immediate(fn) as T;
    return this.lane.immediate(() => {
      const result = fn();
      rider();
      return result;
    }) as T;
  }

  /** The afterCommit functions of the write open now (synchronous: only one is ever open). */
  private effects: Array<() => void> | undefined;

  /**
   * Statements that ride along at the end of every write transaction, so that they cost no commit
   * of their own (the event feed's INSERT rides on the hot path's). The rider must not throw.
   */
  setRider(rider: (() => void) | undefined): void {
    this.rider = rider;
  }

  private rider: (() => void) | undefined;

  /** Runs a TxBody now, inside the transaction the caller holds. */
  bodySync<T>(body: TxBody<T>): T {
    if (!this.effects) throw new Error('bodySync() outside a write: a TxBody runs inside writeSync()');
    return runBodySync(body, (s: Statement) => this.runSync(s.sql, s.params), this.effects);
  }

  async read(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.prepare(text).all(...params) as Row[];
  }

  async probe(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    this.checkFile();
    return this.read(text, params);
  }

  async write(text: string, params: readonly unknown[] = []): Promise<StatementResult> {
    if (!this.appLaneClear()) await this.waitForApp();
    this.checkFile();
    return this.writeSync(() => this.runSync(text, params));
  }

  async transaction<T>(body: () => TxBody<T>): Promise<T> {
    if (!this.appLaneClear()) await this.waitForApp();
    this.checkFile();
    return this.writeSync(() => this.bodySync(body()));
  }
}
