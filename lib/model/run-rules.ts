import { JobRunStatus, type ContinueCondition } from './statuses.js';

/**
 * The rules of a run's life, in one place: which statuses an operation may start from, and what a
 * finished parent means for its continuations. Storages turn these lists into SQL (see sqlList).
 */

/** Statuses a run never leaves on its own. */
export const FINISHED_STATUSES: readonly JobRunStatus[] = [JobRunStatus.Completed, JobRunStatus.Failed, JobRunStatus.Cancelled];

/** What cancel() may stop: a run not yet finished. */
export const CANCELLABLE_STATUSES: readonly JobRunStatus[] = [JobRunStatus.Pending, JobRunStatus.Running, JobRunStatus.Awaiting];

/** What retry() may put back in the queue: a run that ended without completing. */
export const REQUEUEABLE_STATUSES: readonly JobRunStatus[] = [JobRunStatus.Failed, JobRunStatus.Cancelled];

/** A run of the job is waiting or executing (a schedule with preventOverlap skips its tick). */
export const ACTIVE_STATUSES: readonly JobRunStatus[] = [JobRunStatus.Pending, JobRunStatus.Running];

export const isFinished = (status: JobRunStatus): boolean => FINISHED_STATUSES.includes(status);

/**
 * The continuation conditions a parent that ended in `status` satisfies: a completed parent
 * releases 'success' and 'always'; a failed or cancelled one releases 'failure' and 'always'.
 * Every other awaiting child of a finished parent is cancelled.
 */
export function releasedConditions(status: JobRunStatus): readonly ContinueCondition[] {
  if (status === JobRunStatus.Completed) return ['success', 'always'];
  if (status === JobRunStatus.Failed || status === JobRunStatus.Cancelled) return ['failure', 'always'];
  return [];
}

/** Why an awaiting continuation was cancelled instead of released. */
export const conditionNotMet = (parentStatus: JobRunStatus): string => `continuation condition not met: parent ended ${parentStatus}`;

/** A list of statuses as SQL literals: `'pending', 'running'`. The values are our own enum strings. */
export const sqlList = (values: readonly string[]): string => values.map((value) => `'${value}'`).join(', ');
