import { Logger } from '@nestjs/common';
import type { RegisteredJob } from '../discovery/job-registry.js';
import { JobTimeoutError, UnrecoverableJobError } from '../errors/errors.js';
import type { JobCheckpoint, JobContext, JobLogger, JobProgress } from '../interfaces/job-context.interface.js';
import { JobLogLevel } from '../model/statuses.js';
import type { AttemptLease, AttemptLogLine, ClaimedRun } from '../storage/job-storage.types.js';
import type { Clock } from '../util/clock.js';
import { checkInput } from '../util/input-class.js';
import { toJson } from '../util/json.js';
import { AttemptCheckpoint } from './attempt-checkpoint.js';
import type { AttemptControl } from './attempt-control.js';
import { maxAttempts } from './next-attempt.js';
import { isError, safeText, toError } from './to-error.js';
import type { LongTimeout } from '../util/timers.js';

export { toError } from './to-error.js';

export type AttemptOutcome =
  | { ok: true; output: unknown; outputJson: string | null; durationMs: number }
  /** `error` is toError's plain Error: its fields are strings, whatever the handler threw. */
  | { ok: false; error: Error; durationMs: number };

export interface AttemptDeps {
  /** The attempt's hold on its run: progress is written under it, so a lost lease writes nothing. */
  lease: AttemptLease;
  writeLog: (line: AttemptLogLine) => void;
  writeProgress: (lease: AttemptLease, progressJson: string) => Promise<boolean>;
  readCheckpoint: (runId: string) => Promise<string | null>;
  writeCheckpoint: (lease: AttemptLease, checkpointJson: string) => Promise<boolean>;
  /** The bound on output and progress, as on input: what one run may store as JSON. */
  maxPayloadBytes: number;
  /** Arms the timeout: a test's fake clock fires it when moved past it. */
  clock: Clock;
}

/**
 * Log lines stored per attempt. A handler logging in a loop would otherwise fill the table and
 * stall the worker's commits; past this, lines still reach Nest's Logger, and one line says how
 * many were not stored.
 */
export const MAX_LOG_LINES_PER_ATTEMPT = 10_000;

// A handler's log line may carry anything: it is made text without ever throwing.
function format(head: string, args: unknown[]): string {
  if (args.length === 0) return head;
  return [head, ...args.map(safeText)].join(' ');
}

/** The `ctx` of one attempt. Its logger is made on first use: most attempts never log. */
class AttemptContext implements JobContext<unknown> {
  readonly runId: string;
  readonly jobTypeId: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly queue: string;
  readonly correlationId: string | null;
  readonly parentRunId: string | null;
  private jobLogger: JobLogger | undefined;
  private attemptCheckpoint: AttemptCheckpoint | undefined;

  constructor(
    readonly input: unknown,
    private readonly job: RegisteredJob,
    run: ClaimedRun,
    private readonly control: AttemptControl,
    private readonly deps: AttemptDeps,
  ) {
    this.runId = run.id;
    this.jobTypeId = run.jobTypeId;
    this.attempt = run.attemptNumber;
    this.maxAttempts = maxAttempts(run, job);
    this.queue = run.queue;
    this.correlationId = run.correlationId;
    this.parentRunId = run.parentRunId;
  }

  get signal(): AbortSignal {
    return this.control.signal;
  }

  get logger(): JobLogger {
    return (this.jobLogger ??= makeLogger(this.job, this.runId, this.attempt, this.deps));
  }

  get checkpoint(): JobCheckpoint {
    return (this.attemptCheckpoint ??= new AttemptCheckpoint(this.jobTypeId, this.deps));
  }

  async progress(value: JobProgress): Promise<void> {
    // Fenced on the lease: a report from an attempt that timed out, was cancelled or was
    // recovered (false here) must not overwrite the progress of the run's current attempt.
    await this.deps.writeProgress(this.deps.lease, toJson(value, `progress of job '${this.jobTypeId}'`, this.deps.maxPayloadBytes) as string);
  }
}

function makeLogger(job: RegisteredJob, runId: string, attempt: number, deps: AttemptDeps): JobLogger {
  const nestLogger = new Logger(`ZapJobs:${job.id}`);
  let stored = 0;
  const line = (level: JobLogLevel, message: unknown, args: unknown[]) => {
    const error = isError(message) ? toError(message) : undefined;
    const text = format(error ? error.message : safeText(message), args);
    if (stored < MAX_LOG_LINES_PER_ATTEMPT) {
      stored++;
      deps.writeLog({ runId, lease: deps.lease, level, message: text, exception: error?.stack ?? null, category: job.id });
    } else if (stored++ === MAX_LOG_LINES_PER_ATTEMPT) {
      deps.writeLog({
        runId,
        lease: deps.lease,
        level: JobLogLevel.Warn,
        message: `log limit reached: this attempt stores at most ${MAX_LOG_LINES_PER_ATTEMPT} lines; later ones go to the application's logger only`,
        category: 'zapjobs',
      });
    }
    const forwarded = `[run ${runId} attempt ${attempt}] ${text}`;
    if (level === JobLogLevel.Error) nestLogger.error(forwarded);
    else if (level === JobLogLevel.Warn) nestLogger.warn(forwarded);
    else if (level === JobLogLevel.Debug) nestLogger.debug(forwarded);
    else nestLogger.log(forwarded);
  };
  return {
    debug: (message, ...args) => line(JobLogLevel.Debug, message, args),
    info: (message, ...args) => line(JobLogLevel.Info, message, args),
    log: (message, ...args) => line(JobLogLevel.Info, message, args),
    warn: (message, ...args) => line(JobLogLevel.Warn, message, args),
    error: (message, ...args) => line(JobLogLevel.Error, message, args),
  };
}

/** The stored input, parsed. */
function parseInput(job: RegisteredJob, run: ClaimedRun): unknown {
  try {
    return run.inputJson == null ? job.options.defaultInput : JSON.parse(run.inputJson);
  } catch (error) {
    // Written by something other than ZapJobs: no retry can fix it.
    throw new UnrecoverableJobError(`the stored input is not valid JSON (${(error as Error).message})`);
  }
}

/** The stored input checked against the job's input class (a job without one is parsed in place: no async frame per attempt). */
async function checkedInput(job: RegisteredJob, run: ClaimedRun, inputClass: NonNullable<RegisteredJob['options']['input']>): Promise<unknown> {
  const input = parseInput(job, run);
  // Checked again here: the row may have been written by another program, or by an older
  // version of the job. Input that no longer matches fails at once, without retries.
  if (input === null || typeof input !== 'object') {
    throw new UnrecoverableJobError(`the stored input is not an object matching ${inputClass.name}`);
  }
  const { instance, reasons } = await checkInput(inputClass, input);
  if (reasons.length > 0) {
    throw new UnrecoverableJobError(`the stored input does not match ${inputClass.name}: ${reasons.join('; ')}`);
  }
  return instance;
}

/**
 * One attempt of one run: builds the context, calls handle(), and turns whatever happens (a value,
 * a throw, a timeout, an abort) into an outcome. Never throws: user code cannot take the engine down.
 * A handler that ignores its signal still loses the race against the timeout.
 */
export async function runAttempt(job: RegisteredJob, run: ClaimedRun, control: AttemptControl, deps: AttemptDeps): Promise<AttemptOutcome> {
  const started = Date.now();
  let timer: LongTimeout | undefined;
  try {
    const inputClass = job.options.input;
    const input = inputClass ? await checkedInput(job, run, inputClass) : parseInput(job, run);
    const ctx = new AttemptContext(input, job, run, control, deps);
    if (job.timeoutMs > 0 && Number.isFinite(job.timeoutMs)) {
      timer = deps.clock.setTimeout(() => control.abort(new JobTimeoutError(job.timeoutMs)), job.timeoutMs);
    }
    // A per-run handler's sub-tree is built inside the race, so a constructor that hangs times out too;
    // it is released with this attempt (nothing but this closure holds its context id).
    const { perRun } = job;
    const output = await control.race(
      perRun ? Promise.resolve().then(async () => (await perRun(ctx)).handle(ctx)) : Promise.resolve().then(() => job.instance.handle(ctx)),
    );
    // Bounded like input, so that passParentOutput cannot carry more into a continuation either.
    const outputJson = toJson(output, `output of job '${job.id}'`, deps.maxPayloadBytes);
    return { ok: true, output, outputJson, durationMs: Date.now() - started };
  } catch (thrown) {
    return { ok: false, error: toError(thrown), durationMs: Date.now() - started };
  } finally {
    timer?.clear();
  }
}
