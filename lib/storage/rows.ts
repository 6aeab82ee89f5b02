import type { JobBatch, JobDefinition, JobLog, JobRun, JobSchedule, WorkerHeartbeat } from '../model/job-run.js';
import type { ContinueCondition, JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType } from '../model/statuses.js';
import type { Dialect } from './sql/dialect.js';
import type { Row } from './sql/executor.js';
import type { ClaimedRun } from './job-storage.types.js';
import { statusesOf } from './unique.js';

/**
 * Raw rows (snake_case) to the run model, for both backends: SQLite gives epoch-ms integers and
 * 0/1, PostgreSQL gives Dates, booleans and int8 as strings; JSON columns are read as text on both
 * (see Dialect.jsonText) and parsed here, so the values are the same whichever backend stored them.
 */
const date = (value: unknown): Date | null => (value == null ? null : value instanceof Date ? value : new Date(Number(value)));
/** A time column's value (epoch ms on SQLite, a Date from PostgreSQL) as a Date. */
export const rowTime = (value: unknown): Date => date(value) as Date;
const num = (value: unknown): number | null => (value == null ? null : Number(value));
const str = (value: unknown): string | null => (value == null ? null : String(value));
const flag = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';
/** A JSON column's value. Text that another program wrote and is not JSON comes back as that text, so one bad row never breaks a listing. */
function parsed(value: unknown): unknown {
  if (value == null) return null;
  try {
    return JSON.parse(String(value));
  } catch {
    return String(value);
  }
}
const list = (value: unknown): string[] => (value == null ? [] : (JSON.parse(String(value)) as string[]));

/** The column lists each table is read with: JSON columns as text. */
export function selectLists(d: Dialect): { run: string; definition: string; log: string; heartbeat: string } {
  const cols = (names: string, json: string[]) =>
    names.split(/\s*,\s*/).map((name) => (json.includes(name) ? d.jsonText(name) : name)).join(', ');
  return {
    run: cols(
      `id, job_type_id, status, trigger_type, queue, priority, input_json, output_json, scheduled_at, created_at,
       started_at, completed_at, duration_ms, error_message, error_details, worker_id, attempt_number, max_retries,
       correlation_id, parent_run_id, next_retry_at, progress_json, continue_on, pass_parent_output, concurrency_key,
       rate_key, unique_key, unique_states, checkpoint_json, batch_id, callback_of_batch`.trim(),
      ['input_json', 'output_json', 'progress_json', 'checkpoint_json'],
    ),
    definition: cols(
      `job_type_id, display_name, description, queue, priority, schedule_type, cron_expression, interval_ms, timezone,
       misfire_policy, prevent_overlap, timeout_ms, max_retries, retry_delay_ms, is_enabled, default_input_json, tags,
       last_run_at, next_run_at, last_run_status, created_at, updated_at, concurrency_limit, rate_limit, rate_period_ms`.trim(),
      ['default_input_json', 'tags'],
    ),
    log: 'id, run_id, level, message, timestamp, category, exception, attempt_number',
    heartbeat: cols(
      `worker_id, hostname, pid, queues, concurrency, started_at, last_heartbeat, running_run_ids, current_job_id,
       current_job_started_at`.trim(),
      ['queues', 'running_run_ids'],
    ),
  };
}

export function rowToRun(row: Row): JobRun {
  return {
    id: String(row.id),
    jobTypeId: row.job_type_id as string,
    status: row.status as JobRunStatus,
    triggerType: row.trigger_type as JobTriggerType,
    queue: row.queue as string,
    priority: Number(row.priority),
    input: parsed(row.input_json),
    output: parsed(row.output_json),
    progress: parsed(row.progress_json),
    checkpoint: parsed(row.checkpoint_json) as Record<string, unknown> | null,
    batchId: str(row.batch_id),
    callbackOfBatch: str(row.callback_of_batch),
    scheduledAt: date(row.scheduled_at) as Date,
    createdAt: date(row.created_at) as Date,
    startedAt: date(row.started_at),
    completedAt: date(row.completed_at),
    durationMs: num(row.duration_ms),
    errorMessage: str(row.error_message),
    errorDetails: str(row.error_details),
    workerId: str(row.worker_id),
    attemptNumber: Number(row.attempt_number),
    maxRetries: num(row.max_retries),
    correlationId: str(row.correlation_id),
    parentRunId: str(row.parent_run_id),
    nextRetryAt: date(row.next_retry_at),
    continueOn: (row.continue_on as ContinueCondition | null) ?? null,
    passParentOutput: flag(row.pass_parent_output),
    concurrencyKey: str(row.concurrency_key),
    rateKey: str(row.rate_key),
    uniqueKey: str(row.unique_key),
    uniqueStates: statusesOf(num(row.unique_states)),
  };
}

/** The few columns a worker needs, kept as a plain object: the input stays JSON text until the attempt. */
export function rowToClaimed(row: Row, startedAt: Date): ClaimedRun {
  return {
    id: String(row.id),
    jobTypeId: row.job_type_id as string,
    queue: row.queue as string,
    priority: Number(row.priority),
    inputJson: str(row.input_json),
    attemptNumber: Number(row.attempt_number),
    maxRetries: num(row.max_retries),
    scheduledAt: date(row.scheduled_at) as Date,
    createdAt: date(row.created_at) as Date,
    startedAt,
    correlationId: str(row.correlation_id),
    parentRunId: str(row.parent_run_id),
    triggerType: row.trigger_type as JobTriggerType,
    traceContext: str(row.trace_context),
    batchId: str(row.batch_id),
  };
}

/** RETURNING gives no order guarantee: claimed rows back in claim order (queue, priority, time). */
export function claimOrder(a: Row, b: Row): number {
  const time = (value: unknown) => (value instanceof Date ? value.getTime() : Number(value));
  return (
    Number(a.qi ?? 0) - Number(b.qi ?? 0) ||
    Number(b.priority) - Number(a.priority) ||
    time(a.scheduled_at) - time(b.scheduled_at) ||
    time(a.created_at) - time(b.created_at)
  );
}

export function rowToDefinition(row: Row): JobDefinition {
  return {
    jobTypeId: row.job_type_id as string,
    displayName: row.display_name as string,
    description: str(row.description),
    queue: row.queue as string,
    priority: Number(row.priority),
    scheduleType: row.schedule_type as ScheduleType,
    cronExpression: str(row.cron_expression),
    intervalMs: num(row.interval_ms),
    timezone: str(row.timezone),
    misfirePolicy: row.misfire_policy as 'once' | 'skip',
    preventOverlap: flag(row.prevent_overlap),
    timeoutMs: num(row.timeout_ms),
    maxRetries: num(row.max_retries),
    retryDelayMs: num(row.retry_delay_ms),
    isEnabled: flag(row.is_enabled),
    defaultInput: parsed(row.default_input_json),
    tags: list(row.tags),
    lastRunAt: date(row.last_run_at),
    nextRunAt: date(row.next_run_at),
    lastRunStatus: (row.last_run_status as JobRunStatus | null) ?? null,
    createdAt: date(row.created_at) as Date,
    updatedAt: date(row.updated_at) as Date,
    concurrencyLimit: num(row.concurrency_limit),
    rateLimit: num(row.rate_limit),
    ratePeriodMs: num(row.rate_period_ms),
  };
}

export function rowToBatch(row: Row, callbackRunIds: string[]): JobBatch {
  return {
    id: String(row.id),
    description: str(row.description),
    state: row.state as JobBatch['state'],
    total: Number(row.total),
    pending: Number(row.pending),
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
    cancelled: Number(row.cancelled),
    createdAt: date(row.created_at) as Date,
    finishedAt: date(row.finished_at),
    callbackRunIds,
  };
}

export function rowToSchedule(row: Row): JobSchedule {
  return {
    key: row.key as string,
    jobTypeId: row.job_type_id as string,
    scheduleType: row.schedule_type as ScheduleType,
    cronExpression: str(row.cron_expression),
    intervalMs: num(row.interval_ms),
    timezone: str(row.timezone),
    input: parsed(row.input_json),
    misfirePolicy: row.misfire_policy as 'once' | 'skip',
    isEnabled: flag(row.is_enabled),
    nextRunAt: date(row.next_run_at),
    lastRunAt: date(row.last_run_at),
    createdAt: date(row.created_at) as Date,
    updatedAt: date(row.updated_at) as Date,
  };
}

export function rowToLog(row: Row): JobLog {
  return {
    id: Number(row.id),
    runId: String(row.run_id),
    level: row.level as JobLogLevel,
    message: row.message as string,
    timestamp: date(row.timestamp) as Date,
    category: str(row.category),
    exception: str(row.exception),
    attemptNumber: num(row.attempt_number),
  };
}

export function rowToHeartbeat(row: Row): WorkerHeartbeat {
  return {
    workerId: row.worker_id as string,
    hostname: str(row.hostname),
    pid: num(row.pid),
    queues: list(row.queues),
    concurrency: num(row.concurrency),
    startedAt: date(row.started_at) as Date,
    lastHeartbeat: date(row.last_heartbeat) as Date,
    runningRunIds: list(row.running_run_ids),
    currentJobId: str(row.current_job_id),
    currentJobStartedAt: date(row.current_job_started_at),
  };
}
