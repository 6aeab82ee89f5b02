import { ZapJobsError } from './zapjobs.error.js';
import { messages } from './messages.js';

/** A module option is missing or out of range; raised while the module starts. */
export class InvalidOptionsError extends ZapJobsError {
  /** `of` names whose options they are (ZapJobsModule's unless given). */
  constructor(readonly problems: string[], options?: { cause?: unknown; of?: string }) {
    super(messages.invalidOptions(problems, options?.of), options);
  }
}

/** A duration (an option, a job's timeout, an enqueue delay) that is not one, or is out of range. */
export class InvalidDurationError extends ZapJobsError {
  /** `field` names what was given (e.g. 'pollInterval', 'delay'); `value` is what was passed. */
  constructor(readonly field: string, readonly value: unknown, message: string) {
    super(message);
  }
}

/** The schema is behind the code and `autoMigrate` is off. */
export class SchemaNotMigratedError extends ZapJobsError {
  constructor(readonly pending: string[]) {
    super(messages.schemaNotMigrated(pending));
  }
}

/** Two handler classes claim the same job id, or a class is not a usable handler. */
export class InvalidJobHandlerError extends ZapJobsError {}

/** A run was enqueued for a job id that has no definition. */
export class UnknownJobError extends ZapJobsError {
  /** `where` names the field that held the id (`batch: onSuccess`). */
  constructor(readonly jobTypeId: string, where?: string) {
    super(where === undefined ? messages.unknownJob(jobTypeId) : `${where}: ${messages.unknownJob(jobTypeId)} Nothing was stored.`);
  }
}

/** A run id that is not in the runs table. */
export class RunNotFoundError extends ZapJobsError {
  constructor(readonly runId: string) {
    super(messages.runNotFound(runId));
  }
}

/** Input or output that cannot be stored as JSON, or that is larger than allowed. */
export class InvalidPayloadError extends ZapJobsError {}

/** Input rejected by the class-validator rules of the job's input class. */
export class JobInputValidationError extends ZapJobsError {
  constructor(readonly jobTypeId: string, readonly errors: string[]) {
    super(messages.invalidInput(jobTypeId, errors));
  }
}

/** A state change that the run's current status does not allow (retrying a completed run, say). */
export class InvalidRunStateError extends ZapJobsError {}

/** A cron expression or time zone the `cron` package rejects. */
export class InvalidScheduleError extends ZapJobsError {}

/** The attempt ran past its timeout. */
export class JobTimeoutError extends ZapJobsError {
  constructor(readonly timeoutMs: number) {
    super(messages.timeout(timeoutMs));
  }
}

/** The run was cancelled while it ran. */
export class JobCancelledError extends ZapJobsError {
  constructor() {
    super('the run was cancelled');
  }
}

/** Aborts the runs in flight when the application shuts down past shutdownTimeout. */
export class WorkerShutdownError extends ZapJobsError {
  constructor() {
    super('the worker shut down before the attempt finished; the run goes back to the queue');
  }
}

/**
 * Aborts an attempt whose worker no longer holds its run: the run was recovered while this worker
 * looked dead (its event loop blocked past staleAfter, say) and may be running again, here or
 * elsewhere. Nothing the attempt does afterwards is recorded: storage fences every write on the
 * lease (run, attempt, worker). Handlers see it as `ctx.signal.reason`.
 */
export class LeaseLostError extends ZapJobsError {
  constructor(readonly runId: string, readonly attempt: number) {
    super(messages.leaseLost(runId, attempt));
  }
}

/**
 * Throw from a handler to fail the run at once, skipping the attempts that remain
 * (bad input that no retry will fix, say).
 */
export class UnrecoverableJobError extends ZapJobsError {}

/**
 * The SQLite file was deleted or replaced while the process had it open: writes would go to a file
 * no other process can see, and be lost at exit, so they fail instead. Restart the process.
 */
export class DatabaseFileGoneError extends ZapJobsError {
  constructor(readonly file: string) {
    super(messages.databaseFileGone(file));
  }
}

/**
 * The `manager` given to enqueue() or enqueueMany() cannot carry the run: it is not in an open
 * transaction, or its DataSource is not on ZapJobs' database (another file or database, another
 * driver, an in-memory SQLite database). Nothing was stored.
 */
export class InvalidManagerError extends ZapJobsError {}

/** jobs.waitFor() gave up: the run had not finished within the timeout (the run itself goes on). */
export class WaitForTimeoutError extends ZapJobsError {
  constructor(readonly runId: string, readonly timeoutMs: number, readonly status: string) {
    super(messages.waitForTimeout(runId, timeoutMs, status));
  }
}
