/** A row as a driver returns it: column name -> value. */
export type Row = Record<string, unknown>;

/** One SQL statement with `?` placeholders and its parameters, in the dialect's value encodings. */
export interface Statement {
  sql: string;
  params: readonly unknown[];
  /** Not a statement: a function the executor calls once the transaction has committed (see afterCommit). */
  afterCommit?: () => void;
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

/**
 * Inside a TxBody: `fn` is called after the transaction commits, and never if it rolls back (what
 * it announces, the commit made true). Its errors are the caller's to keep: it must not throw.
 */
export function* afterCommit(fn: () => void): Generator<Statement, void, StatementResult> {
  yield { sql: '', params: [], afterCommit: fn };
}

const NOTHING: StatementResult = { rows: [], changes: 0 };

/** Drives a TxBody with a synchronous runner (SQLite); its afterCommit functions go to `effects`. */
export function runBodySync<T>(body: TxBody<T>, run: (statement: Statement) => StatementResult, effects: Array<() => void>): T {
  let step = body.next();
  while (!step.done) {
    const statement = step.value;
    if (statement.afterCommit) effects.push(statement.afterCommit);
    step = body.next(statement.afterCommit ? NOTHING : run(statement));
  }
  return step.value;
}

/** Drives a TxBody with an asynchronous runner (PostgreSQL); its afterCommit functions go to `effects`. */
export async function runBody<T>(body: TxBody<T>, run: (statement: Statement) => Promise<StatementResult>, effects: Array<() => void>): Promise<T> {
  let step = body.next();
  while (!step.done) {
    const statement = step.value;
    if (statement.afterCommit) effects.push(statement.afterCommit);
    step = body.next(statement.afterCommit ? NOTHING : await run(statement));
  }
  return step.value;
}

/** Calls the afterCommit functions of a committed transaction. */
export function runEffects(effects: ReadonlyArray<() => void>): void {
  for (const effect of effects) effect();
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
