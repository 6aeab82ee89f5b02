import type { EntityManager } from 'typeorm';
import type { ContinueCondition, JobRunStatus } from '../model/statuses.js';
import type { Duration } from '../util/duration.js';

/** Per-run options of `JobScheduler.enqueue()`. */
export interface EnqueueOptions {
  /** Queue of this run. @default the job's queue */
  queue?: string;
  /** Run no earlier than this long from now (ms or '10m'). */
  delay?: Duration;
  /** Run no earlier than this time. */
  runAt?: Date;
  /** Higher runs first within a queue. @default the job's priority */
  priority?: number;
  /** Groups related runs; findable with listRuns({ correlationId }). */
  correlationId?: string;
  /** Retries for this run, overriding the job's. */
  maxRetries?: number;
  /**
   * Deduplicates: at most one run of this job holds the key in the counted states (see
   * UniqueOptions). `true` takes the job's `@Job({ unique })` (or `{}`), `false` turns it off; the
   * fields given here win over the job's. @default the job's `unique`, or none
   */
  unique?: UniqueOptions | boolean;
}

/** What a unique enqueue does when a run already holds its key. */
export type UniqueOnConflict = 'skip' | 'replace';

/**
 * A unique (deduplicated) run: while a run of the same job holds the same key in one of the
 * counted `states`, enqueueing another stores nothing and returns the holder's id. Enforced by a
 * unique index in the database, so it holds across processes and hosts.
 */
export interface UniqueOptions {
  /** The key. @default a SHA-256 of the input's canonical JSON (object keys sorted): equal inputs, one run */
  key?: string;
  /**
   * A window: the key counts only within one fixed bucket of this length, aligned to the Unix epoch
   * (floor(enqueue time / window)). With '1h', runs enqueued at 10:59 and 11:00 do not collide.
   * @default none: the key counts as long as its run is in a counted state
   */
  for?: Duration;
  /**
   * The statuses in which a stored run holds its key, stored with the run. A key is free again as
   * soon as its run moves to a status not listed.
   * @default ['pending', 'awaiting', 'running']
   */
  states?: readonly `${JobRunStatus}`[];
  /**
   * 'skip' returns the holder's id and stores nothing; 'replace' also gives a holder that is
   * pending (not yet running) this enqueue's input and scheduled time; a holder in another status
   * is left as it is, as with 'skip'. @default 'skip'
   */
  onConflict?: UniqueOnConflict;
}

/** What `JobScheduler.enqueueDetailed()` tells: which run the call stands for, and whether it made it. */
export interface EnqueueResult {
  runId: string;
  /** True when this call stored a new run; false when a run holding the unique key was found. */
  created: boolean;
  /** True when onConflict 'replace' gave the pending holder this call's input and scheduled time. */
  replaced: boolean;
}

/**
 * Enqueue through the application's own transaction: `enqueue(job, input, { manager })`,
 * `enqueueMany(items, { manager })`, and the same for enqueueDetailed and enqueueManyDetailed.
 */
export interface TransactionOptions {
  /**
   * The EntityManager of an open TypeORM transaction of the application
   * (`dataSource.transaction(async (manager) => ...)`, or a QueryRunner's `manager` after
   * `startTransaction()`), on ZapJobs' database: the same SQLite file, or the same PostgreSQL
   * database. The runs are inserted through that transaction: they exist if it commits, and never
   * if it rolls back. Local workers are woken, and 'enqueued' emitted, after the commit. A unique
   * run's key is taken by that transaction: a rollback frees it, and an enqueue of the same key
   * elsewhere waits for the commit (then gets this run) or the rollback (then stores its own).
   * @default none: the runs are committed at once, on ZapJobs' own connection
   */
  manager?: EntityManager;
}

/** Options of `JobScheduler.continueWith()`. */
export interface ContinuationOptions extends Omit<EnqueueOptions, 'delay' | 'runAt' | 'unique'> {
  /**
   * When the continuation runs: after the parent completes, fails, or either. With several parents:
   * 'success' when all completed, 'failure' when one failed or was cancelled, 'always' when all ended.
   * @default 'success'
   */
  condition?: ContinueCondition;
  /** Use the parent's output as this run's input (with several parents: the array of their outputs, in their order). @default false */
  passParentOutput?: boolean;
}

/** A schedule set at run time with `JobScheduler.schedule()`. */
export interface ScheduleOptions {
  cron?: string;
  interval?: Duration;
  /** IANA time zone of the cron expression. @default 'UTC' */
  timezone?: string;
}

/**
 * A named schedule: one of many per job type (`jobs.schedule(ReportJob, { key: 'tenant-42', cron, input })`).
 * Declaring it again with the same key replaces it (its next tick kept when the timing is the same).
 */
export interface NamedScheduleOptions<Input = unknown> extends ScheduleOptions {
  /** Names the schedule; unique across jobs. */
  key: string;
  /** Input of each run it fires (checked as an enqueue's). @default the job's defaultInput */
  input?: Input;
  /** After downtime: 'once' fires one catch-up run, 'skip' none. @default 'once' */
  misfire?: 'once' | 'skip';
  /** A disabled schedule keeps its row and fires nothing. @default true */
  enabled?: boolean;
}

/**
 * Callbacks of a batch: runs of these jobs fire once, when every child has finished. Each gets the
 * batch's summary (BatchSummary) as its input.
 */
export interface BatchOptions {
  /** Fires when every child completed. */
  onSuccess?: JobRefLike;
  /** Fires when at least one child failed (after its retries) or was cancelled. */
  onFailure?: JobRefLike;
  /** Fires in either case. */
  onComplete?: JobRefLike;
  description?: string;
  /** The summary also holds every child's output (BatchSummary.outputs): mind its size for big batches. @default false */
  includeOutputs?: boolean;
}

/** A job class or id (as JobRef; repeated here so that this file stays a leaf). */
type JobRefLike = string | (abstract new (...args: never[]) => unknown);

/** What a batch callback receives as its input. */
export interface BatchSummary {
  batchId: string;
  description: string | null;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Every child's run id, in id order (the order of creation to the millisecond). */
  childIds: string[];
  /** Each child's output by run id (null for a child that did not complete), with `includeOutputs: true`. */
  outputs?: Record<string, unknown>;
}

export interface BatchResult {
  batchId: string;
  /** The children's run ids, in the order of the items. */
  runIds: string[];
  /** The callbacks' run ids: onSuccess, onFailure, onComplete, those given. */
  callbackRunIds: string[];
}
