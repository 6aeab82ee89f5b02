import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { jobIdOf } from '../discovery/job-metadata.accessor.js';
import { JobRegistry } from '../discovery/job-registry.js';
import { InvalidRunStateError, RunNotFoundError, UnknownJobError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { ZapJobsEvents } from '../events/zapjobs-events.js';
import type { JobInput, JobRef } from '../interfaces/job-types.interface.js';
import { MaintenanceService } from '../maintenance/maintenance.service.js';
import type { JobRun } from '../model/job-run.js';
import { JobRunStatus } from '../model/statuses.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { RecurringScheduler } from '../scheduler/recurring-scheduler.js';
import { EngineStorage } from '../storage/engine-storage.js';
import type { ClaimRequest } from '../storage/job-storage.types.js';
import { Clock } from '../util/clock.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { FakeClock } from './fake-clock.js';
import { describeRun, inputMatches } from './input-match.js';
import { DrainLimitError, NotEnqueuedError, TestingClosedError } from './testing.errors.js';

/** Which runs drain() takes: one queue, one job, or (by default) every queue and job of the app. */
export interface DrainOptions {
  queue?: string;
  job?: JobRef;
  /** Past this many attempts the drain is taken to be endless: a DrainLimitError. @default 10000 */
  maxAttempts?: number;
}

/** Attempts of one job in a drain. */
export interface DrainCounts {
  /** Attempts that completed. */
  completed: number;
  /** Attempts that failed for good (no attempt left, or UnrecoverableJobError). */
  failed: number;
  /** Attempts that failed and were scheduled again (backoff on the fake clock). */
  retried: number;
}

/** What drain() ran: the totals, and per job id. */
export interface DrainSummary extends DrainCounts {
  perJob: Record<string, DrainCounts>;
}

/** Pending runs read at a time by enqueued(), and listed by expectEnqueued(). */
const PENDING_READ = 1000;
const LISTED = 20;

/**
 * The handle of ZapJobsTestingModule: runs what is due, moves the fake clock, and asserts on what
 * is enqueued, without workers, timers or sleeps. Every run goes the engine's own way (claim,
 * attempt, completion or failure with retries, continuations released, schedules fired).
 *
 * @example
 * const zap = app.get(ZapJobsTesting);
 * await zap.expectEnqueued(SendEmailJob, { to: 'ada@example.com' });
 * const { completed } = await zap.drain();
 */
@Injectable()
export class ZapJobsTesting implements OnModuleDestroy {
  private closed = false;

  constructor(
    private readonly storage: EngineStorage,
    private readonly workers: WorkerPool,
    private readonly scheduler: RecurringScheduler,
    private readonly maintenance: MaintenanceService,
    private readonly registry: JobRegistry,
    private readonly events: ZapJobsEvents,
    private readonly fakeClock: Clock,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  /** The fake clock the engine reads: `clock.advance('1h')`, `clock.set(date)`, `clock.now()`. */
  get clock(): FakeClock {
    return this.fakeClock as FakeClock;
  }

  /**
   * Runs everything due, one run at a time, until nothing is due: retries whose backoff has passed
   * on the fake clock, continuations their parents release, recurring ticks that fell due. A retry
   * due later waits: advance the clock and drain again.
   */
  async drain(options: DrainOptions = {}): Promise<DrainSummary> {
    this.check('drain()');
    const { queue, job, maxAttempts = 10_000 } = options ?? {};
    if (queue !== undefined && (typeof queue !== 'string' || queue === '')) throw new TypeError(messages.drainBadQueue(queue));
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError(messages.drainBadMaxAttempts(maxAttempts));
    let jobTypeIds = this.registry.ids();
    if (job !== undefined) {
      const id = this.jobId(job);
      // A job without a handler in this app would never run: said now, not drained as nothing.
      if (!this.registry.has(id)) throw new UnknownJobError(id);
      jobTypeIds = [id];
    }
    const summary: DrainSummary = { completed: 0, failed: 0, retried: 0, perJob: {} };
    const count = (kind: keyof DrainCounts) => ({ jobTypeId }: { jobTypeId: string }) => {
      summary[kind]++;
      (summary.perJob[jobTypeId] ??= { completed: 0, failed: 0, retried: 0 })[kind]++;
    };
    const offs = [
      this.events.on('completed', count('completed')),
      this.events.on('failed', count('failed')),
      this.events.on('retrying', count('retried')),
    ];
    try {
      for (let attempts = 0; ; ) {
        const fired = await this.scheduler.tick(this.clock.date());
        const queues = queue !== undefined ? [queue] : await this.queues();
        const claimed = await this.workers.runClaim(this.claim(queues, jobTypeIds));
        attempts += claimed.length;
        if (claimed.length === 0 && fired === 0) return summary;
        if (attempts >= maxAttempts) throw new DrainLimitError(attempts);
      }
    } finally {
      for (const off of offs) off();
    }
  }

  /**
   * Runs this pending run now, even if it is scheduled for later; resolves with the run after its
   * attempt. A due run of the same job and queue with a higher priority goes first, as a worker would.
   */
  async runNow(runId: string): Promise<JobRun> {
    this.check('runNow()');
    const run = await this.storage.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    if (run.status !== JobRunStatus.Pending) throw new InvalidRunStateError(messages.runNowNotPending(runId, run.status));
    if (!this.registry.has(run.jobTypeId)) throw new UnknownJobError(run.jobTypeId);
    const now = this.clock.now();
    // The oldest time there is puts it first in the claim's order (priority, then scheduled time).
    await this.storage.updateRun(runId, { scheduledAt: new Date(0) });
    for (;;) {
      const claimed = await this.workers.runClaim(this.claim([run.queue], [run.jobTypeId]));
      if (claimed.length === 0 || claimed.some((c) => c.id === runId)) break;
    }
    const after = (await this.storage.getRun(runId)) as JobRun;
    // Untouched by a retry: it shows when it was due, or when runNow ran it.
    if (after.scheduledAt.getTime() === 0) {
      after.scheduledAt = new Date(Math.min(run.scheduledAt.getTime(), now));
      await this.storage.updateRun(runId, { scheduledAt: after.scheduledAt });
    }
    return after;
  }

  /**
   * The pending runs (due, or scheduled for later) of `job` whose input matches `partialInput`
   * (every key given must match; nested objects alike), the soonest due first.
   */
  async enqueued<J extends JobRef>(job: J, partialInput?: Partial<JobInput<J>>): Promise<JobRun[]> {
    this.check('enqueued()');
    const jobTypeId = this.jobId(job);
    // Every pending run, a page at a time: the one a test looks for may be the oldest of many.
    const runs: JobRun[] = [];
    for (let offset = 0; ; offset += PENDING_READ) {
      const page = await this.storage.listRuns({ jobTypeId, status: JobRunStatus.Pending, limit: PENDING_READ, offset });
      runs.push(...page);
      if (page.length < PENDING_READ) break;
    }
    const soonest = (a: JobRun, b: JobRun) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime();
    return runs.filter((run) => inputMatches(run.input, partialInput)).sort(soonest);
  }

  /**
   * The soonest due pending run of `job` matching `partialInput`; throws a NotEnqueuedError listing
   * what is enqueued when there is none. Framework-neutral: any test runner reports it.
   */
  async expectEnqueued<J extends JobRef>(job: J, partialInput?: Partial<JobInput<J>>): Promise<JobRun> {
    const [found] = await this.enqueued(job, partialInput);
    if (found) return found;
    const pending = await this.storage.listRuns({ status: JobRunStatus.Pending, limit: LISTED + 1 });
    const what = `a run of '${this.jobId(job)}'` + (partialInput === undefined ? '' : ` with input matching ${JSON.stringify(partialInput)}`);
    const lines = pending.slice(0, LISTED).map((run) => describeRun(run, this.clock.now()));
    throw new NotEnqueuedError(messages.notEnqueued(what, lines, pending.length > LISTED ? pending.length - LISTED : 0));
  }

  /** Runs the cleanup once, on the fake clock: finished runs and log lines past their retention go. */
  async cleanup(): Promise<{ runs: number; logs: number }> {
    this.check('cleanup()');
    return this.maintenance.clean();
  }

  onModuleDestroy(): void {
    this.closed = true;
    if (this.fakeClock instanceof FakeClock) this.fakeClock.close();
  }

  private claim(queues: string[], jobTypeIds: string[]): Omit<ClaimRequest, 'workerId'> {
    const limited = jobTypeIds.filter((id) => {
      const limits = this.registry.get(id)?.limits;
      return limits?.concurrency || limits?.rateLimit;
    });
    // One run at a time: runs go in the order a worker would take them, and a test reads them so.
    return { queues, jobTypeIds, limit: 1, ...(limited.length ? { limitedJobTypeIds: limited } : {}) };
  }

  /** The worker's queues, the jobs' queues, and those of pending runs (enqueued with { queue }). */
  private async queues(): Promise<string[]> {
    const queues = new Set([...this.options.queues, ...this.registry.all().map((job) => job.queue)]);
    // Every queue that holds a pending run, however many runs other queues hold.
    for (const stats of await this.storage.queueStats()) if (stats.pending > 0) queues.add(stats.queue);
    return [...queues];
  }

  private jobId(job: JobRef): string {
    const id = typeof job === 'string' ? job : typeof job === 'function' ? jobIdOf(job) : undefined;
    if (!id) throw new UnknownJobError(String((job as { name?: string })?.name ?? job));
    return id;
  }

  private check(method: string): void {
    if (this.closed) throw new TestingClosedError(method);
  }
}
