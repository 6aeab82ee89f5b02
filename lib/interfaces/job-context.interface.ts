/** A handler's log lines: stored as JobLog rows (written in batches) and forwarded to Nest's Logger. */
export interface JobLogger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  log(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

/** A progress report: a percentage, or counts of items processed. */
export type JobProgress = number | { processed?: number; succeeded?: number; failed?: number; total?: number; [key: string]: unknown };

/**
 * Values saved with the run, so that a retried or rescued attempt resumes where the previous one
 * stopped: `await ctx.checkpoint.set('cursor', 40)`, then on the next attempt
 * `(await ctx.checkpoint.get<number>('cursor')) ?? 0`. Values are JSON, bounded by maxPayloadBytes
 * (all keys together). Cleared when the run completes; kept when it fails, for inspection.
 */
export interface JobCheckpoint {
  /** The value saved under `key` by this attempt or an earlier one; undefined when none. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Saves `value` under `key` (undefined removes it), once stored: await it before moving on. */
  set(key: string, value: unknown): Promise<void>;
}

/** What handle() receives for one attempt of one run. */
export interface JobContext<Input = unknown> {
  /** The run's input (an instance of the job's input class when it declares one). */
  readonly input: Input;
  readonly runId: string;
  readonly jobTypeId: string;
  /** This attempt's number, from 1. */
  readonly attempt: number;
  /** Attempts this run may make in all (maxRetries + 1). */
  readonly maxAttempts: number;
  readonly queue: string;
  readonly correlationId: string | null;
  readonly parentRunId: string | null;
  /** Fires on timeout, cancel and shutdown: pass it to fetch() and friends, or check `aborted`. */
  readonly signal: AbortSignal;
  readonly logger: JobLogger;
  /** Values saved with the run that later attempts read (see JobCheckpoint). */
  readonly checkpoint: JobCheckpoint;
  /** Stores a progress report on the run. */
  progress(value: JobProgress): Promise<void>;
}

/**
 * A class marked with `@Job()` implements this. JobScheduler reads `Input` and `Output` off the
 * class's handle() (see JobInput and JobOutput), so `enqueue(SendEmailJob, input)` is type-checked.
 */
export interface JobHandler<Input = unknown, Output = unknown> {
  handle(ctx: JobContext<Input>): Promise<Output> | Output;
}
