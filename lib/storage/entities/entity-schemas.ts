import type { EntitySchemaColumnOptions, ValueTransformer } from 'typeorm';
// typeorm's own module, not its index: see storage/sqlite/sqlite-connection.ts.
import { EntitySchema } from 'typeorm/entity-schema/EntitySchema.js';
import type { JobDefinition, JobLog, JobRun, WorkerHeartbeat } from '../../model/job-run.js';
import type { JobRunStatus } from '../../model/statuses.js';
import { bitsOf, statusesOf } from '../unique.js';

/**
 * The four tables as TypeORM entities, for an application that reads them with a Repository
 * (`dataSource.getRepository<JobRun>('JobRun')` on ZAPJOBS_DATA_SOURCE). Defined per backend,
 * because the columns differ (SQLite: epoch-ms integers, 0/1, JSON text; PostgreSQL: timestamptz,
 * boolean, jsonb, uuid), with the run model's property names, so that a Repository reads and
 * writes the same values as JobStorage does, on both. The engine itself uses SQL, not these.
 */
type Kind = 'text' | 'int' | 'bigint' | 'time' | 'bool' | 'json' | 'uuid' | 'states';
type Spec = [property: string, column: string, kind: Kind, nullable?: boolean];
type Backend = 'sqlite' | 'postgres';

const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : value.getTime()),
  from: (value: number | string | null) => (value == null ? null : new Date(Number(value))),
};
const flag: ValueTransformer = {
  to: (value: boolean | null | undefined) => (value == null ? value : value ? 1 : 0),
  from: (value: number | boolean | null) => (value == null ? null : Boolean(value)),
};
const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? undefined : value === null ? null : JSON.stringify(value)),
  from: (value: string | null) => (value == null ? null : JSON.parse(value)),
};
/** unique_states: the bitmask as the statuses it holds. */
const states: ValueTransformer = {
  to: (value: JobRunStatus[] | null | undefined) => (value === undefined ? undefined : bitsOf(value)),
  from: (value: number | null) => statusesOf(value),
};
/** int8 arrives from pg as a string. */
const int8: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value == null ? null : Number(value)),
};

const POSTGRES_TYPES = {
  text: 'text', int: 'integer', bigint: 'bigint', time: 'timestamptz', bool: 'boolean', json: 'jsonb', uuid: 'uuid', states: 'integer',
} as const;
const SQLITE_COLUMNS: Record<Kind, Partial<EntitySchemaColumnOptions>> = {
  text: { type: 'text' },
  uuid: { type: 'text' },
  int: { type: 'integer' },
  bigint: { type: 'integer' },
  time: { type: 'integer', transformer: epochMs },
  bool: { type: 'integer', transformer: flag },
  json: { type: 'text', transformer: jsonText },
  states: { type: 'integer', transformer: states },
};

function column(backend: Backend, [, name, kind, nullable]: Spec, primary: boolean): EntitySchemaColumnOptions {
  const base = { name, nullable: nullable ?? false, primary };
  if (backend === 'postgres') {
    const transformer = kind === 'bigint' ? int8 : kind === 'states' ? states : undefined;
    return { ...base, type: POSTGRES_TYPES[kind], ...(transformer ? { transformer } : {}) };
  }
  return { ...base, ...SQLITE_COLUMNS[kind] } as EntitySchemaColumnOptions;
}

function schema<T>(backend: Backend, name: string, tableName: string, primary: string, specs: Spec[], generated = false): EntitySchema<T> {
  const columns: Record<string, EntitySchemaColumnOptions> = {};
  for (const spec of specs) {
    columns[spec[0]] = column(backend, spec, spec[0] === primary);
    if (generated && spec[0] === primary) columns[spec[0]].generated = 'increment';
  }
  return new EntitySchema<T>({ name, tableName, columns: columns as never });
}

const RUN: Spec[] = [
  ['id', 'id', 'uuid'], ['jobTypeId', 'job_type_id', 'text'], ['status', 'status', 'text'], ['triggerType', 'trigger_type', 'text'],
  ['queue', 'queue', 'text'], ['priority', 'priority', 'int'], ['input', 'input_json', 'json', true],
  ['output', 'output_json', 'json', true], ['progress', 'progress_json', 'json', true], ['scheduledAt', 'scheduled_at', 'time'],
  ['createdAt', 'created_at', 'time'], ['startedAt', 'started_at', 'time', true], ['completedAt', 'completed_at', 'time', true],
  ['durationMs', 'duration_ms', 'bigint', true], ['errorMessage', 'error_message', 'text', true],
  ['errorDetails', 'error_details', 'text', true], ['workerId', 'worker_id', 'text', true], ['attemptNumber', 'attempt_number', 'int'],
  ['maxRetries', 'max_retries', 'int', true], ['correlationId', 'correlation_id', 'text', true],
  ['parentRunId', 'parent_run_id', 'uuid', true], ['nextRetryAt', 'next_retry_at', 'time', true],
  ['continueOn', 'continue_on', 'text', true], ['passParentOutput', 'pass_parent_output', 'bool'],
  ['concurrencyKey', 'concurrency_key', 'text', true], ['rateKey', 'rate_key', 'text', true],
  ['uniqueKey', 'unique_key', 'text', true], ['uniqueStates', 'unique_states', 'states', true],
  ['checkpoint', 'checkpoint_json', 'json', true], ['batchId', 'batch_id', 'uuid', true],
  ['callbackOfBatch', 'callback_of_batch', 'uuid', true],
];

const DEFINITION: Spec[] = [
  ['jobTypeId', 'job_type_id', 'text'], ['displayName', 'display_name', 'text'], ['description', 'description', 'text', true],
  ['queue', 'queue', 'text'], ['priority', 'priority', 'int'], ['scheduleType', 'schedule_type', 'text'],
  ['cronExpression', 'cron_expression', 'text', true], ['intervalMs', 'interval_ms', 'bigint', true], ['timezone', 'timezone', 'text', true],
  ['misfirePolicy', 'misfire_policy', 'text'], ['preventOverlap', 'prevent_overlap', 'bool'], ['timeoutMs', 'timeout_ms', 'bigint', true],
  ['maxRetries', 'max_retries', 'int', true], ['retryDelayMs', 'retry_delay_ms', 'bigint', true], ['isEnabled', 'is_enabled', 'bool'],
  ['defaultInput', 'default_input_json', 'json', true], ['tags', 'tags', 'json', true], ['lastRunAt', 'last_run_at', 'time', true],
  ['nextRunAt', 'next_run_at', 'time', true], ['lastRunStatus', 'last_run_status', 'text', true], ['createdAt', 'created_at', 'time'],
  ['updatedAt', 'updated_at', 'time'],
  ['concurrencyLimit', 'concurrency_limit', 'int', true], ['rateLimit', 'rate_limit', 'int', true],
  ['ratePeriodMs', 'rate_period_ms', 'bigint', true],
];

const LOG: Spec[] = [
  ['id', 'id', 'bigint'], ['runId', 'run_id', 'uuid'], ['level', 'level', 'text'], ['message', 'message', 'text'],
  ['timestamp', 'timestamp', 'time'], ['category', 'category', 'text', true], ['exception', 'exception', 'text', true],
  ['attemptNumber', 'attempt_number', 'int', true],
];

const HEARTBEAT: Spec[] = [
  ['workerId', 'worker_id', 'text'], ['hostname', 'hostname', 'text', true], ['pid', 'pid', 'int', true], ['queues', 'queues', 'json', true],
  ['concurrency', 'concurrency', 'int', true], ['startedAt', 'started_at', 'time'], ['lastHeartbeat', 'last_heartbeat', 'time'],
  ['runningRunIds', 'running_run_ids', 'json', true], ['currentJobId', 'current_job_id', 'text', true],
  ['currentJobStartedAt', 'current_job_started_at', 'time', true],
];

/** The entities of one backend; their table names get the DataSource's entityPrefix. */
export function zapjobsEntities(backend: Backend): EntitySchema[] {
  return [
    schema<JobDefinition>(backend, 'JobDefinition', 'definitions', 'jobTypeId', DEFINITION),
    schema<JobRun>(backend, 'JobRun', 'runs', 'id', RUN),
    schema<JobLog>(backend, 'JobLog', 'logs', 'id', LOG, true),
    schema<WorkerHeartbeat>(backend, 'WorkerHeartbeat', 'heartbeats', 'workerId', HEARTBEAT),
  ] as EntitySchema[];
}
