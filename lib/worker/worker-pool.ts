import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { JobRegistry, type RegisteredJob } from '../discovery/job-registry.js';
import { JobCancelledError, JobTimeoutError, UnrecoverableJobError, WorkerShutdownError } from '../errors/errors.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { JobLogLevel } from '../storage/entities/enums.js';
import { JobStorage } from '../storage/job-storage.js';
import type { ClaimedRun, CompleteAndClaimResult, NewJobLog, RunCompletion } from '../storage/job-storage.types.js';
import { ZapJobsEvents } from '../events/zapjobs-events.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { retryDelay } from './backoff.js';
import { AttemptControl } from './attempt-control.js';
import { runAttempt, type AttemptOutcome } from './job-runner.js';
import { setLongTimeout, type LongTimeout } from '../util/timers.js';

interface ActiveRun {
  run: ClaimedRun;
  job: RegisteredJob;
  control: AttemptControl;
  done: Promise<void>;
  /** Its slot was refilled by the flush that committed it. */
  refilled?: boolean;
}

/**
 * Claims runs in batches up to the free slots and runs them. Idle, it sleeps until a local enqueue
 * wakes it or pollInterval passes (runs enqueued by other processes). Successful attempts are
 * committed in groups: every completion of one turn of the event loop in one transaction, with the
 * log lines buffered meanwhile. A crash between a handler's return and that commit leaves the run
 * Running, and the stale-run recovery runs it again: at-least-once, never lost.
 */
@Injectable()
export class WorkerPool {
  private readonly logger = new Logger('ZapJobs');
  private readonly active = new Map<string, ActiveRun>();
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private completions: Array<{ active: ActiveRun; completion: RunCompletion; output: unknown }> = [];
  private logs: NewJobLog[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  /** Slots a completion flush is claiming for right now. */
  private reserved = 0;
  private jobTypeIds: string[] = [];
  private unlisten: () => Promise<void> = async () => undefined;

  constructor(
    private readonly storage: JobStorage,
    private readonly registry: JobRegistry,
    private readonly events: ZapJobsEvents,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  get workerId(): string {
    return this.options.workerId;
  }

  get isRunning(): boolean {
    return this.loopDone !== undefined && !this.stopping;
  }

  /** Ids of the runs this worker is executing now. */
  heldRunIds(): string[] {
    return [...this.active.keys()];
  }

  async start(): Promise<void> {
    if (this.loopDone) return;
    this.stopping = false;
    this.abandoned = false;
    // The heartbeat row exists before the first claim, so no live run ever looks orphaned.
    await this.storage.updateHeartbeat(this.workerId, {
      hostname: hostname(),
      pid: process.pid,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      runningRunIds: [],
    });
    this.loopDone = this.loop();
    // Wake-ups from other processes (PostgreSQL NOTIFY); polling stays as the fallback.
    this.unlisten = await this.storage.listen(() => this.notify()).catch((error) => {
      this.logger.warn(`Listening for wake-ups failed, polling only: ${(error as Error).message}`);
      return async () => undefined;
    });
  }

  /** Wakes an idle worker: a run was just enqueued in this process, or a slot came free. */
  notify(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Aborts a run this worker executes (cancel, or a claim lost to another worker). */
  abort(runId: string, reason: Error): boolean {
    const active = this.active.get(runId);
    if (!active) return false;
    active.control.abort(reason);
    return true;
  }

  /**
   * Stops claiming, lets running attempts finish for up to `timeoutMs`, then aborts the rest and
   * returns their runs to the queue. Resolves when nothing of this worker is left running.
   */
  async stop(timeoutMs = this.options.shutdownTimeout): Promise<void> {
    if (!this.loopDone) return;
    this.stopping = true;
    this.notify();
    await this.unlisten();
    await this.loopDone;
    const drained = Promise.all([...this.active.values()].map((a) => a.done));
    let timer: LongTimeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (timer = setLongTimeout(() => resolve(true), timeoutMs))),
    ]);
    timer?.clear();
    if (timedOut && this.active.size > 0) {
      const unfinished = [...this.active.values()];
      const ids = unfinished.map((a) => a.run.id);
      for (const a of unfinished) a.control.abort(new WorkerShutdownError());
      try {
        const released = await this.storage.releaseRuns(this.workerId, ids);
        this.logger.warn(`Shutdown: ${released} unfinished run(s) returned to the queue after ${timeoutMs} ms`);
      } catch (error) {
        this.logger.error(`Shutdown: could not return runs ${ids.join(', ')} to the queue: ${(error as Error).message}`);
      }
      this.abandon();
      await Promise.all(unfinished.map((a) => a.done));
    }
    await this.flush();
    if (this.completions.length) this.abandon();
    this.loopDone = undefined;
  }

  private async loop(): Promise<void> {
    this.jobTypeIds = this.registry.ids();
    let failures = 0;
    while (!this.stopping) {
      const free = this.options.concurrency - this.active.size - this.reserved;
      let claimed: ClaimedRun[] = [];
      if (free > 0) {
        try {
          claimed = await this.storage.claim(this.options.queues, this.workerId, free, this.jobTypeIds);
          failures = 0;
        } catch (error) {
          // The database is busy or gone: back off (up to 30 s) and try again; nothing is lost.
          failures++;
          const delay = Math.min(30_000, 100 * 2 ** Math.min(failures, 9));
          this.logger.error(`Claiming runs failed (attempt ${failures}, next in ${delay} ms): ${(error as Error).message}`);
          await this.idle(delay);
          continue;
        }
        for (const run of claimed) this.execute(run);
        // A full batch means more may be waiting: claim again at once.
        if (claimed.length === free) continue;
      }
      await this.idle(this.options.pollInterval);
    }
  }

  /** Waits for notify() or `ms`, whichever comes first. */
  private idle(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setLongTimeout(done, ms);
      function done() {
        timer.clear();
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.woken = false;
        done();
      };
    });
  }

  private execute(run: ClaimedRun): void {
    const job = this.registry.get(run.jobTypeId) as RegisteredJob;
    const control = new AttemptControl();
    const active = { run, job, control } as ActiveRun;
    this.active.set(run.id, active);
    if (this.events.listening('started')) {
      this.events.emit('started', { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber, workerId: this.workerId });
    }
    active.done = runAttempt(job, run, control, {
      writeLog: (line) => this.bufferLog(line),
      writeProgress: (runId, progressJson) => this.storage.updateRun(runId, { progressJson }),
    })
      .then((outcome) => this.settle(active, outcome))
      .catch((error) => this.logger.error(`Settling run ${run.id} failed: ${(error as Error).message}`))
      .finally(() => {
        this.active.delete(run.id);
        // A completion's slot was refilled by its flush; any other ending frees a slot for the loop.
        if (!active.refilled) this.notify();
      });
  }

  private async settle(active: ActiveRun, outcome: AttemptOutcome): Promise<void> {
    const { run, job } = active;
    if (outcome.ok) {
      const committed = new Promise<void>((resolve) => {
        this.completions.push({
          active,
          output: outcome.output,
          completion: {
            runId: run.id,
            workerId: this.workerId,
            outputJson: outcome.outputJson,
            completedAt: new Date(),
            durationMs: outcome.durationMs,
          },
        });
        this.scheduleFlush(resolve);
      });
      return committed;
    }
    const control = active.control;
    if (control.aborted && !(control.reason instanceof JobTimeoutError)) {
      // Shutdown: stop() returned the run to the queue. Cancel, or a claim lost to stale-run
      // recovery: the row already says what happened; this worker records nothing over it.
      if (control.reason instanceof JobCancelledError) {
        this.events.emit('cancelled', { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber });
      }
      return;
    }
    const error = outcome.error;
    const maxAttempts = (run.maxRetries ?? job.maxRetries) + 1;
    const retry = run.attemptNumber < maxAttempts && !(error instanceof UnrecoverableJobError);
    const retryAt = retry ? new Date(Date.now() + retryDelay(job.retryPolicy, run.attemptNumber)) : null;
    this.bufferLog({
      runId: run.id,
      level: JobLogLevel.Error,
      message: `attempt ${run.attemptNumber} of ${maxAttempts} failed: ${error.message}` +
        (retryAt ? `; retry at ${retryAt.toISOString()}` : '; no attempts left'),
      exception: error.stack ?? null,
      attemptNumber: run.attemptNumber,
      category: 'zapjobs',
    });
    // The attempt's log lines, this error included, are stored before the run shows as failed.
    await this.flush();
    const failure = {
      runId: run.id,
      workerId: this.workerId,
      errorMessage: error.message,
      errorDetails: error.stack ?? null,
      completedAt: new Date(),
      durationMs: outcome.durationMs,
      retryAt,
    };
    const held = await this.persist(`Recording the failure of run ${run.id}`, () => this.storage.failRun(failure));
    if (!held) return;
    this.logger.warn(
      `Run ${run.id} (${job.id}) attempt ${run.attemptNumber}/${maxAttempts} failed after ${outcome.durationMs} ms: ${error.message}`,
    );
    const event = { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber };
    if (retryAt) this.events.emit('retrying', { ...event, error, retryAt });
    else this.events.emit('failed', { ...event, error, durationMs: outcome.durationMs });
  }

  private bufferLog(line: NewJobLog): void {
    this.logs.push(line);
    this.scheduleFlush();
  }

  private readonly waiters: Array<() => void> = [];

  /** Group commit: everything buffered during this turn of the event loop goes in one flush. */
  private scheduleFlush(onCommitted?: () => void): void {
    if (onCommitted) this.waiters.push(onCommitted);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const logs = this.logs;
    const completions = this.completions;
    const waiters = this.waiters.splice(0);
    this.logs = [];
    this.completions = [];
    if (logs.length) {
      try {
        await this.storage.addLogs(logs);
      } catch (error) {
        // Kept for the next flush (within reason): a database hiccup should not lose the lines.
        if (this.logs.length + logs.length <= 10_000) this.logs.unshift(...logs);
        this.logger.error(`Writing ${logs.length} job log line(s) failed: ${(error as Error).message}`);
      }
    }
    if (completions.length === 0) {
      for (const resolve of waiters) resolve();
      return;
    }
    // The slots these completions free are refilled in the same transaction; they are reserved
    // meanwhile so that the poll loop does not claim for them too.
    const refill = this.stopping ? 0 : Math.max(0, this.options.concurrency - (this.active.size - completions.length) - this.reserved);
    this.reserved += refill;
    let result: CompleteAndClaimResult;
    try {
      result = await this.storage.completeAndClaim(
        completions.map((c) => c.completion),
        { queues: this.options.queues, workerId: this.workerId, limit: refill, jobTypeIds: this.jobTypeIds },
      );
      this.flushFailures = 0;
    } catch (error) {
      // Kept and retried until the database answers: a completion is never dropped while this
      // worker lives (its heartbeat would keep the run Running forever). If the process dies
      // first, stale-run recovery runs the job again: at-least-once.
      this.completions.unshift(...completions);
      this.waiters.unshift(...waiters);
      this.retryFlushLater(`Committing ${completions.length} completion(s) failed`, error);
      return;
    } finally {
      this.reserved -= refill;
    }
    const held = new Set(result.completed);
    for (const { active, completion, output } of completions) {
      this.active.delete(completion.runId);
      active.refilled = true;
      if (!held.has(completion.runId) || !this.events.listening('completed')) continue;
      this.events.emit('completed', {
        runId: completion.runId,
        jobTypeId: active.run.jobTypeId,
        queue: active.run.queue,
        attempt: active.run.attemptNumber,
        output,
        durationMs: completion.durationMs,
      });
    }
    for (const run of result.claimed) this.execute(run);
    for (const resolve of waiters) resolve();
  }

  private flushFailures = 0;
  private flushRetry: NodeJS.Timeout | undefined;

  private retryFlushLater(what: string, error: unknown): void {
    this.flushFailures++;
    const delay = Math.min(5000, 50 * 2 ** Math.min(this.flushFailures, 7));
    this.logger.error(`${what} (try ${this.flushFailures}, again in ${delay} ms): ${(error as Error).message}`);
    if (this.flushRetry || this.abandoned) return;
    this.flushRetry = setTimeout(() => {
      this.flushRetry = undefined;
      this.scheduleFlush();
    }, delay);
  }

  /** Set when stop() gives up on the database: pending writes are dropped, runs recovered elsewhere. */
  private abandoned = false;

  /** Retries a state change until the database takes it (or stop() gives up). */
  private async persist<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 1; ; failures++) {
      try {
        return await write();
      } catch (error) {
        if (this.abandoned) return undefined;
        const delay = Math.min(5000, 50 * 2 ** Math.min(failures, 7));
        this.logger.error(`${what} failed (try ${failures}, again in ${delay} ms): ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Gives up pending writes at the end of a shutdown whose database is unreachable. */
  private abandon(): void {
    this.abandoned = true;
    clearTimeout(this.flushRetry);
    this.flushRetry = undefined;
    const lost = this.completions.length;
    this.completions = [];
    for (const resolve of this.waiters.splice(0)) resolve();
    if (lost) this.logger.warn(`Shutdown: ${lost} completion(s) could not be stored; their runs will be recovered and run again`);
  }
}

