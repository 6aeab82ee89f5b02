import type { EnqueueResult } from '../interfaces/enqueue-options.interface.js';
import type { JobDefinition, JobSchedule } from '../model/job-run.js';
import type { DashboardQueries } from './dashboard-queries.js';
import { JobStorage } from './job-storage.js';
import type {
  AttemptLease, AttemptLogLine, CancelledRun, CleanableCounts, ClaimedRun, ClaimRequest, CompleteAndClaimResult, NewJobRun, QueueOverview, QueueStats,
  RunCompletion, RunFailure,
  ScheduleTickClaim,
} from './job-storage.types.js';

/**
 * What only the engine may call: the operations that hand runs to workers and record what their
 * attempts did. Called by hand they would corrupt state (a run completed that no worker ran), so
 * they are not on JobStorage, the contract applications inject. Every write of an attempt's
 * outcome is fenced on its lease (run, attempt, worker): an attempt whose run was recovered and
 * claimed again, even by the same worker, changes nothing.
 */
export abstract class EngineStorage extends JobStorage {
  /**
   * Told, once each transaction commits, of the runs the flow rules cancelled in it: continuations
   * whose condition their parents' outcome did not meet, batch callbacks not called. (Runs cancelled
   * by request are announced by whoever asked.) The module emits 'cancelled' for each.
   */
  onRulesCancelled: ((runs: CancelledRun[]) => void) | undefined;

  /**
   * Claims up to `limit` due runs, taking queues in the order given; within a queue by priority
   * (highest first), then scheduled time, then creation. Each run goes to exactly one caller.
   * With `jobTypeIds`, only runs of those job types (the handlers this worker has).
   */
  abstract claim(request: ClaimRequest): Promise<ClaimedRun[]>;
  /** The dashboard's searches and bulk reads (built on first use). */
  abstract dashboard(): DashboardQueries;
  /**
   * The worker's hot path: commits successful attempts and claims the next runs for the slots
   * they free, in one transaction (one statement on PostgreSQL). `completed` lists the runs whose
   * lease was still held; the others changed nothing.
   */
  abstract completeAndClaim(completions: RunCompletion[], next: ClaimRequest): Promise<CompleteAndClaimResult>;
  /** Records a failed attempt (retry later, or dead); false when the lease was no longer held. */
  abstract failRun(failure: RunFailure): Promise<boolean>;
  /** Returns held runs to the queue (shutdown); the interrupted attempt does not count. */
  abstract releaseRuns(leases: readonly AttemptLease[]): Promise<number>;
  /** Of the given leases, those still held: the run is Running that attempt under that worker. */
  abstract stillHeld(leases: readonly AttemptLease[]): Promise<AttemptLease[]>;
  /**
   * Stores the lines of attempts, each only if its attempt still holds its lease (the run is
   * Running that attempt under that worker); the others are dropped. Returns how many were stored.
   */
  abstract addAttemptLogs(lines: readonly AttemptLogLine[]): Promise<number>;
  /** Stores a progress report of an attempt; false (and nothing stored) when the lease is gone. */
  abstract writeProgress(lease: AttemptLease, progressJson: string): Promise<boolean>;
  /** A run's checkpoint object as JSON text (null when none was saved). */
  abstract readCheckpoint(runId: string): Promise<string | null>;
  /** Replaces an attempt's checkpoint object; false (and nothing stored) when the lease is gone. */
  abstract writeCheckpoint(lease: AttemptLease, checkpointJson: string): Promise<boolean>;
  /**
   * Runs held by workers silent for longer than `staleAfterMs` go back to the queue (the attempt
   * counts), or end Failed when no attempt is left; awaiting continuations of finished parents (a
   * race can leave one) are resolved too. Returns how many runs were recovered.
   */
  abstract recoverStaleRuns(staleAfterMs: number, defaultMaxRetries: number): Promise<number>;
  /**
   * Recovers, as recoverStaleRuns does, every run still Running under `workerId`: called by a
   * worker as it starts, before it claims anything, so that whatever a previous process with the
   * same id held when it died is not left to look alive under the new heartbeat.
   */
  abstract recoverWorkerRuns(workerId: string, defaultMaxRetries: number): Promise<number>;
  /**
   * Inserts runs through the application's open TypeORM transaction (`manager`), on its own
   * connection, so that they commit or roll back with the application's writes: the storage's own
   * insert statements, run there. `manager` must be in a transaction on ZapJobs' database (the
   * same SQLite file; the same PostgreSQL database, ZapJobs' tables reachable): an
   * InvalidManagerError otherwise, and nothing is stored. Unique runs as enqueueManyDetailed takes
   * them, the key held by the application's transaction until it ends. Returns an EnqueueResult
   * per run; the runs exist for everyone else once that transaction commits.
   */
  abstract enqueueInTransaction(runs: NewJobRun[], manager: unknown): Promise<EnqueueResult[]>;
  /** Releases or cancels the continuations of a finished run, as their conditions say. */
  abstract resolveContinuations(parentRunId: string): Promise<number>;

  /** Enabled definitions with a schedule whose next tick is due at `now`. */
  abstract getDueSchedules(now: Date): Promise<JobDefinition[]>;
  /** Enabled named schedules of enabled definitions whose next tick is due at `now`. */
  abstract getDueNamedSchedules(now: Date): Promise<JobSchedule[]>;
  /** The earliest next tick of any enabled schedule, default or named (null: none). */
  abstract earliestScheduleTick(): Promise<Date | null>;
  /** Claims one tick by compare-and-set on next_run_at (a named schedule's with `key`); true if this caller won it. */
  abstract claimScheduleTick(claim: ScheduleTickClaim): Promise<boolean>;
  /** True when the job has a run pending or running. */
  abstract hasActiveRun(jobTypeId: string): Promise<boolean>;

  // ----- reads of health checks and metrics -----

  /**
   * The last heartbeat of a worker (null: it has no row), read so that the database is really asked:
   * a SQLite file deleted or replaced under the open connection fails here, where plain reads would
   * go on reading the old inode.
   */
  abstract probeHeartbeat(workerId: string): Promise<Date | null>;
  /** Per queue that holds any pending, running or failed run: their counts and the oldest due pending run. */
  abstract queueStats(): Promise<QueueStats[]>;
  /** Per queue, the runs that failed for good at or after `since`. */
  abstract countFailuresSince(since: Date): Promise<Map<string, number>>;

  // ----- reads of the command line -----

  /** Runs per queue and every status, and each queue's oldest due pending run: one scan of the runs table. */
  abstract queueOverview(): Promise<QueueOverview[]>;
  /** How many finished runs (failed ones: past `failedRetentionMs`, default the same), and log lines, a cleanup with these retentions would delete now. */
  abstract countCleanable(retentionMs: number, logRetentionMs: number, failedRetentionMs?: number): Promise<CleanableCounts>;

  /**
   * Whether the database refused an operation for its values (a constraint, a value a column
   * cannot hold): the same statement would fail again, where a lost connection or a held lock
   * would not. The completer then commits a refused group one by one, failing only the culprit.
   */
  abstract refusedData(error: unknown): boolean;

  /**
   * Publishes events (small JSON texts) to every process on this database that subscribed:
   * PostgreSQL NOTIFY on a channel of its own, SQLite a row each in the change feed, which is
   * pruned as it goes. One statement for the lot. At-most-once: nothing retries a lost publish.
   */
  abstract publishEvents(payloads: readonly string[]): Promise<void>;
  /**
   * Subscribes to what any process (this one included) publishes from now on. PostgreSQL delivers
   * as NOTIFY arrives; SQLite reads the feed every `pollIntervalMs`. Returns the unsubscribe.
   */
  abstract subscribeEvents(onEvent: (payload: string) => void, pollIntervalMs: number): Promise<() => Promise<void>>;

  /**
   * Subscribes to wake-ups: `onWake(queue)` is called when runs become due in another process
   * (PostgreSQL LISTEN/NOTIFY). Backends without such a channel rely on polling: this default
   * subscribes to nothing. Returns a function that unsubscribes.
   */
  async listen(onWake: (queue: string) => void): Promise<() => Promise<void>> {
    void onWake;
    return async () => undefined;
  }
}
