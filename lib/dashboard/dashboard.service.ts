import { performance } from 'node:perf_hooks';
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

const PAST_HOURS_MAX_AGE_MS = 60_000;
const LIVE_STATUSES: readonly JobRunStatus[] = Object.values(JobRunStatus).filter((s) => !FINISHED_STATUSES.includes(s));

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

/** A text search that read only the newest `runs` runs: those created since `since`. */
export interface SearchedWindow {
  runs: number;
  since: Date;
}

interface FinishedFigures {
  counts: QueueStatusCount[];
  lastHour: SeriesPoint[];
  lastDay: SeriesPoint[];
  asOf: Date;
}

export interface Overview {
  totals: Record<JobRunStatus, number>;
  counts: QueueStatusCount[];
  lastHour: SeriesPoint[];
  lastDay: SeriesPoint[];
  /**
   * When the figures of finished runs (their counts and the charts) were counted: up to the option
   * finishedCountsMaxAgeMs ago. Pending, running and awaiting counts, backlogs and workers are current.
   */
  finishedAsOf: Date;
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
  /** Present when the filter has text: the action looked at the newest runs only. */
  searched?: SearchedWindow;
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
  private finished: { at: number; figures: Promise<FinishedFigures> } | undefined;
  private pastHours: { at: number; hour: number; points: SeriesPoint[] } | undefined;

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

  /**
   * The counts of finished runs and the charts, counted at most once per finishedCountsMaxAgeMs
   * (concurrent requests share one count), and again at once after an action of this dashboard.
   * They change slowly and cost the most: at a million runs, a quarter of a second on SQLite's
   * one thread, which the process's workers wait for.
   */
  private finishedFigures(): Promise<FinishedFigures> {
    const at = performance.now();
    if (this.finished && at - this.finished.at < this.options.finishedCountsMaxAgeMs) return this.finished.figures;
    const asOf = new Date();
    const figures = Promise.all([this.queries.countsByQueue(FINISHED_STATUSES), this.queries.finishedSeries(HOUR, MINUTE)])
      .then(async ([counts, lastHour]) => ({ counts, lastHour, lastDay: await this.lastDay(lastHour), asOf }));
    const entry = { at, figures };
    this.finished = entry;
    figures.catch(() => {
      if (this.finished === entry) this.finished = undefined;
    });
    return figures;
  }

  /**
   * The day's chart: its hours before the current one are reused for PAST_HOURS_MAX_AGE_MS (they
   * change only when old runs are deleted or retried, and are counted again once the hour turns);
   * the current hour is the sum of its minutes in the last hour's chart, counted anyway.
   */
  private async lastDay(lastHour: SeriesPoint[]): Promise<SeriesPoint[]> {
    const hour = Math.floor(lastHour[lastHour.length - 1].at.getTime() / HOUR) * HOUR;
    const reused = this.pastHours;
    if (reused && reused.hour === hour && performance.now() - reused.at < PAST_HOURS_MAX_AGE_MS) {
      const current: SeriesPoint = { at: new Date(hour), completed: 0, failed: 0 };
      for (const p of lastHour) {
        if (p.at.getTime() < hour) continue;
        current.completed += p.completed;
        current.failed += p.failed;
      }
      return [...reused.points.slice(0, -1), current];
    }
    const at = performance.now();
    const points = await this.queries.finishedSeries(24 * HOUR, HOUR);
    this.pastHours = { at, hour: points[points.length - 1].at.getTime(), points };
    return points;
  }


  /** After an action: its user sees what it did, not counts from before it. */
  private changed(): void {
    this.finished = undefined;
    this.pastHours = undefined;
  }

  private async allCounts(): Promise<{ counts: QueueStatusCount[]; totals: Record<JobRunStatus, number>; finished: FinishedFigures }> {
    const [finished, live] = await Promise.all([this.finishedFigures(), this.queries.countsByQueue(LIVE_STATUSES)]);
    const counts = [...finished.counts, ...live].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
    const totals = Object.fromEntries(Object.values(JobRunStatus).map((s) => [s, 0])) as Record<JobRunStatus, number>;
    for (const c of counts) totals[c.status] += c.count;
    return { counts, totals, finished };
  }

  async overview(now = Date.now()): Promise<Overview> {
    const [{ counts, totals, finished }, backlogs, workers] = await Promise.all([this.allCounts(), this.queries.backlogs(), this.workers(now)]);
    const served = new Set(workers.filter((w) => !w.stale).flatMap((w) => w.queues));
    return {
      totals,
      counts,
      lastHour: finished.lastHour,
      lastDay: finished.lastDay,
      finishedAsOf: finished.asOf,
      backlogs: backlogs.map((b) => ({ ...b, oldestAgeMs: Math.max(0, now - b.oldestScheduledAt.getTime()) })),
      workers,
      unattendedQueues: backlogs.map((b) => b.queue).filter((q) => !served.has(q)),
    };
  }

  async counts(): Promise<{ totals: Record<JobRunStatus, number>; byQueue: QueueStatusCount[]; finishedAsOf: Date }> {
    const { counts, totals, finished } = await this.allCounts();
    return { totals, byQueue: counts, finishedAsOf: finished.asOf };
  }

  /**
   * `search` narrowed to the newest options.textSearchRuns runs when it has text (a LIKE, which reads
   * every row it is given) and its time range holds more runs than that.
   */
  private async windowed(search: RunSearch): Promise<{ search: RunSearch; searched?: SearchedWindow }> {
    const runs = this.options.textSearchRuns;
    const since = await this.queries.textWindow(search, runs);
    if (!since) return { search };
    return { search: { ...search, from: search.from && search.from > since ? search.from : since }, searched: { runs, since } };
  }

  async runs(search: RunSearch, limit: number, cursor?: string): Promise<RunPage & { searched?: SearchedWindow }> {
    const { search: bounded, searched } = await this.windowed(search);
    const page = await this.queries.searchRuns(bounded, limit, cursor).catch(toHttp);
    return searched ? { ...page, searched } : page;
  }

  async countMatching(search: RunSearch): Promise<{ count: number; searched?: SearchedWindow }> {
    const { search: bounded, searched } = await this.windowed(search);
    const count = await this.queries.countRuns(bounded).catch(toHttp);
    return searched ? { count, searched } : { count };
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
    this.changed();
    return (await this.run(runId)).run;
  }

  async cancel(runId: string): Promise<JobRun> {
    const cancelled = await this.jobs.cancel(runId).catch(toHttp);
    this.changed();
    const { run } = await this.run(runId);
    if (!cancelled) throw new ConflictException(`Run '${runId}' is ${run.status}: only pending, awaiting or running runs can be cancelled.`);
    return run;
  }

  /**
   * A copy of the run, as a new run: the same job, queue, priority, correlation id and maxRetries,
   * with the run's input or `input` (validated by the job's input class, if it has one). Due now.
   */
  async rerun(runId: string, input?: unknown): Promise<string> {
    const { run } = await this.run(runId);
    const options = { queue: run.queue, priority: run.priority, ...(run.correlationId === null ? {} : { correlationId: run.correlationId }), ...(run.maxRetries === null ? {} : { maxRetries: run.maxRetries }) };
    return this.jobs.enqueue(run.jobTypeId, input === undefined ? run.input ?? undefined : input, options).catch(toHttp);
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
    // The window is fixed once, so that the batches walk one set of runs.
    const { search: bounded, searched } = await this.windowed(search);
    const result: BulkResult = searched ? { action, done: 0, skipped: 0, searched } : { action, done: 0, skipped: 0 };
    try {
      await this.bulkIn(action, bounded, result);
    } finally {
      this.changed();
    }
    return result;
  }

  private async bulkIn(action: BulkAction, search: RunSearch, result: BulkResult): Promise<void> {
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
  }
}
