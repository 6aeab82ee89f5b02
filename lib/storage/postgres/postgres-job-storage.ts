import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataSource } from 'typeorm';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { InvalidRunStateError, RunNotFoundError, UnknownJobError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import type { JobDefinition } from '../entities/job-definition.entity.js';
import type { JobLog } from '../entities/job-log.entity.js';
import type { JobRun } from '../entities/job-run.entity.js';
import type { WorkerHeartbeat } from '../entities/worker-heartbeat.entity.js';
import { JobRunStatus, ScheduleType } from '../entities/enums.js';
import { JobStorage } from '../job-storage.js';
import type {
  ClaimedRun, ClaimRequest, CompleteAndClaimResult, HeartbeatInfo, JobDefinitionInput, JobRunUpdate, NewJobLog,
  NewJobRun, RunCompletion, RunFailure, RunListFilter, ScheduleTickClaim,
} from '../job-storage.types.js';
import { rowToClaimed, rowToDefinition, rowToHeartbeat, rowToLog, rowToRun, RUN_UPDATE_COLUMNS } from '../rows.js';
import { definitionUpsert } from '../definition-upsert.js';
import { jobTypeOf, RUN_ROW, runRow } from '../run-row.js';
import { hotPathQuery } from './postgres-hot-path.js';
import { PostgresListener } from './postgres-listener.js';

type Row = Record<string, unknown>;
type Db = Pool | PoolClient;

export interface PostgresJobStorageOptions {
  tablePrefix: string;
  schema: string;
  maxPayloadBytes?: number;
  /** Connection settings for the LISTEN client (a dedicated connection, outside the pool). */
  listenConfig?: Record<string, unknown>;
}

const RUN_COLUMNS = `id, job_type_id, status, trigger_type, queue, priority, input_json::text AS input_json,
  output_json::text AS output_json, scheduled_at, created_at, started_at, completed_at, duration_ms, error_message,
  error_details, worker_id, attempt_number, max_retries, correlation_id, parent_run_id, next_retry_at,
  progress_json::text AS progress_json, continue_on, pass_parent_output`;

const DEFINITION_COLUMNS = `job_type_id, display_name, description, queue, priority, schedule_type, cron_expression,
  interval_ms, timezone, misfire_policy, prevent_overlap, timeout_ms, max_retries, retry_delay_ms, is_enabled,
  default_input_json::text AS default_input_json, tags::text AS tags, last_run_at, next_run_at, last_run_status,
  created_at, updated_at`;

const HEARTBEAT_COLUMNS = `worker_id, hostname, pid, queues::text AS queues, concurrency, started_at, last_heartbeat,
  running_run_ids::text AS running_run_ids, current_job_id, current_job_started_at`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * JobStorage on PostgreSQL, through the pg pool of the module's TypeORM DataSource. Claims use
 * `FOR UPDATE SKIP LOCKED` in one statement, so workers on many hosts take disjoint runs without
 * waiting on each other; multi-statement changes run in a transaction on one pooled client.
 * Enqueues NOTIFY the queue's channel, so idle workers elsewhere wake within milliseconds.
 */
export class PostgresJobStorage extends JobStorage {
  private readonly pool: Pool;
  private readonly t: { definitions: string; runs: string; logs: string; heartbeats: string };
  private readonly known = new Map<string, { queue: string; priority: number }>();
  private readonly maxPayloadBytes: number;
  /** The NOTIFY channel of this schema and prefix. */
  readonly channel: string;

  constructor(readonly dataSource: DataSource, private readonly options: PostgresJobStorageOptions) {
    super();
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
    const q = (name: string) => `"${options.schema}"."${options.tablePrefix}${name}"`;
    this.t = { definitions: q('definitions'), runs: q('runs'), logs: q('logs'), heartbeats: q('heartbeats') };
    this.maxPayloadBytes = options.maxPayloadBytes ?? Infinity;
    this.channel = `zapjobs_${options.schema}_${options.tablePrefix}`.slice(0, 63);
  }

  private query(sql: string, params: unknown[] = [], db: Db = this.pool): Promise<QueryResult<Row>> {
    return db.query(sql, params);
  }

  private async rows(sql: string, params: unknown[] = [], db: Db = this.pool): Promise<Row[]> {
    return (await db.query(sql, params)).rows;
  }

  /** Runs `fn` in a transaction on one pooled client. */
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection that dies while checked out emits 'error' on the client, not the pool: without a
    // listener that would crash the process. The failing query rejects too, which is what we act on.
    const ignore = () => undefined;
    client.on('error', ignore);
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failed = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', ignore);
      // After an error the connection may be dead: destroy it rather than hand it out again.
      client.release(failed);
    }
  }

  private readonly statementNames = new Map<string, string>();

  private statementName(sql: string): string {
    let name = this.statementNames.get(sql);
    if (!name) {
      name = `zapjobs_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
      this.statementNames.set(sql, name);
    }
    return name;
  }

  /** Calls `onWake(queue)` whenever a run becomes due now in any process; returns a stop function. */
  override async listen(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    const listener = new PostgresListener(this.options.listenConfig ?? {}, this.channel, onWake);
    await listener.start();
    return () => listener.stop();
  }

  private notify(queue: string, db: Db = this.pool): Promise<unknown> {
    return db.query('SELECT pg_notify($1, $2)', [this.channel, queue]);
  }

  // ----- definitions -----

  async getAllDefinitions(): Promise<JobDefinition[]> {
    return (await this.rows(`SELECT ${DEFINITION_COLUMNS} FROM ${this.t.definitions} ORDER BY display_name, job_type_id`)).map(rowToDefinition);
  }

  async getJobDefinition(jobTypeId: string): Promise<JobDefinition | null> {
    const [row] = await this.rows(`SELECT ${DEFINITION_COLUMNS} FROM ${this.t.definitions} WHERE job_type_id = $1`, [jobTypeId]);
    return row ? rowToDefinition(row) : null;
  }

  async upsertDefinition(input: JobDefinitionInput): Promise<void> {
    const { insert, updates } = definitionUpsert(input, new Date(Date.now()), {
      time: (value) => value,
      flag: (value) => value,
      stored: (column) => `${this.t.definitions}.${column}`,
      differs: 'IS DISTINCT FROM',
    });
    const columns = Object.keys(insert);
    const [stored] = await this.rows(
      `INSERT INTO ${this.t.definitions} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (job_type_id) DO UPDATE SET ${updates.join(', ')}
       RETURNING queue, priority`,
      columns.map((c) => insert[c]),
    );
    this.known.set(input.jobTypeId, { queue: stored.queue as string, priority: Number(stored.priority) });
  }

  async setDefinitionEnabled(jobTypeId: string, enabled: boolean): Promise<void> {
    const result = await this.query(`UPDATE ${this.t.definitions} SET is_enabled = $1, updated_at = $2 WHERE job_type_id = $3`, [
      enabled,
      new Date(Date.now()),
      jobTypeId,
    ]);
    if (result.rowCount === 0) throw new UnknownJobError(jobTypeId);
    if (enabled) await this.notify('*');
  }

  async updateSchedule(
    jobTypeId: string,
    schedule: Pick<JobDefinitionInput, 'scheduleType' | 'cronExpression' | 'intervalMs' | 'timezone' | 'nextRunAt'>,
  ): Promise<void> {
    const result = await this.query(
      `UPDATE ${this.t.definitions} SET schedule_type = $1, cron_expression = $2, interval_ms = $3, timezone = $4,
         next_run_at = $5, updated_at = $6 WHERE job_type_id = $7`,
      [
        schedule.scheduleType ?? ScheduleType.None,
        schedule.cronExpression ?? null,
        schedule.intervalMs ?? null,
        schedule.timezone ?? null,
        schedule.nextRunAt ?? null,
        new Date(Date.now()),
        jobTypeId,
      ],
    );
    if (result.rowCount === 0) throw new UnknownJobError(jobTypeId);
  }

  // ----- runs -----

  private async lookup(jobTypeId: string): Promise<{ queue: string; priority: number }> {
    let found = this.known.get(jobTypeId);
    if (!found) {
      const [row] = await this.rows(`SELECT queue, priority FROM ${this.t.definitions} WHERE job_type_id = $1`, [jobTypeId]);
      if (!row) throw new UnknownJobError(jobTypeId);
      found = { queue: row.queue as string, priority: Number(row.priority) };
      this.known.set(jobTypeId, found);
    }
    return found;
  }

  /** A run's insert values (see runRow), with Dates for PostgreSQL's timestamptz columns. */
  private async prepareRun(run: NewJobRun, now: Date): Promise<unknown[]> {
    const row = runRow(run, await this.lookup(jobTypeOf(run)), now.getTime(), this.maxPayloadBytes);
    row[RUN_ROW.scheduledAt] = new Date(row[RUN_ROW.scheduledAt] as number);
    row[RUN_ROW.createdAt] = now;
    return row;
  }

  /**
   * Inserts prepared rows (arrays unnested) and NOTIFYs the queues that got due runs, in one
   * statement: atomic on its own, and the notification goes out when it commits.
   */
  private async insertRuns(rows: unknown[][], db: Db): Promise<void> {
    const columns = Array.from({ length: 14 }, (_, i) => rows.map((row) => row[i]));
    const text = `WITH inserted AS (
        INSERT INTO ${this.t.runs} (id, job_type_id, status, trigger_type, queue, priority, input_json, scheduled_at,
          created_at, max_retries, correlation_id, parent_run_id, continue_on, pass_parent_output)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::jsonb[],
          $8::timestamptz[], $9::timestamptz[], $10::int[], $11::text[], $12::uuid[], $13::text[], $14::boolean[])
        RETURNING queue, status, scheduled_at)
      SELECT pg_notify($15, q.queue) FROM (SELECT DISTINCT queue FROM inserted WHERE status = 'pending' AND scheduled_at <= $16) AS q`;
    await db.query({ name: this.statementName(text), text, values: [...columns, this.channel, new Date(Date.now())] });
  }

  async enqueue(run: NewJobRun): Promise<string> {
    const row = await this.prepareRun(run, new Date(Date.now()));
    await this.insertAll([row]);
    return row[0] as string;
  }

  /** All rows in one transaction, or none: a caller-given id that exists already undoes the lot. */
  private async insertAll(rows: unknown[][]): Promise<void> {
    try {
      await this.insertRuns(rows, this.pool);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new InvalidRunStateError(messages.duplicateRunId(rows.map((row) => row[0] as string)));
      }
      throw error;
    }
  }

  async enqueueMany(runs: NewJobRun[]): Promise<string[]> {
    if (runs.length === 0) return [];
    const now = new Date(Date.now());
    const rows: unknown[][] = [];
    for (const run of runs) rows.push(await this.prepareRun(run, now));
    await this.insertAll(rows);
    return rows.map((row) => row[0] as string);
  }

  async dequeue(queue: string, workerId: string): Promise<JobRun | null> {
    const [claimed] = await this.claim([queue], workerId, 1);
    return claimed ? this.getRun(claimed.id) : null;
  }

  async claim(queues: readonly string[], workerId: string, limit: number, jobTypeIds?: readonly string[]): Promise<ClaimedRun[]> {
    return (await this.hotPath([], { queues, workerId, limit, jobTypeIds })).claimed;
  }

  override async completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    return this.hotPath(completions, next);
  }

  /** Completions and a claim in one statement, one round trip (see postgres-hot-path.ts). */
  private async hotPath(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    const { sql, params } = hotPathQuery(this.t, { completions, next, channel: this.channel, now: new Date(Date.now()) });
    // A named (prepared) statement: planning this statement took as long as running it, and each
    // pooled connection plans it once this way. There are few shapes (queue count, with or
    // without completions), so few names.
    const rows = (await this.pool.query({ name: this.statementName(sql), text: sql, values: params })).rows as Row[];
    const completed: string[] = [];
    const claimedRows: Row[] = [];
    for (const row of rows) {
      if (row.kind === 'done') completed.push(String(row.id));
      else claimedRows.push(row);
    }
    // RETURNING gives no order guarantee: restore the claim order (queue, priority, time).
    claimedRows.sort(
      (a, b) =>
        Number(a.qi) - Number(b.qi) ||
        Number(b.priority) - Number(a.priority) ||
        (a.scheduled_at as Date).getTime() - (b.scheduled_at as Date).getTime() ||
        (a.created_at as Date).getTime() - (b.created_at as Date).getTime(),
    );
    return { completed, claimed: claimedRows.map(rowToClaimed) };
  }

  async getPendingRuns(queue: string, limit = 100): Promise<JobRun[]> {
    const rows = await this.rows(
      `SELECT ${RUN_COLUMNS} FROM ${this.t.runs} WHERE status = 'pending' AND queue = $1 AND scheduled_at <= $2
        ORDER BY priority DESC, scheduled_at, created_at LIMIT $3`,
      [queue, new Date(Date.now()), limit],
    );
    return rows.map(rowToRun);
  }

  async updateRun(runId: string, update: JobRunUpdate): Promise<void> {
    if (!UUID.test(runId)) throw new RunNotFoundError(runId);
    const sets: string[] = [];
    const params: unknown[] = [runId];
    for (const [key, column, kind] of RUN_UPDATE_COLUMNS) {
      const value = (update as Record<string, unknown>)[key];
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${column} = $${params.length}${kind === 'json' ? '::jsonb' : ''}`);
    }
    const result = sets.length
      ? await this.query(`UPDATE ${this.t.runs} SET ${sets.join(', ')} WHERE id = $1`, params)
      : await this.query(`SELECT 1 FROM ${this.t.runs} WHERE id = $1`, [runId]);
    if (result.rowCount === 0) throw new RunNotFoundError(runId);
  }

  async getRun(runId: string): Promise<JobRun | null> {
    if (!UUID.test(runId)) return null;
    const [row] = await this.rows(`SELECT ${RUN_COLUMNS} FROM ${this.t.runs} WHERE id = $1`, [runId]);
    return row ? rowToRun(row) : null;
  }

  async listRuns(filter: RunListFilter = {}): Promise<JobRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.jobTypeId !== undefined) add('job_type_id = ?', filter.jobTypeId);
    if (filter.queue !== undefined) add('queue = ?', filter.queue);
    if (filter.correlationId !== undefined) add('correlation_id = ?', filter.correlationId);
    if (filter.parentRunId !== undefined) {
      if (!UUID.test(filter.parentRunId)) return [];
      add('parent_run_id = ?', filter.parentRunId);
    }
    if (filter.status !== undefined) add('status = ANY(?)', Array.isArray(filter.status) ? filter.status : [filter.status]);
    params.push(filter.limit ?? 100, filter.offset ?? 0);
    const rows = await this.rows(
      `SELECT ${RUN_COLUMNS} FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return rows.map(rowToRun);
  }

  async countRuns(filter: Pick<RunListFilter, 'jobTypeId' | 'queue'> = {}): Promise<Record<string, number>> {
    const rows = await this.rows(
      `SELECT status, COUNT(*)::int AS n FROM ${this.t.runs}
        WHERE ($1::text IS NULL OR job_type_id = $1) AND ($2::text IS NULL OR queue = $2) GROUP BY status`,
      [filter.jobTypeId ?? null, filter.queue ?? null],
    );
    const counts: Record<string, number> = {};
    for (const status of Object.values(JobRunStatus)) counts[status] = 0;
    for (const row of rows) counts[row.status as string] = Number(row.n);
    return counts;
  }

  async completeRuns(completions: RunCompletion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    return (await this.hotPath(completions, { queues: [], workerId: '', limit: 0 })).completed;
  }

  async failRun(failure: RunFailure): Promise<boolean> {
    if (failure.retryAt) {
      const result = await this.query(
        `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = $1, next_retry_at = $1, error_message = $2,
           error_details = $3, duration_ms = $4
         WHERE id = $5 AND status = 'running' AND worker_id = $6`,
        [failure.retryAt, failure.errorMessage, failure.errorDetails, failure.durationMs, failure.runId, failure.workerId],
      );
      return result.rowCount === 1;
    }
    return this.transaction(async (client) => {
      const finished = await this.rows(
        `UPDATE ${this.t.runs} SET status = 'failed', completed_at = $1, error_message = $2, error_details = $3, duration_ms = $4
         WHERE id = $5 AND status = 'running' AND worker_id = $6
         RETURNING id, job_type_id`,
        [failure.completedAt, failure.errorMessage, failure.errorDetails, failure.durationMs, failure.runId, failure.workerId],
        client,
      );
      await this.afterFinish(client, finished, JobRunStatus.Failed, failure.completedAt);
      return finished.length === 1;
    });
  }

  /** In a transaction, for runs that just finished: their continuations and definitions' last run. */
  private async afterFinish(client: Db, finished: Row[], status: JobRunStatus, at: Date): Promise<void> {
    if (finished.length === 0) return;
    await this.resolveChildren(client, finished.map((row) => String(row.id)), status, at);
    for (const jobTypeId of new Set(finished.map((row) => row.job_type_id as string))) {
      await this.query(`UPDATE ${this.t.definitions} SET last_run_at = $1, last_run_status = $2 WHERE job_type_id = $3`, [at, status, jobTypeId], client);
    }
  }

  private async resolveChildren(client: Db, parentIds: string[], parentStatus: JobRunStatus, at: Date): Promise<number> {
    const met = parentStatus === JobRunStatus.Completed ? 'success' : parentStatus === JobRunStatus.Failed ? 'failure' : 'never';
    const result = await this.query(
      `UPDATE ${this.t.runs} AS c SET
         status = CASE WHEN c.continue_on IN ($2, 'always') THEN 'pending' ELSE 'cancelled' END,
         scheduled_at = GREATEST(c.scheduled_at, $3),
         completed_at = CASE WHEN c.continue_on IN ($2, 'always') THEN NULL ELSE $3 END,
         error_message = CASE WHEN c.continue_on IN ($2, 'always') THEN NULL
           ELSE 'continuation condition not met: parent ended ' || $4 END,
         input_json = CASE WHEN c.continue_on IN ($2, 'always') AND c.pass_parent_output
           THEN (SELECT p.output_json FROM ${this.t.runs} AS p WHERE p.id = c.parent_run_id) ELSE c.input_json END
       WHERE c.parent_run_id = ANY($1::uuid[]) AND c.status = 'awaiting'
       RETURNING c.status, c.queue`,
      [parentIds, met, at, parentStatus],
      client,
    );
    for (const queue of new Set(result.rows.filter((r) => r.status === 'pending').map((r) => r.queue as string))) {
      await this.notify(queue, client);
    }
    return result.rowCount ?? 0;
  }

  async resolveContinuations(parentRunId: string): Promise<number> {
    if (!UUID.test(parentRunId)) throw new RunNotFoundError(parentRunId);
    return this.transaction(async (client) => {
      // FOR UPDATE waits for a transaction finishing the parent right now: either that one's
      // UPDATE of the children sees a child committed before it, or this one sees the parent
      // finished. Without the lock both could miss, and the child would wait forever.
      const [row] = await this.rows(`SELECT status FROM ${this.t.runs} WHERE id = $1 FOR UPDATE`, [parentRunId], client);
      if (!row) throw new RunNotFoundError(parentRunId);
      const status = row.status as JobRunStatus;
      if (status !== JobRunStatus.Completed && status !== JobRunStatus.Failed && status !== JobRunStatus.Cancelled) return 0;
      return this.resolveChildren(client, [parentRunId], status, new Date(Date.now()));
    });
  }

  async cancelRun(runId: string, reason = 'cancelled'): Promise<JobRunStatus | null> {
    if (!UUID.test(runId)) throw new RunNotFoundError(runId);
    return this.transaction(async (client) => {
      const [row] = await this.rows(`SELECT status FROM ${this.t.runs} WHERE id = $1 FOR UPDATE`, [runId], client);
      if (!row) throw new RunNotFoundError(runId);
      const status = row.status as JobRunStatus;
      if (status !== JobRunStatus.Pending && status !== JobRunStatus.Running && status !== JobRunStatus.Awaiting) return null;
      const at = new Date(Date.now());
      await this.query(`UPDATE ${this.t.runs} SET status = 'cancelled', completed_at = $1, error_message = $2 WHERE id = $3`, [at, reason, runId], client);
      await this.resolveChildren(client, [runId], JobRunStatus.Cancelled, at);
      return status;
    });
  }

  async requeueRun(runId: string, scheduledAt = new Date(Date.now())): Promise<void> {
    if (!UUID.test(runId)) throw new RunNotFoundError(runId);
    await this.transaction(async (client) => {
      const [row] = await this.rows(`SELECT status, queue FROM ${this.t.runs} WHERE id = $1 FOR UPDATE`, [runId], client);
      if (!row) throw new RunNotFoundError(runId);
      if (row.status !== JobRunStatus.Failed && row.status !== JobRunStatus.Cancelled) {
        throw new InvalidRunStateError(`Run '${runId}' is ${row.status as string}: only failed or cancelled runs can be retried.`);
      }
      await this.query(
        `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = $1, completed_at = NULL, next_retry_at = NULL,
           attempt_number = 0, worker_id = NULL WHERE id = $2`,
        [scheduledAt, runId],
        client,
      );
      await this.notify(row.queue as string, client);
    });
  }

  async releaseRuns(workerId: string, runIds: readonly string[]): Promise<number> {
    if (runIds.length === 0) return 0;
    const result = await this.query(
      `UPDATE ${this.t.runs} SET status = 'pending', scheduled_at = $1, worker_id = NULL,
         attempt_number = GREATEST(attempt_number - 1, 0)
        WHERE id = ANY($2::uuid[]) AND status = 'running' AND worker_id = $3
        RETURNING queue`,
      [new Date(Date.now()), [...runIds], workerId],
    );
    for (const queue of new Set(result.rows.map((r) => r.queue as string))) await this.notify(queue);
    return result.rowCount ?? 0;
  }

  async stillHeld(workerId: string, runIds: readonly string[]): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = await this.rows(
      `SELECT id FROM ${this.t.runs} WHERE status = 'running' AND worker_id = $1 AND id = ANY($2::uuid[])`,
      [workerId, [...runIds]],
    );
    return rows.map((row) => String(row.id));
  }

  async recoverStaleRuns(staleAfterMs: number, defaultMaxRetries: number): Promise<number> {
    const now = new Date(Date.now());
    const cutoff = new Date(now.getTime() - staleAfterMs);
    return this.transaction(async (client) => {
      const rows = await this.rows(
        `WITH stale AS (
           SELECT r.id, r.attempt_number > COALESCE(r.max_retries,
                    (SELECT d.max_retries FROM ${this.t.definitions} d WHERE d.job_type_id = r.job_type_id), $3) AS dead
             FROM ${this.t.runs} r
            WHERE r.status = 'running' AND r.started_at < $2
              AND (r.worker_id IS NULL OR r.worker_id NOT IN
                   (SELECT worker_id FROM ${this.t.heartbeats} WHERE last_heartbeat >= $2))
            FOR UPDATE OF r SKIP LOCKED)
         UPDATE ${this.t.runs} AS r SET
           status = CASE WHEN stale.dead THEN 'failed' ELSE 'pending' END,
           completed_at = CASE WHEN stale.dead THEN $1::timestamptz ELSE NULL END,
           error_message = 'worker ' || COALESCE(r.worker_id, '?') || ' stopped sending heartbeats while running attempt '
             || r.attempt_number,
           scheduled_at = $1
          FROM stale WHERE r.id = stale.id
         RETURNING r.id, r.status, r.job_type_id, r.queue`,
        [now, cutoff, defaultMaxRetries],
        client,
      );
      await this.afterFinish(client, rows.filter((row) => row.status === JobRunStatus.Failed), JobRunStatus.Failed, now);
      for (const queue of new Set(rows.filter((r) => r.status === 'pending').map((r) => r.queue as string))) {
        await this.notify(queue, client);
      }
      await this.query(`DELETE FROM ${this.t.heartbeats} WHERE last_heartbeat < $1`, [new Date(now.getTime() - 10 * staleAfterMs)], client);
      return rows.length;
    });
  }

  // ----- logs -----

  async addLog(log: NewJobLog): Promise<void> {
    if (!UUID.test(log.runId)) throw new RunNotFoundError(log.runId);
    const inserted = await this.insertLogs([log]);
    if (inserted === 0) throw new RunNotFoundError(log.runId);
  }

  async addLogs(logs: NewJobLog[]): Promise<void> {
    // Lines of a run deleted meanwhile (cleanup) are dropped, not fatal.
    if (logs.length) await this.insertLogs(logs.filter((log) => UUID.test(log.runId)));
  }

  private async insertLogs(logs: NewJobLog[]): Promise<number> {
    if (logs.length === 0) return 0;
    for (const log of logs) {
      if (typeof log.message !== 'string') throw new TypeError(`message: expected a string, got ${typeof log.message}`);
    }
    const now = new Date(Date.now());
    const result = await this.query(
      `INSERT INTO ${this.t.logs} (run_id, level, message, timestamp, category, exception, attempt_number)
       SELECT l.* FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::int[])
         WITH ORDINALITY AS l(run_id, level, message, timestamp, category, exception, attempt_number, n)
        WHERE EXISTS (SELECT 1 FROM ${this.t.runs} r WHERE r.id = l.run_id)
        ORDER BY l.n`.replace('SELECT l.*', 'SELECT l.run_id, l.level, l.message, l.timestamp, l.category, l.exception, l.attempt_number'),
      [
        logs.map((l) => l.runId),
        logs.map((l) => l.level),
        logs.map((l) => l.message),
        logs.map((l) => l.timestamp ?? now),
        logs.map((l) => l.category ?? null),
        logs.map((l) => l.exception ?? null),
        logs.map((l) => l.attemptNumber ?? null),
      ],
    );
    return result.rowCount ?? 0;
  }

  async getLogs(runId: string, limit = 1000): Promise<JobLog[]> {
    if (!UUID.test(runId)) return [];
    const rows = await this.rows(`SELECT * FROM ${this.t.logs} WHERE run_id = $1 ORDER BY id LIMIT $2`, [runId, limit]);
    return rows.map(rowToLog);
  }

  // ----- heartbeats -----

  async updateHeartbeat(workerId: string, info: HeartbeatInfo = {}): Promise<void> {
    const running = info.runningRunIds ?? [];
    const now = new Date(Date.now());
    await this.query(
      `INSERT INTO ${this.t.heartbeats} (worker_id, hostname, pid, queues, concurrency, started_at, last_heartbeat,
         running_run_ids, current_job_id, current_job_started_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6, $7::jsonb, $8, NULL)
       ON CONFLICT (worker_id) DO UPDATE SET last_heartbeat = $6, running_run_ids = $7::jsonb, current_job_id = $8,
         queues = COALESCE($4::jsonb, ${this.t.heartbeats}.queues), concurrency = COALESCE($5, ${this.t.heartbeats}.concurrency)`,
      [
        workerId,
        info.hostname ?? hostname(),
        info.pid ?? process.pid,
        info.queues ? JSON.stringify(info.queues) : null,
        info.concurrency ?? null,
        now,
        JSON.stringify(running),
        running[0] ?? null,
      ],
    );
  }

  async getActiveWorkers(timeoutMs: number): Promise<WorkerHeartbeat[]> {
    const rows = await this.rows(
      `SELECT ${HEARTBEAT_COLUMNS} FROM ${this.t.heartbeats} WHERE last_heartbeat >= $1 ORDER BY worker_id`,
      [new Date(Date.now() - timeoutMs)],
    );
    return rows.map(rowToHeartbeat);
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    await this.query(`DELETE FROM ${this.t.heartbeats} WHERE worker_id = $1`, [workerId]);
  }

  // ----- schedules -----

  async getDueSchedules(now: Date): Promise<JobDefinition[]> {
    const rows = await this.rows(
      `SELECT ${DEFINITION_COLUMNS} FROM ${this.t.definitions}
        WHERE schedule_type <> 'none' AND is_enabled AND next_run_at IS NOT NULL AND next_run_at <= $1
        ORDER BY next_run_at`,
      [now],
    );
    return rows.map(rowToDefinition);
  }

  async claimScheduleTick(claim: ScheduleTickClaim): Promise<boolean> {
    const row = claim.run ? await this.prepareRun(claim.run, new Date(Date.now())) : null;
    return this.transaction(async (client) => {
      const result = await this.query(
        `UPDATE ${this.t.definitions} SET next_run_at = $1, last_run_at = COALESCE($2, last_run_at)
          WHERE job_type_id = $3 AND next_run_at IS NOT DISTINCT FROM $4`,
        [claim.nextRunAt, row ? claim.firedAt : null, claim.jobTypeId, claim.expectedNextRunAt],
        client,
      );
      const won = result.rowCount === 1;
      if (won && row) await this.insertRuns([row], client);
      return won;
    });
  }

  async hasActiveRun(jobTypeId: string): Promise<boolean> {
    const rows = await this.rows(
      `SELECT 1 FROM ${this.t.runs} WHERE job_type_id = $1 AND status IN ('pending', 'running') LIMIT 1`,
      [jobTypeId],
    );
    return rows.length > 0;
  }

  // ----- cleanup -----

  async cleanupOldRuns(retentionMs: number, batchSize = 500): Promise<number> {
    const cutoff = new Date(Date.now() - retentionMs);
    let total = 0;
    for (;;) {
      // Logs go with their runs (ON DELETE CASCADE); each batch is its own short transaction.
      const result = await this.query(
        `DELETE FROM ${this.t.runs} WHERE id IN (
           SELECT id FROM ${this.t.runs}
            WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < $1
            ORDER BY completed_at LIMIT $2)`,
        [cutoff, batchSize],
      );
      const deleted = result.rowCount ?? 0;
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  async cleanupOldLogs(retentionMs: number, batchSize = 500): Promise<number> {
    const cutoff = new Date(Date.now() - retentionMs);
    let total = 0;
    for (;;) {
      const result = await this.query(
        `DELETE FROM ${this.t.logs} WHERE id IN (SELECT id FROM ${this.t.logs} WHERE timestamp < $1 ORDER BY timestamp LIMIT $2)`,
        [cutoff, batchSize],
      );
      const deleted = result.rowCount ?? 0;
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
