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
