import type { EntityManager } from 'typeorm';
import type { ContinueCondition } from '../model/statuses.js';
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
}

/** Enqueue through the application's own transaction: `enqueue(job, input, { manager })`, `enqueueMany(items, { manager })`. */
export interface TransactionOptions {
  /**
   * The EntityManager of an open TypeORM transaction of the application
   * (`dataSource.transaction(async (manager) => ...)`, or a QueryRunner's `manager` after
   * `startTransaction()`), on ZapJobs' database: the same SQLite file, or the same PostgreSQL
   * database. The runs are inserted through that transaction: they exist if it commits, and never
   * if it rolls back. Local workers are woken, and 'enqueued' emitted, after the commit.
   * @default none: the runs are committed at once, on ZapJobs' own connection
   */
  manager?: EntityManager;
}

/** Options of `JobScheduler.continueWith()`. */
export interface ContinuationOptions extends Omit<EnqueueOptions, 'delay' | 'runAt'> {
  /** When the continuation runs: after the parent completes, fails, or either. @default 'success' */
  condition?: ContinueCondition;
  /** Use the parent's output as this run's input. @default false */
  passParentOutput?: boolean;
}

/** A schedule set at run time with `JobScheduler.schedule()`. */
export interface ScheduleOptions {
  cron?: string;
  interval?: Duration;
  /** IANA time zone of the cron expression. @default 'UTC' */
  timezone?: string;
}
