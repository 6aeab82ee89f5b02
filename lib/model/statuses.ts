/** Where a run is in its life. Stored as these strings, so the table reads plainly in SQL. */
export enum JobRunStatus {
  /** Waiting to be claimed (possibly scheduled for later, or waiting for a retry). */
  Pending = 'pending',
  /** Claimed by a worker, whose heartbeat keeps the claim alive. */
  Running = 'running',
  Completed = 'completed',
  /** Ended after its last attempt failed (dead-lettered): kept for inspection, retryable by hand. */
  Failed = 'failed',
  Cancelled = 'cancelled',
  /** A continuation waiting for its parent run to finish. */
  Awaiting = 'awaiting',
}

/** What created a run. */
export enum JobTriggerType {
  Manual = 'manual',
  Scheduled = 'scheduled',
  Continuation = 'continuation',
}

export enum ScheduleType {
  None = 'none',
  Cron = 'cron',
  Interval = 'interval',
}

export enum JobLogLevel {
  Debug = 'debug',
  Info = 'info',
  Warn = 'warn',
  Error = 'error',
}

/** When a continuation runs: after its parent completes, fails (or is cancelled), or either. */
export type ContinueCondition = 'success' | 'failure' | 'always';
