import type { JobDefinition, JobSchedule } from '../../model/job-run.js';
import { ACTIVE_STATUSES, sqlList } from '../../model/run-rules.js';
import type { JobRunStatus } from '../../model/statuses.js';
import { InvalidPayloadError, InvalidRunStateError, RunNotFoundError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import type { AppTransaction } from '../app-transaction.js';
import type { AttemptLease, AttemptLogLine, NewJobRun, RunFailure, ScheduleTickClaim } from '../job-storage.types.js';
import { rowToDefinition, rowToSchedule } from '../rows.js';
import { scheduleColumns } from './named-schedules.js';
import type { Row, TxBody } from './executor.js';
import { SqlJobStorage } from './sql-job-storage.js';
import { storableText } from './storable-text.js';
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

  async enqueueInTransaction(runs: NewJobRun[], manager: unknown): Promise<string[]> {
    if (!Array.isArray(runs)) throw new InvalidPayloadError(`runs: expected an array, got ${typeof runs}`);
    const app = await this.appTransaction(manager);
    if (runs.length === 0) return [];
    const rows = await this.prepareRuns(runs);
    try {
      for (const statement of this.insertRunStatements(rows)) await app.run(statement);
    } catch (error) {
      if (this.d.isUniqueViolation(error)) throw new InvalidRunStateError(messages.duplicateRunId(rows.map((row) => row[0] as string)));
      throw error;
    }
    return rows.map((row) => row[0] as string);
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
        WHERE is_enabled = ${this.d.literal(true)} AND next_run_at IS NOT NULL AND next_run_at <= ?
          AND job_type_id IN (SELECT job_type_id FROM ${this.t.definitions} WHERE is_enabled = ${this.d.literal(true)})
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
         SELECT MIN(next_run_at) FROM ${this.t.schedules} WHERE is_enabled = ${on}) AS ticks`,
    );
    const t = row?.t;
    return t == null ? null : t instanceof Date ? t : new Date(Number(t));
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

  /** Rows of id and job_type_id of runs that just finished, for afterFinish (the hot paths use it). */
  protected afterFinish(finished: Row[], status: JobRunStatus, at: number): TxBody<void> {
    return tx.afterFinish(this, finished, status, at);
  }
}
