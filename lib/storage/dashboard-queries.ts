import type { JobDefinition, JobLog, JobRun, WorkerHeartbeat } from '../model/job-run.js';
import type { JobRunStatus } from '../model/statuses.js';

/**
 * What the dashboard searches runs by. Every field narrows; none given means every run. The time
 * range is on the creation time; `text` is a case-insensitive substring of the input, output,
 * error message or stack (SQL LIKE, so it needs no index of its own and works on both backends).
 * A LIKE reads every row it is given, so the dashboard gives it only the newest runs (textWindow).
 */
export interface RunSearch {
  status?: readonly JobRunStatus[];
  jobTypeId?: string;
  queue?: string;
  correlationId?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  text?: string;
}

/** One page of runs, newest first, and the cursor of the next page (null: this is the last). */
export interface RunPage {
  runs: JobRun[];
  next: string | null;
}

export interface QueueStatusCount {
  queue: string;
  status: JobRunStatus;
  count: number;
}

/** Runs that finished in one bucket of time (a minute or an hour) starting at `at`. */
export interface SeriesPoint {
  at: Date;
  completed: number;
  failed: number;
}

/** The due pending runs of a queue: how many, and since when the oldest has waited. */
export interface QueueBacklog {
  queue: string;
  pending: number;
  oldestScheduledAt: Date;
}

/** A run's log lines grouped by the attempt that wrote them (attempt null: written outside an attempt). */
export interface AttemptLogs {
  attempt: number | null;
  lines: JobLog[];
}

export interface RunDetail {
  run: JobRun;
  children: JobRun[];
  logs: AttemptLogs[];
}

/**
 * The reads and bulk writes of the dashboard, written once over both dialects (sql/dashboard-queries.ts).
 * Internal: the dashboard entry uses it; applications keep JobStorage.
 */
export interface DashboardQueries {
  /** Runs per queue and status, of these statuses (all by default); a queue without runs of a status has no entry for it. */
  countsByQueue(statuses?: readonly JobRunStatus[]): Promise<QueueStatusCount[]>;
  /** Runs matching `search`, newest first; `cursor` is a previous page's `next`. */
  searchRuns(search: RunSearch, limit: number, cursor?: string | null): Promise<RunPage>;
  /** How many runs match (for the confirmation of a bulk action). */
  countRuns(search: RunSearch): Promise<number>;
  /**
   * Where a text search of at most `runs` rows starts: the creation time of the `runs`-th newest run
   * within the search's time range (whatever its other filters), or null when there is no text or
   * the range holds fewer runs, so the search reads them all anyway.
   */
  textWindow(search: RunSearch, runs: number): Promise<Date | null>;
  runDetail(runId: string, logLimit?: number): Promise<RunDetail | null>;
  definitions(): Promise<JobDefinition[]>;
  /** Every heartbeat row, live or not. */
  workers(): Promise<WorkerHeartbeat[]>;
  /** Completed and failed runs per bucket of `bucketMs` over the last `spanMs`, oldest first, empty buckets included. */
  finishedSeries(spanMs: number, bucketMs: number): Promise<SeriesPoint[]>;
  /** Queues with due pending runs, with the oldest one's scheduled time. */
  backlogs(): Promise<QueueBacklog[]>;
  /** Ids of runs matching `search` whose status is in `statuses`, newest first, after `cursor`; for bulk actions. */
  idsPage(search: RunSearch, statuses: readonly JobRunStatus[], limit: number, cursor?: string | null): Promise<{ ids: string[]; next: string | null }>;
  /** Deletes these runs, if finished, with their logs; returns how many went. */
  deleteFinished(ids: readonly string[]): Promise<number>;
}
