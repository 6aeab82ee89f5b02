import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ZapJobsEvents } from '../events/zapjobs-events.js';
import { JobRegistry, type RegisteredJob } from '../discovery/job-registry.js';
import { JobCancelledError, JobTimeoutError, LeaseLostError, WorkerShutdownError } from '../errors/errors.js';
import type { AttemptScope, RunInstrumentation } from '../instrumentation/run-instrumentation.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import type { AttemptLease, ClaimedRun, ClaimRequest, RunCompletion } from '../storage/job-storage.types.js';
import { Clock } from '../util/clock.js';
import { setLongTimeout, type LongTimeout } from '../util/timers.js';
import { ZAPJOBS_INSTRUMENTATION, ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { AttemptControl } from './attempt-control.js';
import { attemptFailure } from './attempt-failure.js';
import { runAttempt, type AttemptDeps, type AttemptOutcome } from './job-runner.js';
import { RunCompleter } from './run-completer.js';
import { capText, errorMessage, isInstance, MAX_MESSAGE_LENGTH, toError } from './to-error.js';

/** One attempt this worker executes: its lease is what every write of its outcome is fenced on. */
interface Attempt {
  run: ClaimedRun;
  job: RegisteredJob;
  lease: AttemptLease;
  control: AttemptControl;
  done: Promise<void>;
  /** Its slot was refilled by the flush that committed it. */
  refilled: boolean;
  /** What the instrumentation (tracing) follows of it; undefined without one. */
  scope: AttemptScope | undefined;
}

/**
 * Claims runs in batches up to the free slots and runs them. Idle, it sleeps until a local enqueue
 * wakes it or pollInterval passes (runs enqueued by other processes). Outcomes are recorded by the
 * RunCompleter, which commits successful attempts in groups and claims the slots they free in the
 * same transaction. A crash between a handler's return and that commit leaves the run Running,
 * and the stale-run recovery runs it again: at-least-once, never lost.
 */
@Injectable()
export class WorkerPool {
  private readonly logger = new Logger('ZapJobs');
  /** The attempt this worker holds of each run: what counts against the concurrency. */
  private readonly active = new Map<string, Attempt>();
  /** Every attempt still settling, superseded ones included: what stop() drains. */
  private readonly attempts = new Set<Attempt>();
  /**
   * Runs claimed ahead of free slots (options.prefetch): Running under this worker's lease, not
   * started. Each slot a handler frees goes to the first of them at once.
   */
  private readonly prefetched: ClaimedRun[] = [];
  /** Attempts whose handler runs now (an attempt whose outcome waits for its commit no longer counts). */
  private executing = 0;
  private readonly completer: RunCompleter;
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private jobTypeIds: string[] = [];
  /** The registered job types with a concurrency or rate limit: the claim counts theirs. */
  private limitedJobTypeIds: string[] = [];
  private unlisten: () => Promise<void> = async () => undefined;

  constructor(
    private readonly storage: EngineStorage,
    private readonly registry: JobRegistry,
    private readonly events: ZapJobsEvents,
    private readonly clock: Clock,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
    /** Told of every attempt (tracing); undefined unless an integration provides one. */
    @Optional() @Inject(ZAPJOBS_INSTRUMENTATION) private readonly instrumentation?: RunInstrumentation,
  ) {
    this.completer = new RunCompleter(
      storage,
      {
        // Without the loop (stopping, or runs driven by runClaim) freed slots are not refilled.
        claimFor: (completing) => this.claimRequest(this.stopping || !this.loopDone ? 0 : this.freeSlotsAfter(completing), completing),
        claimSettled: (request) => this.claimSettled(request),
        execute: (runs) => this.admit(runs),
      },
      this.logger,
    );
  }

  get workerId(): string {
    return this.options.workerId;
  }

  get isRunning(): boolean {
    return this.loopDone !== undefined && !this.stopping;
  }

  /** Ids of the runs this worker holds now: executing, or prefetched. */
  heldRunIds(): string[] {
    return [...this.active.keys(), ...this.prefetched.map((run) => run.id)];
  }

  /** The leases of the runs this worker holds now: its attempts, and the runs it prefetched. */
  heldLeases(): AttemptLease[] {
    return [...[...this.active.values()].map((attempt) => attempt.lease), ...this.prefetched.map((run) => this.leaseOf(run))];
  }

  private leaseOf(run: ClaimedRun): AttemptLease {
    return { runId: run.id, workerId: this.workerId, attempt: run.attemptNumber };
  }

  /** Starts claiming. The heartbeat row must exist first (HeartbeatService.start), so no live run looks orphaned. */
  async start(): Promise<void> {
    if (this.loopDone) return;
    this.stopping = false;
    this.completer.reset();
    this.jobTypeIds = this.registry.ids();
    this.limitedJobTypeIds = this.registry.all().filter((job) => job.limits.concurrency || job.limits.rateLimit).map((job) => job.id);
    this.loopDone = this.loop();
    // Wake-ups from other processes (PostgreSQL NOTIFY); polling stays as the fallback.
    this.unlisten = await this.storage.listen(() => this.notify()).catch((error: unknown) => {
      this.logger.warn(`Listening for wake-ups failed, polling only: ${errorMessage(error)}`);
      return async () => undefined;
    });
  }

  /**
   * One claim, run to its end without the poll loop: its attempts go the loop's own way (runAttempt,
   * the completer, nextAttempt, the events) and this resolves once their outcomes are stored. What
   * the testing module's drain and runNow are made of. Returns the runs claimed.
   */
  async runClaim(request: Omit<ClaimRequest, 'workerId'>): Promise<ClaimedRun[]> {
    const claimed = await this.storage.claim({ ...request, workerId: this.workerId });
    await Promise.all(claimed.map((run) => this.execute(run)));
    await this.completer.flush();
    return claimed;
  }

  /** Wakes an idle worker: a run was just enqueued in this process, or a slot came free. */
  notify(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Aborts the attempt this worker executes of a run (cancel, or a lease lost to recovery); a prefetched run is dropped. */
  abort(runId: string, reason: Error): boolean {
    if (this.dropPrefetched((run) => run.id === runId, reason)) return true;
    const attempt = this.active.get(runId);
    if (!attempt) return false;
    attempt.control.abort(reason);
    return true;
  }

  /** Aborts that attempt only: a newer attempt of the same run (claimed again here) goes on. */
  abortAttempt(lease: AttemptLease, reason: Error): boolean {
    if (this.dropPrefetched((run) => run.id === lease.runId && run.attemptNumber === lease.attempt, reason)) return true;
    const attempt = this.active.get(lease.runId);
    if (!attempt || attempt.lease.attempt !== lease.attempt) return false;
    attempt.control.abort(reason);
    return true;
  }

  /** A prefetched run that must not start (cancelled, or its lease lost): forgotten, and reported as an aborted attempt would be. */
  private dropPrefetched(match: (run: ClaimedRun) => boolean, reason: Error): boolean {
    const i = this.prefetched.findIndex(match);
    if (i < 0) return false;
    const [run] = this.prefetched.splice(i, 1);
    if (isInstance(reason, JobCancelledError)) {
      this.events.emit('cancelled', { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber });
    }
    this.notify();
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
    await this.releasePrefetched();
    const timedOut = await this.drain(timeoutMs);
    if (timedOut && this.attempts.size > 0) {
      const unfinished = [...this.attempts];
      const leases = this.heldLeases();
      for (const attempt of unfinished) attempt.control.abort(new WorkerShutdownError());
      try {
        const released = await this.storage.releaseRuns(leases);
        this.logger.warn(`Shutdown: ${released} unfinished run(s) returned to the queue after ${timeoutMs} ms`);
      } catch (error) {
        this.logger.error(`Shutdown: could not return runs ${leases.map((l) => l.runId).join(', ')} to the queue: ${errorMessage(error)}`);
      }
      // The attempts may be waiting on a database that does not answer: give up their writes.
      this.completer.abandon();
      await Promise.all(unfinished.map((attempt) => attempt.done));
    }
    await this.completer.flush();
    if (this.completer.pending) this.completer.abandon();
    // A flush in flight when the stop began may have claimed some.
    await this.releasePrefetched();
    this.loopDone = undefined;
  }

  /** Prefetched runs back to the queue (at shutdown): they never started, so their attempt does not count. */
  private async releasePrefetched(): Promise<void> {
    if (this.prefetched.length === 0) return;
    const leases = this.prefetched.splice(0).map((run) => this.leaseOf(run));
    try {
      await this.storage.releaseRuns(leases);
    } catch (error) {
      // Left Running under this worker: stale-run recovery returns them once its heartbeat stops.
      this.logger.error(`Shutdown: could not return prefetched runs ${leases.map((l) => l.runId).join(', ')} to the queue: ${errorMessage(error)}`);
    }
  }

  /** True when attempts were still running after `timeoutMs`. Attempts a last flush claimed are waited for too. */
  private async drain(timeoutMs: number): Promise<boolean> {
    let timer: LongTimeout | undefined;
    const timeout = new Promise<true>((resolve) => (timer = setLongTimeout(() => resolve(true), timeoutMs)));
    try {
      while (this.attempts.size > 0) {
        const settled = Promise.all([...this.attempts].map((attempt) => attempt.done)).then(() => false as const);
        if (await Promise.race([settled, timeout])) return true;
      }
      return false;
    } finally {
      timer?.clear();
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.capacity - this.active.size - this.prefetched.length - this.completer.reserved;
      if (free > 0) {
        let claimed: ClaimedRun[];
        const request = this.claimRequest(free);
        try {
          claimed = await this.storage.claim(request);
          failures = 0;
        } catch (error) {
          this.claimSettled(request);
          // The database is busy or gone: back off (up to 30 s) and try again; nothing is lost.
          failures++;
          const delay = Math.min(30_000, 100 * 2 ** Math.min(failures, 9));
          this.logger.error(`Claiming runs failed (attempt ${failures}, next in ${delay} ms): ${errorMessage(error)}`);
          await this.idle(delay);
          continue;
        }
        this.admit(claimed);
        this.claimSettled(request);
        // A full batch means more may be waiting: claim again at once.
        if (claimed.length === free) continue;
      }
      await this.idle(this.options.pollInterval);
    }
  }

  private claimRequest(limit: number, completing: readonly RunCompletion[] = []): ClaimRequest {
    const request: ClaimRequest = { queues: this.options.queues, workerId: this.workerId, limit, jobTypeIds: this.jobTypeIds };
    if (this.limitedJobTypeIds.length > 0) request.limitedJobTypeIds = this.limitedJobTypeIds;
    const caps = this.options.queueConcurrency;
    if (!caps || limit <= 0) return request;
    // Per-queue caps (this process only): a queue's share is its cap less the runs of it held here,
    // those being claimed by another request in flight, and none of those completing now.
    const held = new Map<string, number>();
    const freed = new Set(completing.filter((c) => this.active.get(c.runId)?.lease.attempt === c.attempt).map((c) => c.runId));
    for (const attempt of this.active.values()) {
      if (!freed.has(attempt.run.id)) held.set(attempt.run.queue, (held.get(attempt.run.queue) ?? 0) + 1);
    }
    for (const run of this.prefetched) held.set(run.queue, (held.get(run.queue) ?? 0) + 1);
    const queueLimits = this.options.queues.map((queue, i) => {
      const cap = caps[i];
      if (cap === null) return limit;
      const share = Math.max(0, Math.min(limit, cap - (held.get(queue) ?? 0) - this.claimingByQueue[i]));
      this.claimingByQueue[i] += share;
      return share;
    });
    return { ...request, queueLimits };
  }

  /** Per-queue slots being claimed by requests in flight: they count as held until their runs start. */
  private readonly claimingByQueue: number[] = this.options.queues.map(() => 0);

  /** A claim request answered (its runs started) or failed: its per-queue shares are no longer in flight. */
  private claimSettled(request: ClaimRequest): void {
    const caps = this.options.queueConcurrency;
    if (!caps || !request.queueLimits) return;
    request.queueLimits.forEach((share, i) => {
      if (caps[i] !== null) this.claimingByQueue[i] -= share;
    });
  }

  /** Slots free once these completions are committed: only those of current attempts free one. */
  private freeSlotsAfter(completing: readonly RunCompletion[]): number {
    const freed = completing.filter((c) => this.active.get(c.runId)?.lease.attempt === c.attempt).length;
    return Math.max(0, this.capacity - (this.active.size - freed) - this.prefetched.length - this.completer.reserved);
  }

  /** Runs this worker may hold at once: its slots, and as many prefetched. */
  private get capacity(): number {
    return this.options.concurrency + this.options.prefetch;
  }

  /** Claimed runs: started while a slot is free, held (prefetched) otherwise. */
  private admit(runs: readonly ClaimedRun[]): void {
    for (const run of runs) {
      if (this.executing < this.options.concurrency) void this.execute(run);
      else this.prefetched.push(run);
    }
  }

  /** Starts prefetched runs in the slots free now. */
  private startPrefetched(): void {
    while (this.prefetched.length > 0 && this.executing < this.options.concurrency && !this.stopping) {
      void this.execute(this.prefetched.shift() as ClaimedRun, true);
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

  /**
   * Starts an attempt of a claimed run; resolves when its outcome is recorded (never rejects).
   * `late`: a prefetched run, which starts after its claim: its wait is counted up to now.
   */
  private execute(run: ClaimedRun, late = false): Promise<void> {
    const job = this.registry.get(run.jobTypeId) as RegisteredJob;
    const lease: AttemptLease = { runId: run.id, workerId: this.workerId, attempt: run.attemptNumber };
    const scope = this.instrumentation?.attempt(run, this.workerId);
    const attempt = { run, job, lease, control: new AttemptControl(), refilled: false, scope } as Attempt;
    const previous = this.active.get(run.id);
    if (previous) {
      // Claimed again while an older attempt of it still runs here: the run was recovered while
      // this worker looked dead (its event loop blocked past staleAfter). The old attempt lost
      // its lease: it is aborted, and storage fences whatever it still tries to write.
      previous.control.abort(new LeaseLostError(run.id, previous.lease.attempt));
      this.logger.warn(`Run ${run.id}: attempt ${previous.lease.attempt} lost its lease to attempt ${run.attemptNumber}; aborted`);
    }
    this.active.set(run.id, attempt);
    this.attempts.add(attempt);
    if (this.events.listening('started')) {
      const waitMs = Math.max(0, (late ? this.clock.now() : run.startedAt.getTime()) - run.scheduledAt.getTime());
      this.events.emit('started', { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber, workerId: this.workerId, waitMs });
    }
    this.executing++;
    attempt.done = this.perform(attempt, { ...this.attemptDeps, lease });
    return attempt.done;
  }

  /**
   * What an attempt needs of the pool, made once: each attempt gets a copy with its lease, not a
   * set of closures of its own (at tens of thousands of attempts a second, what each allocates
   * is what the garbage collector pays for).
   */
  private readonly attemptDeps: Omit<AttemptDeps, 'lease'> = {
    writeLog: (line) => this.completer.log(line),
    writeProgress: async (held, progressJson) => {
      const stored = await this.storage.writeProgress(held, progressJson);
      const run = this.active.get(held.runId)?.run;
      if (stored && run && this.events.listening('progress')) {
        this.events.emit('progress', { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: held.attempt, progress: JSON.parse(progressJson) });
      }
      return stored;
    },
    readCheckpoint: (runId) => this.storage.readCheckpoint(runId),
    writeCheckpoint: (held, checkpointJson) => this.storage.writeCheckpoint(held, checkpointJson),
    maxPayloadBytes: this.options.maxPayloadBytes,
    clock: this.clock,
  };

  /** An attempt from its start to its outcome recorded; never rejects. One async frame instead of a chain of promises. */
  private async perform(attempt: Attempt, deps: AttemptDeps): Promise<void> {
    const { job, run, control, scope } = attempt;
    let outcome: AttemptOutcome | undefined;
    try {
      try {
        outcome = await (scope === undefined ? runAttempt(job, run, control, deps) : scope.within(() => runAttempt(job, run, control, deps)));
      } finally {
        // The handler's slot is free as soon as it ends, before its outcome is committed: a prefetched run takes it.
        this.executing--;
        this.startPrefetched();
      }
      await (outcome.ok ? this.complete(attempt, outcome) : this.settleFailure(attempt, outcome));
    } catch (error) {
      await this.lastResort(attempt, error);
    } finally {
      this.release(attempt);
      // A completion's slot was refilled by its flush; any other ending frees a slot for the loop.
      if (!attempt.refilled) this.notify();
    }
  }

  /** Forgets an attempt; the run's slot goes only if this attempt still holds it. */
  private release(attempt: Attempt): void {
    this.attempts.delete(attempt);
    if (this.active.get(attempt.run.id) === attempt) this.active.delete(attempt.run.id);
  }

  /**
   * A successful attempt handed to the completer; resolves once its flush committed it. Not async:
   * the completer's promise is the attempt's, without a frame of its own around it.
   */
  private complete(attempt: Attempt, outcome: AttemptOutcome & { ok: true }): Promise<void> {
    const { run, lease, scope } = attempt;
    scope?.ended('completed');
    const completion = {
      ...lease, batchId: run.batchId, outputJson: outcome.outputJson, completedAt: this.clock.date(), durationMs: outcome.durationMs,
    };
    return this.completer.complete(completion, (held) => {
      this.release(attempt);
      attempt.refilled = true;
      if (!held || !this.events.listening('completed')) return;
      const event = { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber };
      this.events.emit('completed', { ...event, output: outcome.output, durationMs: outcome.durationMs });
    });
  }

  /** An attempt that did not succeed: recorded as failed (to be retried or for good), or, aborted from outside, left as the row says. */
  private async settleFailure(attempt: Attempt, outcome: AttemptOutcome & { ok: false }): Promise<void> {
    const { run, job, lease, control, scope } = attempt;
    if (control.aborted && !isInstance(control.reason, JobTimeoutError)) {
      // Shutdown: stop() returned the run to the queue. Cancel, or a lease lost to stale-run
      // recovery: the row already says what happened; this worker records nothing over it.
      const cancelled = isInstance(control.reason, JobCancelledError);
      scope?.ended(cancelled ? 'cancelled' : 'interrupted', toError(control.reason));
      if (cancelled) {
        this.events.emit('cancelled', { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber });
      }
      return;
    }
    const { error, durationMs } = outcome;
    const { failure, line, maxAttempts } = attemptFailure(lease, run, job, error, durationMs, this.clock.date());
    scope?.ended(failure.retryAt ? 'retrying' : 'failed', error);
    this.completer.log(line);
    if (!(await this.completer.fail(failure))) return;
    this.logger.warn(`Run ${run.id} (${job.id}) attempt ${run.attemptNumber}/${maxAttempts} failed after ${durationMs} ms: ${error.message}`);
    const event = { runId: run.id, jobTypeId: run.jobTypeId, queue: run.queue, attempt: run.attemptNumber };
    if (failure.retryAt) this.events.emit('retrying', { ...event, error, retryAt: failure.retryAt, durationMs });
    else this.events.emit('failed', { ...event, error, durationMs });
  }

  /**
   * Recording its outcome threw, which it should never do: the attempt still ends, as a failure recorded under
   * its lease (a no-op if its outcome was recorded after all), so neither the run nor the slot
   * stays held for ever.
   */
  private async lastResort(attempt: Attempt, thrown: unknown): Promise<void> {
    try {
      const error = toError(thrown);
      this.logger.error(`Settling run ${attempt.run.id} attempt ${attempt.lease.attempt} failed: ${error.message}; recording it as failed`);
      error.message = capText(`the attempt's outcome could not be recorded: ${error.message}`, MAX_MESSAGE_LENGTH);
      const { failure, line } = attemptFailure(attempt.lease, attempt.run, attempt.job, error, 0, this.clock.date());
      attempt.scope?.ended(failure.retryAt ? 'retrying' : 'failed', error);
      this.completer.log(line);
      await this.completer.fail(failure);
    } catch (error) {
      this.logger.error(`Run ${attempt.run.id}: recording the failure failed too: ${errorMessage(error)}`);
    }
  }
}
