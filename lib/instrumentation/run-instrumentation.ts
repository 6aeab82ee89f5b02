import type { ClaimedRun, NewJobRun } from '../storage/job-storage.types.js';

/**
 * What an integration (the tracing of `@zapjobs/nestjs/tracing`) is told of runs, so that the core
 * never imports its library: JobScheduler calls enqueuing() for each run it stores, the worker
 * calls attempt() for each attempt it starts. Provided under ZAPJOBS_INSTRUMENTATION by the
 * integration's module; without one the engine makes no call and allocates nothing for it (a
 * null check per run).
 */
export interface RunInstrumentation {
  /**
   * A run is about to be stored; called in the enqueuing code's async context (so its active span
   * is the caller's). May set `run.traceContext`, which is stored with the run. `queue` is the
   * run's queue as far as this process knows: undefined when none was given and the job is not
   * registered here (the definition's queue is then filled in by the storage).
   */
  enqueuing(run: NewJobRun, queue: string | undefined): EnqueueScope;
  /** An attempt of a claimed run is about to start on this worker. */
  attempt(run: ClaimedRun, workerId: string): AttemptScope;
}

export interface EnqueueScope {
  /** The run is stored under `runId`; `created` is false when a unique run's key was held and `runId` is the holder's. */
  stored(runId: string, created: boolean): void;
  /** Nothing was stored: the insert failed with `error`. */
  failed(error: unknown): void;
}

/** How an attempt ended, as the worker decided it. */
export type AttemptEnding =
  /** handle() returned. */
  | 'completed'
  /** It failed (threw or timed out) and the run goes back to the queue for another attempt. */
  | 'retrying'
  /** It failed and no attempt is left (or the error was unrecoverable): the run is Failed. */
  | 'failed'
  /** The run was cancelled while this attempt ran. */
  | 'cancelled'
  /** The attempt was cut short without an outcome: shutdown (the run is requeued) or a lease lost to recovery. */
  | 'interrupted';

export interface AttemptScope {
  /** Runs the attempt inside the integration's context, so that what the handler does is seen as part of the attempt. */
  within<T>(execute: () => Promise<T>): Promise<T>;
  /** The attempt ended; `error` is what failed it (or what cut it short). Only the first call counts. */
  ended(ending: AttemptEnding, error?: Error): void;
}
