import type { Logger } from '@nestjs/common';
import type { EngineStorage } from '../storage/engine-storage.js';
import type {
  AttemptLogLine, ClaimedRun, ClaimRequest, CompleteAndClaimResult, RunCompletion, RunFailure,
} from '../storage/job-storage.types.js';
import { errorMessage } from './to-error.js';

/** What the completer needs from the pool it records outcomes for. */
export interface CompleterHost {
  /**
   * The claim that rides along with a flush committing these successful attempts: for the slots
   * they free (limit 0 while stopping). The completer reserves `limit` slots meanwhile.
   */
  claimFor(completing: readonly RunCompletion[]): ClaimRequest;
  /** Starts the runs a flush claimed, after every committed completion was settled. */
  execute(runs: ClaimedRun[]): void;
  /** The claim of a flush is over (its runs were started, or it failed). */
  claimSettled?(next: ClaimRequest): void;
}

interface PendingCompletion {
  completion: RunCompletion;
  /** Told in the flush that committed it: held is false when the lease had been lost meanwhile. */
  committed: (held: boolean) => void;
  /** Resolves complete()'s promise (after the commit, or when a shutdown gives up). */
  resolve: () => void;
}

/** Log lines kept across failed flushes before new ones are dropped: a hiccup loses nothing, an outage stays bounded. */
const MAX_KEPT_LOG_LINES = 10_000;

/**
 * Records what attempts did, in groups: every completion and log line of one turn of the event
 * loop goes to the database in one flush, and the slots the completions free are claimed again
 * in the same transaction (completeAndClaim). A flush the database refuses is kept and retried
 * until it is taken, so a completion is never dropped while the worker lives; if the process dies
 * first, stale-run recovery runs the job again (at-least-once). Model: riverqueue/river's
 * internal/jobcompleter.
 */
export class RunCompleter {
  /** Slots a flush is claiming for right now: the poll loop leaves them alone. */
  reserved = 0;
  private completions: PendingCompletion[] = [];
  private logs: AttemptLogLine[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private flushFailures = 0;
  private flushRetry: NodeJS.Timeout | undefined;
  /** Set when a shutdown gives up on the database: pending writes are dropped, runs recovered elsewhere. */
  private abandoned = false;

  constructor(
    private readonly storage: EngineStorage,
    private readonly host: CompleterHost,
    private readonly logger: Logger,
  ) {}

  /** Successful attempts waiting for their commit. */
  get pending(): number {
    return this.completions.length;
  }

  /** Ready for a new start of the pool. */
  reset(): void {
    this.abandoned = false;
    this.flushFailures = 0;
  }

  /** Buffers a successful attempt; resolves once it is committed (or a shutdown gave up on it). */
  complete(completion: RunCompletion, committed: (held: boolean) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      this.completions.push({ completion, committed, resolve });
      this.scheduleFlush();
    });
  }

  /** Buffers an attempt's log line for the next flush (stored only if the attempt still holds its lease then). */
  log(line: AttemptLogLine): void {
    this.logs.push(line);
    this.scheduleFlush();
  }

  /**
   * Records a failed attempt, after the lines buffered so far (its error line included): the logs
   * of an attempt are stored before the run shows as failed. Retried until the database takes it;
   * false when the lease was no longer held, undefined when a shutdown gave up.
   */
  async fail(failure: RunFailure): Promise<boolean | undefined> {
    await this.flush();
    return this.persist(`Recording the failure of run ${failure.runId}`, () => this.storage.failRun(failure));
  }

  /** Writes everything buffered now; resolves when that flush (and any before it) is done. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  /** Gives up pending writes at the end of a shutdown whose database is unreachable. */
  abandon(): void {
    this.abandoned = true;
    clearTimeout(this.flushRetry);
    this.flushRetry = undefined;
    const lost = this.completions.splice(0);
    for (const pending of lost) pending.resolve();
    if (lost.length) this.logger.warn(`Shutdown: ${lost.length} completion(s) could not be stored; their runs will be recovered and run again`);
  }

  /** Group commit: everything buffered during this turn of the event loop goes in one flush. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flushNow(): Promise<void> {
    const logs = this.logs;
    const completions = this.completions;
    this.logs = [];
    this.completions = [];
    if (logs.length) await this.writeLogs(logs);
    if (completions.length === 0) return;
    const committing = completions.map((c) => c.completion);
    const next = this.host.claimFor(committing);
    this.reserved += next.limit;
    let result: CompleteAndClaimResult;
    try {
      result = await this.storage.completeAndClaim(committing, next);
      this.flushFailures = 0;
    } catch (error) {
      this.reserved -= next.limit;
      this.host.claimSettled?.(next);
      // Refused for its values: the same group would be refused for ever, holding back every
      // run in it. Each goes on its own instead, so only the culprit fails.
      if (this.storage.refusedData(error)) return this.isolate(completions, error);
      // Kept and retried until the database answers: dropped, a completion would leave its run
      // Running under a live heartbeat for ever.
      this.completions.unshift(...completions);
      this.retryLater(`Committing ${completions.length} completion(s) failed`, error);
      return;
    }
    this.reserved -= next.limit;
    const held = new Set(result.completed);
    const again = new Set(result.retry?.map((c) => c.runId));
    const settled = again.size ? completions.filter((pending) => !again.has(pending.completion.runId)) : completions;
    for (const pending of settled) this.settleCommitted(pending, held.has(pending.completion.runId));
    this.host.execute(result.claimed);
    this.host.claimSettled?.(next);
    for (const pending of settled) pending.resolve();
    if (again.size) {
      this.completions.unshift(...completions.filter((pending) => again.has(pending.completion.runId)));
      this.retryLater(`Committing ${again.size} completion(s) failed`, result.retryError);
    }
  }

  /**
   * A group the database refused for its data, committed one completion at a time: those it takes
   * complete; one it refuses again fails its attempt for good, with the database's reason (its
   * output will not change on a retry); any other error sends the rest back to be retried.
   */
  private async isolate(completions: PendingCompletion[], cause: unknown): Promise<void> {
    this.logger.warn(`The database refused ${completions.length} completion(s) together (${errorMessage(cause)}): committing them one by one`);
    const again: PendingCompletion[] = [];
    for (const pending of completions) {
      const c = pending.completion;
      try {
        const { completed, retry } = await this.storage.completeAndClaim([c], { queues: [], workerId: c.workerId, limit: 0 });
        if (retry?.length) {
          again.push(pending);
          continue;
        }
        this.settleCommitted(pending, completed.includes(c.runId));
      } catch (error) {
        if (!this.storage.refusedData(error)) {
          again.push(pending);
          continue;
        }
        const message = `the attempt's outcome could not be stored: ${errorMessage(error)}`;
        this.logger.error(`Run ${c.runId} attempt ${c.attempt}: ${message}`);
        await this.persist(`Recording the failure of run ${c.runId}`, () =>
          this.storage.failRun({
            runId: c.runId, workerId: c.workerId, attempt: c.attempt, errorMessage: message, errorDetails: null,
            completedAt: c.completedAt, durationMs: c.durationMs, retryAt: null,
          }),
        );
        this.settle(pending, false);
      }
      pending.resolve();
    }
    if (again.length) {
      this.completions.unshift(...again);
      this.retryLater(`Committing ${again.length} completion(s) failed`, cause);
    }
  }

  private async writeLogs(logs: AttemptLogLine[]): Promise<void> {
    try {
      await this.storage.addAttemptLogs(logs);
    } catch (error) {
      // Kept for the next flush (within reason): a database hiccup should not lose the lines.
      if (this.logs.length + logs.length <= MAX_KEPT_LOG_LINES) this.logs.unshift(...logs);
      this.logger.error(`Writing ${logs.length} job log line(s) failed: ${errorMessage(error)}`);
    }
  }

  /**
   * A completion the storage took, or fenced off: the attempt no longer held its lease (its run was
   * recovered while this worker looked dead, a blocked event loop say, and claimed again). The
   * newer attempt's row stands; this one's outcome is dropped, and said so once.
   */
  private settleCommitted(pending: PendingCompletion, held: boolean): void {
    if (!held) {
      const c = pending.completion;
      this.logger.warn(
        `Run ${c.runId} attempt ${c.attempt}: completion dropped, the attempt no longer holds the run's lease ` +
          `(recovered and claimed again, or cancelled, meanwhile); the stored outcome is left as it is`,
      );
    }
    this.settle(pending, held);
  }

  /** A host callback never breaks the flush: the other completions still settle and claims still start. */
  private settle(pending: PendingCompletion, held: boolean): void {
    try {
      pending.committed(held);
    } catch (error) {
      this.logger.error(`Settling the completion of run ${pending.completion.runId} failed: ${errorMessage(error)}`);
    }
  }

  private retryLater(what: string, error: unknown): void {
    this.flushFailures++;
    const delay = backoff(this.flushFailures);
    this.logger.error(`${what} (try ${this.flushFailures}, again in ${delay} ms): ${errorMessage(error)}`);
    if (this.flushRetry || this.abandoned) return;
    this.flushRetry = setTimeout(() => {
      this.flushRetry = undefined;
      this.scheduleFlush();
    }, delay);
  }

  /** Retries a state change until the database takes it (or a shutdown gives up). */
  private async persist<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 1; ; failures++) {
      try {
        return await write();
      } catch (error) {
        if (this.abandoned) return undefined;
        const delay = backoff(failures);
        this.logger.error(`${what} failed (try ${failures}, again in ${delay} ms): ${errorMessage(error)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** 100 ms, doubling, up to 5 s: quick through a hiccup, gentle through an outage. */
function backoff(failures: number): number {
  return Math.min(5000, 50 * 2 ** Math.min(failures, 7));
}
