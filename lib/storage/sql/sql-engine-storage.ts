import type { JobDefinition, JobSchedule } from '../../model/job-run.js';
import { ACTIVE_STATUSES, FINISHED_STATUSES, sqlList } from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import { InvalidPayloadError, InvalidRunStateError, RunNotFoundError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import type { EnqueueResult } from '../../interfaces/enqueue-options.interface.js';
import type { AppTransaction } from '../app-transaction.js';
import type {
  AttemptLease, AttemptLogLine, CleanableCounts, NewJobRun, QueueOverview, QueueStats, RunFailure, ScheduleTickClaim,
} from '../job-storage.types.js';
import { rowToDefinition, rowToSchedule, rowTime } from '../rows.js';
import { scheduleColumns } from './named-schedules.js';
import { runBody, type Row, type TxBody } from './executor.js';
import { SqlJobStorage } from './sql-job-storage.js';
import { storableText } from './storable-text.js';
import { insertWithUnique, uniqueOf } from './unique-insert.js';
import * as tx from './transitions.js';
import { LEASE_HELD, leaseParams } from './transitions.js';

/**
 * The engine's half of the shared SQL storage (EngineStorage): what workers and the scheduler do
 * with runs — record attempts fenced on their lease, recover the runs of dead workers, claim
 * schedule ticks. The claim and completion hot path stays with each backend.
 */
export abstract class SqlEngineStorage extends SqlJobStorage {
  async resolveContinuations(parentRunId: string): Promise<number> {
    if (!this.d.isRunId(parentRunId)) throw new RunNotFoundError(parentRunId);
    return this.exec.transaction(() => tx.resolveContinuations(this, parentRunId, this.clock.now()));
  }

  // ----- runs inserted through the application's transaction -----

  /** The application's open transaction, checked to be on this backend's database (InvalidManagerError otherwise). */
  protected abstract appTransaction(manager: unknown): Promise<AppTransaction>;

  /**
   * Runs inserted by the application's transaction, with the statements enqueue uses in its own
   * (insertWithUnique): a unique run's key is taken, or its holder found, by the application's
   * transaction, so a rollback frees the key and undoes a 'replace'.
   */
  async enqueueInTransaction(runs: NewJobRun[], manager: unknown): Promise<EnqueueResult[]> {
    if (!Array.isArray(runs)) throw new InvalidPayloadError(`runs: expected an array, got ${typeof runs}`);
    const app = await this.appTransaction(manager);
    if (runs.length === 0) return [];
    const rows = await this.prepareRuns(runs);
    const unique = uniqueOf(runs, rows, this.clock.now());
    const effects: Array<() => void> = [];
    let results: EnqueueResult[];
    try {
      results = await runBody(insertWithUnique(this, rows, unique), (statement) => app.run(statement), effects);
    } catch (error) {
      if (this.d.isUniqueViolation(error)) throw new InvalidRunStateError(messages.duplicateRunId(rows.map((row) => row[0] as string)));
      throw error;
    }
    // This storage never sees the application's commit: what an insert announces must be a statement (NOTIFY).
    if (effects.length > 0) throw new Error('enqueueInTransaction: an insert deferred work to a commit it cannot see');
    return results;
  }

  // ----- attempts -----

  refusedData(error: unknown): boolean {
    return this.d.isDataError(error);
  }

  async failRun(failure: RunFailure): Promise<boolean> {
    if (!failure.retryAt) return this.exec.transaction(() => tx.failForGood(this, failure));
    const retryAt = this.d.time(failure.retryAt.getTime());
    const { changes } = await this.exec.write(
      `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = ?, next_retry_at = ?, error_message = ?, error_details = ?,
         duration_ms = ?
        WHERE ${LEASE_HELD}`,
      [retryAt, retryAt, storableText(failure.errorMessage), storableText(failure.errorDetails), failure.durationMs, ...leaseParams(failure)],
    );
    return changes === 1;
  }

  async releaseRuns(leases: readonly AttemptLease[]): Promise<number> {
    const valid = leases.filter((lease) => this.d.isRunId(lease.runId));
    if (valid.length === 0) return 0;
    return this.exec.transaction(() => tx.releaseRuns(this, valid, this.clock.now()));
  }

  async stillHeld(leases: readonly AttemptLease[]): Promise<AttemptLease[]> {
    const held: AttemptLease[] = [];
    for (const workerId of new Set(leases.map((lease) => lease.workerId))) {
      const mine = leases.filter((lease) => lease.workerId === workerId && this.d.isRunId(lease.runId));
      if (mine.length === 0) continue;
      const list = this.d.inList('id', mine.map((lease) => lease.runId), 'uuid');
      const found = await this.exec.read(
        `SELECT id, attempt_number FROM ${this.t.runs} WHERE status = 'running' AND worker_id = ? AND ${list.sql}`,
        [workerId, list.param],
      );
      const attempts = new Map(found.map((row) => [String(row.id), Number(row.attempt_number)]));
      held.push(...mine.filter((lease) => attempts.get(lease.runId) === lease.attempt));
    }
    return held;
  }

  async addAttemptLogs(lines: readonly AttemptLogLine[]): Promise<number> {
    const held = lines.filter((line) => this.d.isRunId(line.lease.runId));
    return this.insertLogChunks(
      held.map(({ lease, ...line }) => ({ ...line, runId: lease.runId, attemptNumber: lease.attempt })),
      held.map((line) => line.lease),
    );
  }

  async writeProgress(lease: AttemptLease, progressJson: string): Promise<boolean> {
    if (!this.d.isRunId(lease.runId)) return false;
    const { changes } = await this.exec.write(`UPDATE ${this.t.runs} SET progress_json = ${this.d.param('json')} WHERE ${LEASE_HELD}`, [
      progressJson, ...leaseParams(lease),
    ]);
    return changes === 1;
  }

  async readCheckpoint(runId: string): Promise<string | null> {
    if (!this.d.isRunId(runId)) return null;
    const [row] = await this.exec.read(`SELECT ${this.d.jsonText('checkpoint_json')} FROM ${this.t.runs} WHERE id = ?`, [runId]);
    return row?.checkpoint_json == null ? null : String(row.checkpoint_json);
  }

  async writeCheckpoint(lease: AttemptLease, checkpointJson: string): Promise<boolean> {
    if (!this.d.isRunId(lease.runId)) return false;
    const { changes } = await this.exec.write(`UPDATE ${this.t.runs} SET checkpoint_json = ${this.d.param('json')} WHERE ${LEASE_HELD}`, [
      checkpointJson, ...leaseParams(lease),
    ]);
    return changes === 1;
  }

  async recoverStaleRuns(staleAfterMs: number, defaultMaxRetries: number): Promise<number> {
    return this.exec.transaction(() => tx.recoverStaleRuns(this, staleAfterMs, defaultMaxRetries, this.clock.now()));
  }

  async recoverWorkerRuns(workerId: string, defaultMaxRetries: number): Promise<number> {
    return this.exec.transaction(() => tx.recoverWorkerRuns(this, workerId, defaultMaxRetries, this.clock.now()));
  }

  // ----- what an operator looks at (the command line) -----

  async queueOverview(): Promise<QueueOverview[]> {
    // One pass over the runs table: an operator's look, not a hot path.
    const found = await this.exec.read(
      `SELECT queue, status, COUNT(*) AS n, MIN(CASE WHEN status = 'pending' AND scheduled_at <= ? THEN scheduled_at END) AS oldest_due
         FROM ${this.t.runs} GROUP BY queue, status ORDER BY queue`,
      [this.d.time(this.clock.now())],
    );
    const byQueue = new Map<string, QueueOverview>();
    for (const row of found) {
      const queue = row.queue as string;
      let stats = byQueue.get(queue);
      if (!stats) {
        const counts = Object.fromEntries(Object.values(JobRunStatus).map((status) => [status, 0])) as Record<JobRunStatus, number>;
        byQueue.set(queue, (stats = { queue, counts, oldestDueAt: null }));
      }
      stats.counts[row.status as JobRunStatus] = Number(row.n);
      if (row.oldest_due != null) stats.oldestDueAt = row.oldest_due instanceof Date ? row.oldest_due : new Date(Number(row.oldest_due));
    }
    return [...byQueue.values()];
  }

  async countCleanable(retentionMs: number, logRetentionMs: number, failedRetentionMs = retentionMs): Promise<CleanableCounts> {
    const now = this.clock.now();
    const [runs] = await this.exec.read(
      `SELECT COUNT(*) AS n FROM ${this.t.runs} WHERE status IN (${sqlList(FINISHED_STATUSES)})
          AND completed_at < CASE WHEN status = 'failed' THEN ${this.d.param('time')} ELSE ${this.d.param('time')} END`,
      [this.d.time(now - failedRetentionMs), this.d.time(now - retentionMs)],
    );
    const [logs] = await this.exec.read(`SELECT COUNT(*) AS n FROM ${this.t.logs} WHERE timestamp < ?`, [this.d.time(now - logRetentionMs)]);
    return { runs: Number(runs.n), logs: Number(logs.n) };
  }

  // ----- schedules -----

  async getDueSchedules(now: Date): Promise<JobDefinition[]> {
    const found = await this.exec.read(
      `SELECT ${this.cols.definition} FROM ${this.t.definitions}
        WHERE schedule_type <> 'none' AND is_enabled = ${this.d.literal(true)} AND next_run_at IS NOT NULL AND next_run_at <= ?
        ORDER BY next_run_at`,
      [this.d.time(now.getTime())],
    );
    return found.map(rowToDefinition);
  }

  async getDueNamedSchedules(now: Date): Promise<JobSchedule[]> {
    const found = await this.exec.read(
      `SELECT ${scheduleColumns(this)} FROM ${this.t.schedules}
        WHERE ${this.liveNamedSchedules()} AND next_run_at IS NOT NULL AND next_run_at <= ?
        ORDER BY next_run_at`,
      [this.d.time(now.getTime())],
    );
    return found.map(rowToSchedule);
  }

  async earliestScheduleTick(): Promise<Date | null> {
    const on = this.d.literal(true);
    const [row] = await this.exec.read(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(next_run_at) AS t FROM ${this.t.definitions} WHERE schedule_type <> 'none' AND is_enabled = ${on}
         UNION ALL
         SELECT MIN(next_run_at) FROM ${this.t.schedules} WHERE ${this.liveNamedSchedules()}) AS ticks`,
    );
    const t = row?.t;
    return t == null ? null : t instanceof Date ? t : new Date(Number(t));
  }

  /**
   * The named schedules that can fire: enabled, of an enabled job. One clause for the due ones and for
   * the earliest tick: a disabled job's past tick counted there but never due would wake the scheduler
   * at once, over and over.
   */
  private liveNamedSchedules(): string {
    const on = this.d.literal(true);
    return `is_enabled = ${on} AND job_type_id IN (SELECT job_type_id FROM ${this.t.definitions} WHERE is_enabled = ${on})`;
  }

  async claimScheduleTick(claim: ScheduleTickClaim): Promise<boolean> {
    const [run] = claim.run ? await this.prepareRuns([claim.run]) : [null];
    return this.exec.transaction(() => tx.claimScheduleTick(this, claim, run));
  }

  async hasActiveRun(jobTypeId: string): Promise<boolean> {
    const found = await this.exec.read(
      `SELECT 1 FROM ${this.t.runs} WHERE job_type_id = ? AND status IN (${sqlList(ACTIVE_STATUSES)}) LIMIT 1`,
      [jobTypeId],
    );
    return found.length > 0;
  }

  // ----- reads of health checks and metrics -----

  async probeHeartbeat(workerId: string): Promise<Date | null> {
    const [row] = await this.exec.probe(`SELECT last_heartbeat FROM ${this.t.heartbeats} WHERE worker_id = ?`, [workerId]);
    return row ? rowTime(row.last_heartbeat) : null;
  }

  async queueStats(): Promise<QueueStats[]> {
    // One pass over the rows of the three statuses (the partial pending, running and finished
    // indexes hold them); completed and cancelled rows, the bulk of a busy table, are not read.
    const found = await this.exec.read(
      `SELECT queue,
              SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
              SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
              SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
              MIN(CASE WHEN status = 'pending' AND scheduled_at <= ${this.d.param('time')} THEN scheduled_at END) AS oldest_due_at
         FROM ${this.t.runs} WHERE status IN ('pending', 'running', 'failed') GROUP BY queue ORDER BY queue`,
      [this.d.time(this.clock.now())],
    );
    return found.map((row) => ({
      queue: String(row.queue),
      pending: Number(row.pending),
      running: Number(row.running),
      failed: Number(row.failed),
      oldestDueAt: row.oldest_due_at == null ? null : rowTime(row.oldest_due_at),
    }));
  }

  async countFailuresSince(since: Date): Promise<Map<string, number>> {
    const found = await this.exec.read(
      `SELECT queue, COUNT(*) AS n FROM ${this.t.runs} WHERE status = 'failed' AND completed_at >= ? GROUP BY queue`,
      [this.d.time(since.getTime())],
    );
    return new Map(found.map((row) => [String(row.queue), Number(row.n)]));
  }

  /** Rows of id and job_type_id of runs that just finished, for afterFinish (the hot paths use it). */
  protected afterFinish(finished: Row[], status: JobRunStatus, at: number): TxBody<void> {
    return tx.afterFinish(this, finished, status, at);
  }
}
