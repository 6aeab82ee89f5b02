import type { Dialect } from './sql/dialect.js';
import type { JobDefinitionInput } from './job-storage.types.js';

type Row = Record<string, unknown>;

/**
 * The INSERT ... ON CONFLICT DO UPDATE of a definition: the values to insert (column -> value) and
 * the SET clauses. Fields left undefined keep their stored value on update; next_run_at is replaced
 * only when the schedule changed (or none is stored), so a restart neither skips nor repeats a tick.
 * `table` qualifies the stored row's columns (PostgreSQL requires it in DO UPDATE).
 */
export function definitionUpsert(input: JobDefinitionInput, now: number, d: Dialect, table: string): { insert: Row; updates: string[] } {
  const values: Row = {
    job_type_id: input.jobTypeId,
    display_name: input.displayName,
    description: input.description,
    queue: input.queue,
    priority: input.priority,
    schedule_type: input.scheduleType,
    cron_expression: input.cronExpression,
    interval_ms: input.intervalMs,
    timezone: input.timezone,
    misfire_policy: input.misfirePolicy,
    prevent_overlap: input.preventOverlap === undefined ? undefined : d.bool(input.preventOverlap),
    timeout_ms: input.timeoutMs,
    max_retries: input.maxRetries,
    retry_delay_ms: input.retryDelayMs,
    is_enabled: input.isEnabled === undefined ? undefined : d.bool(input.isEnabled),
    default_input_json: input.defaultInputJson,
    tags: input.tags === undefined ? undefined : JSON.stringify(input.tags),
    concurrency_limit: input.concurrencyLimit,
    rate_limit: input.rateLimit,
    rate_period_ms: input.ratePeriodMs,
  };
  const given = Object.keys(values).filter((key) => values[key] !== undefined);
  const insert: Row = { display_name: input.jobTypeId, created_at: d.time(now), updated_at: d.time(now), next_run_at: null };
  for (const key of given) insert[key] = values[key];
  if (input.nextRunAt !== undefined) insert.next_run_at = input.nextRunAt === null ? null : d.time(input.nextRunAt.getTime());
  const updates = given.filter((key) => key !== 'job_type_id').map((key) => `${key} = excluded.${key}`);
  updates.push('updated_at = excluded.updated_at');
  if (input.nextRunAt !== undefined) {
    // Only the schedule fields given can change: one left undefined keeps its stored value, so it is
    // not compared (its excluded.* value is the column default, not the stored one).
    const changed = ['schedule_type', 'cron_expression', 'interval_ms', 'timezone']
      .filter((key) => given.includes(key))
      .map((key) => `${table}.${key} IS DISTINCT FROM excluded.${key}`);
    updates.push(`next_run_at = CASE WHEN ${[...changed, `${table}.next_run_at IS NULL`].join(' OR ')}
      THEN excluded.next_run_at ELSE ${table}.next_run_at END`);
  }
  return { insert, updates };
}
