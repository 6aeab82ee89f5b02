import { setImmediate as nextTurn } from 'node:timers/promises';
import { hostname } from 'node:os';
import { InvalidPayloadError, InvalidRunStateError, RunNotFoundError, UnknownJobError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import type { JobBatch, JobDefinition, JobLog, JobRun, JobSchedule, WorkerHeartbeat } from '../../model/job-run.js';
import { JobRunStatus, ScheduleType } from '../../model/statuses.js';
import type { Clock } from '../../util/clock.js';
import { definitionUpsert } from '../definition-upsert.js';
import { EngineStorage } from '../engine-storage.js';
import type {
  AttemptLease, BatchCreated, BulkOptions, CancelledRun, CancelManyOptions, ClaimedRun, ClaimRequest, CleanupProgress, CompleteAndClaimResult, HeartbeatInfo, JobDefinitionInput,
  JobRunUpdate, JobScheduleInput, NewBatch, NewJobLog, NewJobRun, RunBulkFilter, RunCompletion, RunListFilter, ScheduleUpdate,
} from '../job-storage.types.js';
import { rowToBatch, rowToDefinition, rowToHeartbeat, rowToLog, rowToRun, rowToSchedule, selectLists } from '../rows.js';
import { scheduleColumns, upsertSchedule } from './named-schedules.js';
import * as batches from './batches.js';
import { uuidv7 } from '../../util/uuidv7.js';
import { jobTypeOf, runDefaults, runRow, type RunDefaults } from '../run-row.js';
import type { EnqueueResult } from '../../interfaces/enqueue-options.interface.js';
import { insertWithUnique, uniqueOf } from './unique-insert.js';
import { SqlDashboardQueries } from './dashboard-queries.js';
import type { DashboardQueries } from '../dashboard-queries.js';
import type { Dialect } from './dialect.js';
import { afterCommit, type Row, type SqlExecutor, type TxBody } from './executor.js';
import { storableText } from './storable-text.js';
import * as tx from './transitions.js';
import * as bulk from './bulk-runs.js';
import { bulkWhere, checkBatchSize } from './bulk-runs.js';
import type { SqlContext, Tables } from './transitions.js';
import { refuseUnknownKeys } from '../../util/unknown-keys.js';

export interface SqlStorageOptions {
  tables: Tables;
  clock: Clock;
  /** Largest input accepted at enqueue, in bytes of JSON. */
  maxPayloadBytes?: number;
}

/** JobRunUpdate fields: [property, column, kind]. */
const RUN_UPDATE_COLUMNS: ReadonlyArray<readonly [keyof JobRunUpdate, string, 'time' | 'json' | 'text' | 'value']> = [
  ['status', 'status', 'value'],
  ['startedAt', 'started_at', 'time'],
  ['completedAt', 'completed_at', 'time'],
  ['durationMs', 'duration_ms', 'value'],
  ['outputJson', 'output_json', 'json'],
  ['errorMessage', 'error_message', 'text'],
  ['errorDetails', 'error_details', 'text'],
  ['workerId', 'worker_id', 'value'],
  ['attemptNumber', 'attempt_number', 'value'],
  ['nextRetryAt', 'next_retry_at', 'time'],
  ['scheduledAt', 'scheduled_at', 'time'],
  ['progressJson', 'progress_json', 'json'],
  ['maxRetries', 'max_retries', 'value'],
];

/** Log lines per transaction: a flood of lines never holds the write lock, or the event loop, for long. */
const LOG_CHUNK = 1000;

/**
 * The storage both backends share: every operation that is one statement, or a transaction whose
 * rules are the same on both (see transitions.ts), written once over a Dialect and an executor. A
 * backend adds only what it earns: the claim and completion hot path, the insert of runs and log
 * lines, the cleanup walk, and wake-ups across processes. This class holds the operations of the
 * public JobStorage; SqlEngineStorage adds the engine's. (Some 370 lines: JobStorage's 23
 * operations of a statement or two each, kept together as the one contract they implement.)
 */
export abstract class SqlJobStorage extends EngineStorage implements SqlContext {
  readonly t: Tables;
  protected readonly cols: ReturnType<typeof selectLists>;
  protected readonly clock: Clock;
  protected readonly maxPayloadBytes: number;
  /** jobTypeId -> queue and priority: enqueue checks the job exists without a read per call. */
  private readonly known = new Map<string, RunDefaults>();
  private readonly texts = new Map<string, string>();
  private queries: SqlDashboardQueries | undefined;

  constructor(protected readonly exec: SqlExecutor, readonly d: Dialect, options: SqlStorageOptions) {
    super();
    this.t = options.tables;
    this.cols = selectLists(d);
    this.clock = options.clock;
    this.maxPayloadBytes = options.maxPayloadBytes ?? Infinity;
  }

  text(key: string, build: () => string): string {
    let found = this.texts.get(key);
    if (found === undefined) this.texts.set(key, (found = build()));
    return found;
  }

  dashboard(): DashboardQueries {
    return (this.queries ??= new SqlDashboardQueries(this.exec, this.d, this.t, this.clock));
  }

  // ----- what each backend provides -----

  /** Inserts prepared rows (see runRow) inside a transaction: ZapJobs' own, or the application's (enqueueInTransaction). */
  abstract insertRuns(rows: unknown[][]): TxBody<void>;
  /** Inserts log lines whose run exists, inside a transaction; returns how many. */
  /** Inserts lines of existing runs; with `leases` (one per line), only those whose lease is held. */
  protected abstract insertLogs(logs: NewJobLog[], now: number, leases?: readonly AttemptLease[]): TxBody<number>;
  abstract override claim(request: ClaimRequest): Promise<ClaimedRun[]>;
  abstract override completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult>;
  abstract override cleanupOldRuns(retentionMs: number, batchSize?: number, failedRetentionMs?: number, onProgress?: CleanupProgress): Promise<number>;

  /** Wakes other processes' workers for these queues when the transaction commits; none by default. */
  // eslint-disable-next-line require-yield
  *notify(queues: Iterable<string>): TxBody<void> {
    void queues;
  }

  /** Runs the flow rules just cancelled (rows of id, job_type_id, queue): announced once the transaction commits. */
  *ruleCancelled(cancelled: readonly Row[]): TxBody<void> {
    if (cancelled.length === 0 || !this.onRulesCancelled) return;
    const runs: CancelledRun[] = cancelled.map((row) => ({
      runId: String(row.id), jobTypeId: String(row.job_type_id), queue: String(row.queue), wasRunning: false,
    }));
    yield* afterCommit(() => this.onRulesCancelled?.(runs));
  }

  /** The same, outside a transaction; none by default. */
  protected async wake(queues: Iterable<string>): Promise<void> {
    void queues;
  }

  // ----- definitions -----

  async getAllDefinitions(): Promise<JobDefinition[]> {
    const found = await this.exec.read(`SELECT ${this.cols.definition} FROM ${this.t.definitions} ORDER BY display_name, job_type_id`);
    return found.map(rowToDefinition);
  }

  async getJobDefinition(jobTypeId: string): Promise<JobDefinition | null> {
    const [row] = await this.exec.read(`SELECT ${this.cols.definition} FROM ${this.t.definitions} WHERE job_type_id = ?`, [jobTypeId]);
    return row ? rowToDefinition(row) : null;
  }

  async upsertDefinition(input: JobDefinitionInput): Promise<void> {
    const { insert, updates } = definitionUpsert(input, this.clock.now(), this.d, this.t.definitions);
    const columns = Object.keys(insert);
    const { rows } = await this.exec.write(
      `INSERT INTO ${this.t.definitions} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
       ON CONFLICT (job_type_id) DO UPDATE SET ${updates.join(', ')}
       RETURNING queue, priority, concurrency_limit, rate_limit`,
      columns.map((column) => insert[column]),
    );
    this.known.set(input.jobTypeId, runDefaults(rows[0]));
  }

  async setDefinitionEnabled(jobTypeId: string, enabled: boolean): Promise<void> {
    const { changes } = await this.exec.write(`UPDATE ${this.t.definitions} SET is_enabled = ?, updated_at = ? WHERE job_type_id = ?`, [
      this.d.bool(enabled), this.d.time(this.clock.now()), jobTypeId,
    ]);
    if (changes === 0) throw new UnknownJobError(jobTypeId);
    if (enabled) await this.wake(['*']);
  }

  async updateSchedule(jobTypeId: string, schedule: ScheduleUpdate): Promise<void> {
    const { changes } = await this.exec.write(
      `UPDATE ${this.t.definitions} SET schedule_type = ?, cron_expression = ?, interval_ms = ?, timezone = ?,
         next_run_at = ?, updated_at = ? WHERE job_type_id = ?`,
      [
        schedule.scheduleType ?? ScheduleType.None,
        schedule.cronExpression ?? null,
        schedule.intervalMs ?? null,
        schedule.timezone ?? null,
        schedule.nextRunAt ? this.d.time(schedule.nextRunAt.getTime()) : null,
        this.d.time(this.clock.now()),
        jobTypeId,
      ],
    );
    if (changes === 0) throw new UnknownJobError(jobTypeId);
  }

  // ----- runs -----

  private async defaultsOf(jobTypeId: string): Promise<RunDefaults> {
    let found = this.known.get(jobTypeId);
    if (!found) {
      const [row] = await this.exec.read(
        `SELECT queue, priority, concurrency_limit, rate_limit FROM ${this.t.definitions} WHERE job_type_id = ?`,
        [jobTypeId],
      );
      if (!row) throw new UnknownJobError(jobTypeId);
      found = runDefaults(row);
      this.known.set(jobTypeId, found);
    }
    return found;
  }

  /** Runs validated and serialised (see runRow) before anything is written: bad input stores nothing. */
  protected async prepareRuns(runs: readonly NewJobRun[]): Promise<unknown[][]> {
    const now = this.clock.now();
    const prepared: unknown[][] = [];
    for (const run of runs) prepared.push(runRow(run, await this.defaultsOf(jobTypeOf(run)), now, this.maxPayloadBytes, this.d));
    return prepared;
  }

  /** Inserts prepared rows now, atomically. */
  protected async insertNow(rows: unknown[][]): Promise<void> {
    await this.exec.transaction(() => this.insertRuns(rows));
  }

  /** All rows in one transaction, or none: a caller-given id that exists already undoes the lot. */
  private async store(rows: unknown[][]): Promise<string[]> {
    try {
      await this.insertNow(rows);
    } catch (error) {
      if (this.d.isUniqueViolation(error)) throw new InvalidRunStateError(messages.duplicateRunId(rows.map((row) => row[0] as string)));
      throw error;
    }
    return rows.map((row) => row[0] as string);
  }

  /**
   * Runs of which some may be unique: checked and keyed before anything is written, then in one
   * transaction (see insertWithUnique). Runs without `unique` never come here.
   */
  private async storeUnique(runs: readonly NewJobRun[]): Promise<EnqueueResult[]> {
    const rows = await this.prepareRuns(runs);
    const unique = uniqueOf(runs, rows, this.clock.now());
    try {
      return await this.exec.transaction(() => insertWithUnique(this, rows, unique));
    } catch (error) {
      if (this.d.isUniqueViolation(error)) throw new InvalidRunStateError(messages.duplicateRunId(rows.map((row) => row[0] as string)));
      throw error;
    }
  }

  async enqueue(run: NewJobRun): Promise<string> {
    if (isUnique(run)) return (await this.storeUnique([run]))[0].runId;
    const [id] = await this.store(await this.prepareRuns([run]));
    return id;
  }

  async enqueueMany(runs: NewJobRun[]): Promise<string[]> {
    if (!Array.isArray(runs)) throw new InvalidPayloadError(`runs: expected an array, got ${typeof runs}`);
    if (runs.length === 0) return [];
    if (runs.some(isUnique)) return (await this.storeUnique(runs)).map((result) => result.runId);
    return this.store(await this.prepareRuns(runs));
  }

  async enqueueDetailed(run: NewJobRun): Promise<EnqueueResult> {
    return (await this.enqueueManyDetailed([run]))[0];
  }

  async enqueueManyDetailed(runs: NewJobRun[]): Promise<EnqueueResult[]> {
    if (!Array.isArray(runs)) throw new InvalidPayloadError(`runs: expected an array, got ${typeof runs}`);
    if (runs.length === 0) return [];
    if (runs.some(isUnique)) return this.storeUnique(runs);
    return (await this.store(await this.prepareRuns(runs))).map((runId) => ({ runId, created: true, replaced: false }));
  }

  async dequeue(queue: string, workerId: string): Promise<JobRun | null> {
    // Runs of limited jobs only through the limited claim, which counts their limits.
    const limited = await this.exec.read(
      `SELECT job_type_id FROM ${this.t.definitions} WHERE concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL`,
    );
    const limitedJobTypeIds = limited.map((row) => row.job_type_id as string);
    const [claimed] = await this.claim({ queues: [queue], workerId, limit: 1, ...(limitedJobTypeIds.length ? { limitedJobTypeIds } : {}) });
    return claimed ? this.getRun(claimed.id) : null;
  }

  async getPendingRuns(queue: string, limit = 100): Promise<JobRun[]> {
    const found = await this.exec.read(
      `SELECT ${this.cols.run} FROM ${this.t.runs} WHERE status = 'pending' AND queue = ? AND scheduled_at <= ?
        ORDER BY priority DESC, scheduled_at, created_at LIMIT ?`,
      [queue, this.d.time(this.clock.now()), limit],
    );
    return found.map(rowToRun);
  }

  async updateRun(runId: string, update: JobRunUpdate): Promise<void> {
    if (!this.d.isRunId(runId)) throw new RunNotFoundError(runId);
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, column, kind] of RUN_UPDATE_COLUMNS) {
      const value = update[key];
      if (value === undefined) continue;
      sets.push(`${column} = ${kind === 'json' ? this.d.param('json') : '?'}`);
      params.push(
        kind === 'time' ? (value === null ? null : this.d.time((value as Date).getTime())) : kind === 'text' ? storableText(value as string) : value,
      );
    }
    // As the engine's completion does: a completed run keeps no checkpoint.
    if (update.status === JobRunStatus.Completed) sets.push('checkpoint_json = NULL');
    const changes = sets.length
      ? (await this.exec.write(`UPDATE ${this.t.runs} SET ${sets.join(', ')} WHERE id = ?`, [...params, runId])).changes
      : (await this.exec.read(`SELECT 1 FROM ${this.t.runs} WHERE id = ?`, [runId])).length;
    if (changes === 0) throw new RunNotFoundError(runId);
  }

  async getRun(runId: string): Promise<JobRun | null> {
    if (!this.d.isRunId(runId)) return null;
    const [row] = await this.exec.read(`SELECT ${this.cols.run} FROM ${this.t.runs} WHERE id = ?`, [runId]);
    return row ? rowToRun(row) : null;
  }

  async listRuns(filter: RunListFilter = {}): Promise<JobRun[]> {
    // A field it does not know (a typo, the bulk filter's createdAfter) would select more than asked.
    refuseUnknownKeys(filter ?? {}, LIST_FIELDS, 'listRuns', 'not a filter field');
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, value: unknown) => (where.push(condition), params.push(value));
    if (filter.jobTypeId !== undefined) add('job_type_id = ?', filter.jobTypeId);
    if (filter.queue !== undefined) add('queue = ?', filter.queue);
    if (filter.correlationId !== undefined) add('correlation_id = ?', filter.correlationId);
    if (filter.since !== undefined) add('created_at >= ?', this.d.time(timeOf(filter.since, 'since')));
    if (filter.until !== undefined) add('created_at < ?', this.d.time(timeOf(filter.until, 'until')));
    if (filter.parentRunId !== undefined) {
      if (!this.d.isRunId(filter.parentRunId)) return [];
      add('parent_run_id = ?', filter.parentRunId);
    }
    if (filter.batchId !== undefined) {
      if (!this.d.isRunId(filter.batchId)) return [];
      add('batch_id = ?', filter.batchId);
    }
    if (filter.status !== undefined) {
      const list = this.d.inList('status', Array.isArray(filter.status) ? filter.status : [filter.status], 'text');
      add(list.sql, list.param);
    }
    const found = await this.exec.read(
      `SELECT ${this.cols.run} FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      [...params, filter.limit ?? 100, filter.offset ?? 0],
    );
    return found.map(rowToRun);
  }

  async countRuns(filter: Pick<RunListFilter, 'jobTypeId' | 'queue'> = {}): Promise<Record<JobRunStatus, number>> {
    refuseUnknownKeys(filter ?? {}, ['jobTypeId', 'queue'], 'countRuns', 'not a filter field');
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.jobTypeId !== undefined) (where.push('job_type_id = ?'), params.push(filter.jobTypeId));
    if (filter.queue !== undefined) (where.push('queue = ?'), params.push(filter.queue));
    const found = await this.exec.read(
      `SELECT status, COUNT(*) AS n FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY status`,
      params,
    );
    const counts = Object.fromEntries(Object.values(JobRunStatus).map((status) => [status, 0])) as Record<JobRunStatus, number>;
    for (const row of found) counts[row.status as JobRunStatus] = Number(row.n);
    return counts;
  }

  async cancelRun(runId: string, reason = 'cancelled'): Promise<JobRunStatus | null> {
    if (!this.d.isRunId(runId)) throw new RunNotFoundError(runId);
    return this.exec.transaction(() => tx.cancelRun(this, runId, reason, this.clock.now()));
  }

  async createBatch(batch: NewBatch): Promise<BatchCreated> {
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.children) || batch.children.length === 0) {
      throw new InvalidPayloadError(messages.emptyBatch());
    }
    if (batch.children.some((run) => run?.unique !== undefined)) throw new InvalidPayloadError(messages.uniqueInBatch());
    const children = await this.prepareRuns(batch.children);
    const callbacks = await this.prepareRuns(batch.callbacks);
    const id = uuidv7(this.clock.now());
    const description = batch.description ?? null;
    if (description !== null && typeof description !== 'string') throw new InvalidPayloadError(`description: expected a string, got ${typeof description}`);
    const includeOutputs = batch.includeOutputs ?? false;
    if (typeof includeOutputs !== 'boolean') throw new InvalidPayloadError(`includeOutputs: expected a boolean, got ${typeof includeOutputs}`);
    await this.exec.transaction(() => batches.createBatch(this, { id, description, includeOutputs, children, callbacks }, this.clock.now()));
    return { batchId: id, runIds: children.map((row) => row[0] as string), callbackRunIds: callbacks.map((row) => row[0] as string) };
  }

  async addToBatch(batchId: string, children: NewJobRun[]): Promise<string[]> {
    if (!this.d.isRunId(batchId)) throw new InvalidRunStateError(`Batch '${batchId}' does not exist.`);
    if (!Array.isArray(children) || children.length === 0) throw new InvalidPayloadError(messages.emptyBatch());
    if (children.some((run) => run?.unique !== undefined)) throw new InvalidPayloadError(messages.uniqueInBatch());
    const rows = await this.prepareRuns(children);
    await this.exec.transaction(() => batches.addToBatch(this, batchId, rows));
    return rows.map((row) => row[0] as string);
  }

  async cancelBatch(batchId: string): Promise<CancelledRun[]> {
    if (!this.d.isRunId(batchId)) throw new InvalidRunStateError(`Batch '${batchId}' does not exist.`);
    const cancelled = await this.exec.transaction(() => batches.cancelBatch(this, batchId, this.clock.now()));
    return cancelled.map((row) => ({ runId: String(row.id), jobTypeId: String(row.job_type_id), queue: String(row.queue), wasRunning: false }));
  }

  async createFanIn(parentRunIds: readonly string[], continuation: NewJobRun): Promise<string> {
    if (!Array.isArray(parentRunIds) || parentRunIds.length === 0) throw new InvalidPayloadError(messages.emptyFanIn());
    const seen = new Set<string>();
    for (const [i, id] of parentRunIds.entries()) {
      if (typeof id !== 'string') throw new InvalidPayloadError(`continueWith: parentRunIds[${i}]: expected a run id, got ${typeof id}`);
      if (!this.d.isRunId(id)) throw new RunNotFoundError(id);
      if (seen.has(id)) throw new InvalidPayloadError(`continueWith: parentRunIds[${i}]: '${id}' is listed twice. Nothing was stored.`);
      seen.add(id);
    }
    if (continuation?.status !== JobRunStatus.Awaiting) throw new InvalidPayloadError(`continuation: expected a run of status 'awaiting'`);
    const [row] = await this.prepareRuns([continuation]);
    const id = uuidv7(this.clock.now());
    await this.exec.transaction(() => batches.createFanIn(this, { id, parentIds: parentRunIds, continuation: row }, this.clock.now()));
    return row[0] as string;
  }

  async getBatch(batchId: string): Promise<JobBatch | null> {
    if (!this.d.isRunId(batchId)) return null;
    const [row] = await this.exec.read(
      `SELECT id, description, state, total, pending, succeeded, failed, cancelled, created_at, finished_at FROM ${this.t.batches} WHERE id = ?`,
      [batchId],
    );
    if (!row) return null;
    const callbacks = await this.exec.read(`SELECT id FROM ${this.t.runs} WHERE callback_of_batch = ? ORDER BY id`, [batchId]);
    return rowToBatch(row, callbacks.map((r) => String(r.id)));
  }

  async upsertSchedule(schedule: JobScheduleInput): Promise<JobSchedule> {
    const row = await this.exec.transaction(() => upsertSchedule(this, schedule, this.clock.now()));
    return rowToSchedule(row);
  }

  async removeSchedule(jobTypeId: string, key: string): Promise<boolean> {
    const { changes } = await this.exec.write(`DELETE FROM ${this.t.schedules} WHERE job_type_id = ? AND key = ?`, [jobTypeId, key]);
    return changes > 0;
  }

  async listSchedules(jobTypeId?: string): Promise<JobSchedule[]> {
    const found = await this.exec.read(
      `SELECT ${scheduleColumns(this)} FROM ${this.t.schedules} ${jobTypeId === undefined ? '' : 'WHERE job_type_id = ?'} ORDER BY key`,
      jobTypeId === undefined ? [] : [jobTypeId],
    );
    return found.map(rowToSchedule);
  }

  async retryMany(filter: RunBulkFilter, { batchSize = 500 }: BulkOptions = {}): Promise<number> {
    const where = bulkWhere(this.d, filter, 'retryMany');
    const limit = checkBatchSize(batchSize, 'retryMany');
    let total = 0;
    for (let cursor: string | null = null; ; ) {
      const at = this.clock.now();
      let ids: string[] = [];
      try {
        total += await this.exec.transaction(function* (this: SqlJobStorage) {
          ids = yield* bulk.nextBatch(this, where, cursor, limit);
          return ids.length ? yield* bulk.requeueRuns(this, ids, where, at) : 0;
        }.bind(this));
      } catch (error) {
        if (!this.d.isUniqueViolation(error) || ids.length === 0) throw error;
        // A unique run whose key another run took meanwhile refused the batch: the rest go one by one.
        for (const id of ids) {
          total += await this.exec.transaction(() => bulk.requeueRuns(this, [id], where, at)).catch((one: unknown) => {
            if (this.d.isUniqueViolation(one)) return 0;
            throw one;
          });
        }
      }
      if (ids.length < limit) return total;
      cursor = ids[ids.length - 1];
      await nextTurn();
    }
  }

  async cancelMany(filter: RunBulkFilter, { batchSize = 500, reason = 'cancelled by request', onCancelled }: CancelManyOptions = {}): Promise<number> {
    const where = bulkWhere(this.d, filter, 'cancelMany');
    const limit = checkBatchSize(batchSize, 'cancelMany');
    let total = 0;
    for (let cursor: string | null = null; ; ) {
      const at = this.clock.now();
      const { ids, cancelled } = await this.exec.transaction(function* (this: SqlJobStorage) {
        const ids = yield* bulk.nextBatch(this, where, cursor, limit);
        return { ids, cancelled: ids.length ? yield* bulk.cancelRuns(this, ids, where, reason, at) : [] };
      }.bind(this));
      total += cancelled.length;
      if (cancelled.length > 0) onCancelled?.(cancelled);
      if (ids.length < limit) return total;
      cursor = ids[ids.length - 1];
      await nextTurn();
    }
  }

  async requeueRun(runId: string, scheduledAt?: Date): Promise<void> {
    if (!this.d.isRunId(runId)) throw new RunNotFoundError(runId);
    const at = scheduledAt?.getTime() ?? this.clock.now();
    if (!Number.isFinite(at)) throw new InvalidPayloadError(`scheduledAt: expected a valid Date, got ${String(scheduledAt)}`);
    try {
      await this.exec.transaction(() => tx.requeueRun(this, runId, at));
    } catch (error) {
      // A unique run that left its counted states (failed, cancelled) may have been replaced by another holder of its key.
      if (this.d.isUniqueViolation(error)) throw new InvalidRunStateError(messages.uniqueKeyHeldOnRetry(runId));
      throw error;
    }
  }

  // ----- logs -----

  private checkLog(log: NewJobLog): void {
    if (log === null || typeof log !== 'object') throw new InvalidPayloadError(`log: expected an object, got ${log === null ? 'null' : typeof log}`);
    if (typeof log.message !== 'string') throw new InvalidPayloadError(`message: expected a string, got ${typeof log.message}`);
  }

  async addLog(log: NewJobLog): Promise<void> {
    this.checkLog(log);
    if (!this.d.isRunId(log.runId)) throw new RunNotFoundError(log.runId);
    if ((await this.exec.transaction(() => this.insertLogs([log], this.clock.now()))) === 0) throw new RunNotFoundError(log.runId);
  }

  /**
   * Inserts many lines, in transactions of up to LOG_CHUNK lines with the event loop turning in
   * between. Lines of a run deleted meanwhile (cleanup, say) are dropped, not fatal.
   */
  async addLogs(logs: NewJobLog[]): Promise<void> {
    logs.forEach((log) => this.checkLog(log));
    await this.insertLogChunks(logs.filter((log) => this.d.isRunId(log.runId)));
  }

  /** With `leases` (one per line), a line is stored only while its lease is held. Returns the lines stored. */
  protected async insertLogChunks(logs: NewJobLog[], leases?: readonly AttemptLease[]): Promise<number> {
    const now = this.clock.now();
    let stored = 0;
    for (let i = 0; i < logs.length; i += LOG_CHUNK) {
      if (i > 0) await nextTurn();
      const chunk = logs.slice(i, i + LOG_CHUNK);
      stored += await this.exec.transaction(() => this.insertLogs(chunk, now, leases?.slice(i, i + LOG_CHUNK)));
    }
    return stored;
  }

  async getLogs(runId: string, limit = 1000): Promise<JobLog[]> {
    if (!this.d.isRunId(runId)) return [];
    const found = await this.exec.read(`SELECT ${this.cols.log} FROM ${this.t.logs} WHERE run_id = ? ORDER BY id LIMIT ?`, [runId, limit]);
    return found.map(rowToLog);
  }

  // ----- heartbeats -----

  async updateHeartbeat(workerId: string, info: HeartbeatInfo = {}): Promise<void> {
    const now = this.clock.now();
    const running = info.runningRunIds ?? [];
    const json = this.d.param('json');
    const h = this.t.heartbeats;
    await this.exec.write(
      `INSERT INTO ${h} (worker_id, hostname, pid, queues, concurrency, started_at, last_heartbeat, running_run_ids,
         current_job_id, current_job_started_at)
       VALUES (?, ?, ?, ${json}, ?, ?, ?, ${json}, ?, NULL)
       ON CONFLICT (worker_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, running_run_ids = excluded.running_run_ids,
         current_job_id = excluded.current_job_id,
         hostname = COALESCE(${this.d.param('text')}, ${h}.hostname), pid = COALESCE(${this.d.param('int')}, ${h}.pid),
         queues = COALESCE(excluded.queues, ${h}.queues), concurrency = COALESCE(excluded.concurrency, ${h}.concurrency),
         started_at = CASE WHEN ${this.d.param('bool')} THEN excluded.started_at ELSE ${h}.started_at END`,
      [
        workerId,
        info.hostname ?? hostname(),
        info.pid ?? process.pid,
        info.queues ? JSON.stringify(info.queues) : null,
        info.concurrency ?? null,
        this.d.time(info.startedAt?.getTime() ?? now),
        this.d.time(now),
        JSON.stringify(running),
        running[0] ?? null,
        // On a later beat, what the caller left out keeps its stored value.
        info.hostname ?? null,
        info.pid ?? null,
        this.d.bool(info.startedAt !== undefined),
      ],
    );
  }

  async getActiveWorkers(timeoutMs: number): Promise<WorkerHeartbeat[]> {
    const found = await this.exec.read(
      `SELECT ${this.cols.heartbeat} FROM ${this.t.heartbeats} WHERE last_heartbeat >= ? ORDER BY worker_id`,
      [this.d.time(this.clock.now() - timeoutMs)],
    );
    return found.map(rowToHeartbeat);
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    await this.exec.write(`DELETE FROM ${this.t.heartbeats} WHERE worker_id = ?`, [workerId]);
  }

  // ----- cleanup -----

  async cleanupOldLogs(retentionMs: number, batchSize = 500, onProgress?: CleanupProgress): Promise<number> {
    const cutoff = this.d.time(this.clock.now() - retentionMs);
    let total = 0;
    for (;;) {
      const { changes } = await this.exec.write(
        `DELETE FROM ${this.t.logs} WHERE id IN (SELECT id FROM ${this.t.logs} WHERE timestamp < ? ORDER BY timestamp LIMIT ?)`,
        [cutoff, batchSize],
      );
      total += changes;
      if (changes > 0) onProgress?.(total);
      if (changes < batchSize) return total;
      await nextTurn();
    }
  }
}

/** A filter's time as epoch ms; an invalid Date is refused rather than matching nothing. */
function timeOf(value: Date, field: string): number {
  const ms = value instanceof Date ? value.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new InvalidPayloadError(`${field}: expected a valid Date, got ${String(value)}`);
  return ms;
}

/** Whether a run asks to be deduplicated (anything but undefined and false: checkUnique reports a bad value). */
const isUnique = (run: NewJobRun): boolean => run != null && run.unique !== undefined && run.unique !== false;

const LIST_FIELDS = ['jobTypeId', 'status', 'queue', 'correlationId', 'parentRunId', 'since', 'until', 'batchId', 'limit', 'offset'];
