import { InvalidRunStateError } from '../../errors/errors.js';
import type { BatchSummary } from '../../interfaces/enqueue-options.interface.js';
import { releasedConditions, sqlList } from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { RunCompletion } from '../job-storage.types.js';
import { rows, sql, type Row, type TxBody } from './executor.js';
import { storableText } from './storable-text.js';
import { afterFinish, LEASE_HELD, leaseParams, resolveChildren, type SqlContext } from './transitions.js';

/**
 * Batches (jobs.batch()): a row of counters per batch, and on each child its batch_id. Each child
 * finishing moves the counters in the transaction that finishes it; the one transaction that
 * brings `pending` to 0 turns the batch 'finished' by conditional update and releases its
 * callbacks (Awaiting runs whose callback_of_batch is the batch): exactly once, whichever
 * process finishes the last children. Runs outside batches never reach this file.
 */

const COUNTER: Partial<Record<JobRunStatus, string>> = {
  [JobRunStatus.Completed]: 'succeeded',
  [JobRunStatus.Failed]: 'failed',
  [JobRunStatus.Cancelled]: 'cancelled',
};

/** Children that just finished in `status` (rows with batch_id): counted, and each batch they end released. */
export function* countFinished(c: SqlContext, finished: Row[], status: JobRunStatus, at: number): TxBody<void> {
  const counter = COUNTER[status];
  if (!counter) return;
  const perBatch = new Map<string, number>();
  for (const row of finished) {
    if (row.batch_id != null) perBatch.set(String(row.batch_id), (perBatch.get(String(row.batch_id)) ?? 0) + 1);
  }
  // In id order: two transactions finishing children of the same batches lock their rows in one order.
  for (const batchId of [...perBatch.keys()].sort()) {
    const n = perBatch.get(batchId) as number;
    const text = c.text(`countFinished:${counter}`, () =>
      `UPDATE ${c.t.batches} SET pending = pending - ?, ${counter} = ${counter} + ?
        WHERE id = ? AND state = 'open'
        RETURNING id, description, total, pending, succeeded, failed, cancelled`);
    const [batch] = yield* rows(text, [n, n, batchId]);
    if (batch && Number(batch.pending) <= 0) yield* finishBatch(c, batch, at);
  }
}

/**
 * Children of open batches put back in the queue (retry of a failed or cancelled child, rows of
 * batch_id and the status they had): uncounted again, so that the batch waits for their new round.
 * A batch that has ended stays as it is.
 */
export function* countRequeued(c: SqlContext, requeued: Row[]): TxBody<void> {
  for (const row of [...requeued].sort((a, b) => String(a.batch_id).localeCompare(String(b.batch_id)))) {
    const counter = COUNTER[row.status as JobRunStatus];
    if (row.batch_id == null || !counter) continue;
    yield* sql(`UPDATE ${c.t.batches} SET pending = pending + 1, ${counter} = ${counter} - 1 WHERE id = ? AND state = 'open'`, [row.batch_id]);
  }
}

/** The conditional update that ends a batch, then its callbacks: by the one transaction that wins it. */
function* finishBatch(c: SqlContext, batch: Row, at: number): TxBody<void> {
  const { t, d } = c;
  const { changes } = yield* sql(`UPDATE ${t.batches} SET state = 'finished', finished_at = ? WHERE id = ? AND state = 'open'`, [
    d.time(at), batch.id,
  ]);
  if (changes !== 1) return;
  const summary: BatchSummary = {
    batchId: String(batch.id),
    description: batch.description == null ? null : String(batch.description),
    total: Number(batch.total),
    succeeded: Number(batch.succeeded),
    failed: Number(batch.failed),
    cancelled: Number(batch.cancelled),
  };
  const outcome = summary.failed + summary.cancelled > 0 ? JobRunStatus.Failed : JobRunStatus.Completed;
  const met = `continue_on IN (${sqlList(releasedConditions(outcome))})`;
  const released = yield* rows(
    `UPDATE ${t.runs} SET
       status = CASE WHEN ${met} THEN 'pending' ELSE 'cancelled' END,
       scheduled_at = ${d.greatest('scheduled_at', d.param('time'))},
       completed_at = CASE WHEN ${met} THEN NULL ELSE ${d.param('time')} END,
       error_message = CASE WHEN ${met} THEN NULL ELSE ${d.param('text')} END,
       input_json = CASE WHEN ${met} THEN ${d.param('json')} ELSE input_json END
     WHERE callback_of_batch = ? AND status = 'awaiting'
     RETURNING id, status, queue`,
    [d.time(at), d.time(at), `batch callback not called: the batch ended ${outcome === JobRunStatus.Failed ? 'with failures' : 'successfully'}`,
      JSON.stringify(summary), batch.id],
  );
  yield* c.notify(new Set(released.filter((row) => row.status === JobRunStatus.Pending).map((row) => row.queue as string)));
  const cancelled = released.filter((row) => row.status === JobRunStatus.Cancelled).map((row) => String(row.id));
  if (cancelled.length > 0) yield* resolveChildren(c, cancelled, JobRunStatus.Cancelled, at);
}

/**
 * Completions of batch children (which the hot path passes over): each fenced on its lease, then
 * what any finished run gets (continuations, the definition's last run) and the batch's counters.
 */
export function* completeBatchChildren(c: SqlContext, completions: readonly RunCompletion[], at: number): TxBody<string[]> {
  const text = c.text('completeBatchChild', () => `UPDATE ${c.t.runs} SET status = 'completed', output_json = ${c.d.param('json')}, completed_at = ?,
      duration_ms = ?, error_message = NULL, error_details = NULL, checkpoint_json = NULL
    WHERE ${LEASE_HELD} AND batch_id IS NOT NULL RETURNING id, job_type_id, batch_id`);
  const finished: Row[] = [];
  for (const done of completions) {
    finished.push(...(yield* rows(text, [done.outputJson, c.d.time(done.completedAt.getTime()), done.durationMs, ...leaseParams(done)])));
  }
  yield* afterFinish(c, finished, JobRunStatus.Completed, at);
  return finished.map((row) => String(row.id));
}

/** A new batch: its row, then its children and callbacks (already inserted) marked as its own. */
export function* createBatch(
  c: SqlContext,
  batch: { id: string; description: string | null; children: unknown[][]; callbacks: unknown[][] },
  at: number,
): TxBody<void> {
  const { t, d } = c;
  yield* sql(`INSERT INTO ${t.batches} (id, description, total, pending, created_at) VALUES (?, ?, ?, ?, ?)`, [
    batch.id, storableText(batch.description), batch.children.length, batch.children.length, d.time(at),
  ]);
  yield* c.insertRuns([...batch.children, ...batch.callbacks]);
  yield* mark(c, 'batch_id', batch.id, batch.children);
  yield* mark(c, 'callback_of_batch', batch.id, batch.callbacks);
  yield* c.notify(new Set(batch.children.map((row) => row[4] as string)));
}

function* mark(c: SqlContext, column: 'batch_id' | 'callback_of_batch', batchId: string, runs: unknown[][]): TxBody<void> {
  if (runs.length === 0) return;
  const list = c.d.inList('id', runs.map((row) => row[0] as string), 'uuid');
  yield* sql(`UPDATE ${c.t.runs} SET ${column} = ${c.d.param('uuid')} WHERE ${list.sql}`, [batchId, list.param]);
}

/** The batch's row, locked; InvalidRunStateError unless it is open. */
function* openBatch(c: SqlContext, batchId: string): TxBody<Row> {
  const [row] = yield* rows(`SELECT id, state FROM ${c.t.batches} WHERE id = ? ${c.d.forUpdate}`, [batchId]);
  if (!row) throw new InvalidRunStateError(`Batch '${batchId}' does not exist.`);
  if (row.state !== 'open') throw new InvalidRunStateError(`Batch '${batchId}' is ${row.state as string}: runs can be added to an open batch only.`);
  return row;
}

/** More children in an open batch: counted before the batch can end without them. */
export function* addToBatch(c: SqlContext, batchId: string, children: unknown[][]): TxBody<void> {
  yield* openBatch(c, batchId);
  yield* sql(`UPDATE ${c.t.batches} SET total = total + ?, pending = pending + ? WHERE id = ?`, [children.length, children.length, batchId]);
  yield* c.insertRuns(children);
  yield* mark(c, 'batch_id', batchId, children);
  yield* c.notify(new Set(children.map((row) => row[4] as string)));
}

/**
 * Cancels an open batch: its pending and awaiting children and its callbacks. Children running now
 * finish as they will; the batch no longer counts them, and fires nothing. Returns the runs cancelled.
 */
export function* cancelBatch(c: SqlContext, batchId: string, at: number): TxBody<number> {
  const { t, d } = c;
  yield* openBatch(c, batchId);
  yield* sql(`UPDATE ${t.batches} SET state = 'cancelled', finished_at = ? WHERE id = ?`, [d.time(at), batchId]);
  const cancelled = yield* rows(
    `UPDATE ${t.runs} SET status = 'cancelled', completed_at = ?, error_message = 'batch cancelled'
      WHERE (batch_id = ? OR callback_of_batch = ?) AND status IN ('pending', 'awaiting')
      RETURNING id`,
    [d.time(at), batchId, batchId],
  );
  if (cancelled.length > 0) yield* resolveChildren(c, cancelled.map((row) => String(row.id)), JobRunStatus.Cancelled, at);
  return cancelled.length;
}
