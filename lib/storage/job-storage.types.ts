import type { UniqueOptions } from '../interfaces/enqueue-options.interface.js';
import type { ContinueCondition, JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType } from '../model/statuses.js';

/** A definition as code declares it; fields left undefined keep their stored value on update. */
export interface JobDefinitionInput {
  jobTypeId: string;
  displayName?: string;
  description?: string | null;
  queue?: string;
  priority?: number;
  scheduleType?: ScheduleType;
  cronExpression?: string | null;
  intervalMs?: number | null;
  timezone?: string | null;
  misfirePolicy?: 'once' | 'skip';
  preventOverlap?: boolean;
  timeoutMs?: number | null;
  maxRetries?: number | null;
  retryDelayMs?: number | null;
  isEnabled?: boolean;
  /** Input of runs fired by the schedule or by trigger(), as JSON text (null: none). */
  defaultInputJson?: string | null;
  tags?: string[];
  /**
   * Next tick of the schedule. Stored when the row is new or its schedule (type, cron, interval,
   * time zone) changed; otherwise the stored tick stands, so a restart neither skips nor repeats one.
   */
  nextRunAt?: Date | null;
  /** At most this many runs Running at once (per concurrency key), across processes (null: no limit). */
  concurrencyLimit?: number | null;
  /** At most this many starts per ratePeriodMs (per rate key), across processes (null: no limit). */
  rateLimit?: number | null;
  ratePeriodMs?: number | null;
}

/** A new schedule for updateSchedule(): ScheduleType.None (or no cron and interval) removes it. */
export type ScheduleUpdate = Pick<JobDefinitionInput, 'scheduleType' | 'cronExpression' | 'intervalMs' | 'timezone' | 'nextRunAt'>;

/** A run to insert. */
export interface NewJobRun {
  /** A UUID; generated when absent. */
  id?: string;
  jobTypeId: string;
  /** Default: the definition's queue. */
  queue?: string;
  /** Default: the definition's priority. Higher runs first. */
  priority?: number;
  /** Any JSON-serialisable value; stored as JSON text. Ignored when inputJson is given. */
  input?: unknown;
  /** Input already serialised. */
  inputJson?: string | null;
  /** Not claimed before this time. Default: now. */
  scheduledAt?: Date;
  triggerType?: JobTriggerType;
  correlationId?: string | null;
  parentRunId?: string | null;
  maxRetries?: number | null;
  /** Pending (default), or Awaiting for a continuation whose parent has not finished. */
  status?: JobRunStatus.Pending | JobRunStatus.Awaiting;
  continueOn?: ContinueCondition | null;
  passParentOutput?: boolean;
  /** Key of the job's concurrency limit for this run. Default: '' when the job has a limit, else null. */
  concurrencyKey?: string | null;
  /** Key of the job's rate limit for this run. Default: '' when the job has a limit, else null. */
  rateKey?: string | null;
  /** Deduplicates on a key (see UniqueOptions); `true` is `{}`. Default: none. */
  unique?: UniqueOptions | boolean;
  /**
   * The enqueuing code's trace context, as JSON text of its propagation fields (W3C `traceparent`,
   * `tracestate`): set by the tracing integration (`@zapjobs/nestjs/tracing`), given back to the
   * worker with the claimed run. Default: none.
   */
  traceContext?: string | null;
}

/** Fields of a run that updateRun may change (JSON fields as JSON text). */
export interface JobRunUpdate {
  status?: JobRunStatus;
  startedAt?: Date | null;
  completedAt?: Date | null;
  durationMs?: number | null;
  outputJson?: string | null;
  errorMessage?: string | null;
  errorDetails?: string | null;
  workerId?: string | null;
  attemptNumber?: number;
  nextRetryAt?: Date | null;
  scheduledAt?: Date;
  progressJson?: string | null;
  maxRetries?: number | null;
}

/**
 * A worker's hold on one attempt of a run. Every write of the attempt's outcome is fenced on all
 * three: once the run was recovered and claimed again (attempt + 1), even by the same worker, the
 * old attempt's writes change nothing.
 */
export interface AttemptLease {
  runId: string;
  workerId: string;
  /** The attempt's number, from 1. */
  attempt: number;
}

/** What a worker gets when it claims a run: only what it needs to execute it. */
export interface ClaimedRun {
  id: string;
  jobTypeId: string;
  queue: string;
  priority: number;
  inputJson: string | null;
  /** This attempt's number, from 1. */
  attemptNumber: number;
  maxRetries: number | null;
  scheduledAt: Date;
  createdAt: Date;
  startedAt: Date;
  correlationId: string | null;
  parentRunId: string | null;
  triggerType: JobTriggerType;
  /** The enqueuing code's trace context (see NewJobRun.traceContext), or null. */
  traceContext: string | null;
  /** Set for a child of a batch: its completion goes through the batch's counters. */
  batchId: string | null;
}

export interface NewJobLog {
  runId: string;
  level: JobLogLevel;
  message: string;
  /** Default: now. */
  timestamp?: Date;
  category?: string | null;
  exception?: string | null;
  attemptNumber?: number | null;
}

/**
 * A line written by an attempt the engine runs (the handler's ctx.logger, the failure line): stored
 * only while that attempt still holds its lease, so a zombie attempt (its run recovered and claimed
 * again meanwhile) cannot add lines to a run that moved on. Its attempt number is the lease's.
 */
export interface AttemptLogLine extends Omit<NewJobLog, 'attemptNumber'> {
  lease: AttemptLease;
}

export interface HeartbeatInfo {
  hostname?: string;
  pid?: number;
  queues?: readonly string[];
  concurrency?: number;
  /** The runs the worker holds now. */
  runningRunIds?: readonly string[];
  /** Set when a worker (re)starts: a new incarnation replaces the stored start time. */
  startedAt?: Date;
}

/** A successful attempt, committed with others in one transaction. */
export interface RunCompletion extends AttemptLease {
  /** The run's batch (ClaimedRun.batchId): such completions also move the batch's counters. */
  batchId?: string | null;
  outputJson: string | null;
  completedAt: Date;
  durationMs: number;
}

/** A failed attempt: back to the queue at retryAt, or Failed for good when retryAt is null. */
export interface RunFailure extends AttemptLease {
  errorMessage: string;
  errorDetails: string | null;
  completedAt: Date;
  durationMs: number;
  retryAt: Date | null;
}

/** A batch to create: its children, and its callbacks (Awaiting runs with the condition they fire on). */
export interface NewBatch {
  children: NewJobRun[];
  callbacks: NewJobRun[];
  description?: string | null;
  /** The callbacks' summary also holds every child's output. @default false */
  includeOutputs?: boolean;
}

/** A run that cancelMany() or cancelBatch() ended (what its 'cancelled' event carries). */
export interface CancelledRun {
  runId: string;
  jobTypeId: string;
  queue: string;
  /** A worker was running it: that worker aborts it (and reports it). */
  wasRunning: boolean;
}

export interface BatchCreated {
  batchId: string;
  runIds: string[];
  callbackRunIds: string[];
}

/** A named schedule to store (see JobStorage.upsertSchedule). */
export interface JobScheduleInput {
  key: string;
  jobTypeId: string;
  scheduleType: ScheduleType;
  cronExpression: string | null;
  intervalMs: number | null;
  timezone: string | null;
  /** The input of its runs, as JSON text (null: none). */
  inputJson: string | null;
  misfirePolicy: 'once' | 'skip';
  isEnabled: boolean;
  /** The first tick; kept instead when the stored schedule has the same timing and a next tick. */
  nextRunAt: Date;
}

/** A recurring tick to claim: compare-and-set of next_run_at, then (maybe) one run inserted. */
export interface ScheduleTickClaim {
  jobTypeId: string;
  /** A named schedule's key; absent: the definition's own (default) schedule. */
  key?: string;
  /** The next_run_at this process read; the claim fails if another process moved it. */
  expectedNextRunAt: Date | null;
  nextRunAt: Date | null;
  firedAt: Date;
  /** The run to enqueue for this tick, or null to move the schedule on without a run. */
  run: NewJobRun | null;
}

export interface RunListFilter {
  jobTypeId?: string;
  status?: JobRunStatus | JobRunStatus[];
  queue?: string;
  correlationId?: string;
  parentRunId?: string;
  /** Runs created at or after this time. */
  since?: Date;
  /** Runs created before this time. */
  until?: Date;
  /** The children of this batch. */
  batchId?: string;
  limit?: number;
  offset?: number;
}

/** One queue's runs at a glance, every status counted (EngineStorage.queueOverview). */
export interface QueueOverview {
  queue: string;
  /** Runs per status (every status present, 0 when none). */
  counts: Record<JobRunStatus, number>;
  /** Scheduled time of the oldest pending run that is due (null: none is due), so its wait is now - this. */
  oldestDueAt: Date | null;
}

/** What a cleanup would remove now (EngineStorage.countCleanable). */
export interface CleanableCounts {
  runs: number;
  logs: number;
}

/** Called after each batch a cleanup deletes, with the total removed so far. */
export type CleanupProgress = (removed: number) => void;

/**
 * The runs retryMany() and cancelMany() act on: every run matching all the fields given. `status`
 * defaults to 'failed' for retryMany (the dead letter) and to every unfinished status for cancelMany.
 */
export interface RunBulkFilter {
  status?: JobRunStatus | JobRunStatus[];
  jobTypeId?: string;
  queue?: string;
  /** Runs created at or after this time. */
  createdAfter?: Date;
  /** Runs created before this time. */
  createdBefore?: Date;
}

/** How a bulk operation walks its runs. */
export interface BulkOptions {
  /** Runs changed per transaction, so that no write holds the lock for long. @default 500 */
  batchSize?: number;
}

/** Options of cancelMany(). */
export interface CancelManyOptions extends BulkOptions {
  /** Stored as each run's error message. @default 'cancelled by request' */
  reason?: string;
  /** Told of the runs each transaction cancelled, after it committed. */
  onCancelled?: (runs: CancelledRun[]) => void;
}

/** What a worker asks for when it claims: up to `limit` runs of these queues (in order) and job types. */
export interface ClaimRequest {
  queues: readonly string[];
  workerId: string;
  limit: number;
  jobTypeIds?: readonly string[];
  /** At most this many runs from each queue (same order as `queues`); absent: only `limit` counts. */
  queueLimits?: readonly number[];
  /**
   * Job types of `jobTypeIds` with a concurrency or rate limit: claimed by the limited claim, which
   * counts their Running runs and recent starts. Absent or empty: the plain claim alone.
   */
  limitedJobTypeIds?: readonly string[];
}

export interface CompleteAndClaimResult {
  /** Ids of the runs whose completion was recorded (still held by their worker). */
  completed: string[];
  claimed: ClaimedRun[];
  /**
   * Completions not recorded, to be sent again: the claim was committed, but the second
   * transaction these needed (PostgreSQL: runs in flows, see completeFlowRuns) failed, `retryError`.
   */
  retry?: RunCompletion[];
  retryError?: unknown;
}

/** What one queue holds now: the reads behind health checks and metrics gauges. */
export interface QueueStats {
  queue: string;
  /** Pending runs, due or scheduled for later. */
  pending: number;
  running: number;
  /** Runs that failed for good and are still stored (cleanup removes them after the retention). */
  failed: number;
  /** When the longest-waiting due pending run became due (its scheduled time); null when none is due. */
  oldestDueAt: Date | null;
}
