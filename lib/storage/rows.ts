import { JobDefinition } from './entities/job-definition.entity.js';
import { JobLog } from './entities/job-log.entity.js';
import { JobRun } from './entities/job-run.entity.js';
import { WorkerHeartbeat } from './entities/worker-heartbeat.entity.js';
import type { JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType } from './entities/enums.js';
import type { ClaimedRun } from './job-storage.types.js';

/**
 * Raw rows (snake_case) to entities, for both backends: SQLite gives epoch-ms integers and 0/1,
 * PostgreSQL gives Dates, booleans and int8 as strings; JSON columns are selected as text on both.
 */
type Row = Record<string, unknown>;

const date = (value: unknown): Date | null => (value == null ? null : value instanceof Date ? value : new Date(Number(value)));
const num = (value: unknown): number | null => (value == null ? null : Number(value));
const str = (value: unknown): string | null => (value == null ? null : String(value));
const flag = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';
const list = (value: unknown): string[] => (value == null ? [] : (JSON.parse(String(value)) as string[]));

export function rowToRun(row: Row): JobRun {
  const run = new JobRun();
  run.id = String(row.id);
  run.jobTypeId = row.job_type_id as string;
  run.status = row.status as JobRunStatus;
  run.triggerType = row.trigger_type as JobTriggerType;
  run.queue = row.queue as string;
  run.priority = Number(row.priority);
  run.inputJson = str(row.input_json);
  run.outputJson = str(row.output_json);
  run.scheduledAt = date(row.scheduled_at) as Date;
  run.createdAt = date(row.created_at) as Date;
  run.startedAt = date(row.started_at);
  run.completedAt = date(row.completed_at);
  run.durationMs = num(row.duration_ms);
  run.errorMessage = str(row.error_message);
  run.errorDetails = str(row.error_details);
  run.workerId = str(row.worker_id);
  run.attemptNumber = Number(row.attempt_number);
  run.maxRetries = num(row.max_retries);
  run.correlationId = str(row.correlation_id);
  run.parentRunId = str(row.parent_run_id);
  run.nextRetryAt = date(row.next_retry_at);
  run.progressJson = str(row.progress_json);
  run.continueOn = (row.continue_on as JobRun['continueOn']) ?? null;
  run.passParentOutput = flag(row.pass_parent_output) ? 1 : 0;
  return run;
}

/** The few columns a worker needs, kept as a plain object: no entity on the hot path. */
export function rowToClaimed(row: Row): ClaimedRun {
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
    startedAt: date(row.started_at) as Date,
    correlationId: str(row.correlation_id),
    parentRunId: str(row.parent_run_id),
    triggerType: row.trigger_type as JobTriggerType,
  };
}

export function rowToDefinition(row: Row): JobDefinition {
  const d = new JobDefinition();
  d.jobTypeId = row.job_type_id as string;
  d.displayName = row.display_name as string;
  d.description = str(row.description);
  d.queue = row.queue as string;
  d.priority = Number(row.priority);
  d.scheduleType = row.schedule_type as ScheduleType;
  d.cronExpression = str(row.cron_expression);
  d.intervalMs = num(row.interval_ms);
  d.timezone = str(row.timezone);
  d.misfirePolicy = row.misfire_policy as 'once' | 'skip';
  d.preventOverlap = flag(row.prevent_overlap);
  d.timeoutMs = num(row.timeout_ms);
  d.maxRetries = num(row.max_retries);
  d.retryDelayMs = num(row.retry_delay_ms);
  d.isEnabled = flag(row.is_enabled);
  d.defaultInputJson = str(row.default_input_json);
  d.tags = list(row.tags);
  d.lastRunAt = date(row.last_run_at);
  d.nextRunAt = date(row.next_run_at);
  d.lastRunStatus = (row.last_run_status as JobRunStatus | null) ?? null;
  d.createdAt = date(row.created_at) as Date;
  d.updatedAt = date(row.updated_at) as Date;
  return d;
}

export function rowToLog(row: Row): JobLog {
  const log = new JobLog();
  log.id = Number(row.id);
  log.runId = String(row.run_id);
  log.level = row.level as JobLogLevel;
  log.message = row.message as string;
  log.timestamp = date(row.timestamp) as Date;
  log.category = str(row.category);
  log.exception = str(row.exception);
  log.attemptNumber = num(row.attempt_number);
  return log;
}

export function rowToHeartbeat(row: Row): WorkerHeartbeat {
  const h = new WorkerHeartbeat();
  h.workerId = row.worker_id as string;
  h.hostname = str(row.hostname);
  h.pid = num(row.pid);
  h.queues = list(row.queues);
  h.concurrency = num(row.concurrency);
  h.startedAt = date(row.started_at) as Date;
  h.lastHeartbeat = date(row.last_heartbeat) as Date;
  h.runningRunIds = list(row.running_run_ids);
  h.currentJobId = str(row.current_job_id);
  h.currentJobStartedAt = date(row.current_job_started_at);
  return h;
}

/** JobRunUpdate fields: [property, column, kind]. */
export const RUN_UPDATE_COLUMNS: ReadonlyArray<readonly [string, string, 'date' | 'json' | 'value']> = [
  ['status', 'status', 'value'],
  ['startedAt', 'started_at', 'date'],
  ['completedAt', 'completed_at', 'date'],
  ['durationMs', 'duration_ms', 'value'],
  ['outputJson', 'output_json', 'json'],
  ['errorMessage', 'error_message', 'value'],
  ['errorDetails', 'error_details', 'value'],
  ['workerId', 'worker_id', 'value'],
  ['attemptNumber', 'attempt_number', 'value'],
  ['nextRetryAt', 'next_retry_at', 'date'],
  ['scheduledAt', 'scheduled_at', 'date'],
  ['progressJson', 'progress_json', 'json'],
  ['maxRetries', 'max_retries', 'value'],
];
