import type { JobRun } from '../../model/job-run.js';
import { JobRunStatus } from '../../model/statuses.js';
import { formatSpan, formatTime, type Cell, type Column, type Style } from '../output.js';

/** One colour per status, the same in every table. */
export function statusStyle(status: JobRunStatus | string | null): Style | undefined {
  switch (status) {
    case JobRunStatus.Completed: return 'green';
    case JobRunStatus.Failed: return 'red';
    case JobRunStatus.Running: return 'cyan';
    case JobRunStatus.Pending: return 'yellow';
    case JobRunStatus.Awaiting: return 'magenta';
    case JobRunStatus.Cancelled: return 'dim';
    default: return undefined;
  }
}

export const RUN_COLUMNS: Column[] = [
  { header: 'ID' }, { header: 'JOB' }, { header: 'QUEUE' }, { header: 'STATUS' }, { header: 'ATTEMPT', align: 'right' },
  { header: 'CREATED' }, { header: 'DURATION', align: 'right' }, { header: 'ERROR', flex: true },
];

export function runCells(run: JobRun): Cell[] {
  return [
    run.id, run.jobTypeId, run.queue, { text: run.status, style: statusStyle(run.status) },
    run.maxRetries === null ? String(run.attemptNumber) : `${run.attemptNumber}/${run.maxRetries + 1}`,
    formatTime(run.createdAt), formatSpan(run.durationMs), { text: run.errorMessage ?? '', style: 'red' },
  ];
}
