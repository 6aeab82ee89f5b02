import type { Pool } from 'pg';
import { FINISHED_STATUSES, sqlList } from '../../model/run-rules.js';
import type { AttemptLease, ClaimedRun, ClaimRequest, CleanupProgress, CompleteAndClaimResult, NewJobLog, RunCompletion } from '../job-storage.types.js';
import { claimOrder, rowToClaimed } from '../rows.js';
import { RUN_INSERT_COLUMNS } from '../run-row.js';
import type { AppTransaction } from '../app-transaction.js';
import { rows, sql, type Row, type TxBody } from '../sql/executor.js';
import { limitedCandidates } from '../sql/limited-claim.js';
import type { SqlStorageOptions } from '../sql/sql-job-storage.js';
import { SqlEngineStorage } from '../sql/sql-engine-storage.js';
import { storableText } from '../sql/storable-text.js';
import { continuationsCancelled } from '../sql/transitions.js';
import { postgresDialect } from './postgres-dialect.js';
import { PostgresAppTransactions } from './postgres-app-transaction.js';
import { PostgresExecutor } from './postgres-executor.js';
import { hotPathQuery, UNCLAIMABLE } from './postgres-hot-path.js';
import { completeFlowRuns } from '../sql/batches.js';
import { PostgresListener } from './postgres-listener.js';

export interface PostgresStorageOptions extends SqlStorageOptions {
  /** The NOTIFY channel of this schema and prefix. */
  channel: string;
  /** The NOTIFY channel of events across processes, beside the wake-ups' (listened to only with events: { crossProcess }). */
  eventsChannel: string;
  /** Connection settings for the LISTEN client (a dedicated connection, outside the pool). */
  listenConfig: Record<string, unknown>;
}

/** How long published events wait for a hot-path statement to ride on before they take a statement of their own. */
const RIDE_WAIT_MS = 10;

/** Column types of RUN_INSERT_COLUMNS, for the arrays unnest() reads. */
const RUN_INSERT_TYPES = [
  'uuid', 'text', 'text', 'text', 'text', 'int', 'jsonb', 'timestamptz', 'timestamptz', 'int', 'text', 'uuid', 'text', 'boolean',
  'text', 'text', 'text',
];

/**
 * JobStorage on PostgreSQL: the shared SQL storage, plus what PostgreSQL earns of its own. Claims
 * use FOR UPDATE SKIP LOCKED, so workers on many hosts take disjoint runs without waiting on each
 * other; the hot path is one statement (postgres-hot-path.ts); runs and log lines are inserted as
 * arrays, one statement per batch; and every change that makes runs due NOTIFYs their queue, so
 * idle workers elsewhere wake within milliseconds.
 */
const byRunId = (a: RunCompletion, b: RunCompletion) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

export class PostgresJobStorage extends SqlEngineStorage {
  private readonly pg: PostgresExecutor;
  private readonly appTransactions: PostgresAppTransactions;

  constructor(pool: Pool, private readonly options: PostgresStorageOptions) {
    const executor = new PostgresExecutor(pool);
    super(executor, postgresDialect, options);
    this.pg = executor;
    this.appTransactions = new PostgresAppTransactions(executor, this.t.runs);
  }

  override *notify(queues: Iterable<string>): TxBody<void> {
    for (const queue of new Set(queues)) yield* sql('SELECT pg_notify(?, ?)', [this.options.channel, queue]);
  }

  protected override async wake(queues: Iterable<string>): Promise<void> {
    for (const queue of new Set(queues)) await this.pg.write('SELECT pg_notify(?, ?)', [this.options.channel, queue]);
  }

  override async listen(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    const listener = new PostgresListener(this.options.listenConfig, this.options.channel, onWake);
    await listener.start();
    return () => listener.stop();
  }

  /** Events waiting for a statement to ride on (the hot path's), and who waits for them to be sent. */
  private pendingEvents: { payloads: string[]; sent: Array<() => void>; timer: NodeJS.Timeout | undefined } = { payloads: [], sent: [], timer: undefined };

  /**
   * One NOTIFY per event. They ride on the next hot-path statement (a claim or a flush of
   * completions, busy: within a turn or two), so they cost no round trip of their own; when none
   * comes within RIDE_WAIT_MS, one statement sends them. Resolves once they were sent (or dropped).
   */
  publishEvents(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) return Promise.resolve();
    const pending = this.pendingEvents;
    pending.payloads.push(...payloads);
    pending.timer ??= setTimeout(() => void this.sendEvents(this.takeEvents()), RIDE_WAIT_MS);
    return new Promise((resolve) => pending.sent.push(resolve));
  }

  private takeEvents(): PostgresJobStorage['pendingEvents'] {
    const taken = this.pendingEvents;
    clearTimeout(taken.timer);
    this.pendingEvents = { payloads: [], sent: [], timer: undefined };
    return taken;
  }

  private async sendEvents(taken: PostgresJobStorage['pendingEvents'], send?: Promise<unknown>): Promise<void> {
    try {
      if (taken.payloads.length === 0) return;
      await (send ?? this.pg.write('SELECT pg_notify(?, p) FROM unnest(?::text[]) AS p', [this.options.eventsChannel, taken.payloads]));
    } catch {
      // At-most-once: events a failed statement carried are not sent again (the caller of that statement hears its error).
    } finally {
      for (const resolve of taken.sent) resolve();
    }
  }

  async subscribeEvents(onEvent: (payload: string) => void): Promise<() => Promise<void>> {
    // The listener says '*' when its connection is (re)made: a wake-up's meaning, not an event.
    const listener = new PostgresListener(this.options.listenConfig, this.options.eventsChannel, (payload) => {
      if (payload !== '*') onEvent(payload);
    });
    await listener.start();
    return () => listener.stop();
  }

  /** Rows as arrays unnested, and a NOTIFY of the queues that got due runs, in one statement. */
  private insertRunsStatement(rows: unknown[][]): { sql: string; params: unknown[] } {
    const columns = RUN_INSERT_COLUMNS.map((_, i) => rows.map((row) => row[i]));
    return { sql: this.insertRunsText, params: [...columns, this.options.channel, new Date(this.clock.now())] };
  }

  private readonly insertRunsText = `WITH inserted AS (
      INSERT INTO ${this.t.runs} (${RUN_INSERT_COLUMNS.join(', ')})
      SELECT * FROM unnest(${RUN_INSERT_TYPES.map((type) => `?::${type}[]`).join(', ')})
      RETURNING queue, status, scheduled_at)
    SELECT pg_notify(?, q.queue) FROM (SELECT DISTINCT queue FROM inserted WHERE status = 'pending' AND scheduled_at <= ?) AS q`;

  /** One statement for the lot. */
  *insertRuns(rows: unknown[][]): TxBody<void> {
    const statement = this.insertRunsStatement(rows);
    yield* sql(statement.sql, statement.params);
  }

  protected appTransaction(manager: unknown): Promise<AppTransaction> {
    return this.appTransactions.open(manager);
  }

  /** One statement is atomic on its own: no BEGIN and COMMIT around an enqueue. */
  protected override async insertNow(rows: unknown[][]): Promise<void> {
    const statement = this.insertRunsStatement(rows);
    await this.pg.write(statement.sql, statement.params);
  }

  protected *insertLogs(logs: NewJobLog[], now: number, leases?: readonly AttemptLease[]): TxBody<number> {
    const at = new Date(now);
    // An attempt's line (leases given) is stored only while that attempt holds its lease.
    const held = leases ? `AND r.status = 'running' AND r.worker_id = l.worker_id AND r.attempt_number = l.attempt_number` : '';
    const { changes } = yield* sql(
      `INSERT INTO ${this.t.logs} (run_id, level, message, timestamp, category, exception, attempt_number)
       SELECT l.run_id, l.level, l.message, l.timestamp, l.category, l.exception, l.attempt_number
         FROM unnest(?::uuid[], ?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::int[], ?::text[])
           WITH ORDINALITY AS l(run_id, level, message, timestamp, category, exception, attempt_number, worker_id, n)
        WHERE EXISTS (SELECT 1 FROM ${this.t.runs} r WHERE r.id = l.run_id ${held})
        ORDER BY l.n`,
      [
        logs.map((l) => l.runId),
        logs.map((l) => l.level),
        logs.map((l) => storableText(l.message)),
        logs.map((l) => l.timestamp ?? at),
        logs.map((l) => storableText(l.category ?? null)),
        logs.map((l) => storableText(l.exception ?? null)),
        logs.map((l) => l.attemptNumber ?? null),
        logs.map((_, i) => leases?.[i].workerId ?? null),
      ],
    );
    return changes;
  }

  async claim(request: ClaimRequest): Promise<ClaimedRun[]> {
    return (await this.hotPath([], request)).claimed;
  }

  async completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    // Children of batches also move their batch's counters: they go first, in a transaction of
    // their own, so that a failure there leaves the whole group to be sent again, nothing claimed.
    const known = completions.filter((c) => c.batchId != null);
    const inBatches = known.length ? await this.pg.transaction(() => completeFlowRuns(this, known, this.clock.now())) : [];
    // In id order: the statement then locks the rows in that order, as createFanIn does.
    const plain = (known.length ? completions.filter((c) => c.batchId == null) : [...completions]).sort(byRunId);
    const result = await this.hotPath(plain, next);
    // The hot path passes over runs in flows (a fan-in may have come to await one since it was
    // claimed) and runs whose lease is gone: the fenced long way takes the first, refuses the second.
    const done = new Set(result.completed);
    const missed = plain.filter((c) => !done.has(c.runId));
    if (missed.length === 0) return known.length ? { ...result, completed: [...inBatches, ...result.completed] } : result;
    try {
      const late = await this.pg.transaction(() => completeFlowRuns(this, missed, this.clock.now()));
      return { ...result, completed: [...inBatches, ...result.completed, ...late] };
    } catch (error) {
      // The claim is committed: failing the whole call would lose the runs it claimed. Only these go back.
      return { ...result, completed: [...inBatches, ...result.completed], retry: missed, retryError: error };
    }
  }

  /**
   * Completions and a claim in one statement, one round trip (see postgres-hot-path.ts). A process
   * running limited jobs commits the completions first, then claims in a transaction of its own
   * (limitedClaim).
   */
  private async hotPath(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    if (next.limitedJobTypeIds?.length && next.limit > 0 && next.queues.length > 0) {
      if (completions.length === 0) return { completed: [], claimed: await this.pg.transaction(() => this.limitedClaim(next)) };
      const { completed } = await this.hotPath(completions, { ...next, limit: 0 });
      // The completions are committed: a claim that fails now must not make the caller send them
      // again. Nothing is claimed; the poll loop claims (and reports any error) next.
      const claimed = await this.pg.transaction(() => this.limitedClaim(next)).catch((): ClaimedRun[] => []);
      return { completed, claimed };
    }
    const now = this.clock.now();
    const taken = this.pendingEvents.payloads.length > 0 ? this.takeEvents() : undefined;
    const events = taken && { channel: this.options.eventsChannel, payloads: taken.payloads };
    const { sql: text, params } = hotPathQuery(this.t, { completions, next, channel: this.options.channel, now: new Date(now), events });
    const query = this.pg.query(text, params);
    if (taken) void this.sendEvents(taken, query);
    const { rows } = await query;
    const completed: string[] = [];
    const cancelled: string[] = [];
    const claimedRows: Row[] = [];
    for (const row of rows) {
      if (row.kind === 'published') continue;
      if (row.kind === 'done') completed.push(String(row.id));
      else if (row.kind === 'cancelled') cancelled.push(String(row.id));
      else claimedRows.push(row);
    }
    // A continuation cancelled above is a finished parent: its own continuations are resolved now.
    if (cancelled.length) await this.pg.transaction(() => continuationsCancelled(this, cancelled, now));
    claimedRows.sort(claimOrder);
    return { completed, claimed: claimedRows.map((row) => rowToClaimed(row, row.started_at as Date)) };
  }

  /**
   * The claim of a process running limited jobs, one statement per queue after an advisory lock per
   * limited job type (taken in the order of its key, so two claimers never wait on each other in a
   * cycle). The lock is what keeps two claimers from both taking a limit's last slot: each statement
   * starts after the lock is held, so under READ COMMITTED it sees every claim committed by the
   * previous holder. Runs of jobs without limits are locked row by row (SKIP LOCKED) as in the hot path.
   */
  private *limitedClaim({ queues, workerId, limit, jobTypeIds, queueLimits, limitedJobTypeIds }: ClaimRequest): TxBody<ClaimedRun[]> {
    const now = new Date(this.clock.now());
    yield* sql(
      `SELECT pg_advisory_xact_lock(hashtext(?), k) FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest(?::text[]) AS id ORDER BY k OFFSET 0) AS l`,
      [this.t.runs, limitedJobTypeIds],
    );
    const claimed: ClaimedRun[] = [];
    const types = jobTypeIds ? [...jobTypeIds] : null;
    for (const [i, queue] of queues.entries()) {
      const wanted = Math.min(limit - claimed.length, queueLimits ? queueLimits[i] : limit);
      if (limit - claimed.length <= 0) break;
      if (wanted <= 0) continue;
      const found = yield* rows(this.limitedClaimText, [queue, now, types, types, wanted, now, queue, now, limitedJobTypeIds, wanted, workerId, now]);
      found.sort(claimOrder);
      for (const row of found) claimed.push(rowToClaimed(row, row.started_at as Date));
    }
    return claimed;
  }

  private readonly limitedClaimText = `WITH plain AS (
      SELECT id, priority, scheduled_at, created_at FROM ${this.t.runs}
       WHERE status = 'pending' AND queue = ? AND scheduled_at <= ?
         AND job_type_id NOT IN (SELECT job_type_id FROM ${this.t.definitions} WHERE ${UNCLAIMABLE})
         AND (?::text[] IS NULL OR job_type_id = ANY(?::text[]))
       ORDER BY priority DESC, scheduled_at, created_at
       LIMIT ?
       FOR UPDATE SKIP LOCKED),
    lim AS (
      SELECT id, priority, scheduled_at, created_at FROM (${limitedCandidates(this.t, `?::timestamptz - d.rate_period_ms * interval '1 millisecond'`, {
        idsIn: '= ANY(?::text[])',
        enabled: 'd.is_enabled',
      })}) AS w
       WHERE (w.cl IS NULL OR w.busy + w.cn <= w.cl) AND (w.rl IS NULL OR w.recent + w.rn <= w.rl)),
    picked AS (
      SELECT id FROM (SELECT * FROM plain UNION ALL SELECT * FROM lim) AS c
       ORDER BY priority DESC, scheduled_at, created_at
       LIMIT ?)
    UPDATE ${this.t.runs} AS r SET status = 'running', worker_id = ?, started_at = ?, attempt_number = r.attempt_number + 1,
      next_retry_at = NULL
    FROM picked WHERE r.id = picked.id AND r.status = 'pending'
    RETURNING r.id, r.job_type_id, r.queue, r.priority, r.input_json::text AS input_json, r.attempt_number,
      r.max_retries, r.scheduled_at, r.created_at, r.started_at, r.correlation_id, r.parent_run_id, r.trigger_type,
      r.trace_context, r.batch_id`;

  async cleanupOldRuns(retentionMs: number, batchSize = 500, failedRetentionMs = retentionMs, onProgress?: CleanupProgress): Promise<number> {
    const cutoff = new Date(this.clock.now() - retentionMs);
    const failedCutoff = new Date(this.clock.now() - failedRetentionMs);
    let total = 0;
    for (;;) {
      // Logs go with their runs (ON DELETE CASCADE); each batch is its own short transaction.
      const { changes } = await this.pg.write(
        `DELETE FROM ${this.t.runs} WHERE id IN (
           SELECT id FROM ${this.t.runs}
            WHERE status IN (${sqlList(FINISHED_STATUSES)}) AND completed_at < CASE WHEN status = 'failed' THEN ?::timestamptz ELSE ?::timestamptz END
            ORDER BY completed_at LIMIT ?)`,
        [failedCutoff, cutoff, batchSize],
      );
      total += changes;
      if (changes > 0) onProgress?.(total);
      if (changes < batchSize) return total;
    }
  }
}
