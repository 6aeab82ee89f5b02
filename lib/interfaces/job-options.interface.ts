import type { Type } from '@nestjs/common';
import type { Duration } from '../util/duration.js';
import type { RetryPolicy } from '../options/zapjobs-options.interface.js';
import type { UniqueOptions } from './enqueue-options.interface.js';

/** A key function of a limit: runs with equal keys share the limit. Called at enqueue with the run's input. */
export type LimitKey<Input> = (input: Input) => string;

/**
 * At most `limit` runs of this job Running at once, across every process on the database; with
 * `key`, at most `limit` per key (per-tenant serialisation with `limit: 1`).
 */
export interface ConcurrencyLimit<Input = unknown> {
  limit: number;
  key?: LimitKey<Input>;
}

/**
 * At most `limit` runs of this job started in any `per` long span (a sliding log of start times),
 * across every process; with `key`, per key. Runs over the limit wait, Pending, until the span allows.
 */
export interface RateLimit<Input = unknown> {
  limit: number;
  per: Duration;
  key?: LimitKey<Input>;
}

/** What `@Job()` declares about a handler class. Durations take milliseconds or strings like '30s'. */
export interface JobOptions<Input = unknown> {
  /** Stable id of the job type: runs and definitions refer to it. */
  id: string;
  /** Queue its runs go to unless enqueue says otherwise. @default 'default' */
  queue?: string;
  /** @default the id */
  displayName?: string;
  description?: string;
  tags?: string[];
  /** Higher runs first within a queue. @default 0 */
  priority?: number;
  /** A class-validator class: input is validated against it at enqueue, and reaches handle() as an instance of it. */
  input?: Type<Input>;
  /**
   * Input of runs fired by the schedule or by trigger(). Checked against the `input` class's type
   * (NoInfer: the class alone decides Input, so a default missing a required field fails to compile).
   */
  defaultInput?: NoInfer<Input>;
  /** Time allowed to one attempt. @default the module's defaultTimeout ('1h') */
  timeout?: Duration;
  /** Retries after the first failed attempt. @default the module's defaultMaxRetries (3) */
  maxRetries?: number;
  /** Backoff between attempts. @default the module's retryPolicy */
  retryPolicy?: RetryPolicy;
  /** Cron expression (5 fields, or 6 with seconds), read by the `cron` package. */
  cron?: string;
  /** IANA time zone of the cron expression. @default 'UTC' */
  timezone?: string;
  /** Fire every this long (instead of cron). */
  interval?: Duration;
  /** After downtime: 'once' fires one catch-up run, 'skip' waits for the next tick. @default 'once' */
  misfire?: 'once' | 'skip';
  /** Skip a tick while a run of this job is pending or running. @default false */
  preventOverlap?: boolean;
  /**
   * A disabled job is neither fired nor claimed. When set, it is applied at every start; when left
   * out, a `JobScheduler.setEnabled()` made at run time stands across restarts.
   */
  enabled?: boolean;
  /**
   * Runs of this job Running at once across all processes: a number, or `{ limit, key }` for a limit
   * per key. Enforced by the claim in the database. @default no limit
   */
  concurrency?: number | ConcurrencyLimit<Input>;
  /** Starts of this job per span of time across all processes, e.g. `{ limit: 100, per: '1m' }`. @default no limit */
  rateLimit?: RateLimit<Input>;
  /**
   * Deduplicates every enqueue() and trigger() of this job (see UniqueOptions; `true` is `{}`: one
   * run per distinct input). An enqueue's own `unique` fields win; `unique: false` there turns it
   * off. Not applied to schedule ticks (see preventOverlap) or continuations. @default none
   */
  unique?: UniqueOptions | boolean;
}
