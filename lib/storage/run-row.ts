import { UnknownJobError } from '../errors/errors.js';
import { toJson } from '../util/json.js';
import { uuidv7 } from '../util/uuidv7.js';
import { JobRunStatus, JobTriggerType } from './entities/enums.js';
import type { NewJobRun } from './job-storage.types.js';

/** What a backend needs of a job's definition to fill in a run's defaults. */
export interface RunDefaults {
  queue: string;
  priority: number;
}

/** The job type of a run to insert, checked before the definition is looked up. */
export function jobTypeOf(run: NewJobRun): string {
  if (typeof run.jobTypeId !== 'string' || run.jobTypeId === '') throw new UnknownJobError(String(run.jobTypeId));
  return run.jobTypeId;
}

/**
 * A run to insert, validated and serialised before anything is written (so bad input stores
 * nothing), as the values of the runs table in column order: id, job_type_id, status, trigger_type,
 * queue, priority, input_json, scheduled_at (epoch ms), created_at (epoch ms), max_retries,
 * correlation_id, parent_run_id, continue_on, pass_parent_output. Each backend converts the few
 * that its column types need (times, the flag).
 */
export function runRow(run: NewJobRun, defaults: RunDefaults, now: number, maxPayloadBytes: number): unknown[] {
  const inputJson = run.inputJson !== undefined ? run.inputJson : toJson(run.input, `input of job '${run.jobTypeId}'`, maxPayloadBytes);
  const scheduledAt = run.scheduledAt ? run.scheduledAt.getTime() : now;
  if (!Number.isFinite(scheduledAt)) throw new TypeError(`scheduledAt: expected a valid Date, got ${String(run.scheduledAt)}`);
  return [
    run.id ?? uuidv7(now),
    run.jobTypeId,
    run.status ?? JobRunStatus.Pending,
    run.triggerType ?? JobTriggerType.Manual,
    run.queue ?? defaults.queue,
    run.priority ?? defaults.priority,
    inputJson,
    scheduledAt,
    now,
    run.maxRetries ?? null,
    run.correlationId ?? null,
    run.parentRunId ?? null,
    run.continueOn ?? null,
    run.passParentOutput ?? false,
  ];
}

/** Column positions in a runRow(). */
export const RUN_ROW = { id: 0, status: 2, queue: 4, scheduledAt: 7, createdAt: 8, passParentOutput: 13 } as const;
