import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { JobRunStatus } from '../../model/statuses.js';
import { FINISHED_STATUSES, sqlList } from '../../model/run-rules.js';
import type { AttemptLease, ClaimedRun, ClaimRequest, CleanupProgress, CompleteAndClaimResult, NewJobLog, RunCompletion } from '../job-storage.types.js';
import { claimOrder, rowToClaimed } from '../rows.js';
import { limitedCandidates } from '../sql/limited-claim.js';
import { RUN_INSERT_COLUMNS } from '../run-row.js';
import type { AppTransaction } from '../app-transaction.js';
import { sql, type Row, type TxBody } from '../sql/executor.js';
import type { SqlStorageOptions } from '../sql/sql-job-storage.js';
import { SqlEngineStorage } from '../sql/sql-engine-storage.js';
import { storableText } from '../sql/storable-text.js';
import { LEASE_HELD, leaseParams } from '../sql/transitions.js';
import { sqliteAppTransaction } from './sqlite-app-transaction.js';
import { SqliteCommitWatcher } from './sqlite-commit-watcher.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { SqliteEventFeed } from './sqlite-event-feed.js';
import { SqliteExecutor } from './sqlite-executor.js';

const CLAIM_RETURNING = `id, job_type_id, queue, priority, input_json, attempt_number, max_retries, scheduled_at,
                  created_at, correlation_id, parent_run_id, trigger_type, trace_context, batch_id`;

/**
 * JobStorage on SQLite: the shared SQL storage, plus what SQLite earns of its own. The hot path
 * (commit completions, claim the freed slots) is one synchronous BEGIN IMMEDIATE transaction of
 * prepared statements; the cleanup walks rowid order so that no index on completed_at is needed.
 */
export class SqliteJobStorage extends SqlEngineStorage {
  private readonly sqlite: SqliteExecutor;
  private readonly feed: SqliteEventFeed;

  private readonly commits: SqliteCommitWatcher;

  constructor(db: BetterSqlite3.Database, options: SqlStorageOptions) {
    const executor = new SqliteExecutor(db);
    super(executor, sqliteDialect, options);
    this.sqlite = executor;
    this.commits = new SqliteCommitWatcher(db);
    this.feed = new SqliteEventFeed(executor, options.tables.events ?? `"zj_events"`, options.clock);
  }

  /**
   * Wake-ups from other processes on this file: after any commit of another connection (an enqueue,
   * a retry, a completion freeing a limit), within a few milliseconds. A wake-up that finds nothing
   * due costs one empty claim; pollInterval stays the fallback.
   */
  override async listen(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = this.commits.subscribe(() => onWake('*'));
    return async () => unsubscribe();
  }

  publishEvents(payloads: readonly string[]): Promise<void> {
    return this.feed.publish(payloads);
  }

  subscribeEvents(onEvent: (payload: string) => void, pollIntervalMs: number): Promise<() => Promise<void>> {
    return this.feed.subscribe(onEvent, pollIntervalMs, (onCommit) => this.commits.subscribe(onCommit));
  }

  /** Statement texts built once: the enqueue path looks its statement up by text on every call. */
  private readonly insertRunText = `INSERT INTO ${this.t.runs} (${RUN_INSERT_COLUMNS.join(', ')}) VALUES (${RUN_INSERT_COLUMNS.map(() => '?').join(', ')})`;
  private readonly insertLogText = `INSERT INTO ${this.t.logs} (run_id, level, message, timestamp, category, exception, attempt_number)
    SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM ${this.t.runs} WHERE id = ?)`;

  /** An attempt's line: stored only while the attempt holds its lease. */
  private readonly insertAttemptLogText = `INSERT INTO ${this.t.logs} (run_id, level, message, timestamp, category, exception, attempt_number)
    SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM ${this.t.runs} WHERE ${LEASE_HELD})`;

  private readonly completeText = `UPDATE ${this.t.runs} SET status = 'completed', output_json = ?, completed_at = ?, duration_ms = ?,
      error_message = NULL, error_details = NULL, checkpoint_json = NULL
    WHERE status = 'running' AND id = ? AND worker_id = ? AND attempt_number = ?
    RETURNING id, job_type_id, batch_id, awaited`;

  /** One INSERT per row. */
  *insertRuns(rows: unknown[][]): TxBody<void> {
    for (const row of rows) yield* sql(this.insertRunText, row);
  }

  protected appTransaction(manager: unknown): Promise<AppTransaction> {
    return Promise.resolve().then(() => sqliteAppTransaction(manager, this.sqlite));
  }

  protected *insertLogs(logs: NewJobLog[], now: number, leases?: readonly AttemptLease[]): TxBody<number> {
    const text = leases ? this.insertAttemptLogText : this.insertLogText;
    let inserted = 0;
    for (const [i, log] of logs.entries()) {
      const { changes } = yield* sql(text, [
        log.runId, log.level, storableText(log.message), log.timestamp?.getTime() ?? now, storableText(log.category ?? null),
        storableText(log.exception ?? null), log.attemptNumber ?? null, ...(leases ? leaseParams(leases[i]) : [log.runId]),
      ]);
      inserted += changes;
    }
    return inserted;
  }

  async claim(request: ClaimRequest): Promise<ClaimedRun[]> {
    if (request.limit <= 0 || request.queues.length === 0) return [];
    if (!this.sqlite.appLaneClear()) await this.sqlite.waitForApp();
    return this.sqlite.writeSync(() => this.claimSync(request));
  }

  async completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    // One transaction, one commit: the pages the completions touch are mostly the ones the claim
    // touches, so the pair costs little more than either alone.
    if (!this.sqlite.appLaneClear()) await this.sqlite.waitForApp();
    return this.sqlite.writeSync(() => ({ completed: this.completeSync(completions), claimed: this.claimSync(next) }));
  }

  /** Inside a write. One UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING per queue. */
  private claimSync({ queues, workerId, limit, jobTypeIds, queueLimits, limitedJobTypeIds }: ClaimRequest): ClaimedRun[] {
    const claimed: ClaimedRun[] = [];
    if (limit <= 0) return claimed;
    const now = this.clock.now();
    const startedAt = new Date(now);
    const types = jobTypeIds ? JSON.stringify(jobTypeIds) : null;
    const limited = limitedJobTypeIds?.length ? JSON.stringify(limitedJobTypeIds) : null;
    for (const [i, queue] of queues.entries()) {
      const wanted = Math.min(limit - claimed.length, queueLimits ? queueLimits[i] : limit);
      if (limit - claimed.length <= 0) break;
      if (wanted <= 0) continue;
      let rows: Row[];
      if (limited) {
        // The write lock serialises claims across processes: what this statement counts stays true until it commits.
        rows = this.limitedClaim.all(workerId, now, queue, now, types, types, wanted, now, queue, now, limited, wanted) as Row[];
      } else {
        const { statement, literal } = this.claimStatement(wanted);
        const params = [workerId, now, queue, now, types, types];
        rows = (literal ? statement.all(...params) : statement.all(...params, wanted)) as Row[];
      }
      rows.sort(claimOrder);
      for (const row of rows) claimed.push(rowToClaimed(row, startedAt));
    }
    return claimed;
  }

  /**
   * The claim statement for up to `n` runs. Small limits get a statement of their own with the
   * LIMIT written in (measured 30% faster than a bound LIMIT); larger ones share a bound one.
   */
  private claimStatement(n: number): { statement: BetterSqlite3.Statement; literal: boolean } {
    const literal = Number.isInteger(n) && n <= 64;
    const key = literal ? n : 0;
    let found = this.claimStatements.get(key);
    if (!found) this.claimStatements.set(key, (found = { statement: this.buildClaim(literal, n), literal }));
    return found;
  }

  private readonly claimStatements = new Map<number, { statement: BetterSqlite3.Statement; literal: boolean }>();

  private buildClaim(literal: boolean, n: number): BetterSqlite3.Statement {
    return this.sqlite.prepare(
      `UPDATE ${this.t.runs}
          SET status = 'running', worker_id = ?, started_at = ?, attempt_number = attempt_number + 1, next_retry_at = NULL
        WHERE id IN (
          SELECT id FROM ${this.t.runs}
           WHERE status = 'pending' AND queue = ? AND scheduled_at <= ?
             AND job_type_id NOT IN (SELECT job_type_id FROM ${this.t.definitions} ${this.unclaimable})
             AND (? IS NULL OR job_type_id IN (SELECT value FROM json_each(?)))
           ORDER BY priority DESC, scheduled_at, created_at
           LIMIT ${literal ? n : '?'})
        RETURNING ${CLAIM_RETURNING}`,
    );
  }

  /** Definitions the plain claim never takes: disabled ones, and those with a limit (the limited claim's). */
  private readonly unclaimable = 'WHERE is_enabled = 0 OR concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL';

  /**
   * The claim of a process running limited jobs, for one queue: the plain claim's best runs, and the
   * best runs of the limited job types that their limits allow now, together in priority order.
   * A run of a limited job is eligible while the Running runs of its (job, concurrency key), plus
   * its rank among the candidates of that key, stay within concurrency_limit, and the runs of its
   * (job, rate key) started in the last rate_period_ms, plus its rank, stay within rate_limit.
   * Blocked runs are skipped, not waited on: the next eligible runs are taken instead.
   */
  private get limitedClaim(): BetterSqlite3.Statement {
    return (this.limitedClaimStatement ??= this.sqlite.prepare(
      `UPDATE ${this.t.runs}
          SET status = 'running', worker_id = ?, started_at = ?, attempt_number = attempt_number + 1, next_retry_at = NULL
        WHERE id IN (
          SELECT id FROM (
            SELECT * FROM (
              SELECT id, priority, scheduled_at, created_at FROM ${this.t.runs}
               WHERE status = 'pending' AND queue = ? AND scheduled_at <= ?
                 AND job_type_id NOT IN (SELECT job_type_id FROM ${this.t.definitions} ${this.unclaimable})
                 AND (? IS NULL OR job_type_id IN (SELECT value FROM json_each(?)))
               ORDER BY priority DESC, scheduled_at, created_at
               LIMIT ?)
            UNION ALL
            SELECT id, priority, scheduled_at, created_at FROM (${limitedCandidates(this.t, '? - d.rate_period_ms')}) AS w
             WHERE (w.cl IS NULL OR w.busy + w.cn <= w.cl) AND (w.rl IS NULL OR w.recent + w.rn <= w.rl))
           ORDER BY priority DESC, scheduled_at, created_at
           LIMIT ?)
        RETURNING ${CLAIM_RETURNING}`,
    ));
  }

  private limitedClaimStatement: BetterSqlite3.Statement | undefined;

  /**
   * Inside a write: one prepared UPDATE per completion (measured faster in SQLite than one
   * UPDATE ... FROM json_each for the group), all in the caller's transaction. Only attempts whose
   * lease is still held change anything: a run cancelled or recovered meanwhile stays as it is.
   * Each row says whether the run is in a flow (batch_id, awaited): afterFinish counts those.
   */
  private completeSync(completions: RunCompletion[]): string[] {
    if (completions.length === 0) return [];
    const complete = this.sqlite.prepare(this.completeText);
    const finished: Row[] = [];
    for (const c of completions) {
      const row = complete.get(c.outputJson, c.completedAt.getTime(), c.durationMs, c.runId, c.workerId, c.attempt) as Row | undefined;
      if (row) finished.push(row);
    }
    this.sqlite.bodySync(this.afterFinish(finished, JobRunStatus.Completed, this.clock.now()));
    return finished.map((row) => row.id as string);
  }

  /**
   * Walks the runs table in rowid order, which is insertion order, a window of rows at a time:
   * finished runs past the retention in each window are deleted in batches (their logs go with
   * them, ON DELETE CASCADE), each batch its own short transaction with the event loop turning in
   * between, so workers keep claiming meanwhile. The walk stops at the first window whose newest
   * run was created after the cutoff: every later run is newer still. No index is needed, so
   * completions pay nothing for the cleanup.
   */
  async cleanupOldRuns(retentionMs: number, batchSize = 500, failedRetentionMs = retentionMs, onProgress?: CleanupProgress): Promise<number> {
    const failedCutoff = this.clock.now() - failedRetentionMs;
    // The walk stops at runs newer than the later cutoff: none past it is old enough under either retention.
    const cutoff = this.clock.now() - retentionMs;
    const walkCutoff = Math.max(cutoff, failedCutoff);
    const window = Math.max(batchSize, 10_000);
    const victims = this.sqlite.prepare(
      `SELECT rowid AS r FROM ${this.t.runs}
        WHERE rowid > ? AND rowid <= ? AND status IN (${sqlList(FINISHED_STATUSES)})
          AND completed_at < CASE WHEN status = 'failed' THEN ? ELSE ? END`,
    );
    const newest = this.sqlite.prepare(`SELECT created_at FROM ${this.t.runs} WHERE rowid > ? AND rowid <= ? ORDER BY rowid DESC LIMIT 1`);
    const remove = this.sqlite.prepare(`DELETE FROM ${this.t.runs} WHERE rowid IN (SELECT value FROM json_each(?))`);
    const last = (this.sqlite.prepare(`SELECT MAX(rowid) AS r FROM ${this.t.runs}`).get() as Row).r as number | null;
    let total = 0;
    for (let from = 0; last !== null && from < last; from += window) {
      const rowids = (victims.all(from, from + window, failedCutoff, cutoff) as Row[]).map((row) => row.r as number);
      for (let i = 0; i < rowids.length; i += batchSize) {
        const chunk = JSON.stringify(rowids.slice(i, i + batchSize));
        if (!this.sqlite.appLaneClear()) await this.sqlite.waitForApp();
        total += this.sqlite.writeSync(() => remove.run(chunk).changes);
        onProgress?.(total);
        await nextTurn();
      }
      const edge = newest.get(from, from + window) as Row | undefined;
      if (edge && (edge.created_at as number) >= walkCutoff) break;
    }
    return total;
  }
}
