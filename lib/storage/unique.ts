import { createHash } from 'node:crypto';
import { InvalidPayloadError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { UniqueOnConflict, UniqueOptions } from '../interfaces/enqueue-options.interface.js';
import { JobRunStatus } from '../model/statuses.js';
import { parseDuration } from '../util/duration.js';

/**
 * Unique (deduplicated) runs. A run enqueued with `unique` stores a key (unique_key: a hash of the
 * job id, the key or the input, and the window's bucket) and the statuses in which it holds that
 * key (unique_states: a bitmask). A partial UNIQUE index on unique_key, over the rows whose status
 * is in their own bitmask, lets at most one run hold a key: the database refuses a second one, in
 * any process, and frees the key by itself when the run moves to a status it does not count.
 * Model: riverqueue/river (unique_key and unique_states, river_job_state_in_bitmask).
 */

/** The bit of each status in unique_states. Fixed by the migration's index: never renumber. */
export const UNIQUE_STATUS_BITS: Readonly<Record<JobRunStatus, number>> = {
  [JobRunStatus.Pending]: 1,
  [JobRunStatus.Running]: 2,
  [JobRunStatus.Completed]: 4,
  [JobRunStatus.Failed]: 8,
  [JobRunStatus.Cancelled]: 16,
  [JobRunStatus.Awaiting]: 32,
};

/** The statuses that count as a duplicate unless `states` says otherwise. */
export const DEFAULT_UNIQUE_STATES: readonly JobRunStatus[] = [JobRunStatus.Pending, JobRunStatus.Awaiting, JobRunStatus.Running];

/**
 * The index's predicate, also the WHERE of every statement that finds a key's holder (SQLite takes
 * a partial index as an ON CONFLICT target only with this same expression). The text of the
 * migrations' index, which is released and never changes: keep them equal (the contract tests fail
 * otherwise, on both backends).
 */
export const UNIQUE_HELD = `unique_key IS NOT NULL AND (unique_states & CASE status WHEN 'pending' THEN 1 WHEN 'running' THEN 2
  WHEN 'completed' THEN 4 WHEN 'failed' THEN 8 WHEN 'cancelled' THEN 16 WHEN 'awaiting' THEN 32 ELSE 0 END) <> 0`;

/** Statuses `states` must hold: pending and running (see checkUnique). */
const REQUIRED_BITS = UNIQUE_STATUS_BITS[JobRunStatus.Pending] | UNIQUE_STATUS_BITS[JobRunStatus.Running];

export const UNIQUE_OPTION_KEYS: readonly string[] = ['key', 'for', 'states', 'onConflict'];

/** `unique` once checked: the window in ms, the statuses as a bitmask. */
export interface CheckedUnique {
  key?: string;
  windowMs?: number;
  states: number;
  onConflict: UniqueOnConflict;
}

/** What a unique run stores and how its insert treats a duplicate. */
export interface UniqueColumns {
  key: string;
  states: number;
  onConflict: UniqueOnConflict;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Checks a `unique` option (enqueue's, a NewJobRun's or @Job's): undefined when there is none
 * (undefined or false), `true` meaning `{}`. Errors come from `fail` (InvalidPayloadError by
 * default) and name the field, as `${field}.key`; a bad `for` throws InvalidDurationError.
 */
export function checkUnique(
  value: unknown,
  field = 'unique',
  fail: (message: string) => Error = (message) => new InvalidPayloadError(message),
): CheckedUnique | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) value = {};
  if (!isPlainObject(value)) throw fail(messages.uniqueNotObject(field, value));
  const unknown = Object.keys(value).filter((key) => !UNIQUE_OPTION_KEYS.includes(key));
  if (unknown.length > 0) throw fail(messages.unknownKeys(field, unknown, UNIQUE_OPTION_KEYS));
  const { key, for: window, states, onConflict } = value as UniqueOptions;
  if (key !== undefined && (typeof key !== 'string' || key === '')) throw fail(messages.uniqueBadKey(`${field}.key`, key));
  const windowMs = window === undefined ? undefined : parseDuration(window, `${field}.for`, { min: 1, why: 'a window holds at least 1 ms' });
  let bits = 0;
  if (states !== undefined) {
    if (!Array.isArray(states) || states.length === 0) throw fail(messages.uniqueBadStates(`${field}.states`, states));
    for (const status of states) {
      const bit = typeof status === 'string' ? UNIQUE_STATUS_BITS[status as JobRunStatus] : undefined;
      if (bit === undefined) throw fail(messages.uniqueBadStates(`${field}.states`, states, status));
      bits |= bit;
    }
    // A run goes between pending and running by itself (claims, retries, recovery, shutdown): were
    // one counted and not the other, a run coming back could meet another holder of its key, and
    // a worker's write would fail. With both counted, a run never enters the index by itself.
    if ((bits & REQUIRED_BITS) !== REQUIRED_BITS) throw fail(messages.uniqueStatesMissing(`${field}.states`, states));
  } else {
    for (const status of DEFAULT_UNIQUE_STATES) bits |= UNIQUE_STATUS_BITS[status];
  }
  if (onConflict !== undefined && onConflict !== 'skip' && onConflict !== 'replace') {
    throw fail(messages.uniqueBadOnConflict(`${field}.onConflict`, onConflict));
  }
  return { key, windowMs, states: bits, onConflict: onConflict ?? 'skip' };
}

/**
 * The `unique` of one enqueue: the fields it gives win over the job's default (@Job({ unique }));
 * `false` turns the default off, `true` (or leaving it out) takes it as it is. Not-object values
 * pass through untouched, for checkUnique to report.
 */
export function mergeUnique(jobDefault: UniqueOptions | boolean | undefined, own: unknown): unknown {
  if (own === false) return undefined;
  const base = jobDefault === true ? {} : jobDefault === false ? undefined : jobDefault;
  if (own === undefined) return base;
  if (own === true) return base ?? {};
  if (!isPlainObject(own) || base === undefined) return own;
  return { ...base, ...own };
}

/** JSON with object keys sorted at every level: equal values give equal text, whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = value as Record<string, unknown>;
  return `{${Object.keys(object)
    .sort()
    .filter((key) => object[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
    .join(',')}}`;
}

/**
 * The stored key of a unique run: a SHA-256 (hex) of the job id, the key given (or the input's
 * canonical JSON when none is), and, with a window, its length and the fixed bucket `now` falls
 * in: floor(now / window), buckets aligned to the Unix epoch. Hashed so that a key of any length
 * fits the index; the job id is part of it, so two jobs never share a key.
 */
export function uniqueColumns(unique: CheckedUnique, jobTypeId: string, inputJson: string | null, now: number): UniqueColumns {
  const subject = unique.key !== undefined ? ['key', unique.key] : ['input', canonicalJson(parsedInput(inputJson))];
  const window = unique.windowMs === undefined ? [] : [unique.windowMs, Math.floor(now / unique.windowMs)];
  const key = createHash('sha256').update(JSON.stringify([jobTypeId, ...subject, ...window])).digest('hex');
  return { key, states: unique.states, onConflict: unique.onConflict };
}

/** Input given already serialised (NewJobRun.inputJson) is not checked otherwise: a default key needs it to be JSON. */
function parsedInput(inputJson: string | null): unknown {
  if (inputJson === null) return null;
  try {
    return JSON.parse(inputJson);
  } catch (error) {
    throw new InvalidPayloadError(messages.notJson('inputJson (for the default unique key)', (error as Error).message), { cause: error });
  }
}

/** unique_states as the statuses it holds (null for a run without a key). */
export function statusesOf(bits: number | null): JobRunStatus[] | null {
  if (bits == null) return null;
  return (Object.keys(UNIQUE_STATUS_BITS) as JobRunStatus[]).filter((status) => (bits & UNIQUE_STATUS_BITS[status]) !== 0);
}

/** The bitmask of a list of statuses. */
export function bitsOf(statuses: readonly JobRunStatus[] | null): number | null {
  if (statuses == null) return null;
  return statuses.reduce((bits, status) => bits | (UNIQUE_STATUS_BITS[status] ?? 0), 0);
}
