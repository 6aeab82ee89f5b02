import type { RegisteredJob } from '../discovery/job-registry.js';
import { JobLogLevel } from '../model/statuses.js';
import type { AttemptLease, AttemptLogLine, ClaimedRun, RunFailure } from '../storage/job-storage.types.js';
import { maxAttempts, nextAttempt } from './next-attempt.js';

/** What a failed attempt records: the failure under its lease, and the error line in its logs. */
export interface AttemptFailure {
  failure: RunFailure;
  line: AttemptLogLine;
  /** Attempts the run may make in all. */
  maxAttempts: number;
}

/**
 * The record of attempt `lease.attempt` failing with `error` at `now`: retried at the time
 * nextAttempt gives, or the run's end. `error` is toError's plain Error, so reading its fields
 * cannot throw.
 */
export function attemptFailure(lease: AttemptLease, run: ClaimedRun, job: RegisteredJob, error: Error, durationMs: number, now: Date): AttemptFailure {
  const next = nextAttempt(run, job, error, now);
  const retryAt = next.kind === 'retry' ? next.at : null;
  const max = maxAttempts(run, job);
  const ending = retryAt ? `; retry at ${retryAt.toISOString()}` : next.kind === 'unrecoverable' ? '; unrecoverable, not retried' : '; no attempts left';
  const details = error.stack ?? null;
  return {
    failure: { ...lease, errorMessage: error.message, errorDetails: details, completedAt: now, durationMs, retryAt },
    line: {
      runId: run.id,
      level: JobLogLevel.Error,
      message: `attempt ${lease.attempt} of ${max} failed: ${error.message}${ending}`,
      exception: details,
      lease,
      category: 'zapjobs',
    },
    maxAttempts: max,
  };
}
