import { UnrecoverableJobError } from '../errors/errors.js';
import type { ResolvedRetryPolicy } from '../options/resolved-options.js';
import { retryDelay } from './backoff.js';
import { isError, isInstance } from './to-error.js';

/** What a failed attempt leads to: another attempt at `at`, or the end of the run. */
export type NextAttempt =
  | { kind: 'retry'; at: Date }
  /** No attempt left. */
  | { kind: 'failed' }
  /** The handler threw an UnrecoverableJobError: the attempts left are skipped. */
  | { kind: 'unrecoverable' };

/** The run's side of the decision: which attempt failed, and the run's own retry count if any. */
export interface AttemptedRun {
  /** The failed attempt's number, from 1. */
  attemptNumber: number;
  /** Retries set on the run at enqueue (null: the job's). */
  maxRetries: number | null;
}

/** The job's side: its retries (module default already applied) and its backoff. */
export interface RetryingJob {
  maxRetries: number;
  retryPolicy: ResolvedRetryPolicy;
}

/** Attempts a run may make in all: the first one and its retries. */
export function maxAttempts(run: Pick<AttemptedRun, 'maxRetries'>, job: Pick<RetryingJob, 'maxRetries'>): number {
  return (run.maxRetries ?? job.maxRetries) + 1;
}

/**
 * The retry decision, in one place: after attempt `run.attemptNumber` failed with `error` at
 * `now`, whether the run is tried again (when, by the job's exponential backoff with jitter) or
 * ends Failed. An UnrecoverableJobError (or an error caused by one, as toError wraps what a
 * handler threw) skips the attempts that remain. Pure: `random` feeds the jitter.
 */
export function nextAttempt(
  run: AttemptedRun,
  job: RetryingJob,
  error: unknown,
  now: Date | number,
  random: () => number = Math.random,
): NextAttempt {
  if (isUnrecoverable(error)) return { kind: 'unrecoverable' };
  if (run.attemptNumber >= maxAttempts(run, job)) return { kind: 'failed' };
  const from = typeof now === 'number' ? now : now.getTime();
  return { kind: 'retry', at: new Date(from + retryDelay(job.retryPolicy, run.attemptNumber, random)) };
}

function isUnrecoverable(error: unknown): boolean {
  if (isInstance(error, UnrecoverableJobError)) return true;
  if (!isError(error)) return false;
  try {
    return isInstance((error as Error).cause, UnrecoverableJobError);
  } catch {
    return false;
  }
}
