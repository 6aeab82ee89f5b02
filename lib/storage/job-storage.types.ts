import type { JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType } from './entities/enums.js';

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
  defaultInputJson?: string | null;
  tags?: string[];
  /**
   * Next tick of the schedule. Stored when the row is new or its schedule (type, cron, interval,
   * time zone) changed; otherwise the stored tick stands, so a restart neither skips nor repeats one.
   */
  nextRunAt?: Date | null;
}

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
  continueOn?: 'success' | 'failure' | 'always' | null;
  passParentOutput?: boolean;
}

/** Fields of a run that updateRun may change. */
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

export interface HeartbeatInfo {
  hostname?: string;
  pid?: number;
  queues?: readonly string[];
  concurrency?: number;
  /** The runs the worker holds now. */
  runningRunIds?: readonly string[];
}

/** A successful attempt, committed with others in one transaction. */
export interface RunCompletion {
  runId: string;
  workerId: string;
  outputJson: string | null;
  completedAt: Date;
  durationMs: number;
}

/** A failed attempt: back to the queue at retryAt, or Failed for good when retryAt is null. */
export interface RunFailure {
  runId: string;
  workerId: string;
  errorMessage: string;
  errorDetails: string | null;
  completedAt: Date;
  durationMs: number;
  retryAt: Date | null;
}

/** A recurring tick to claim: compare-and-set of next_run_at, then (maybe) one run inserted. */
export interface ScheduleTickClaim {
  jobTypeId: string;
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
  limit?: number;
  offset?: number;
}

/** What a worker asks for when it claims: up to `limit` runs of these queues (in order) and job types. */
export interface ClaimRequest {
  queues: readonly string[];
  workerId: string;
  limit: number;
  jobTypeIds?: readonly string[];
}

export interface CompleteAndClaimResult {
  /** Ids of the runs whose completion was recorded (still held by their worker). */
  completed: string[];
  claimed: ClaimedRun[];
}
