import { conditionNotMet, releasedConditions, sqlList } from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { ClaimRequest, RunCompletion } from '../job-storage.types.js';

/**
 * The worker's hot path on PostgreSQL as one statement: commit a group of completions (releasing
 * their continuations and touching their definitions) and claim the next runs for the freed slots.
 * Data-modifying CTEs run in one snapshot and one implicit transaction, so the whole cycle costs a
 * single round trip, where BEGIN, five statements and COMMIT cost seven. The rows a CTE touches
 * never overlap: completions touch Running rows, continuations Awaiting ones, the claim Pending ones.
 * Completions are fenced on their lease (run, attempt, worker), and leave out runs in flows (batch
 * children, runs a fan-in awaits), whose counters the caller moves in a transaction of its own.
 * Rows of kind 'cancelled' are
 * continuations cancelled here, whose own continuations the caller resolves next.
 */
export interface HotPathInput {
  completions: RunCompletion[];
  /** The claim to make in the same statement (limit 0: none). */
  next: ClaimRequest;
  channel: string;
  now: Date;
  /** Events waiting to be published (NOTIFY on `eventsChannel`): they ride on this statement instead of a round trip of their own. */
  events?: { channel: string; payloads: string[] };
}

/** Definitions the plain claim never takes: disabled ones, and those with a limit (the limited claim's). */
export const UNCLAIMABLE = 'NOT is_enabled OR concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL';

export function hotPathQuery(tables: { runs: string; definitions: string }, input: HotPathInput): { sql: string; params: unknown[] } {
  const { runs, definitions } = tables;
  const { completions, next } = input;
  const complete = completions.length > 0;
  // Queues whose cap is 0 are left out; a claim with none left is no claim.
  const queues = next.queues.map((queue, i) => ({ queue, i, cap: next.queueLimits?.[i] })).filter((q) => q.cap === undefined || q.cap > 0);
  const claim = next.limit > 0 && queues.length > 0;
  const params: unknown[] = [];
  /** Adds a parameter, returns its placeholder. */
  const $ = (value: unknown): string => `$${params.push(value)}`;
  const parts: string[] = [];
  if (complete) {
    const ids = $(completions.map((c) => c.runId));
    const outputs = $(completions.map((c) => c.outputJson));
    const ats = $(completions.map((c) => c.completedAt));
    const durations = $(completions.map((c) => c.durationMs));
    const workers = $(completions.map((c) => c.workerId));
    const attempts = $(completions.map((c) => c.attempt));
    const now = $(input.now);
    const channel = $(input.channel);
    const released = `ch.continue_on IN (${sqlList(releasedConditions(JobRunStatus.Completed))})`;
    const notMet = $(conditionNotMet(JobRunStatus.Completed));
    // Each row's values by its position in the arrays, not by a join with unnest(): on a table
    // without statistics yet (a burst into a new table, before autovacuum's first ANALYZE) the join
    // is planned as a nested loop that runs the unnest once per row, O(n²): measured 34 ms for a
    // flush of 270 completions, 16 ms once analyzed. array_position is O(n) per row, in C.
    const at = (array: string, type: string) => `(${array}::${type}[])[array_position(${ids}::uuid[], r.id)]`;
    parts.push(`done AS (
      UPDATE ${runs} AS r SET status = 'completed', output_json = ${at(outputs, 'jsonb')}, completed_at = ${at(ats, 'timestamptz')},
        duration_ms = ${at(durations, 'bigint')}, error_message = NULL, error_details = NULL, checkpoint_json = NULL
      WHERE r.id = ANY(${ids}::uuid[]) AND r.status = 'running' AND r.worker_id = ${at(workers, 'text')}
        AND r.attempt_number = ${at(attempts, 'int')} AND r.batch_id IS NULL AND r.awaited IS NOT TRUE
      RETURNING r.id, r.job_type_id, r.output_json)`);
    parts.push(`children AS (
      UPDATE ${runs} AS ch SET
        status = CASE WHEN ${released} THEN 'pending' ELSE 'cancelled' END,
        scheduled_at = GREATEST(ch.scheduled_at, ${now}::timestamptz),
        completed_at = CASE WHEN ${released} THEN NULL ELSE ${now}::timestamptz END,
        error_message = CASE WHEN ${released} THEN NULL ELSE ${notMet}::text END,
        input_json = CASE WHEN ${released} AND ch.pass_parent_output THEN d.output_json ELSE ch.input_json END
      FROM done AS d WHERE ch.parent_run_id = d.id AND ch.status = 'awaiting'
      RETURNING ch.id, ch.status, ch.queue)`);
    parts.push(`touched AS (
      UPDATE ${definitions} AS df SET last_run_at = ${now}, last_run_status = 'completed'
      FROM (SELECT DISTINCT job_type_id FROM done) AS j WHERE df.job_type_id = j.job_type_id
      RETURNING 1)`);
    parts.push(`woken AS (
      SELECT pg_notify(${channel}, q.queue) FROM (SELECT DISTINCT queue FROM children WHERE status = 'pending') AS q)`);
  }
  if (claim) {
    const worker = $(next.workerId);
    const now = $(input.now);
    const types = $(next.jobTypeIds ? [...next.jobTypeIds] : null);
    const limit = $(next.limit);
    // Each queue's best `limit` due runs, locked with SKIP LOCKED as the index is read, so that
    // concurrent claimers pass over each other's rows instead of all losing the same first ones;
    // then the best `limit` of those in queue order. Rows locked but not taken are free again
    // when the statement ends.
    queues.forEach(({ queue, i, cap }) => {
      parts.push(`q${i} AS (
        SELECT id, ${i} AS qi, priority, scheduled_at, created_at FROM ${runs}
         WHERE status = 'pending' AND queue = ${$(queue)} AND scheduled_at <= ${now}
           AND job_type_id NOT IN (SELECT job_type_id FROM ${definitions} WHERE ${UNCLAIMABLE})
           AND (${types}::text[] IS NULL OR job_type_id = ANY(${types}::text[]))
         ORDER BY priority DESC, scheduled_at, created_at
         LIMIT ${cap === undefined ? limit : $(Math.min(cap, next.limit))}
         FOR UPDATE SKIP LOCKED)`);
    });
    parts.push(`locked AS (
      SELECT * FROM (${queues.map(({ i }) => `SELECT * FROM q${i}`).join(' UNION ALL ')}) AS c
      ORDER BY qi, priority DESC, scheduled_at, created_at
      LIMIT ${limit})`);
    // By id through the primary key: a join with `locked` is planned as a hash of the whole table
    // once the claim is a few hundred rows (prefetch), which costs more than the update itself.
    parts.push(`claimed AS (
      UPDATE ${runs} AS r SET status = 'running', worker_id = ${worker}, started_at = ${now}, attempt_number = r.attempt_number + 1,
        next_retry_at = NULL
      WHERE r.id = ANY(ARRAY(SELECT id FROM locked))
      RETURNING r.id, r.job_type_id, r.queue, r.priority, r.input_json::text AS input_json, r.attempt_number,
        r.max_retries, r.scheduled_at, r.created_at, r.started_at, r.correlation_id, r.parent_run_id, r.trigger_type,
        r.trace_context, r.batch_id)`);
  }
  const events = input.events && input.events.payloads.length > 0 ? input.events : undefined;
  if (events) parts.push(`published AS (SELECT pg_notify(${$(events.channel)}, p) FROM unnest(${$(events.payloads)}::text[]) AS p)`);
  const selects: string[] = [];
  if (complete) {
    // Referencing touched and woken makes PostgreSQL run them (a SELECT CTE runs only when read).
    selects.push(`SELECT 'done' AS kind, id, NULL::text AS job_type_id, NULL::text AS queue, NULL::int AS priority,
        NULL::text AS input_json, NULL::int AS attempt_number, NULL::int AS max_retries, NULL::timestamptz AS scheduled_at,
        NULL::timestamptz AS created_at, NULL::timestamptz AS started_at, NULL::text AS correlation_id,
        NULL::uuid AS parent_run_id, NULL::text AS trigger_type, NULL::text AS trace_context, NULL::uuid AS batch_id, NULL::int AS qi
      FROM done WHERE (SELECT count(*) FROM touched) >= 0 AND (SELECT count(*) FROM woken) >= 0`);
    selects.push(`SELECT 'cancelled', id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM children WHERE status = 'cancelled'`);
  }
  if (claim) {
    selects.push(`SELECT 'claimed', c.id, c.job_type_id, c.queue, c.priority, c.input_json, c.attempt_number, c.max_retries, c.scheduled_at,
        c.created_at, c.started_at, c.correlation_id, c.parent_run_id, c.trigger_type, c.trace_context, c.batch_id, l.qi
        FROM claimed AS c JOIN locked AS l ON l.id = c.id`);
  }
  if (events) {
    // An aggregate in FROM reads every row of published, so every NOTIFY is sent, whatever else the statement finds.
    selects.push(`SELECT 'published', NULL::uuid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM (SELECT count(*) AS n FROM published) AS x WHERE x.n < 0`);
  }
  if (selects.length === 0) return { sql: 'SELECT NULL::text AS kind WHERE false', params };
  return { sql: `WITH ${parts.join(',\n')}\n${selects.join(' UNION ALL ')}`, params };
}
