import { InvalidPayloadError } from '../../errors/errors.js';
import { CANCELLABLE_STATUSES, REQUEUEABLE_STATUSES } from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { CancelledRun, RunBulkFilter } from '../job-storage.types.js';
import type { Dialect } from './dialect.js';
import { rows, type TxBody } from './executor.js';
import { settleEnded, type SqlContext } from './transitions.js';
import { countRequeued } from './batches.js';
import { storableText } from './storable-text.js';
import { refuseUnknownKeys } from '../../util/unknown-keys.js';

/** The rows of one bulk operation, as a WHERE clause on the runs table (no alias) and its parameters. */
export interface BulkWhere {
  sql: string;
  params: unknown[];
}

const ALL_STATUSES = Object.values(JobRunStatus) as string[];
const FILTER_FIELDS: ReadonlyArray<keyof RunBulkFilter> = ['status', 'jobTypeId', 'queue', 'createdAfter', 'createdBefore'];

/**
 * A RunBulkFilter checked and turned into SQL. `allowed` are the statuses the operation may act
 * on (retryMany: failed or cancelled; cancelMany: not finished); `fallback` is taken when the
 * filter names none. A status outside `allowed` is refused, naming it, rather than silently skipped.
 */
export function bulkWhere(d: Dialect, filter: RunBulkFilter, operation: 'retryMany' | 'cancelMany'): BulkWhere {
  if (filter === null || typeof filter !== 'object') throw new InvalidPayloadError(`${operation}: expected a filter object, got ${filter === null ? 'null' : typeof filter}`);
  // A field this filter does not know (a listRuns field such as correlationId, a typo) would
  // otherwise narrow nothing: the operation would act on every run.
  refuseUnknownKeys(filter, FILTER_FIELDS, operation, 'not a filter field');
  const allowed = operation === 'retryMany' ? REQUEUEABLE_STATUSES : CANCELLABLE_STATUSES;
  const fallback = operation === 'retryMany' ? [JobRunStatus.Failed] : CANCELLABLE_STATUSES;
  const statuses = filter.status === undefined ? fallback : Array.isArray(filter.status) ? filter.status : [filter.status];
  if (statuses.length === 0) throw new InvalidPayloadError(`${operation}: status: expected at least one status`);
  for (const status of statuses) {
    if (!ALL_STATUSES.includes(status)) throw new InvalidPayloadError(`${operation}: status: '${String(status)}' is not a run status (${ALL_STATUSES.join(', ')})`);
    if (!allowed.includes(status)) {
      throw new InvalidPayloadError(`${operation}: status: acts on ${allowed.join(', ')} runs only, got '${status}'`);
    }
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const list = d.inList('status', statuses, 'text');
  where.push(list.sql);
  params.push(list.param);
  for (const field of ['jobTypeId', 'queue'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new InvalidPayloadError(`${operation}: ${field}: expected a non-empty string, got ${typeof value}`);
    where.push(`${field === 'jobTypeId' ? 'job_type_id' : 'queue'} = ?`);
    params.push(value);
  }
  for (const [field, op] of [['createdAfter', '>='], ['createdBefore', '<']] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
      throw new InvalidPayloadError(`${operation}: ${field}: expected a valid Date, got ${String(value)}`);
    }
    where.push(`created_at ${op} ?`);
    params.push(d.time(value.getTime()));
  }
  return { sql: where.join(' AND '), params };
}

export function checkBatchSize(batchSize: unknown, operation: string): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new InvalidPayloadError(`${operation}: batchSize: expected an integer from 1 to 10000, got ${String(batchSize)}`);
  }
  return batchSize;
}

/** The ids of the next batch: matching runs after `cursor` in id order, locked (passing over rows others hold). */
export function* nextBatch(c: SqlContext, where: BulkWhere, cursor: string | null, limit: number): TxBody<string[]> {
  const { t, d } = c;
  const after = cursor === null ? '' : ` AND id > ${d.param('uuid')}`;
  const found = yield* rows(
    `SELECT id FROM ${t.runs} WHERE ${where.sql}${after} ORDER BY id LIMIT ? ${d.skipLocked}`,
    [...where.params, ...(cursor === null ? [] : [cursor]), limit],
  );
  return found.map((row) => String(row.id));
}

/**
 * Runs of `ids` back to Pending for a new round of attempts, as requeueRun does one; `where` again,
 * so a run that changed since it was read is left alone. Returns how many went back.
 */
export function* requeueRuns(c: SqlContext, ids: string[], where: BulkWhere, at: number): TxBody<number> {
  const { t, d } = c;
  const list = d.inList('id', ids, 'uuid');
  const inBatches = yield* rows(`SELECT id, status, batch_id, awaited FROM ${t.runs}
      WHERE ${list.sql} AND ${where.sql} AND (batch_id IS NOT NULL OR awaited IS NOT NULL)`, [
    list.param, ...where.params,
  ]);
  if (inBatches.length > 0) yield* countRequeued(c, inBatches);
  const changed = yield* rows(
    `UPDATE ${t.runs} SET status = 'pending', scheduled_at = ?, completed_at = NULL, next_retry_at = NULL, attempt_number = 0, worker_id = NULL
      WHERE ${list.sql} AND ${where.sql}
      RETURNING queue`,
    [d.time(at), list.param, ...where.params],
  );
  yield* c.notify(new Set(changed.map((row) => row.queue as string)));
  return changed.length;
}

/** Runs of `ids` Cancelled (`where` again, as above), their continuations resolved; returns them. */
export function* cancelRuns(c: SqlContext, ids: string[], where: BulkWhere, reason: string, at: number): TxBody<CancelledRun[]> {
  const { t, d } = c;
  const list = d.inList('id', ids, 'uuid');
  // RETURNING gives the new status: the running ones are read first (their workers abort them).
  const running = yield* rows(`SELECT id FROM ${t.runs} WHERE ${list.sql} AND ${where.sql} AND status = 'running'`, [list.param, ...where.params]);
  const changed = yield* rows(
    `UPDATE ${t.runs} SET status = 'cancelled', completed_at = ?, error_message = ? WHERE ${list.sql} AND ${where.sql}
      RETURNING id, job_type_id, queue, batch_id, awaited`,
    [d.time(at), storableText(reason), list.param, ...where.params],
  );
  yield* settleEnded(c, changed, JobRunStatus.Cancelled, at);
  const wasRunning = new Set(running.map((row) => String(row.id)));
  return changed.map((row) => ({
    runId: String(row.id), jobTypeId: String(row.job_type_id), queue: String(row.queue), wasRunning: wasRunning.has(String(row.id)),
  }));
}
