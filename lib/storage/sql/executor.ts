/** A row as a driver returns it: column name -> value. */
export type Row = Record<string, unknown>;

/** One SQL statement with `?` placeholders and its parameters, in the dialect's value encodings. */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

/** What a statement gave: its rows (SELECT or RETURNING) and how many rows it changed. */
export interface StatementResult {
  rows: Row[];
  changes: number;
}

/**
 * The body of a transaction, written once for both engines: it yields each statement and receives
 * its result. SQLite runs it synchronously inside one BEGIN IMMEDIATE (no await can split it, so no
 * other flow's statement joins the transaction on the single connection); PostgreSQL runs it
 * between BEGIN and COMMIT on one pooled client, awaiting each statement.
 */
export type TxBody<T> = Generator<Statement, T, StatementResult>;

/** Inside a TxBody: `const { rows, changes } = yield* sql('UPDATE ...', [a, b])`. */
export function* sql(text: string, params: readonly unknown[] = []): Generator<Statement, StatementResult, StatementResult> {
  return yield { sql: text, params };
}

/** Inside a TxBody: the rows of a statement. */
export function* rows(text: string, params: readonly unknown[] = []): Generator<Statement, Row[], StatementResult> {
  return (yield { sql: text, params }).rows;
}

/** Drives a TxBody with a synchronous runner (SQLite). */
export function runBodySync<T>(body: TxBody<T>, run: (statement: Statement) => StatementResult): T {
  let step = body.next();
  while (!step.done) step = body.next(run(step.value));
  return step.value;
}

/** Drives a TxBody with an asynchronous runner (PostgreSQL). */
export async function runBody<T>(body: TxBody<T>, run: (statement: Statement) => Promise<StatementResult>): Promise<T> {
  let step = body.next();
  while (!step.done) step = body.next(await run(step.value));
  return step.value;
}

/** Runs statements on one engine. Every write is atomic on its own; `transaction` groups several. */
export interface SqlExecutor {
  /** A statement that only reads. */
  read(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * A read that also checks the database is still the one opened: SQLite looks at its file first
   * (a read through the open connection would still succeed on a deleted or replaced file).
   */
  probe(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** One statement that writes, in a transaction of its own. */
  write(text: string, params?: readonly unknown[]): Promise<StatementResult>;
  /** The statements of `body` in one transaction: all of them, or none when one throws. */
  transaction<T>(body: () => TxBody<T>): Promise<T>;
}
