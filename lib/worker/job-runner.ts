import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { RegisteredJob } from '../discovery/job-registry.js';
import { JobTimeoutError, UnrecoverableJobError } from '../errors/errors.js';
import type { JobContext, JobLogger, JobProgress } from '../interfaces/job-context.interface.js';
import { JobLogLevel } from '../storage/entities/enums.js';
import type { ClaimedRun, NewJobLog } from '../storage/job-storage.types.js';
import { toJson } from '../util/json.js';

export type AttemptOutcome =
  | { ok: true; output: unknown; outputJson: string | null; durationMs: number }
  | { ok: false; error: Error; durationMs: number };

export interface AttemptDeps {
  signalController: AbortController;
  writeLog: (line: NewJobLog) => void;
  writeProgress: (runId: string, progressJson: string) => Promise<void>;
}

/** Whatever a handler threw, as an Error that keeps as much of it as can be said. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  const error = new Error(`handler threw a non-Error value: ${text}`);
  error.name = 'NonErrorThrown';
  return error;
}

function format(message: unknown, args: unknown[]): string {
  const head = message instanceof Error ? message.message : String(message);
  if (args.length === 0) return head;
  return [head, ...args.map((arg) => (typeof arg === 'string' ? arg : safeJson(arg)))].join(' ');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * One attempt of one run: builds the context, calls handle(), and turns whatever happens (a value,
 * a throw, a timeout, an abort) into an outcome. Never throws: user code cannot take the engine down.
 * A handler that ignores its signal still loses the race against the timeout.
 */
export async function runAttempt(job: RegisteredJob, run: ClaimedRun, deps: AttemptDeps): Promise<AttemptOutcome> {
  const started = Date.now();
  const controller = deps.signalController;
  let nestLogger: Logger | undefined; // made on the first line: most attempts log nothing
  let timer: NodeJS.Timeout | undefined;
  const line = (level: JobLogLevel, message: unknown, args: unknown[]) => {
    const text = format(message, args);
    deps.writeLog({
      runId: run.id,
      level,
      message: text,
      attemptNumber: run.attemptNumber,
      exception: message instanceof Error ? (message.stack ?? null) : null,
      category: job.id,
    });
    const forwarded = `[run ${run.id} attempt ${run.attemptNumber}] ${text}`;
    nestLogger ??= new Logger(`ZapJobs:${job.id}`);
    if (level === JobLogLevel.Error) nestLogger.error(forwarded);
    else if (level === JobLogLevel.Warn) nestLogger.warn(forwarded);
    else if (level === JobLogLevel.Debug) nestLogger.debug(forwarded);
    else nestLogger.log(forwarded);
  };
  const logger: JobLogger = {
    debug: (message, ...args) => line(JobLogLevel.Debug, message, args),
    info: (message, ...args) => line(JobLogLevel.Info, message, args),
    log: (message, ...args) => line(JobLogLevel.Info, message, args),
    warn: (message, ...args) => line(JobLogLevel.Warn, message, args),
    error: (message, ...args) => line(JobLogLevel.Error, message, args),
  };
  try {
    let input: unknown;
    try {
      input = run.inputJson == null ? job.options.defaultInput : JSON.parse(run.inputJson);
    } catch (error) {
      // Written by something other than ZapJobs: no retry can fix it.
      throw new UnrecoverableJobError(`the stored input is not valid JSON (${(error as Error).message})`);
    }
    if (job.options.input) {
      // Checked again here: the row may have been written by another program, or by an older
      // version of the job. Input that no longer matches fails at once, without retries.
      if (input === null || typeof input !== 'object') {
        throw new UnrecoverableJobError(`the stored input is not an object matching ${job.options.input.name}`);
      }
      input = plainToInstance(job.options.input, input);
      const errors = await validate(input as object, { forbidUnknownValues: false });
      if (errors.length > 0) {
        const reasons = errors.flatMap((e) => Object.values(e.constraints ?? { [e.property]: `${e.property} is invalid` }));
        throw new UnrecoverableJobError(`the stored input does not match ${job.options.input.name}: ${reasons.join('; ')}`);
      }
    }
    const ctx: JobContext<unknown> = {
      input,
      runId: run.id,
      jobTypeId: run.jobTypeId,
      attempt: run.attemptNumber,
      maxAttempts: (run.maxRetries ?? job.maxRetries) + 1,
      queue: run.queue,
      correlationId: run.correlationId,
      parentRunId: run.parentRunId,
      signal: controller.signal,
      logger,
      progress: (value: JobProgress) => deps.writeProgress(run.id, toJson(value, 'progress') as string),
    };
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(controller.signal.reason);
      if (controller.signal.aborted) onAbort();
      else controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined); // settled after the race is decided: not an unhandled rejection
    if (job.timeoutMs > 0 && Number.isFinite(job.timeoutMs)) {
      timer = setTimeout(() => controller.abort(new JobTimeoutError(job.timeoutMs)), job.timeoutMs);
    }
    const output = await Promise.race([Promise.resolve().then(() => job.instance.handle(ctx)), aborted]);
    const outputJson = toJson(output, `output of job '${job.id}'`);
    return { ok: true, output, outputJson, durationMs: Date.now() - started };
  } catch (thrown) {
    return { ok: false, error: toError(thrown), durationMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
