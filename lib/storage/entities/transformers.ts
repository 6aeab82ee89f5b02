import type { ValueTransformer } from 'typeorm';

/**
 * Times are stored as integer epoch milliseconds (UTC): comparisons and ORDER BY in SQL are then
 * plain integer comparisons, exact to the millisecond, with no text format or time zone to get wrong.
 */
export const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : value.getTime()),
  from: (value: number | string | null) => (value == null ? null : new Date(Number(value))),
};

/** SQLite has no boolean: 0/1 integers. */
export const bool: ValueTransformer = {
  to: (value: boolean | null | undefined) => (value == null ? value : value ? 1 : 0),
  from: (value: number | boolean | null) => (value == null ? null : Boolean(value)),
};

/** Arrays stored as JSON text. */
export const jsonArray: ValueTransformer = {
  to: (value: string[] | null | undefined) => (value == null ? value : JSON.stringify(value)),
  from: (value: string | null) => (value == null ? [] : (JSON.parse(value) as string[])),
};
