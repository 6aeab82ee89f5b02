import { InvalidRunStateError, RunNotFoundError } from '../../errors/errors.js';
import type { BatchSummary } from '../../interfaces/enqueue-options.interface.js';
import { isFinished, releasedConditions, sqlList } from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { RunCompletion } from '../job-storage.types.js';
import { rows, sql, type Row, type TxBody } from './executor.js';
import { storableText } from './storable-text.js';
import { afterFinish, LEASE_HELD, leaseParams, settleEnded, type SqlContext } from './transitions.js';

/**
 * Batches (jobs.batch()): a row of counters per batch, and on each child its batch_id. Each child
 * finishing moves the counters in the transaction that finishes it; the one transaction that
 * brings `pending` to 0 turns the batch 'finished' by conditional update and releases its
 * callbacks (Awaiting runs whose callback_of_batch is the batch): exactly once, whichever
 * process finishes the last children. A continuation of several runs (fan-in) is the same: a
 * batch whose members are existing runs (batch_parents), with the continuation as its callback.
 * Runs outside batches never reach this file.
 */

const COUNTER: Partial<Record<JobRunStatus, string>> = {
  [JobRunStatus.Completed]: 'succeeded',
  [JobRunStatus.Failed]: 'failed',
  [JobRunStatus.Cancelled]: 'cancelled',
};

/** A run that just finished moves some batch's counters: a batch child, or a run a fan-in awaits. */
export const inFlows = (row: Row): boolean => row.batch_id != null || Boolean(row.awaited);

const BATCH_RETURNING = 'id, kind, description, include_outputs, total, pending, succeeded, failed, cancelled';

/**
 * Runs that just finished in `status` (rows of id, batch_id, awaited): counted in their batch and
 * in every open fan-in awaiting them, and each batch they end released. A fan-in member is
 * counted once per fan-in whichever path sees it end (its `counted` is set by the first).
 */
export function* countFinished(c: SqlContext, finished: Row[], status: JobRunStatus, at: number): TxBody<void> {
  const counter = COUNTER[status];
  if (!counter) return;
  const perBatch = new Map<string, number>();
  const add = (batchId: unknown) => perBatch.set(String(batchId), (perBatch.get(String(batchId)) ?? 0) + 1);
  for (const row of finished) if (row.batch_id != null) add(row.batch_id);
  const awaited = finished.filter((row) => Boolean(row.awaited)).map((row) => String(row.id));
  if (awaited.length > 0) {
    const list = c.d.inList('run_id', awaited, 'uuid');
    const members = yield* rows(`UPDATE ${c.t.batchParents} SET counted = ? WHERE ${list.sql} AND counted IS NULL RETURNING batch_id`, [
      status, list.param,
    ]);
    for (const row of members) add(row.batch_id);
  }
  // In id order: two transactions finishing children of the same batches lock their rows in one order.
  for (const batchId of [...perBatch.keys()].sort()) {
    const n = perBatch.get(batchId) as number;
    const text = c.text(`countFinished:${counter}`, () =>
      `UPDATE ${c.t.batches} SET pending = pending - ?, ${counter} = ${counter} + ?
        WHERE id = ? AND state = 'open'
        RETURNING ${BATCH_RETURNING}`);
    const [batch] = yield* rows(text, [n, n, batchId]);
    if (batch && Number(batch.pending) <= 0) yield* finishBatch(c, batch, at);
  }
}

/**
 * Runs put back in the queue (retry of a failed or cancelled run; rows of id, status, batch_id,
 * awaited, with the status they had): uncounted again by the open batches and fan-ins that
 * counted them, so that those wait for their new round. A batch that has ended stays as it is.
 */
export function* countRequeued(c: SqlContext, requeued: Row[]): TxBody<void> {
  const uncount: Array<[batchId: string, status: JobRunStatus]> = [];
  for (const row of requeued) if (row.batch_id != null) uncount.push([String(row.batch_id), row.status as JobRunStatus]);
  const awaited = requeued.filter((row) => Boolean(row.awaited)).map((row) => String(row.id));
  if (awaited.length > 0) {
    const list = c.d.inList('run_id', awaited, 'uuid');
    const members = yield* rows(`SELECT batch_id, counted FROM ${c.t.batchParents} WHERE ${list.sql} AND counted IS NOT NULL`, [list.param]);
    yield* sql(`UPDATE ${c.t.batchParents} SET counted = NULL WHERE ${list.sql}`, [list.param]);
    for (const row of members) uncount.push([String(row.batch_id), row.counted as JobRunStatus]);
  }
  for (const [batchId, status] of uncount.sort(([a], [b]) => a.localeCompare(b))) {
    const counter = COUNTER[status];
    if (!counter) continue;
    yield* sql(`UPDATE ${c.t.batches} SET pending = pending + 1, ${counter} = ${counter} - 1 WHERE id = ? AND state = 'open'`, [batchId]);
  }
}

/**
 * What a batch's callbacks get as their input: a batch's summary (its children's ids, and their
 * outputs when asked for); a fan-in's continuation, the outputs of the runs it awaited, in the
 * order they were given (when it asked for them with passParentOutput).
 */
function* callbackInput(c: SqlContext, batch: Row): TxBody<string> {
  const { t, d } = c;
  if (batch.kind === 'fan-in') {
    const outputs = yield* rows(
      `SELECT ${d.jsonText('r.output_json')} FROM ${t.batchParents} AS bp LEFT JOIN ${t.runs} AS r ON r.id = bp.run_id
        WHERE bp.batch_id = ? ORDER BY bp.position`,
      [batch.id],
    );
    return `[${outputs.map((row) => (row.output_json == null ? 'null' : String(row.output_json))).join(',')}]`;
  }
  const withOutputs = Boolean(batch.include_outputs);
  const children = yield* rows(
    `SELECT id${withOutputs ? `, ${d.jsonText('output_json')}` : ''} FROM ${t.runs} WHERE batch_id = ? ORDER BY id`,
    [batch.id],
  );
  const summary: BatchSummary = {
    batchId: String(batch.id),
    description: batch.description == null ? null : String(batch.description),
    total: Number(batch.total),
    succeeded: Number(batch.succeeded),
    failed: Number(batch.failed),
    cancelled: Number(batch.cancelled),
    childIds: children.map((row) => String(row.id)),
  };
  if (withOutputs) summary.outputs = Object.fromEntries(children.map((row) => [String(row.id), row.output_json == null ? null : JSON.parse(String(row.output_json))]));
  return JSON.stringify(summary);
}

/** The conditional update that ends a batch (a row of BATCH_RETURNING), then its callbacks: by the one transaction that wins it. */
function* finishBatch(c: SqlContext, batch: Row, at: number): TxBody<void> {
  const { t, d } = c;
  const { changes } = yield* sql(`UPDATE ${t.batches} SET state = 'finished', finished_at = ? WHERE id = ? AND state = 'open'`, [
    d.time(at), batch.id,
  ]);
  if (changes !== 1) return;
  const outcome = Number(batch.failed) + Number(batch.cancelled) > 0 ? JobRunStatus.Failed : JobRunStatus.Completed;
  const met = `continue_on IN (${sqlList(releasedConditions(outcome))})`;
  // A batch's callbacks always take its summary; a fan-in's continuation takes the outputs only when it asked.
  const replace = batch.kind === 'fan-in' ? `pass_parent_output = ${d.literal(true)}` : d.literal(true);
  const released = yield* rows(
    `UPDATE ${t.runs} SET
       status = CASE WHEN ${met} THEN 'pending' ELSE 'cancelled' END,
       scheduled_at = ${d.greatest('scheduled_at', d.param('time'))},
       completed_at = CASE WHEN ${met} THEN NULL ELSE ${d.param('time')} END,
       error_message = CASE WHEN ${met} THEN NULL ELSE ${d.param('text')} END,
       input_json = CASE WHEN ${met} AND ${replace} THEN ${d.param('json')} ELSE input_json END
     WHERE callback_of_batch = ? AND status = 'awaiting'
     RETURNING id, status, queue, awaited, job_type_id`,
    [d.time(at), d.time(at), `${batch.kind === 'fan-in' ? 'continuation' : 'batch callback'} not called: ${
      batch.kind === 'fan-in' ? 'the runs it awaited ended' : 'the batch ended'} ${outcome === JobRunStatus.Failed ? 'with failures' : 'successfully'}`,
      yield* callbackInput(c, batch), batch.id],
  );
  yield* c.notify(new Set(released.filter((row) => row.status === JobRunStatus.Pending).map((row) => row.queue as string)));
  const cancelled = released.filter((row) => row.status === JobRunStatus.Cancelled);
  yield* c.ruleCancelled(cancelled);
  yield* settleEnded(c, cancelled, JobRunStatus.Cancelled, at);
}

/**
 * Completions the hot path passes over (children of batches, runs a fan-in awaits, and on
 * PostgreSQL any whose flags it could not see): each fenced on its lease, then what any finished
 * run gets (continuations, the definition's last run) and the counters of its batches.
 */
export function* completeFlowRuns(c: SqlContext, completions: readonly RunCompletion[], at: number): TxBody<string[]> {
  const text = c.text('completeFlowRun', () => `UPDATE ${c.t.runs} SET status = 'completed', output_json = ${c.d.param('json')}, completed_at = ?,
      duration_ms = ?, error_message = NULL, error_details = NULL, checkpoint_json = NULL
    WHERE ${LEASE_HELD} RETURNING id, job_type_id, batch_id, awaited`);
  const finished: Row[] = [];
  // In id order, as createFanIn locks the runs it marks: two such transactions never wait on each other in a cycle.
  for (const done of [...completions].sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0))) {
    finished.push(...(yield* rows(text, [done.outputJson, c.d.time(done.completedAt.getTime()), done.durationMs, ...leaseParams(done)])));
  }
  yield* afterFinish(c, finished, JobRunStatus.Completed, at);
  return finished.map((row) => String(row.id));
}

/** A new batch: its row, then its children and callbacks (already inserted) marked as its own. */
export function* createBatch(
  c: SqlContext,
  batch: { id: string; description: string | null; includeOutputs: boolean; children: unknown[][]; callbacks: unknown[][] },
  at: number,
): TxBody<void> {
  const { t, d } = c;
  yield* sql(`INSERT INTO ${t.batches} (id, description, include_outputs, total, pending, created_at) VALUES (?, ?, ${d.param('bool')}, ?, ?, ?)`, [
    batch.id, storableText(batch.description), d.bool(batch.includeOutputs), batch.children.length, batch.children.length, d.time(at),
  ]);
  yield* c.insertRuns([...batch.children, ...batch.callbacks]);
  yield* mark(c, 'batch_id', batch.id, batch.children);
  yield* mark(c, 'callback_of_batch', batch.id, batch.callbacks);
  yield* c.notify(new Set(batch.children.map((row) => row[4] as string)));
}

/**
 * A continuation of several runs (fan-in): a batch of kind 'fan-in' whose members are the runs
 * awaited, and the continuation (an Awaiting run row) as its callback. Each member is marked
 * `awaited`, in id order under row locks: a transaction finishing one either ends before (its
 * outcome is counted here) or sees the mark and counts it itself. When every member has already
 * ended, the continuation is resolved at once.
 */
export function* createFanIn(c: SqlContext, fanIn: { id: string; parentIds: readonly string[]; continuation: unknown[] }, at: number): TxBody<void> {
  const { t, d } = c;
  const list = d.inList('id', fanIn.parentIds, 'uuid');
  const parents = yield* rows(
    `UPDATE ${t.runs} SET awaited = ${d.literal(true)}
      WHERE id IN (SELECT id FROM ${t.runs} WHERE ${list.sql} ORDER BY id ${d.forUpdate})
      RETURNING id, status`,
    [list.param],
  );
  const statusOf = new Map(parents.map((row) => [String(row.id), row.status as JobRunStatus]));
  const missing = fanIn.parentIds.find((id) => !statusOf.has(id));
  if (missing !== undefined) throw new RunNotFoundError(missing);
  const count = (status: JobRunStatus) => parents.filter((row) => row.status === status).length;
  const batch: Row = {
    id: fanIn.id, kind: 'fan-in', description: null, include_outputs: false, total: parents.length,
    pending: parents.filter((row) => !isFinished(row.status as JobRunStatus)).length,
    succeeded: count(JobRunStatus.Completed), failed: count(JobRunStatus.Failed), cancelled: count(JobRunStatus.Cancelled),
  };
  yield* sql(
    `INSERT INTO ${t.batches} (id, kind, total, pending, succeeded, failed, cancelled, created_at) VALUES (?, 'fan-in', ?, ?, ?, ?, ?, ?)`,
    [batch.id, batch.total, batch.pending, batch.succeeded, batch.failed, batch.cancelled, d.time(at)],
  );
  for (const [position, runId] of fanIn.parentIds.entries()) {
    const status = statusOf.get(runId) as JobRunStatus;
    yield* sql(`INSERT INTO ${t.batchParents} (batch_id, run_id, position, counted) VALUES (?, ?, ?, ?)`, [
      batch.id, runId, position, isFinished(status) ? status : null,
    ]);
  }
  yield* c.insertRuns([fanIn.continuation]);
  yield* mark(c, 'callback_of_batch', fanIn.id, [fanIn.continuation]);
  if (batch.pending === 0) yield* finishBatch(c, batch, at);
}

function* mark(c: SqlContext, column: 'batch_id' | 'callback_of_batch', batchId: string, runs: unknown[][]): TxBody<void> {
  if (runs.length === 0) return;
  const list = c.d.inList('id', runs.map((row) => row[0] as string), 'uuid');
  yield* sql(`UPDATE ${c.t.runs} SET ${column} = ${c.d.param('uuid')} WHERE ${list.sql}`, [batchId, list.param]);
}

/** The batch's row, locked; InvalidRunStateError unless it is open. */
function* openBatch(c: SqlContext, batchId: string): TxBody<Row> {
  const [row] = yield* rows(`SELECT id, state, kind FROM ${c.t.batches} WHERE id = ? ${c.d.forUpdate}`, [batchId]);
  if (!row) throw new InvalidRunStateError(`Batch '${batchId}' does not exist.`);
  if (row.state !== 'open') throw new InvalidRunStateError(`Batch '${batchId}' is ${row.state as string}: runs can be added to an open batch only.`);
  return row;
}

/** More children in an open batch: counted before the batch can end without them. */
export function* addToBatch(c: SqlContext, batchId: string, children: unknown[][]): TxBody<void> {
  const batch = yield* openBatch(c, batchId);
  if (batch.kind === 'fan-in') throw new InvalidRunStateError(`Batch '${batchId}' is a fan-in continuation's: runs cannot be added to it.`);
  yield* sql(`UPDATE ${c.t.batches} SET total = total + ?, pending = pending + ? WHERE id = ?`, [children.length, children.length, batchId]);
  yield* c.insertRuns(children);
  yield* mark(c, 'batch_id', batchId, children);
  yield* c.notify(new Set(children.map((row) => row[4] as string)));
}

/**
 * Cancels an open batch: its pending and awaiting children and its callbacks. Children running now
 * finish as they will; the batch no longer counts them, and fires nothing. Returns the runs it
 * cancelled (rows of id, job_type_id, queue), whose continuations and fan-ins it has resolved.
 */
export function* cancelBatch(c: SqlContext, batchId: string, at: number): TxBody<Row[]> {
  const { t, d } = c;
  yield* openBatch(c, batchId);
  yield* sql(`UPDATE ${t.batches} SET state = 'cancelled', finished_at = ? WHERE id = ?`, [d.time(at), batchId]);
  const cancelled = yield* rows(
    `UPDATE ${t.runs} SET status = 'cancelled', completed_at = ?, error_message = 'batch cancelled'
      WHERE (batch_id = ? OR callback_of_batch = ?) AND status IN ('pending', 'awaiting')
      RETURNING id, job_type_id, queue, awaited`,
    [d.time(at), batchId, batchId],
  );
  // Their batch is cancelled (and batch_id is not returned): only the fan-ins awaiting them still count them.
  yield* settleEnded(c, cancelled, JobRunStatus.Cancelled, at);
  return cancelled;
}
