import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  BadRequestException, ConflictException, HttpException, Inject, Injectable, Logger, NotFoundException, type OnApplicationBootstrap,
} from '@nestjs/common';
import { JobScheduler } from '../client/job-scheduler.js';
import {
  InvalidPayloadError, InvalidRunStateError, InvalidScheduleError, JobInputValidationError, RunNotFoundError, UnknownJobError,
} from '../errors/errors.js';
import type { JobDefinition, JobRun, WorkerHeartbeat } from '../model/job-run.js';
import { CANCELLABLE_STATUSES, FINISHED_STATUSES, REQUEUEABLE_STATUSES } from '../model/run-rules.js';
import { JobRunStatus } from '../model/statuses.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import type { DashboardQueries, QueueBacklog, QueueStatusCount, RunDetail, RunPage, RunSearch, SeriesPoint } from '../storage/dashboard-queries.js';
import { EngineStorage } from '../storage/engine-storage.js';
import { JobStorage } from '../storage/job-storage.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { DASHBOARD_OPTIONS, type ResolvedDashboardOptions } from './dashboard-options.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Runs per batch of a bulk action: each batch is a short read, then one short transaction per run. */
export const BULK_BATCH = 100;

export type BulkAction = 'retry' | 'cancel' | 'delete';
export const BULK_ACTIONS: readonly BulkAction[] = ['retry', 'cancel', 'delete'];
/** The statuses each bulk action may start from (the same rules as the single actions). */
const BULK_STATUSES: Record<BulkAction, readonly JobRunStatus[]> = {
  retry: REQUEUEABLE_STATUSES,
  cancel: CANCELLABLE_STATUSES,
  delete: FINISHED_STATUSES,
};

export interface WorkerView extends WorkerHeartbeat {
  stale: boolean;
}

export interface Overview {
  totals: Record<JobRunStatus, number>;
  counts: QueueStatusCount[];
  lastHour: SeriesPoint[];
  lastDay: SeriesPoint[];
  backlogs: Array<QueueBacklog & { oldestAgeMs: number }>;
  workers: WorkerView[];
  /** Queues holding due pending runs that no live worker takes. */
  unattendedQueues: string[];
}

export interface BulkResult {
  action: BulkAction;
  /** Runs the action applied to. */
  done: number;
  /** Runs that matched but changed state meanwhile (or, for retry, whose unique key is held again). */
  skipped: number;
}

/** ZapJobs' errors as the HTTP statuses that say what happened. */
export function toHttp(error: unknown): never {
  if (error instanceof HttpException) throw error;
  if (error instanceof RunNotFoundError || error instanceof UnknownJobError) throw new NotFoundException(error.message);
  if (error instanceof InvalidRunStateError) throw new ConflictException(error.message);
  if (error instanceof JobInputValidationError) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: error.message, errors: error.errors });
  if (error instanceof InvalidPayloadError || error instanceof InvalidScheduleError) throw new BadRequestException(error.message);
  throw error;
}

/** What the pages and the API show and do, in one place, so both say the same. */
@Injectable()
export class DashboardService implements OnApplicationBootstrap {
  private readonly queries: DashboardQueries;

  constructor(
    storage: JobStorage,
    private readonly jobs: JobScheduler,
    @Inject(ZAPJOBS_OPTIONS) private readonly zapjobs: ResolvedZapJobsOptions,
    @Inject(DASHBOARD_OPTIONS) readonly options: ResolvedDashboardOptions,
  ) {
    // The module provides one object as JobStorage and EngineStorage; only the latter has the dashboard's reads.
    if (!(storage instanceof EngineStorage)) throw new Error('ZapJobsDashboardModule needs the storage of ZapJobsModule');
    this.queries = storage.dashboard();
  }

  onApplicationBootstrap(): void {
    if (this.options.auth === 'none') {
      new Logger('ZapJobsDashboard').warn(
        `The dashboard at ${this.options.path} is open to anyone who can reach this server (auth: 'none'): use it for local development only.`,
      );
    }
  }

  private get staleAfterMs(): number {
    return this.options.staleAfterMs ?? this.zapjobs.staleAfter;
  }

  async overview(now = Date.now()): Promise<Overview> {
    const [counts, lastHour, lastDay, backlogs, workers] = await Promise.all([
      this.queries.countsByQueue(),
      this.queries.finishedSeries(HOUR, MINUTE),
      this.queries.finishedSeries(24 * HOUR, HOUR),
      this.queries.backlogs(),
      this.workers(now),
    ]);
    const totals = Object.fromEntries(Object.values(JobRunStatus).map((s) => [s, 0])) as Record<JobRunStatus, number>;
    for (const c of counts) totals[c.status] += c.count;
    const served = new Set(workers.filter((w) => !w.stale).flatMap((w) => w.queues));
    return {
      totals,
      counts,
      lastHour,
      lastDay,
      backlogs: backlogs.map((b) => ({ ...b, oldestAgeMs: Math.max(0, now - b.oldestScheduledAt.getTime()) })),
      workers,
      unattendedQueues: backlogs.map((b) => b.queue).filter((q) => !served.has(q)),
    };
  }

  async counts(): Promise<{ totals: Record<JobRunStatus, number>; byQueue: QueueStatusCount[] }> {
    const byQueue = await this.queries.countsByQueue();
    const totals = Object.fromEntries(Object.values(JobRunStatus).map((s) => [s, 0])) as Record<JobRunStatus, number>;
    for (const c of byQueue) totals[c.status] += c.count;
    return { totals, byQueue };
  }

  runs(search: RunSearch, limit: number, cursor?: string): Promise<RunPage> {
    return this.queries.searchRuns(search, limit, cursor).catch(toHttp);
  }

  countMatching(search: RunSearch): Promise<number> {
    return this.queries.countRuns(search);
  }

  async run(runId: string): Promise<RunDetail> {
    const detail = await this.queries.runDetail(runId);
    if (!detail) throw new NotFoundException(`Run '${runId}' does not exist.`);
    return detail;
  }

  definitions(): Promise<JobDefinition[]> {
    return this.queries.definitions();
  }

  async definition(jobTypeId: string): Promise<JobDefinition> {
    const found = (await this.queries.definitions()).find((d) => d.jobTypeId === jobTypeId);
    if (!found) throw new NotFoundException(`Job '${jobTypeId}' does not exist.`);
    return found;
  }

  async workers(now = Date.now()): Promise<WorkerView[]> {
    return (await this.queries.workers()).map((w) => ({ ...w, stale: now - w.lastHeartbeat.getTime() > this.staleAfterMs }));
  }

  async retry(runId: string): Promise<JobRun> {
    await this.jobs.retry(runId).catch(toHttp);
    return (await this.run(runId)).run;
  }

  async cancel(runId: string): Promise<JobRun> {
    const cancelled = await this.jobs.cancel(runId).catch(toHttp);
    const { run } = await this.run(runId);
    if (!cancelled) throw new ConflictException(`Run '${runId}' is ${run.status}: only pending, awaiting or running runs can be cancelled.`);
    return run;
  }

  /** A new run of the same job, with the run's input or `input` (validated by the job's input class, if it has one). */
  async rerun(runId: string, input?: unknown): Promise<string> {
    const { run } = await this.run(runId);
    return this.jobs.enqueue(run.jobTypeId, input === undefined ? run.input ?? undefined : input).catch(toHttp);
  }

  async trigger(jobTypeId: string, input?: unknown): Promise<string> {
    await this.definition(jobTypeId);
    return (input === undefined ? this.jobs.trigger(jobTypeId) : this.jobs.enqueue(jobTypeId, input)).catch(toHttp);
  }

  async setEnabled(jobTypeId: string, enabled: boolean): Promise<JobDefinition> {
    await this.jobs.setEnabled(jobTypeId, enabled).catch(toHttp);
    return this.definition(jobTypeId);
  }

  /** The statuses a bulk action touches among those the filter names (all it may start from, when the filter names none). */
  bulkStatuses(action: BulkAction, search: RunSearch): JobRunStatus[] {
    const allowed = BULK_STATUSES[action];
    return search.status ? search.status.filter((s) => allowed.includes(s)) : [...allowed];
  }

  /**
   * Applies an action to every run matching `search` (and in a status the action may start from), in
   * batches of BULK_BATCH walked by keyset, so a run is visited once even if it matches again after
   * the action (a retried run that fails again), and the event loop turns between batches.
   */
  async bulk(action: BulkAction, search: RunSearch): Promise<BulkResult> {
    if (!BULK_ACTIONS.includes(action)) throw new BadRequestException(`action: expected one of ${BULK_ACTIONS.join(', ')}, got '${String(action)}'`);
    const result: BulkResult = { action, done: 0, skipped: 0 };
    let cursor: string | null = null;
    do {
      const page: { ids: string[]; next: string | null } = await this.queries.idsPage(search, BULK_STATUSES[action], BULK_BATCH, cursor);
      cursor = page.next;
      if (action === 'delete') {
        const gone = await this.queries.deleteFinished(page.ids);
        result.done += gone;
        result.skipped += page.ids.length - gone;
      } else {
        for (const id of page.ids) {
          const ok = await (action === 'retry' ? this.jobs.retry(id).then(() => true) : this.jobs.cancel(id)).catch((error: unknown) => {
            if (error instanceof InvalidRunStateError || error instanceof RunNotFoundError) return false;
            throw error;
          });
          if (ok) result.done++;
          else result.skipped++;
        }
      }
      if (cursor) await nextTurn();
    } while (cursor);
    return result;
  }
}
