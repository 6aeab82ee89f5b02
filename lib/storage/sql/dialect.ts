/** Column types a parameter may need spelt out (PostgreSQL cannot always infer one). */
export type ParamType = 'text' | 'int' | 'bigint' | 'time' | 'bool' | 'json' | 'uuid';

/**
 * What truly differs between SQLite and PostgreSQL in the shared SQL: value encodings (times are
 * epoch-ms integers on SQLite and timestamptz on PostgreSQL, booleans 0/1 or true/false), lists bound
 * as one parameter, a few functions, and error codes. Everything else is the same text on both.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** A time (epoch ms) as its column stores it. */
  time(ms: number): unknown;
  /** A boolean as its column stores it. */
  bool(value: boolean): unknown;
  /** The literal true or false in SQL. */
  literal(value: boolean): string;
  /** A `?` placeholder whose type is spelt out where the engine needs it. */
  param(type: ParamType): string;
  /** A JSON column read as JSON text (PostgreSQL's jsonb otherwise comes back parsed). */
  jsonText(column: string): string;
  /** `column` is one of `values`, bound as one parameter: the SQL and the parameter. */
  inList(column: string, values: readonly string[], type: 'text' | 'uuid'): { sql: string; param: unknown };
  /** A time column as epoch milliseconds (an integer), for bucketing by minute or hour. */
  epochMs(column: string): string;
  /** The larger of two values. */
  greatest(a: string, b: string): string;
  /** Row locks for a read-then-write inside a transaction (SQLite's IMMEDIATE already holds the lock). */
  readonly forUpdate: string;
  /** Row locks that pass over rows another transaction holds (claims, recovery). */
  readonly skipLocked: string;
  /** Whether the text can be a run id at all (PostgreSQL's uuid column refuses other text). */
  isRunId(id: string): boolean;
  /** The error a unique or primary key violation raises. */
  isUniqueViolation(error: unknown): boolean;
  /** An error about the statement's values (a constraint, a value the column cannot hold), not the connection. */
  isDataError(error: unknown): boolean;
}
