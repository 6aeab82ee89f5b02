import type { Dialect } from '../sql/dialect.js';

/** SQLite: times as integer epoch ms, booleans 0/1, lists as JSON arrays read with json_each. */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  time: (ms) => ms,
  bool: (value) => (value ? 1 : 0),
  literal: (value) => (value ? '1' : '0'),
  param: () => '?',
  jsonText: (column) => column,
  inList: (column, values) => ({ sql: `${column} IN (SELECT value FROM json_each(?))`, param: JSON.stringify(values) }),
  epochMs: (column) => column,
  greatest: (a, b) => `MAX(${a}, ${b})`,
  forUpdate: '',
  skipLocked: '',
  isRunId: () => true,
  isUniqueViolation: (error) => {
    const code = (error as { code?: string } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  },
  isDataError: (error) => {
    const code = (error as { code?: string } | null)?.code ?? '';
    // better-sqlite3 reports values it cannot bind as a RangeError or TypeError, before SQLite runs.
    return /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code) || error instanceof RangeError || error instanceof TypeError;
  },
};
