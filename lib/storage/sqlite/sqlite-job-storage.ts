import { hostname } from 'node:os';
import { setImmediate as nextTick } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource, Repository } from 'typeorm';
import { InvalidRunStateError, RunNotFoundError, UnknownJobError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import { JobDefinition } from '../entities/job-definition.entity.js';
import { JobLog } from '../entities/job-log.entity.js';
import { JobRun } from '../entities/job-run.entity.js';
import { WorkerHeartbeat } from '../entities/worker-heartbeat.entity.js';
import { JobRunStatus, ScheduleType } from '../entities/enums.js';
import { JobStorage } from '../job-storage.js';
import type {
  ClaimedRun, ClaimRequest, CompleteAndClaimResult, HeartbeatInfo, JobDefinitionInput, JobRunUpdate, NewJobLog, NewJobRun, RunCompletion,
  RunFailure, RunListFilter, ScheduleTickClaim,
} from '../job-storage.types.js';
import { definitionUpsert } from '../definition-upsert.js';
import { jobTypeOf, RUN_ROW, runRow } from '../run-row.js';
import { rawSqlite } from './sqlite-connection.js';
import { rowToClaimed, rowToRun, RUN_UPDATE_COLUMNS } from '../rows.js';

type Row = Record<string, unknown>;

export interface SqliteJobStorageOptions {
  tablePrefix: string;
  /** Largest input accepted at enqueue, in bytes of JSON. */
  maxPayloadBytes?: number;
}

/**
 * JobStorage on SQLite through the module's TypeORM DataSource.
 *
 * TypeORM talks to SQLite over one connection, so a transaction opened by one async flow would
 * swallow the statements of every other flow until it ends. This class therefore never holds a
 * transaction across an `await`: each write is one statement, or a synchronous better-sqlite3
 * transaction (`BEGIN IMMEDIATE ... COMMIT` within one turn of the event loop), on the
 * DataSource's own handle. JavaScript runs it to the end before any other flow continues: that is
 * the single write lane. Across processes, IMMEDIATE takes the write lock up front and
 * busy_timeout queues the other writers. Reads where speed does not matter use the Repository API.
 */
export class SqliteJobStorage extends JobStorage {
  private readonly db: BetterSqlite3.Database;
  private readonly t: { definitions: string; runs: string; logs: string; heartbeats: string };
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** One better-sqlite3 transaction wrapper, reused: it calls the function it is given. */
  private readonly transaction: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;
  /** jobTypeId -> queue and priority: enqueue checks the job exists without a read per call. */
  private readonly known = new Map<string, { queue: string; priority: number }>();
  private readonly maxPayloadBytes: number;
  private readonly definitions: Repository<JobDefinition>;
  private readonly logs: Repository<JobLog>;
  private readonly heartbeats: Repository<WorkerHeartbeat>;

  constructor(readonly dataSource: DataSource, options: SqliteJobStorageOptions) {
    super();
    this.db = rawSqlite(dataSource);
    this.transaction = this.db.transaction((fn: () => unknown) => fn());
    const p = options.tablePrefix;
    this.t = { definitions: `"${p}definitions"`, runs: `"${p}runs"`, logs: `"${p}logs"`, heartbeats: `"${p}heartbeats"` };
    this.maxPayloadBytes = options.maxPayloadBytes ?? Infinity;
    this.definitions = dataSource.getRepository(JobDefinition);
    this.logs = dataSource.getRepository(JobLog);
    this.heartbeats = dataSource.getRepository(WorkerHeartbeat);
  }

  /** A prepared statement known by name: its SQL is built and compiled once. */
  private stmt(name: string, text: () => string): BetterSqlite3.Statement {
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.db.prepare(text());
      this.statements.set(name, statement);
    }
    return statement;
  }

  /** A prepared statement, compiled once per SQL text. */
  private sql(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction, synchronously (see the class comment). Even a
   * single statement goes through here: IMMEDIATE takes the write lock before reading, so a writer
   * in another process makes it wait (busy_timeout) instead of failing with SQLITE_BUSY_SNAPSHOT.
   */
  private write<T>(fn: () => T): T {
    return this.transaction.immediate(fn) as T;
  }

  // ----- definitions -----

  async getAllDefinitions(): Promise<JobDefinition[]> {
    return this.definitions.find({ order: { displayName: 'ASC', jobTypeId: 'ASC' } });
  }

  async getJobDefinition(jobTypeId: string): Promise<JobDefinition | null> {
    return this.definitions.findOneBy({ jobTypeId });
  }

  async upsertDefinition(input: JobDefinitionInput): Promise<void> {
    const { insert, updates } = definitionUpsert(input, new Date(Date.now()), {
      time: (value) => value.getTime(),
      flag: (value) => (value ? 1 : 0),
      stored: (column) => column,
      differs: 'IS NOT',
    });
    const columns = Object.keys(insert);
    const upsert = this.sql(
      `INSERT INTO ${this.t.definitions} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (job_type_id) DO UPDATE SET ${updates.join(', ')}`,
    );
    this.write(() => upsert.run(insert));
    const stored = this.sql(`SELECT queue, priority FROM ${this.t.definitions} WHERE job_type_id = ?`).get(input.jobTypeId) as Row;
    this.known.set(input.jobTypeId, { queue: stored.queue as string, priority: stored.priority as number });
  }

  async setDefinitionEnabled(jobTypeId: string, enabled: boolean): Promise<void> {
    const statement = this.sql(`UPDATE ${this.t.definitions} SET is_enabled = ?, updated_at = ? WHERE job_type_id = ?`);
    const result = this.write(() => statement.run(enabled ? 1 : 0, Date.now(), jobTypeId));
    if (result.changes === 0) throw new UnknownJobError(jobTypeId);
  }

  async updateSchedule(
    jobTypeId: string,
    schedule: Pick<JobDefinitionInput, 'scheduleType' | 'cronExpression' | 'intervalMs' | 'timezone' | 'nextRunAt'>,
  ): Promise<void> {
    const statement = this.sql(
      `UPDATE ${this.t.definitions} SET schedule_type = ?, cron_expression = ?, interval_ms = ?, timezone = ?,
         next_run_at = ?, updated_at = ? WHERE job_type_id = ?`,
    );
    const result = this.write(() => statement.run(
      schedule.scheduleType ?? ScheduleType.None,
      schedule.cronExpression ?? null,
      schedule.intervalMs ?? null,
      schedule.timezone ?? null,
      schedule.nextRunAt?.getTime() ?? null,
      Date.now(),
      jobTypeId,
    ));
    if (result.changes === 0) throw new UnknownJobError(jobTypeId);
  }

  // ----- runs -----

  private lookup(jobTypeId: string): { queue: string; priority: number } {
    let found = this.known.get(jobTypeId);
    if (!found) {
      const row = this.sql(`SELECT queue, priority FROM ${this.t.definitions} WHERE job_type_id = ?`).get(jobTypeId) as Row | undefined;
      if (!row) throw new UnknownJobError(jobTypeId);
      found = { queue: row.queue as string, priority: row.priority as number };
      this.known.set(jobTypeId, found);
    }
    return found;
  }

  /** A run's insert values (see runRow), with SQLite's 0/1 for the flag. */
  private prepareRun(run: NewJobRun, now: number): unknown[] {
    const row = runRow(run, this.lookup(jobTypeOf(run)), now, this.maxPayloadBytes);
    row[RUN_ROW.passParentOutput] = row[RUN_ROW.passParentOutput] ? 1 : 0;
    return row;
  }

  private insertRun(row: unknown[]): void {
    this.stmt(
      'insertRun',
      () => `INSERT INTO ${this.t.runs} (id, job_type_id, status, trigger_type, queue, priority, input_json, scheduled_at,
               created_at, max_retries, correlation_id, parent_run_id, continue_on, pass_parent_output)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(row);
  }

  async enqueue(run: NewJobRun): Promise<string> {
    const row = this.prepareRun(run, Date.now());
    this.insertAll([row]);
    return row[0] as string;
  }

  async enqueueMany(runs: NewJobRun[]): Promise<string[]> {
    const now = Date.now();
    const rows = runs.map((run) => this.prepareRun(run, now));
    this.insertAll(rows);
    return rows.map((row) => row[0] as string);
  }

  /** All rows in one transaction, or none: a caller-given id that exists already undoes the lot. */
  private insertAll(rows: unknown[][]): void {
    try {
      this.write(() => {
        for (const row of rows) this.insertRun(row);
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new InvalidRunStateError(messages.duplicateRunId(rows.map((row) => row[0] as string)));
      }
      throw error;
    }
  }

  async dequeue(queue: string, workerId: string): Promise<JobRun | null> {
    const [claimed] = await this.claim([queue], workerId, 1);
    return claimed ? this.getRun(claimed.id) : null;
  }

  async claim(
    queues: readonly string[],
    workerId: string,
    limit: number,
    jobTypeIds?: readonly string[],
  ): Promise<ClaimedRun[]> {
    if (limit <= 0 || queues.length === 0) return [];
    return this.write(() => this.claimSync({ queues, workerId, limit, jobTypeIds }));
  }

  override async completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    // One transaction, one commit: the pages the completions touch are mostly the ones the claim
    // touches, so the pair costs little more than either alone.
    return this.write(() => ({ completed: this.completeSync(completions), claimed: this.claimSync(next) }));
  }

  /** Inside a write. One UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING per queue. */
  private claimSync({ queues, workerId, limit, jobTypeIds }: ClaimRequest): ClaimedRun[] {
    const claimed: ClaimedRun[] = [];
    const now = Date.now();
    const types = jobTypeIds ? JSON.stringify(jobTypeIds) : null;
    for (const queue of queues) {
      const wanted = limit - claimed.length;
      if (wanted <= 0) break;
      const rows = this.claimStatement(wanted).all({ worker: workerId, now, queue, types, limit: wanted }) as Row[];
      // RETURNING gives no order guarantee: restore the claim order.
      rows.sort(
        (a, b) =>
          (b.priority as number) - (a.priority as number) ||
          (a.scheduled_at as number) - (b.scheduled_at as number) ||
          (a.created_at as number) - (b.created_at as number),
      );
      for (const row of rows) {
        row.started_at = now;
        claimed.push(rowToClaimed(row));
      }
    }
    return claimed;
  }

  /**
   * The claim statement for up to `n` runs. Small limits get a statement of their own with the
   * LIMIT written in (measured 30% faster than a bound LIMIT); larger ones share a bound one.
   */
  private claimStatement(n: number): BetterSqlite3.Statement {
    const literal = Number.isInteger(n) && n <= 64;
    return this.stmt(
      literal ? `claim:${n}` : 'claim:n',
      () => `UPDATE ${this.t.runs}
               SET status = 'running', worker_id = @worker, started_at = @now, attempt_number = attempt_number + 1,
                   next_retry_at = NULL
             WHERE id IN (
               SELECT id FROM ${this.t.runs}
                WHERE status = 'pending' AND queue = @queue AND scheduled_at <= @now
                  AND job_type_id NOT IN (SELECT job_type_id FROM ${this.t.definitions} WHERE is_enabled = 0)
                  AND (@types IS NULL OR job_type_id IN (SELECT value FROM json_each(@types)))
                ORDER BY priority DESC, scheduled_at, created_at
                LIMIT ${literal ? n : '@limit'})
             RETURNING id, job_type_id, queue, priority, input_json, attempt_number, max_retries, scheduled_at,
                       created_at, correlation_id, parent_run_id, trigger_type`,
    );
  }

  async getPendingRuns(queue: string, limit = 100): Promise<JobRun[]> {
    const rows = this.sql(
      `SELECT * FROM ${this.t.runs} WHERE status = 'pending' AND queue = ? AND scheduled_at <= ?
        ORDER BY priority DESC, scheduled_at, created_at LIMIT ?`,
    ).all(queue, Date.now(), limit) as Row[];
    return rows.map(rowToRun);
  }

  async updateRun(runId: string, update: JobRunUpdate): Promise<void> {
    const sets: string[] = [];
    const params: Row = { id: runId };
    for (const [key, column, kind] of RUN_UPDATE_COLUMNS) {
      const value = (update as Record<string, unknown>)[key];
      if (value === undefined) continue;
      sets.push(`${column} = @${column}`);
      params[column] = kind === 'date' ? (value === null ? null : (value as Date).getTime()) : value;
    }
    const result = sets.length
      ? this.write(() => this.sql(`UPDATE ${this.t.runs} SET ${sets.join(', ')} WHERE id = @id`).run(params))
      : { changes: this.sql(`SELECT 1 FROM ${this.t.runs} WHERE id = ?`).get(runId) ? 1 : 0 };
    if (result.changes === 0) throw new RunNotFoundError(runId);
  }

  async getRun(runId: string): Promise<JobRun | null> {
    const row = this.sql(`SELECT * FROM ${this.t.runs} WHERE id = ?`).get(runId) as Row | undefined;
    return row ? rowToRun(row) : null;
  }

  async listRuns(filter: RunListFilter = {}): Promise<JobRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.jobTypeId !== undefined) (where.push('job_type_id = ?'), params.push(filter.jobTypeId));
    if (filter.queue !== undefined) (where.push('queue = ?'), params.push(filter.queue));
    if (filter.correlationId !== undefined) (where.push('correlation_id = ?'), params.push(filter.correlationId));
    if (filter.parentRunId !== undefined) (where.push('parent_run_id = ?'), params.push(filter.parentRunId));
    if (filter.status !== undefined) {
      const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    params.push(filter.limit ?? 100, filter.offset ?? 0);
    const rows = this.db
      .prepare(
        `SELECT * FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      )
      .all(...params) as Row[];
    return rows.map(rowToRun);
  }

  async countRuns(filter: Pick<RunListFilter, 'jobTypeId' | 'queue'> = {}): Promise<Record<string, number>> {
    const rows = this.sql(
      `SELECT status, COUNT(*) AS n FROM ${this.t.runs}
        WHERE (@job IS NULL OR job_type_id = @job) AND (@queue IS NULL OR queue = @queue) GROUP BY status`,
    ).all({ job: filter.jobTypeId ?? null, queue: filter.queue ?? null }) as Row[];
    const counts: Record<string, number> = {};
    for (const status of Object.values(JobRunStatus)) counts[status] = 0;
    for (const row of rows) counts[row.status as string] = row.n as number;
    return counts;
  }

  async completeRuns(completions: RunCompletion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    return this.write(() => this.completeSync(completions));
  }

  /**
   * Inside a write: one prepared UPDATE per completion (measured faster in SQLite than one
   * UPDATE ... FROM json_each for the group), all in the caller's transaction. Only runs still
   * Running under the committing worker change: a run cancelled or recovered meanwhile stays as it is.
   */
  private completeSync(completions: RunCompletion[]): string[] {
    if (completions.length === 0) return [];
    const complete = this.stmt(
      'complete',
      () => `UPDATE ${this.t.runs} SET status = 'completed', output_json = ?, completed_at = ?, duration_ms = ?,
               error_message = NULL, error_details = NULL
             WHERE id = ? AND status = 'running' AND worker_id = ?
             RETURNING id, job_type_id`,
    );
    const finished: Row[] = [];
    for (const c of completions) {
      const row = complete.get(c.outputJson, c.completedAt.getTime(), c.durationMs, c.runId, c.workerId) as Row | undefined;
      if (row) finished.push(row);
    }
    this.afterFinish(finished, JobRunStatus.Completed, Date.now());
    return finished.map((row) => row.id as string);
  }

  async failRun(failure: RunFailure): Promise<boolean> {
    const at = failure.completedAt.getTime();
    return this.write(() => {
      if (failure.retryAt) {
        const retryAt = failure.retryAt.getTime();
        return (
          this.stmt(
            'retryLater',
            () => `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = ?, next_retry_at = ?, error_message = ?,
                     error_details = ?, duration_ms = ?
                   WHERE id = ? AND status = 'running' AND worker_id = ?`,
          ).run(retryAt, retryAt, failure.errorMessage, failure.errorDetails, failure.durationMs, failure.runId, failure.workerId)
            .changes === 1
        );
      }
      const finished = this.stmt(
        'fail',
        () => `UPDATE ${this.t.runs} SET status = 'failed', completed_at = ?, error_message = ?, error_details = ?, duration_ms = ?
               WHERE id = ? AND status = 'running' AND worker_id = ?
               RETURNING id, job_type_id`,
      ).all(at, failure.errorMessage, failure.errorDetails, failure.durationMs, failure.runId, failure.workerId) as Row[];
      this.afterFinish(finished, JobRunStatus.Failed, at);
      return finished.length === 1;
    });
  }

  /**
   * Inside a write, for runs that just finished: release or cancel their continuations, and record
   * the last run on each definition. A few statements per group, not per run.
   */
  private afterFinish(finished: Row[], status: JobRunStatus, at: number): void {
    if (finished.length === 0) return;
    this.resolveChildren(finished.map((row) => row.id as string), status, at);
    const jobTypes = new Set(finished.map((row) => row.job_type_id as string));
    const touch = this.stmt('touchDefinition', () => `UPDATE ${this.t.definitions} SET last_run_at = ?, last_run_status = ? WHERE job_type_id = ?`);
    for (const jobTypeId of jobTypes) touch.run(at, status, jobTypeId);
  }

  /** Awaiting children of finished parents: Pending when their condition holds, Cancelled otherwise. */
  private resolveChildren(parentIds: string[], parentStatus: JobRunStatus, at: number): number {
    const met = parentStatus === JobRunStatus.Completed ? 'success' : parentStatus === JobRunStatus.Failed ? 'failure' : 'never';
    return this.stmt(
      'resolveChildren',
      () => `UPDATE ${this.t.runs} AS c SET
               status = CASE WHEN c.continue_on IN (@met, 'always') THEN 'pending' ELSE 'cancelled' END,
               scheduled_at = MAX(c.scheduled_at, @at),
               completed_at = CASE WHEN c.continue_on IN (@met, 'always') THEN NULL ELSE @at END,
               error_message = CASE WHEN c.continue_on IN (@met, 'always') THEN NULL
                 ELSE 'continuation condition not met: parent ended ' || @status END,
               input_json = CASE WHEN c.continue_on IN (@met, 'always') AND c.pass_parent_output = 1
                 THEN (SELECT p.output_json FROM ${this.t.runs} AS p WHERE p.id = c.parent_run_id) ELSE c.input_json END
             WHERE c.parent_run_id IS NOT NULL AND c.parent_run_id IN (SELECT value FROM json_each(@parents))
               AND c.status = 'awaiting'`,
    ).run({ parents: JSON.stringify(parentIds), met, at, status: parentStatus }).changes;
  }

  async resolveContinuations(parentRunId: string): Promise<number> {
    const parent = this.sql(`SELECT status FROM ${this.t.runs} WHERE id = ?`).get(parentRunId) as Row | undefined;
    if (!parent) throw new RunNotFoundError(parentRunId);
    const status = parent.status as JobRunStatus;
    if (status !== JobRunStatus.Completed && status !== JobRunStatus.Failed && status !== JobRunStatus.Cancelled) return 0;
    return this.write(() => this.resolveChildren([parentRunId], status, Date.now()));
  }

  async cancelRun(runId: string, reason = 'cancelled'): Promise<JobRunStatus | null> {
    return this.write(() => {
      const row = this.sql(`SELECT status FROM ${this.t.runs} WHERE id = ?`).get(runId) as Row | undefined;
      if (!row) throw new RunNotFoundError(runId);
      const status = row.status as JobRunStatus;
      if (status !== JobRunStatus.Pending && status !== JobRunStatus.Running && status !== JobRunStatus.Awaiting) return null;
      const at = Date.now();
      this.sql(
        `UPDATE ${this.t.runs} SET status = 'cancelled', completed_at = ?, error_message = ? WHERE id = ?`,
      ).run(at, reason, runId);
      this.resolveChildren([runId], JobRunStatus.Cancelled, at);
      return status;
    });
  }

  async requeueRun(runId: string, scheduledAt = new Date()): Promise<void> {
    this.write(() => {
      const row = this.sql(`SELECT status FROM ${this.t.runs} WHERE id = ?`).get(runId) as Row | undefined;
      if (!row) throw new RunNotFoundError(runId);
      if (row.status !== JobRunStatus.Failed && row.status !== JobRunStatus.Cancelled) {
        throw new InvalidRunStateError(
          `Run '${runId}' is ${row.status as string}: only failed or cancelled runs can be retried.`,
        );
      }
      // A new round of attempts: the count restarts so that maxRetries applies again.
      this.sql(
        `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = ?, completed_at = NULL, next_retry_at = NULL,
           attempt_number = 0, worker_id = NULL WHERE id = ?`,
      ).run(scheduledAt.getTime(), runId);
    });
  }

  async releaseRuns(workerId: string, runIds: readonly string[]): Promise<number> {
    if (runIds.length === 0) return 0;
    const release = this.sql(
      // The attempt was interrupted, not failed: it does not count against maxRetries.
      `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = ?, worker_id = NULL,
         attempt_number = MAX(attempt_number - 1, 0)
        WHERE id = ? AND status = 'running' AND worker_id = ?`,
    );
    const now = Date.now();
    return this.write(() => runIds.reduce((n, id) => n + release.run(now, id, workerId).changes, 0));
  }

  async stillHeld(workerId: string, runIds: readonly string[]): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = this.sql(
      `SELECT id FROM ${this.t.runs} WHERE status = 'running' AND worker_id = ?
         AND id IN (SELECT value FROM json_each(?))`,
    ).all(workerId, JSON.stringify(runIds)) as Row[];
    return rows.map((row) => row.id as string);
  }

  async recoverStaleRuns(staleAfterMs: number, defaultMaxRetries: number): Promise<number> {
    const now = Date.now();
    const cutoff = now - staleAfterMs;
    return this.write(() => {
      const rows = this.sql(
        `UPDATE ${this.t.runs} AS r SET
           status = CASE WHEN r.attempt_number > COALESCE(r.max_retries,
               (SELECT d.max_retries FROM ${this.t.definitions} d WHERE d.job_type_id = r.job_type_id), @defaultMax)
             THEN 'failed' ELSE 'pending' END,
           completed_at = CASE WHEN r.attempt_number > COALESCE(r.max_retries,
               (SELECT d.max_retries FROM ${this.t.definitions} d WHERE d.job_type_id = r.job_type_id), @defaultMax)
             THEN @now ELSE NULL END,
           error_message = 'worker ' || COALESCE(r.worker_id, '?') || ' stopped sending heartbeats while running attempt '
             || r.attempt_number,
           scheduled_at = @now
         WHERE r.status = 'running'
           AND (r.worker_id IS NULL OR r.worker_id NOT IN
                (SELECT worker_id FROM ${this.t.heartbeats} WHERE last_heartbeat >= @cutoff))
           AND r.started_at < @cutoff
         RETURNING id, status, job_type_id`,
      ).all({ now, cutoff, defaultMax: defaultMaxRetries }) as Row[];
      this.afterFinish(rows.filter((row) => row.status === JobRunStatus.Failed), JobRunStatus.Failed, now);
      // Workers silent far longer than staleAfter are gone: keep the table to live ones.
      this.sql(`DELETE FROM ${this.t.heartbeats} WHERE last_heartbeat < ?`).run(now - 10 * staleAfterMs);
      return rows.length;
    });
  }

  // ----- logs -----

  /** Inserts a line if its run exists; returns 1 if inserted, 0 if the run is gone. */
  private insertLog(log: NewJobLog, now: number): number {
    if (typeof log.message !== 'string') throw new TypeError(`message: expected a string, got ${typeof log.message}`);
    return this.sql(
      `INSERT INTO ${this.t.logs} (run_id, level, message, timestamp, category, exception, attempt_number)
       SELECT @run_id, @level, @message, @timestamp, @category, @exception, @attempt_number
        WHERE EXISTS (SELECT 1 FROM ${this.t.runs} WHERE id = @run_id)`,
    ).run({
      run_id: log.runId,
      level: log.level,
      message: log.message,
      timestamp: log.timestamp?.getTime() ?? now,
      category: log.category ?? null,
      exception: log.exception ?? null,
      attempt_number: log.attemptNumber ?? null,
    }).changes;
  }

  async addLog(log: NewJobLog): Promise<void> {
    if (this.write(() => this.insertLog(log, Date.now())) === 0) throw new RunNotFoundError(log.runId);
  }

  async addLogs(logs: NewJobLog[]): Promise<void> {
    if (logs.length === 0) return;
    const now = Date.now();
    // Lines of a run deleted meanwhile (cleanup, or a cancelled run's removal) are dropped, not fatal.
    this.write(() => logs.forEach((log) => this.insertLog(log, now)));
  }

  async getLogs(runId: string, limit = 1000): Promise<JobLog[]> {
    return this.logs.find({ where: { runId }, order: { id: 'ASC' }, take: limit });
  }

  // ----- heartbeats -----

  async updateHeartbeat(workerId: string, info: HeartbeatInfo = {}): Promise<void> {
    const now = Date.now();
    const running = info.runningRunIds ?? [];
    const upsert = this.stmt(
      'heartbeat',
      () =>
      `INSERT INTO ${this.t.heartbeats} (worker_id, hostname, pid, queues, concurrency, started_at, last_heartbeat,
         running_run_ids, current_job_id, current_job_started_at)
       VALUES (@worker, @hostname, @pid, @queues, @concurrency, @now, @now, @running, @current, NULL)
       ON CONFLICT (worker_id) DO UPDATE SET last_heartbeat = @now, running_run_ids = @running,
         current_job_id = @current, queues = COALESCE(@queues, queues), concurrency = COALESCE(@concurrency, concurrency)`,
    );
    const params = {
      worker: workerId,
      hostname: info.hostname ?? hostname(),
      pid: info.pid ?? process.pid,
      queues: info.queues ? JSON.stringify(info.queues) : null,
      concurrency: info.concurrency ?? null,
      now,
      running: JSON.stringify(running),
      current: running[0] ?? null,
    };
    this.write(() => upsert.run(params));
  }

  async getActiveWorkers(timeoutMs: number): Promise<WorkerHeartbeat[]> {
    return this.heartbeats
      .createQueryBuilder('h')
      .where('h.last_heartbeat >= :cutoff', { cutoff: Date.now() - timeoutMs })
      .orderBy('h.worker_id')
      .getMany();
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    const remove = this.sql(`DELETE FROM ${this.t.heartbeats} WHERE worker_id = ?`);
    this.write(() => remove.run(workerId));
  }

  // ----- schedules -----

  async getDueSchedules(now: Date): Promise<JobDefinition[]> {
    return this.definitions
      .createQueryBuilder('d')
      .where(`d.schedule_type != 'none' AND d.is_enabled = 1 AND d.next_run_at IS NOT NULL AND d.next_run_at <= :now`, {
        now: now.getTime(),
      })
      .orderBy('d.next_run_at')
      .getMany();
  }

  async claimScheduleTick(claim: ScheduleTickClaim): Promise<boolean> {
    const row = claim.run ? this.prepareRun(claim.run, Date.now()) : null;
    return this.write(() => {
      const won =
        this.sql(
          `UPDATE ${this.t.definitions} SET next_run_at = ?, last_run_at = COALESCE(?, last_run_at)
            WHERE job_type_id = ? AND next_run_at IS ?`,
        ).run(
          claim.nextRunAt?.getTime() ?? null,
          row ? claim.firedAt.getTime() : null,
          claim.jobTypeId,
          claim.expectedNextRunAt?.getTime() ?? null,
        ).changes === 1;
      if (won && row) this.insertRun(row);
      return won;
    });
  }

  async hasActiveRun(jobTypeId: string): Promise<boolean> {
    return (
      this.sql(
        `SELECT 1 FROM ${this.t.runs} WHERE job_type_id = ? AND status IN ('pending', 'running') LIMIT 1`,
      ).get(jobTypeId) !== undefined
    );
  }

  // ----- cleanup -----

  /**
   * Walks the runs table in rowid order, which is insertion order, a window of rows at a time:
   * finished runs past the retention in each window are deleted in batches (their logs go with
   * them, ON DELETE CASCADE), each batch its own short transaction with the event loop turning in
   * between, so workers keep claiming meanwhile. The walk stops at the first window whose newest
   * run was created after the cutoff: every later run is newer still. No index is needed, so
   * completions pay nothing for the cleanup.
   */
  async cleanupOldRuns(retentionMs: number, batchSize = 500): Promise<number> {
    const cutoff = Date.now() - retentionMs;
    const window = Math.max(batchSize, 10_000);
    const victims = this.stmt(
      'cleanupVictims',
      () => `SELECT rowid AS r FROM ${this.t.runs}
             WHERE rowid > ? AND rowid <= ? AND status IN ('completed', 'failed', 'cancelled') AND completed_at < ?`,
    );
    const newest = this.stmt(
      'cleanupNewest',
      () => `SELECT created_at FROM ${this.t.runs} WHERE rowid > ? AND rowid <= ? ORDER BY rowid DESC LIMIT 1`,
    );
    const remove = this.stmt('cleanupDelete', () => `DELETE FROM ${this.t.runs} WHERE rowid IN (SELECT value FROM json_each(?))`);
    const last = (this.stmt('maxRowid', () => `SELECT MAX(rowid) AS r FROM ${this.t.runs}`).get() as Row).r as number | null;
    let total = 0;
    for (let from = 0; last !== null && from < last; from += window) {
      const rowids = (victims.all(from, from + window, cutoff) as Row[]).map((row) => row.r as number);
      for (let i = 0; i < rowids.length; i += batchSize) {
        const chunk = JSON.stringify(rowids.slice(i, i + batchSize));
        total += this.write(() => remove.run(chunk).changes);
        await nextTick();
      }
      const edge = newest.get(from, from + window) as Row | undefined;
      if (edge && (edge.created_at as number) >= cutoff) break;
    }
    return total;
  }

  async cleanupOldLogs(retentionMs: number, batchSize = 500): Promise<number> {
    const cutoff = Date.now() - retentionMs;
    const batch = this.sql(
      `DELETE FROM ${this.t.logs} WHERE id IN (SELECT id FROM ${this.t.logs} WHERE timestamp < ? ORDER BY timestamp LIMIT ?)`,
    );
    let total = 0;
    for (;;) {
      const deleted = this.write(() => batch.run(cutoff, batchSize).changes);
      total += deleted;
      if (deleted < batchSize) return total;
      await nextTick();
    }
  }
}
