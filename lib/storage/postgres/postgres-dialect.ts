import type { Dialect, ParamType } from '../sql/dialect.js';

const TYPES: Record<ParamType, string> = {
  text: 'text', int: 'int', bigint: 'bigint', time: 'timestamptz', bool: 'boolean', json: 'jsonb', uuid: 'uuid',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PostgreSQL: timestamptz, native booleans, uuid and jsonb; lists as arrays with = ANY. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  time: (ms) => new Date(ms),
  bool: (value) => value,
  literal: (value) => (value ? 'true' : 'false'),
  param: (type) => `?::${TYPES[type]}`,
  jsonText: (column) => `${column}::text AS ${column.replace(/^.*\./, '')}`,
  inList: (column, values, type) => ({ sql: `${column} = ANY(?::${TYPES[type]}[])`, param: [...values] }),
  epochMs: (column) => `(EXTRACT(EPOCH FROM ${column}) * 1000)::bigint`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  forUpdate: 'FOR UPDATE',
  skipLocked: 'FOR UPDATE SKIP LOCKED',
  isRunId: (id) => typeof id === 'string' && UUID.test(id),
  isUniqueViolation: (error) => (error as { code?: string } | null)?.code === '23505',
  // SQLSTATE classes 22 (data exception), 23 (integrity constraint violation), 54 (program limit exceeded).
  isDataError: (error) => /^(22|23|54)/.test(String((error as { code?: string } | null)?.code ?? '')),
};
