import type { ContinueCondition, JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType } from './statuses.js';

/**
 * One execution request of a job, across all of its attempts, as storage hands it out: values,
 * not column text. JSON columns come parsed, times as Dates, flags as booleans, and absent values
 * as null, identical on SQLite and PostgreSQL (a JSON column another program filled with text that
 * is not JSON comes back as that text). `Input` and `Output` are the job's types when the
 * run is read through a typed API (JobScheduler.getRun(runId, SendEmailJob)).
 */
export interface JobRun<Input = unknown, Output = unknown> {
  /** A UUID (version 7: ordered by creation time). */
  id: string;
  jobTypeId: string;
  status: JobRunStatus;
  triggerType: JobTriggerType;
  queue: string;
  /** Higher runs first. */
  priority: number;
  input: Input | null;
  /** What handle() returned, once the run completed. */
  output: Output | null;
  /** The last value passed to ctx.progress(). */
  progress: unknown;
  /** What its attempts saved with ctx.checkpoint.set(), by key: cleared when the run completes, kept when it fails. */
  checkpoint: Record<string, unknown> | null;
  /** The batch this run is a child of (jobs.batch()). */
  batchId: string | null;
  /** The batch this run is a callback of: it waits until every child of that batch finished. */
  callbackOfBatch: string | null;
  /** Not claimed before this time; for a retry, the same as nextRetryAt. */
  scheduledAt: Date;
  createdAt: Date;
  /** Start of the current (or last) attempt. */
  startedAt: Date | null;
  completedAt: Date | null;
  /** Duration of the last attempt, in milliseconds. */
  durationMs: number | null;
  errorMessage: string | null;
  /** The stack of the last failed attempt's error. */
  errorDetails: string | null;
  /** The worker holding the run while it is Running; the last one afterwards. */
  workerId: string | null;
  /** Attempts started so far (0 while it waits for its first). */
  attemptNumber: number;
  /** Retries allowed after the first attempt (null: the job's, then the module's default). */
  maxRetries: number | null;
  correlationId: string | null;
  parentRunId: string | null;
  nextRetryAt: Date | null;
  /** For a continuation: when it runs, and whether the parent's output becomes its input. */
  continueOn: ContinueCondition | null;
  passParentOutput: boolean;
  /** The key its job's concurrency limit counts it under ('' for a limit without key; null: no limit). */
  concurrencyKey: string | null;
  /** The key its job's rate limit counts it under ('' for a limit without key; null: no limit). */
  rateKey: string | null;
  /** For a unique run: the stored key (a SHA-256, hex, of job id, key or input, and window bucket). */
  uniqueKey: string | null;
  /** For a unique run: the statuses in which it holds its key. */
  uniqueStates: JobRunStatus[] | null;
}

/** One row per job type: what `@Job()` declared, plus the schedule's runtime state. */
export interface JobDefinition {
  jobTypeId: string;
  displayName: string;
  description: string | null;
  queue: string;
  priority: number;
  scheduleType: ScheduleType;
  cronExpression: string | null;
  /** Interval of an interval schedule, in milliseconds. */
  intervalMs: number | null;
  /** IANA time zone of the cron expression (null: UTC). */
  timezone: string | null;
  /** 'once' runs one catch-up after downtime, 'skip' drops missed ticks. */
  misfirePolicy: 'once' | 'skip';
  /** Skip a tick while a run of this job is pending or running. */
  preventOverlap: boolean;
  timeoutMs: number | null;
  maxRetries: number | null;
  /** First retry delay (the job's retry policy's initialDelay), in milliseconds. */
  retryDelayMs: number | null;
  isEnabled: boolean;
  /** Input of runs fired by the schedule or by trigger(); null when the job declares none. */
  defaultInput: unknown;
  tags: string[];
  lastRunAt: Date | null;
  nextRunAt: Date | null;
  lastRunStatus: JobRunStatus | null;
  createdAt: Date;
  updatedAt: Date;
  /** At most this many runs Running at once (per key), across processes; null: no limit. */
  concurrencyLimit: number | null;
  /** At most this many starts per ratePeriodMs (per key), across processes; null: no limit. */
  rateLimit: number | null;
  ratePeriodMs: number | null;
}

/**
 * A named schedule (`jobs.schedule(ReportJob, { key, cron, input })`): one of many per job type,
 * each with its own input and next tick. The schedule in `@Job()` stays the job's default one.
 */
export interface JobSchedule<Input = unknown> {
  /** Unique across jobs. */
  key: string;
  jobTypeId: string;
  scheduleType: ScheduleType;
  cronExpression: string | null;
  intervalMs: number | null;
  /** IANA time zone of the cron expression. */
  timezone: string | null;
  /** Input of each run it fires. */
  input: Input | null;
  misfirePolicy: 'once' | 'skip';
  isEnabled: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A batch (jobs.batch()): its children's counts, and the callbacks that fire once all have finished. */
export interface JobBatch {
  id: string;
  description: string | null;
  /** 'open' until every child finished ('finished') or it was cancelled ('cancelled'). */
  state: 'open' | 'finished' | 'cancelled';
  total: number;
  /** Children not finished yet. */
  pending: number;
  succeeded: number;
  /** Children failed after their retries. */
  failed: number;
  cancelled: number;
  createdAt: Date;
  finishedAt: Date | null;
  callbackRunIds: string[];
}

/** A line a handler logged through ctx.logger, or one the engine wrote about an attempt. */
export interface JobLog {
  /** Increasing, so it orders lines written within one millisecond. */
  id: number;
  runId: string;
  level: JobLogLevel;
  message: string;
  timestamp: Date;
  category: string | null;
  exception: string | null;
  attemptNumber: number | null;
}

/** One row per live (or recently live) worker process. */
export interface WorkerHeartbeat {
  workerId: string;
  hostname: string | null;
  pid: number | null;
  queues: string[];
  concurrency: number | null;
  /** When this incarnation of the worker started. */
  startedAt: Date;
  lastHeartbeat: Date;
  /** Ids of the runs the worker holds. */
  runningRunIds: string[];
  currentJobId: string | null;
  currentJobStartedAt: Date | null;
}
