import { InvalidPayloadError, UnknownJobError } from '../errors/errors.js';
import { JobRunStatus, JobTriggerType } from '../model/statuses.js';
import { toJson } from '../util/json.js';
import { uuidv7 } from '../util/uuidv7.js';
import type { Dialect } from './sql/dialect.js';
import type { NewJobRun } from './job-storage.types.js';

/** What a backend needs of a job's definition to fill in a run's defaults. */
export interface RunDefaults {
  queue: string;
  priority: number;
  /** The job has a concurrency limit: its runs get a concurrency key ('' unless given). */
  concurrencyLimited: boolean;
  /** The job has a rate limit: its runs get a rate key ('' unless given). */
  rateLimited: boolean;
}

/** RunDefaults from a definition row's queue, priority, concurrency_limit and rate_limit. */
export function runDefaults(row: Record<string, unknown>): RunDefaults {
  return {
    queue: row.queue as string,
    priority: Number(row.priority),
    concurrencyLimited: row.concurrency_limit != null,
    rateLimited: row.rate_limit != null,
  };
}

/** The columns of a new run, in the order runRow() gives their values. */
export const RUN_INSERT_COLUMNS = [
  'id', 'job_type_id', 'status', 'trigger_type', 'queue', 'priority', 'input_json', 'scheduled_at', 'created_at',
  'max_retries', 'correlation_id', 'parent_run_id', 'continue_on', 'pass_parent_output', 'concurrency_key', 'rate_key',
  'trace_context',
] as const;

/** The job type of a run to insert, checked before the definition is looked up. */
export function jobTypeOf(run: NewJobRun): string {
  if (run === null || typeof run !== 'object') throw new InvalidPayloadError(`run: expected an object, got ${run === null ? 'null' : typeof run}`);
  if (typeof run.jobTypeId !== 'string' || run.jobTypeId === '') throw new UnknownJobError(String(run.jobTypeId));
  return run.jobTypeId;
}

/** A text column's value: a string (or null where allowed) that every backend can store. */
function text(value: unknown, field: string, nullable: boolean): string | null {
  if (value == null && nullable) return null;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidPayloadError(`${field}: expected a non-empty string${nullable ? ' or null' : ''}, got ${describe(value)}`);
  }
  // PostgreSQL's text refuses NUL; refusing it everywhere keeps the backends alike.
  if (value.includes('\u0000')) throw new InvalidPayloadError(`${field}: contains a NUL character (\\u0000), which cannot be stored`);
  return value;
}

/** Integer columns are 32-bit on PostgreSQL: the same bounds apply everywhere. */
const INT_MAX = 2 ** 31 - 1;

function int(value: unknown, field: string, min: number, nullable: boolean): number | null {
  if (value == null && nullable) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > INT_MAX) {
    throw new InvalidPayloadError(`${field}: expected an integer from ${min} to ${INT_MAX}${nullable ? ' or null' : ''}, got ${describe(value)}`);
  }
  return value;
}

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' || value == null ? String(value) : typeof value;

/**
 * A run to insert, validated and serialised before anything is written (so bad input stores
 * nothing), as the values of RUN_INSERT_COLUMNS in the dialect's encodings.
 */
export function runRow(run: NewJobRun, defaults: RunDefaults, now: number, maxPayloadBytes: number, d: Dialect): unknown[] {
  const inputJson = run.inputJson !== undefined ? run.inputJson : toJson(run.input, `input of job '${run.jobTypeId}'`, maxPayloadBytes);
  let scheduledAt = now;
  if (run.scheduledAt !== undefined) {
    scheduledAt = run.scheduledAt instanceof Date ? run.scheduledAt.getTime() : NaN;
    if (!Number.isFinite(scheduledAt)) throw new InvalidPayloadError(`scheduledAt: expected a valid Date, got ${describe(run.scheduledAt)}`);
  }
  const status = run.status ?? JobRunStatus.Pending;
  if (status !== JobRunStatus.Pending && status !== JobRunStatus.Awaiting) {
    throw new InvalidPayloadError(`status: a new run is 'pending' or 'awaiting', got ${describe(status)}`);
  }
  const continueOn = run.continueOn ?? null;
  if (continueOn !== null && !['success', 'failure', 'always'].includes(continueOn)) {
    throw new InvalidPayloadError(`continueOn: expected 'success', 'failure' or 'always', got ${describe(continueOn)}`);
  }
  if (run.passParentOutput !== undefined && typeof run.passParentOutput !== 'boolean') {
    throw new InvalidPayloadError(`passParentOutput: expected a boolean, got ${describe(run.passParentOutput)}`);
  }
  if (run.id !== undefined && !d.isRunId(run.id)) throw new InvalidPayloadError(`id: expected a UUID, got ${describe(run.id)}`);
  return [
    run.id ?? uuidv7(now),
    run.jobTypeId,
    status,
    run.triggerType ?? JobTriggerType.Manual,
    text(run.queue ?? defaults.queue, 'queue', false),
    int(run.priority ?? defaults.priority, 'priority', -INT_MAX - 1, false),
    inputJson,
    d.time(scheduledAt),
    d.time(now),
    int(run.maxRetries, 'maxRetries', 0, true),
    text(run.correlationId, 'correlationId', true),
    run.parentRunId ?? null,
    continueOn,
    d.bool(run.passParentOutput ?? false),
    text(run.concurrencyKey, 'concurrencyKey', true) ??
      (defaults.concurrencyLimited ? '' : null),
    text(run.rateKey, 'rateKey', true) ?? (defaults.rateLimited ? '' : null),
    text(run.traceContext, 'traceContext', true),
  ];
}
