import type { Duration } from '../util/duration.js';

/** Exponential backoff between attempts: delay = initialDelay * multiplier^(attempt-1), capped, with jitter. */
export interface RetryPolicy {
  /** Delay before the first retry. @default '5s' */
  initialDelay?: Duration;
  /** Factor applied per further attempt. @default 2 */
  multiplier?: number;
  /** Upper bound of any delay. @default '1h' */
  maxDelay?: Duration;
  /** Fraction of the delay randomised, 0 to 1 (0.2 = +-20%). @default 0.2 */
  jitter?: number;
}

/**
 * Options of `ZapJobsModule.forRoot()`. Durations take milliseconds or strings such as '30s', '10m',
 * rounded to whole milliseconds, up to 100 years (MAX_DURATION_MS: a longer one is refused as a likely
 * typo). Long durations work as given: timers past Node's 2^31 ms (24.8 days) limit are chained, so
 * `shutdownTimeout: '30d'` waits 30 days rather than firing at once. Minimums are given per option.
 */
/** A queue with a cap on this process's slots its runs may hold. */
export interface QueueOptions {
  name: string;
  /** At most this many runs of this queue at once in this process (1 to the global concurrency). @default the global concurrency */
  concurrency?: number;
}

/** Events across processes (see ZapJobsEvents). */
export interface EventsOptions {
  /**
   * Publish this process's run events to every process on the same database, and hear theirs
   * (`remote: true` on the payload): PostgreSQL by NOTIFY on a channel of its own (one more
   * connection, for LISTEN), SQLite through a change feed table read every `pollInterval`. Set it
   * on the processes whose events others should hear and on those that listen: off, a process
   * pays nothing for it. Delivery is at-most-once; the stored run is the truth. @default false
   */
  crossProcess?: boolean;
}

/** An outbound webhook: each matching event is POSTed as JSON, signed, by a ZapJobs job (retried with backoff). */
export interface WebhookOptions {
  /** http(s) URL the event is POSTed to. */
  url: string;
  /** Events sent to it. @default every event but 'progress' */
  events?: Array<'enqueued' | 'started' | 'progress' | 'completed' | 'failed' | 'retrying' | 'cancelled'>;
  /**
   * Key of the HMAC-SHA256 signature: header `X-ZapJobs-Signature: sha256=<hex of HMAC(secret, `${timestamp}.${body}`)>`,
   * with the timestamp (Unix milliseconds) in `X-ZapJobs-Timestamp`.
   */
  secret: string;
}

/** See `ZapJobsModuleOptions.schedule`. */
export interface ScheduleAdoptionOptions {
  /** Adopt every @Cron() and @Interval() method, marked or not. @default false */
  adopt?: boolean;
}

export interface ZapJobsModuleOptions {
  /** Storage backend: 'sqlite' (one file, one host) or 'postgres' (many workers on many hosts). @default 'sqlite' */
  storage?: 'sqlite' | 'postgres';
  /**
   * SQLite: the file path (its folder is created), or ':memory:'. @default 'zapjobs.db'
   * PostgreSQL: the database name when `url` is not given. @default 'postgres'
   */
  database?: string;
  /** PostgreSQL connection URL, e.g. 'postgres://user:password@host:5432/db'. */
  url?: string;
  /** PostgreSQL host when `url` is not given. @default 'localhost' */
  host?: string;
  /** PostgreSQL port when `url` is not given. @default 5432 */
  port?: number;
  /** PostgreSQL user when `url` is not given. */
  username?: string;
  /** PostgreSQL password when `url` is not given. */
  password?: string;
  /** PostgreSQL schema of the ZapJobs tables (created if missing). @default 'public' */
  schema?: string;
  /** PostgreSQL connections in the pool (plus one for LISTEN). @default 10 */
  poolSize?: number;
  /** Prefix of every table and index ZapJobs creates; only [a-z0-9_]. @default 'zj_' */
  tablePrefix?: string;
  /** Run pending migrations when the module starts. @default true */
  autoMigrate?: boolean;
  /** SQLite journal mode; WAL lets readers run beside the one writer. @default 'WAL' */
  journalMode?: 'WAL' | 'DELETE' | 'TRUNCATE' | 'PERSIST' | 'MEMORY';
  /**
   * How long a write waits for another process's lock before failing (SQLite busy_timeout).
   * At most 2147483647 ms (24.8 days): SQLite keeps it in a 32-bit int. @default '5s'
   */
  busyTimeout?: Duration;
  /** Log every SQL statement through TypeORM's logger. @default false */
  logging?: boolean;

  /**
   * Queues this process works, highest priority first. An entry `{ name, concurrency }` caps how many
   * of this process's `concurrency` slots that queue's runs may hold at once (in this process only;
   * for a limit across processes, see `@Job({ concurrency })`).
   * @default ['critical', 'default', 'low']
   * @example queues: [{ name: 'email', concurrency: 5 }, 'default']
   */
  queues?: Array<string | QueueOptions>;
  /** Runs executed at once by this process. @default 10 */
  concurrency?: number;
  /**
   * Runs claimed ahead of free slots, held by this worker (under its lease and heartbeat) until a
   * slot frees: a finished run's slot goes to the next one at once, without waiting for the
   * database, and each round trip claims more. Throughput for short jobs, at a cost in fairness:
   * runs held here wait here even when another worker is idle, and a run of higher priority
   * enqueued after them waits behind them. Released to the queue at shutdown; rescued, the attempt
   * counting, if this process dies. 0 to 1000. @default 0 (claim only for free slots)
   */
  prefetch?: number;
  /**
   * How often idle workers look for runs enqueued by other processes (runs enqueued in this process
   * wake them at once). At least 10 ms: each look is a query. @default '1s'
   */
  pollInterval?: Duration;
  /** How often the worker writes its heartbeat. At least 100 ms: each beat is a write. @default '10s' */
  heartbeatInterval?: Duration;
  /**
   * A worker silent for this long is presumed dead and its runs go back to the queue. Longer than
   * heartbeatInterval, and at least 1 s: a shorter silence is a busy event loop, not a death. @default '1m'
   */
  staleAfter?: Duration;
  /** On shutdown, how long running jobs may take to finish before they are aborted and re-queued. @default '30s' */
  shutdownTimeout?: Duration;
  /** Fire cron and interval schedules in this process. @default true */
  enableScheduler?: boolean;
  /**
   * @nestjs/schedule integration. `{ adopt: true }`: every `@Cron()` and `@Interval()` method runs
   * through ZapJobs (one fire per tick across all processes, a stored run each) instead of
   * @nestjs/schedule's in-process timers. Without it, only methods marked `@AdoptSchedule()` (from
   * '@zapjobs/nestjs/schedule') are adopted. @default { adopt: false }
   */
  schedule?: ScheduleAdoptionOptions;
  /** Claim and run jobs in this process (false: enqueue only). @default true */
  enableWorkers?: boolean;
  /** Stable id of this worker. @default `${hostname}:${pid}:${random}` */
  workerId?: string;
  /** Timeout of an attempt when the job sets none. @default '1h' */
  defaultTimeout?: Duration;
  /** Retries after the first attempt when the job sets none. @default 3 */
  defaultMaxRetries?: number;
  /** Backoff between attempts when the job sets none. */
  retryPolicy?: RetryPolicy;
  /** Finished runs (and their logs) older than this are deleted. @default '7d' */
  retention?: Duration;
  /**
   * Failed runs (and their logs) are kept this long instead, so that the evidence of failures
   * outlives the cleanup of successes. @default '30d', or retention when that is longer
   */
  failedRetention?: Duration;
  /** Logs older than this are deleted even when their run is kept. @default same as retention */
  logRetention?: Duration;
  /** How often the cleanup runs. At least 1 s: each pass scans the runs and logs tables. @default '10m' */
  cleanupInterval?: Duration;
  /** Rows deleted per statement by the cleanup, so that no write holds the lock for long. @default 500 */
  cleanupBatchSize?: number;
  /** Largest input accepted at enqueue, in bytes of JSON. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number;
  /** Events across processes. @default { crossProcess: false } */
  events?: EventsOptions;
  /**
   * Outbound webhooks: the events of the runs of this process (not those heard from others, so each
   * event is sent once), POSTed by the internal job 'zapjobs.webhook' on the 'default' queue, retried
   * with the module's retryPolicy. Its own runs send no webhooks. @default []
   */
  webhooks?: WebhookOptions[];
}
