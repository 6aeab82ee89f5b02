import { InvalidRunStateError, RunNotFoundError } from '../../errors/errors.js';
import {
  CANCELLABLE_STATUSES, conditionNotMet, FINISHED_STATUSES, isFinished, releasedConditions, REQUEUEABLE_STATUSES, sqlList,
} from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { AttemptLease, RunFailure, ScheduleTickClaim } from '../job-storage.types.js';
import type { Dialect } from './dialect.js';
import { rows, sql, type Row, type TxBody } from './executor.js';
import { storableText } from './storable-text.js';
import { countFinished, countRequeued, inFlows } from './batches.js';

/**
 * The state changes that take more than one statement, each a transaction body written once for
 * both engines (see TxBody). Model: graphile-worker's small SQL files named for the change they make.
 */
export interface Tables {
  definitions: string;
  runs: string;
  logs: string;
  heartbeats: string;
  /** SQLite's change feed of events across processes (PostgreSQL sends them by NOTIFY instead). */
  events?: string;
  schedules: string;
  batches: string;
  /** The runs each fan-in waits on. */
  batchParents: string;
}

export interface SqlContext {
  t: Tables;
  d: Dialect;
  /** Wakes other processes' workers for these queues when the transaction commits (PostgreSQL NOTIFY). */
  notify(queues: Iterable<string>): TxBody<void>;
  /** Inserts prepared run rows (see runRow). */
  insertRuns(rows: unknown[][]): TxBody<void>;
  /** Runs the flow rules just cancelled (rows of id, job_type_id, queue): announced after the commit. */
  ruleCancelled(cancelled: readonly Row[]): TxBody<void>;
  /**
   * The SQL text known by `key`, built once: statements on paths taken for every completion are
   * not rebuilt (and, on SQLite, not hashed afresh for the statement cache) each time.
   */
  text(key: string, build: () => string): string;
}

/** Only the attempt a worker holds: the run is Running that attempt under that worker. */
export const LEASE_HELD = `status = 'running' AND id = ? AND worker_id = ? AND attempt_number = ?`;
export const leaseParams = (lease: AttemptLease): unknown[] => [lease.runId, lease.workerId, lease.attempt];

const pendingQueues = (changed: Row[]) => new Set(changed.filter((r) => r.status === JobRunStatus.Pending).map((r) => r.queue as string));

/**
 * Awaiting children of finished parents: Pending when the parent's outcome meets their condition,
 * Cancelled otherwise. A cancelled child is a finished parent in turn, so its own children are
 * resolved the same way, down the chain, in the same transaction.
 */
export function* resolveChildren(c: SqlContext, parentIds: readonly string[], parentStatus: JobRunStatus, at: number): TxBody<number> {
  const { t, d } = c;
  let total = 0;
  let parents = parentIds;
  let status = parentStatus;
  while (parents.length > 0) {
    const list = d.inList('parent_run_id', parents, 'uuid');
    const text = c.text(`resolveChildren:${status}`, () => {
      const released = releasedConditions(status);
      const met = released.length > 0 ? `continue_on IN (${sqlList(released)})` : d.literal(false);
      return `UPDATE ${t.runs} SET
         status = CASE WHEN ${met} THEN 'pending' ELSE 'cancelled' END,
         scheduled_at = ${d.greatest('scheduled_at', d.param('time'))},
         completed_at = CASE WHEN ${met} THEN NULL ELSE ${d.param('time')} END,
         error_message = CASE WHEN ${met} THEN NULL ELSE ${d.param('text')} END,
         input_json = CASE WHEN ${met} AND pass_parent_output = ${d.literal(true)}
           THEN (SELECT p.output_json FROM ${t.runs} AS p WHERE p.id = ${t.runs}.parent_run_id) ELSE input_json END
       WHERE ${list.sql} AND status = 'awaiting'
       RETURNING id, status, queue, awaited, job_type_id`;
    });
    const changed = yield* rows(text, [d.time(at), d.time(at), conditionNotMet(status), list.param]);
    total += changed.length;
    yield* c.notify(pendingQueues(changed));
    const cancelled = changed.filter((r) => r.status === JobRunStatus.Cancelled);
    yield* c.ruleCancelled(cancelled);
    // A cancelled continuation that a fan-in awaits is counted there too.
    if (cancelled.some(inFlows)) yield* countFinished(c, cancelled, JobRunStatus.Cancelled, at);
    parents = cancelled.map((r) => String(r.id));
    status = JobRunStatus.Cancelled;
  }
  return total;
}

/**
 * What any run that just ended in `status` gets, whatever ended it (rows of id, and batch_id and
 * awaited where it may be in a flow): its continuations resolved, and the counters of its batch and of
 * the fan-ins awaiting it moved. Only runs in flows pay for the counters.
 */
export function* settleEnded(c: SqlContext, ended: readonly Row[], status: JobRunStatus, at: number): TxBody<void> {
  if (ended.length === 0) return;
  yield* resolveChildren(c, ended.map((row) => String(row.id)), status, at);
  if (ended.some(inFlows)) yield* countFinished(c, [...ended], status, at);
}

/** For runs that just finished (rows of id, job_type_id, batch_id, awaited): settleEnded, and each definition's last run. */
export function* afterFinish(c: SqlContext, finished: Row[], status: JobRunStatus, at: number): TxBody<void> {
  if (finished.length === 0) return;
  yield* settleEnded(c, finished, status, at);
  for (const jobTypeId of new Set(finished.map((row) => row.job_type_id as string))) {
    const text = c.text('touchDefinition', () => `UPDATE ${c.t.definitions} SET last_run_at = ?, last_run_status = ? WHERE job_type_id = ?`);
    yield* sql(text, [c.d.time(at), status, jobTypeId]);
  }
}

export function* cancelRun(c: SqlContext, runId: string, reason: string, at: number): TxBody<JobRunStatus | null> {
  const [row] = yield* rows(`SELECT id, status, batch_id, awaited FROM ${c.t.runs} WHERE id = ? ${c.d.forUpdate}`, [runId]);
  if (!row) throw new RunNotFoundError(runId);
  const status = row.status as JobRunStatus;
  if (!CANCELLABLE_STATUSES.includes(status)) return null;
  yield* sql(`UPDATE ${c.t.runs} SET status = 'cancelled', completed_at = ?, error_message = ? WHERE id = ?`, [
    c.d.time(at), storableText(reason), runId,
  ]);
  yield* settleEnded(c, [row], JobRunStatus.Cancelled, at);
  return status;
}

export function* requeueRun(c: SqlContext, runId: string, scheduledAt: number): TxBody<void> {
  const [row] = yield* rows(`SELECT id, status, queue, batch_id, awaited FROM ${c.t.runs} WHERE id = ? ${c.d.forUpdate}`, [runId]);
  if (!row) throw new RunNotFoundError(runId);
  if (!REQUEUEABLE_STATUSES.includes(row.status as JobRunStatus)) {
    throw new InvalidRunStateError(`Run '${runId}' is ${row.status as string}: only failed or cancelled runs can be retried.`);
  }
  if (inFlows(row)) yield* countRequeued(c, [row]);
  // A new round of attempts: the count restarts so that maxRetries applies again.
  yield* sql(
    `UPDATE ${c.t.runs} SET status = 'pending', scheduled_at = ?, completed_at = NULL, next_retry_at = NULL,
       attempt_number = 0, worker_id = NULL WHERE id = ?`,
    [c.d.time(scheduledAt), runId],
  );
  yield* c.notify([row.queue as string]);
}

export function* resolveContinuations(c: SqlContext, parentRunId: string, at: number): TxBody<number> {
  // FOR UPDATE waits for a transaction finishing the parent right now: either that one's UPDATE of
  // the children sees a child committed before it, or this one sees the parent finished. Without
  // the lock both could miss under READ COMMITTED, and the child would wait forever.
  const [row] = yield* rows(`SELECT status FROM ${c.t.runs} WHERE id = ? ${c.d.forUpdate}`, [parentRunId]);
  if (!row) throw new RunNotFoundError(parentRunId);
  const status = row.status as JobRunStatus;
  if (!isFinished(status)) return 0;
  return yield* resolveChildren(c, [parentRunId], status, at);
}

/** A failed attempt with no attempt left: Failed, then its continuations. */
export function* failForGood(c: SqlContext, failure: RunFailure): TxBody<boolean> {
  const at = failure.completedAt.getTime();
  const text = c.text('failForGood', () => `UPDATE ${c.t.runs} SET status = 'failed', completed_at = ?, error_message = ?, error_details = ?,
      duration_ms = ? WHERE ${LEASE_HELD} RETURNING id, job_type_id, batch_id, awaited`);
  const finished = yield* rows(
    text,
    [c.d.time(at), storableText(failure.errorMessage), storableText(failure.errorDetails), failure.durationMs, ...leaseParams(failure)],
  );
  yield* afterFinish(c, finished, JobRunStatus.Failed, at);
  return finished.length === 1;
}

export function* releaseRuns(c: SqlContext, leases: readonly AttemptLease[], now: number): TxBody<number> {
  const queues = new Set<string>();
  let count = 0;
  for (const lease of leases) {
    // The attempt was interrupted, not failed: it does not count against maxRetries.
    const released = yield* rows(
      `UPDATE ${c.t.runs} SET status = 'pending', scheduled_at = ?, worker_id = NULL,
         attempt_number = ${c.d.greatest('attempt_number - 1', '0')}
        WHERE ${LEASE_HELD}
        RETURNING queue`,
      [c.d.time(now), ...leaseParams(lease)],
    );
    count += released.length;
    for (const row of released) queues.add(row.queue as string);
  }
  yield* c.notify(queues);
  return count;
}

/**
 * Runs whose worker is gone (`where`, on the runs table as r) go back to the queue, the attempt
 * counting, or end Failed when it was their last; `reason` is a SQL text expression for the error.
 * Rows a live transaction holds are passed over (SKIP LOCKED): their worker is not gone.
 */
export function* recoverRuns(
  c: SqlContext,
  where: { sql: string; params: unknown[] },
  reason: string,
  defaultMaxRetries: number,
  now: number,
): TxBody<number> {
  const { t, d } = c;
  const dead = `attempt_number > COALESCE(max_retries,
    (SELECT df.max_retries FROM ${t.definitions} AS df WHERE df.job_type_id = ${t.runs}.job_type_id), ${d.param('int')})`;
  const recovered = yield* rows(
    `UPDATE ${t.runs} SET
       status = CASE WHEN ${dead} THEN 'failed' ELSE 'pending' END,
       completed_at = CASE WHEN ${dead} THEN ${d.param('time')} ELSE NULL END,
       error_message = ${reason},
       scheduled_at = ?
     WHERE id IN (SELECT r.id FROM ${t.runs} AS r WHERE r.status = 'running' AND ${where.sql} ${d.skipLocked})
     RETURNING id, status, job_type_id, queue, batch_id, awaited`,
    [defaultMaxRetries, defaultMaxRetries, d.time(now), d.time(now), ...where.params],
  );
  yield* afterFinish(c, recovered.filter((row) => row.status === JobRunStatus.Failed), JobRunStatus.Failed, now);
  yield* c.notify(pendingQueues(recovered));
  return recovered.length;
}

/**
 * Awaiting continuations whose parent has finished: resolved as the parent's end would have. On
 * PostgreSQL one race leaves some: the statement that finishes a parent reads its children in a
 * snapshot taken when it began, so a child committed just after that (continueWith of a parent
 * finishing that instant), whose own check ran before the parent was locked, is missed by both.
 * Swept with the stale-run recovery, so such a child waits at most one recovery interval.
 */
export function* resolveOrphans(c: SqlContext, now: number): TxBody<number> {
  const { t } = c;
  const parents = yield* rows(
    c.text('orphans', () => `SELECT DISTINCT p.id, p.status FROM ${t.runs} AS ch JOIN ${t.runs} AS p ON p.id = ch.parent_run_id
      WHERE ch.status = 'awaiting' AND ch.parent_run_id IS NOT NULL AND p.status IN (${sqlList(FINISHED_STATUSES)})`),
  );
  let resolved = 0;
  for (const status of FINISHED_STATUSES) {
    const ids = parents.filter((row) => row.status === status).map((row) => String(row.id));
    if (ids.length) resolved += yield* resolveChildren(c, ids, status, now);
  }
  // Likewise runs a fan-in awaits that ended uncounted (a process died between the statement
  // that cancelled a continuation and the one that settles it, continuationsCancelled).
  const uncounted = yield* rows(
    c.text('uncountedMembers', () => `SELECT DISTINCT r.id, r.status, r.awaited FROM ${t.batchParents} AS bp JOIN ${t.runs} AS r ON r.id = bp.run_id
      WHERE bp.counted IS NULL AND r.status IN (${sqlList(FINISHED_STATUSES)})`),
  );
  for (const status of FINISHED_STATUSES) {
    const members = uncounted.filter((row) => row.status === status);
    if (members.length) yield* countFinished(c, members, status, now);
  }
  return resolved + uncounted.length;
}

/**
 * Continuations another statement cancelled (PostgreSQL's hot path: their parent completed and
 * their condition was not met): counted by the fan-ins awaiting them, and their own continuations
 * resolved. Counting is idempotent, so a sweep that got there first is harmless.
 */
export function* continuationsCancelled(c: SqlContext, ids: readonly string[], at: number): TxBody<void> {
  const list = c.d.inList('id', ids, 'uuid');
  const cancelled = yield* rows(`SELECT id, job_type_id, queue, awaited FROM ${c.t.runs} WHERE ${list.sql}`, [list.param]);
  yield* c.ruleCancelled(cancelled);
  yield* settleEnded(c, cancelled, JobRunStatus.Cancelled, at);
}

/** Runs held by workers silent for over `staleAfterMs`; then forgets workers silent ten times as long. */
export function* recoverStaleRuns(c: SqlContext, staleAfterMs: number, defaultMaxRetries: number, now: number): TxBody<number> {
  const cutoff = c.d.time(now - staleAfterMs);
  const where = {
    sql: `r.started_at < ? AND (r.worker_id IS NULL OR r.worker_id NOT IN
            (SELECT worker_id FROM ${c.t.heartbeats} WHERE last_heartbeat >= ?))`,
    params: [cutoff, cutoff],
  };
  const reason = `'worker ' || COALESCE(worker_id, 'unknown') || ' stopped sending heartbeats while running attempt ' || attempt_number`;
  const recovered = yield* recoverRuns(c, where, reason, defaultMaxRetries, now);
  yield* resolveOrphans(c, now);
  // Workers silent far longer than staleAfter are gone: keep the table to live ones.
  yield* sql(`DELETE FROM ${c.t.heartbeats} WHERE last_heartbeat < ?`, [c.d.time(now - 10 * staleAfterMs)]);
  return recovered;
}

/**
 * Every run still Running under `workerId`, recovered as a dead worker's: a worker calls this as
 * it starts, before its first claim, so whatever it holds belonged to a previous process.
 */
export function recoverWorkerRuns(c: SqlContext, workerId: string, defaultMaxRetries: number, now: number): TxBody<number> {
  const reason = `'worker ' || worker_id || ' restarted while running attempt ' || attempt_number`;
  return recoverRuns(c, { sql: 'r.worker_id = ?', params: [workerId] }, reason, defaultMaxRetries, now);
}

/**
 * Claims a schedule's tick by compare-and-set on next_run_at, and inserts its run if it won: the
 * definition's own schedule, or the named schedule `claim.key` (of that job) in the schedules table.
 */
export function* claimScheduleTick(c: SqlContext, claim: ScheduleTickClaim, run: unknown[] | null): TxBody<boolean> {
  const { t, d } = c;
  const named = claim.key !== undefined;
  const { changes } = yield* sql(
    `UPDATE ${named ? t.schedules : t.definitions} SET next_run_at = ${d.param('time')}, last_run_at = COALESCE(${d.param('time')}, last_run_at)
      WHERE job_type_id = ?${named ? ' AND key = ?' : ''} AND next_run_at IS NOT DISTINCT FROM ${d.param('time')}`,
    [
      claim.nextRunAt ? d.time(claim.nextRunAt.getTime()) : null,
      run ? d.time(claim.firedAt.getTime()) : null,
      claim.jobTypeId,
      ...(named ? [claim.key] : []),
      claim.expectedNextRunAt ? d.time(claim.expectedNextRunAt.getTime()) : null,
    ],
  );
  const won = changes === 1;
  if (won && run) yield* c.insertRuns([run]);
  return won;
}
