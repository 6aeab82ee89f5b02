import { JobRun } from '../entities/job-run.entity.js';
import type { JobRunStatus, JobTriggerType } from '../entities/enums.js';
import type { ClaimedRun } from '../job-storage.types.js';

type Row = Record<string, unknown>;

const date = (value: unknown): Date | null => (value == null ? null : new Date(value as number));

/** A raw runs row (snake_case, epoch ms) as the JobRun entity. */
export function rowToRun(row: Row): JobRun {
  const run = new JobRun();
  run.id = row.id as string;
  run.jobTypeId = row.job_type_id as string;
  run.status = row.status as JobRunStatus;
  run.triggerType = row.trigger_type as JobTriggerType;
  run.queue = row.queue as string;
  run.priority = row.priority as number;
  run.inputJson = (row.input_json as string | null) ?? null;
  run.outputJson = (row.output_json as string | null) ?? null;
  run.scheduledAt = date(row.scheduled_at) as Date;
  run.createdAt = date(row.created_at) as Date;
  run.startedAt = date(row.started_at);
  run.completedAt = date(row.completed_at);
  run.durationMs = (row.duration_ms as number | null) ?? null;
  run.errorMessage = (row.error_message as string | null) ?? null;
  run.errorDetails = (row.error_details as string | null) ?? null;
  run.workerId = (row.worker_id as string | null) ?? null;
  run.attemptNumber = row.attempt_number as number;
  run.maxRetries = (row.max_retries as number | null) ?? null;
  run.correlationId = (row.correlation_id as string | null) ?? null;
  run.parentRunId = (row.parent_run_id as string | null) ?? null;
  run.nextRetryAt = date(row.next_retry_at);
  run.progressJson = (row.progress_json as string | null) ?? null;
  run.continueOn = (row.continue_on as JobRun['continueOn']) ?? null;
  run.passParentOutput = (row.pass_parent_output as number) ?? 0;
  return run;
}

/** The few columns a worker needs, kept as a plain object: no entity on the hot path. */
export function rowToClaimed(row: Row): ClaimedRun {
  return {
    id: row.id as string,
    jobTypeId: row.job_type_id as string,
    queue: row.queue as string,
    priority: row.priority as number,
    inputJson: row.input_json as string | null,
    attemptNumber: row.attempt_number as number,
    maxRetries: row.max_retries as number | null,
    scheduledAt: new Date(row.scheduled_at as number),
    createdAt: new Date(row.created_at as number),
    startedAt: new Date(row.started_at as number),
    correlationId: row.correlation_id as string | null,
    parentRunId: row.parent_run_id as string | null,
    triggerType: row.trigger_type as JobTriggerType,
  };
}

/** JobRunUpdate fields: [property, column, kind]. */
export const RUN_UPDATE_COLUMNS: ReadonlyArray<readonly [string, string, 'date' | 'value']> = [
  ['status', 'status', 'value'],
  ['startedAt', 'started_at', 'date'],
  ['completedAt', 'completed_at', 'date'],
  ['durationMs', 'duration_ms', 'value'],
  ['outputJson', 'output_json', 'value'],
  ['errorMessage', 'error_message', 'value'],
  ['errorDetails', 'error_details', 'value'],
  ['workerId', 'worker_id', 'value'],
  ['attemptNumber', 'attempt_number', 'value'],
  ['nextRetryAt', 'next_retry_at', 'date'],
  ['scheduledAt', 'scheduled_at', 'date'],
  ['progressJson', 'progress_json', 'value'],
  ['maxRetries', 'max_retries', 'value'],
];
