import type { JobRunStatus } from './entities/enums.js';
import type { JobDefinition } from './entities/job-definition.entity.js';
import type { JobLog } from './entities/job-log.entity.js';
import type { JobRun } from './entities/job-run.entity.js';
import type { WorkerHeartbeat } from './entities/worker-heartbeat.entity.js';
import type {
  ClaimedRun, ClaimRequest, CompleteAndClaimResult, HeartbeatInfo, JobDefinitionInput, JobRunUpdate, NewJobLog, NewJobRun, RunCompletion,
  RunFailure, RunListFilter, ScheduleTickClaim,
} from './job-storage.types.js';

/**
 * The storage contract, and the injection token: `constructor(private readonly storage: JobStorage)`.
 * Every state change is one named operation backed by one statement or one transaction, so that
 * concurrent callers (async flows in one process, or several processes) never see half of it.
 * Times are Dates; durations are milliseconds.
 */
export abstract class JobStorage {
  // ----- definitions -----
  /** Every definition, ordered by display name. */
  abstract getAllDefinitions(): Promise<JobDefinition[]>;
  abstract getJobDefinition(jobTypeId: string): Promise<JobDefinition | null>;
  /** Inserts or updates a definition; see JobDefinitionInput for what an update keeps. */
  abstract upsertDefinition(definition: JobDefinitionInput): Promise<void>;
  /** Enables or disables a definition: a disabled one neither fires nor has its runs claimed. */
  abstract setDefinitionEnabled(jobTypeId: string, enabled: boolean): Promise<void>;
  /** Replaces the schedule of a definition (a null cron and interval removes it). */
  abstract updateSchedule(
    jobTypeId: string,
    schedule: Pick<JobDefinitionInput, 'scheduleType' | 'cronExpression' | 'intervalMs' | 'timezone' | 'nextRunAt'>,
  ): Promise<void>;

  // ----- runs -----
  /** Inserts a pending run and returns its id. Throws UnknownJobError or InvalidPayloadError, storing nothing. */
  abstract enqueue(run: NewJobRun): Promise<string>;
  /** Inserts many runs in one transaction: all of them, or none when one is invalid. */
  abstract enqueueMany(runs: NewJobRun[]): Promise<string[]>;
  /** Claims the next due run of a queue for a worker, or returns null. Atomic across processes. */
  abstract dequeue(queue: string, workerId: string): Promise<JobRun | null>;
  /**
   * Claims up to `limit` due runs, taking queues in the order given; within a queue by priority
   * (highest first), then scheduled time, then creation. Each run goes to exactly one caller.
   * With `jobTypeIds`, only runs of those job types (the handlers this worker has).
   */
  abstract claim(
    queues: readonly string[],
    workerId: string,
    limit: number,
    jobTypeIds?: readonly string[],
  ): Promise<ClaimedRun[]>;
  /** Due pending runs of a queue, in claim order, without claiming them. */
  abstract getPendingRuns(queue: string, limit?: number): Promise<JobRun[]>;
  /** Changes the given fields of a run. Throws RunNotFoundError for an unknown id. */
  abstract updateRun(runId: string, update: JobRunUpdate): Promise<void>;
  abstract getRun(runId: string): Promise<JobRun | null>;
  abstract listRuns(filter?: RunListFilter): Promise<JobRun[]>;
  /** Number of runs per status. */
  abstract countRuns(filter?: Pick<RunListFilter, 'jobTypeId' | 'queue'>): Promise<Record<string, number>>;

  /** Commits successful attempts in one transaction; returns the ids whose claim was still held. */
  abstract completeRuns(completions: RunCompletion[]): Promise<string[]>;
  /**
   * The worker's hot path: commits completions and claims the next runs for the slots they free.
   * A backend may do both in one transaction; this default does one after the other.
   */
  async completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult> {
    const completed = await this.completeRuns(completions);
    const claimed = await this.claim(next.queues, next.workerId, next.limit, next.jobTypeIds);
    return { completed, claimed };
  }
  /** Records a failed attempt (retry or dead); false when the worker no longer held the run. */
  abstract failRun(failure: RunFailure): Promise<boolean>;
  /** Cancels a pending, awaiting or running run; returns the status it had, or null if already finished. */
  abstract cancelRun(runId: string, reason?: string): Promise<JobRunStatus | null>;
  /** Puts a failed or cancelled run back in the queue for one more round of attempts. */
  abstract requeueRun(runId: string, scheduledAt?: Date): Promise<void>;
  /** Returns runs a worker holds to the queue (shutdown); the interrupted attempt does not count. */
  abstract releaseRuns(workerId: string, runIds: readonly string[]): Promise<number>;
  /** Of the given runs, those still Running and held by this worker. */
  abstract stillHeld(workerId: string, runIds: readonly string[]): Promise<string[]>;
  /**
   * Runs held by workers silent for longer than `staleAfterMs` go back to the queue (the attempt
   * counts), or end Failed when no attempt is left. Returns how many were recovered.
   */
  abstract recoverStaleRuns(staleAfterMs: number, defaultMaxRetries: number): Promise<number>;
  /** Releases or cancels the continuations of a finished run, as their conditions say. */
  abstract resolveContinuations(parentRunId: string): Promise<number>;

  /**
   * Subscribes to wake-ups: `onWake(queue)` is called when runs become due in another process
   * (PostgreSQL LISTEN/NOTIFY). Backends without such a channel rely on polling: this default
   * subscribes to nothing. Returns a function that unsubscribes.
   */
  async listen(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    void onWake;
    return async () => undefined;
  }

  // ----- logs -----
  abstract addLog(log: NewJobLog): Promise<void>;
  /** Inserts many lines in one transaction. */
  abstract addLogs(logs: NewJobLog[]): Promise<void>;
  /** The first `limit` lines of a run, oldest first. */
  abstract getLogs(runId: string, limit?: number): Promise<JobLog[]>;

  // ----- heartbeats -----
  abstract updateHeartbeat(workerId: string, info?: HeartbeatInfo): Promise<void>;
  /** Workers whose last heartbeat is within `timeoutMs`. */
  abstract getActiveWorkers(timeoutMs: number): Promise<WorkerHeartbeat[]>;
  abstract removeHeartbeat(workerId: string): Promise<void>;

  // ----- schedules -----
  /** Enabled definitions with a schedule whose next_run_at is due. */
  abstract getDueSchedules(now: Date): Promise<JobDefinition[]>;
  /** Claims one tick by compare-and-set on next_run_at; true if this caller won it. */
  abstract claimScheduleTick(claim: ScheduleTickClaim): Promise<boolean>;
  /** True when the job has a run pending or running. */
  abstract hasActiveRun(jobTypeId: string): Promise<boolean>;

  // ----- cleanup -----
  /**
   * Deletes finished runs older than `retentionMs`, with their logs, in batches of `batchSize`
   * rows so that no statement holds the write lock for long. Returns how many runs it removed.
   */
  abstract cleanupOldRuns(retentionMs: number, batchSize?: number): Promise<number>;
  /** Deletes log lines older than `retentionMs`, in batches. Returns how many it removed. */
  abstract cleanupOldLogs(retentionMs: number, batchSize?: number): Promise<number>;
}
