import type { EnqueueResult } from '../interfaces/enqueue-options.interface.js';
import type { JobRunStatus } from '../model/statuses.js';
import type { JobBatch, JobDefinition, JobLog, JobRun, JobSchedule, WorkerHeartbeat } from '../model/job-run.js';
import type {
  BatchCreated, BulkOptions, CancelledRun, CancelManyOptions, CleanupProgress, HeartbeatInfo, NewBatch, JobDefinitionInput, JobScheduleInput, JobRunUpdate, NewJobLog, NewJobRun,
  RunBulkFilter, RunListFilter, ScheduleUpdate,
} from './job-storage.types.js';

/**
 * The storage an application may use, and its injection token:
 * `constructor(private readonly storage: JobStorage)`. It holds the operations of the original
 * design and the reads; the operations only the engine may make (claims, completions, releases)
 * are on the internal EngineStorage. Every state change is one named operation backed by one
 * statement or one transaction, so concurrent callers (async flows in one process, or several
 * processes) never see half of it. Times are Dates; durations are milliseconds.
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
  abstract updateSchedule(jobTypeId: string, schedule: ScheduleUpdate): Promise<void>;

  // ----- batches -----
  /**
   * Creates a batch in one transaction: its row, its children and its callbacks (which wait until
   * every child has finished). Throws InvalidPayloadError for an empty batch, UnknownJobError for a
   * child or callback of an unknown job: nothing stored.
   */
  abstract createBatch(batch: NewBatch): Promise<BatchCreated>;
  /** Adds children to an open batch (InvalidRunStateError otherwise); returns their ids. */
  abstract addToBatch(batchId: string, children: NewJobRun[]): Promise<string[]>;
  /** Cancels an open batch, its pending children and its callbacks; returns the runs it cancelled. */
  abstract cancelBatch(batchId: string): Promise<CancelledRun[]>;
  /**
   * Stores `continuation` (a run of status Awaiting, with its continueOn and passParentOutput) to
   * run when every run of `parentRunIds` has finished, if its condition holds for their outcomes
   * together (success: all completed; failure: one failed or was cancelled; always). With
   * passParentOutput its input becomes the array of their outputs, in the order given. One
   * transaction: RunNotFoundError for an unknown parent, InvalidPayloadError for an empty or
   * repeated list, nothing stored. Returns the continuation's id.
   */
  abstract createFanIn(parentRunIds: readonly string[], continuation: NewJobRun): Promise<string>;
  abstract getBatch(batchId: string): Promise<JobBatch | null>;

  // ----- named schedules -----
  /**
   * Stores a named schedule, or replaces the job's schedule with that key (its next tick kept when
   * the timing is unchanged). Throws UnknownJobError for a job without definition, and
   * InvalidScheduleError when the key is another job's schedule: nothing is stored.
   */
  abstract upsertSchedule(schedule: JobScheduleInput): Promise<JobSchedule>;
  /** Removes the job's schedule with this key; false when there was none. */
  abstract removeSchedule(jobTypeId: string, key: string): Promise<boolean>;
  /** Named schedules (of one job, or all), ordered by key. */
  abstract listSchedules(jobTypeId?: string): Promise<JobSchedule[]>;

  // ----- runs -----
  /**
   * Inserts a pending run and returns its id. Throws UnknownJobError or InvalidPayloadError, storing
   * nothing. A unique run (`unique`) whose key another run holds stores nothing and returns the holder's id.
   */
  abstract enqueue(run: NewJobRun): Promise<string>;
  /**
   * Inserts many runs in one transaction: all of them, or none when one is invalid. Items are
   * taken in order: a unique run that duplicates an earlier item gets that item's id.
   */
  abstract enqueueMany(runs: NewJobRun[]): Promise<string[]>;
  /**
   * enqueue(), telling whether the run was created or, for a unique run whose key is held, found
   * (and, with onConflict 'replace', updated).
   */
  abstract enqueueDetailed(run: NewJobRun): Promise<EnqueueResult>;
  /** enqueueMany(), with an EnqueueResult per item. */
  abstract enqueueManyDetailed(runs: NewJobRun[]): Promise<EnqueueResult[]>;
  /** Claims the next due run of a queue for a worker, or returns null. Atomic across processes. */
  abstract dequeue(queue: string, workerId: string): Promise<JobRun | null>;
  /** Due pending runs of a queue, in claim order, without claiming them. */
  abstract getPendingRuns(queue: string, limit?: number): Promise<JobRun[]>;
  /** Changes the given fields of a run. Throws RunNotFoundError for an unknown id. */
  abstract updateRun(runId: string, update: JobRunUpdate): Promise<void>;
  abstract getRun(runId: string): Promise<JobRun | null>;
  /** Runs matching the filter, newest first. */
  abstract listRuns(filter?: RunListFilter): Promise<JobRun[]>;
  /** Number of runs per status (every status present, 0 when none). */
  abstract countRuns(filter?: Pick<RunListFilter, 'jobTypeId' | 'queue'>): Promise<Record<JobRunStatus, number>>;
  /** Cancels a pending, awaiting or running run; returns the status it had, or null if already finished. */
  abstract cancelRun(runId: string, reason?: string): Promise<JobRunStatus | null>;
  /** Puts a failed or cancelled run back in the queue for one more round of attempts. */
  abstract requeueRun(runId: string, scheduledAt?: Date): Promise<void>;
  /**
   * requeueRun() for every run matching the filter (by default the failed ones), `batchSize` runs
   * per transaction. A unique run whose key another run now holds stays as it is. Returns how many
   * went back to the queue.
   */
  abstract retryMany(filter: RunBulkFilter, options?: BulkOptions): Promise<number>;
  /**
   * cancelRun() for every run matching the filter (by default every unfinished one), `batchSize`
   * runs per transaction, their continuations resolved as a cancelled parent's. Returns how many it
   * cancelled. Running ones are aborted by their worker at its next heartbeat.
   */
  abstract cancelMany(filter: RunBulkFilter, options?: CancelManyOptions): Promise<number>;

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

  // ----- cleanup -----
  /**
   * Deletes finished runs older than `retentionMs` (failed ones: older than `failedRetentionMs`,
   * by default the same), with their logs, in batches of `batchSize` rows so that no statement
   * holds the write lock for long. Returns how many runs it removed; `onProgress` hears the running
   * total after each batch.
   */
  abstract cleanupOldRuns(retentionMs: number, batchSize?: number, failedRetentionMs?: number, onProgress?: CleanupProgress): Promise<number>;
  /** Deletes log lines older than `retentionMs`, in batches. Returns how many it removed. */
  abstract cleanupOldLogs(retentionMs: number, batchSize?: number, onProgress?: CleanupProgress): Promise<number>;
}
