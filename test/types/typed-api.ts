// Type tests of the public API, checked by `tsc -p tsconfig.json` (npm run build:test). Nothing
// here runs: Jest only picks up *.spec.ts. Each `@ts-expect-error` marks a line that must NOT
// compile; tsc fails with "Unused '@ts-expect-error' directive" if one starts compiling.
import { IsEmail, IsOptional, IsString } from 'class-validator';
import type * as Api from '../../lib/index.js';
import {
  Job, JobRunStatus, type JobContext, type JobHandler, type JobInput, type JobOutput, type JobRun, type JobRunOf,
  type JobScheduler, type JobStorage,
} from '../../lib/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assert<T extends true>(): void {}
function expectType<T>(value: T): T {
  return value;
}

class SendEmailInput {
  @IsEmail() to!: string;
  @IsString() subject!: string;
  @IsOptional() @IsString() body?: string;
}

@Job({ id: 'send-email', input: SendEmailInput })
class SendEmailJob implements JobHandler<SendEmailInput, { messageId: string }> {
  async handle(ctx: JobContext<SendEmailInput>): Promise<{ messageId: string }> {
    return { messageId: ctx.input.to };
  }
}

/** Takes no input. */
@Job({ id: 'tick' })
class TickJob implements JobHandler<void, number> {
  handle(): number {
    return 1;
  }
}

/** Takes anything (JobContext's default input is unknown). */
@Job({ id: 'record' })
class RecordJob implements JobHandler {
  handle(ctx: JobContext) {
    return ctx.input;
  }
}

@Job({ id: 'resize' })
class ResizeJob {
  handle(ctx: JobContext<{ url: string; width?: number }>): { bytes: number } {
    return { bytes: ctx.input.url.length };
  }
}

export function inferredTypes(): void {
  assert<Equal<JobInput<typeof SendEmailJob>, SendEmailInput>>();
  assert<Equal<JobOutput<typeof SendEmailJob>, { messageId: string }>>();
  assert<Equal<JobInput<typeof TickJob>, void>>();
  assert<Equal<JobOutput<typeof TickJob>, number>>();
  assert<Equal<JobInput<typeof RecordJob>, unknown>>();
  assert<Equal<JobInput<typeof ResizeJob>, { url: string; width?: number }>>();
  assert<Equal<JobOutput<typeof ResizeJob>, { bytes: number }>>();
  assert<Equal<JobInput<'send-email'>, unknown>>();
  assert<Equal<JobRunOf<typeof SendEmailJob>, JobRun<SendEmailInput, { messageId: string }>>>();
}

export async function enqueue(jobs: JobScheduler): Promise<void> {
  await jobs.enqueue(SendEmailJob, { to: 'a@example.com', subject: 'Hi' });
  await jobs.enqueue(SendEmailJob, { to: 'a@example.com', subject: 'Hi', body: 'text' }, { delay: '10m', priority: 1 });
  await jobs.enqueue(TickJob);
  await jobs.enqueue(TickJob, undefined, { queue: 'low' });
  await jobs.enqueue(RecordJob);
  await jobs.enqueue(RecordJob, { anything: [1, 2] });
  await jobs.enqueue(ResizeJob, { url: 'https://example.com/a.png' });
  // A job id is untyped: any input, or none.
  await jobs.enqueue('send-email', { to: 42 });
  await jobs.enqueue('send-email');

  // @ts-expect-error wrong shape: `to` must be a string
  await jobs.enqueue(SendEmailJob, { to: 42, subject: 'Hi' });
  // @ts-expect-error missing required field `subject`
  await jobs.enqueue(SendEmailJob, { to: 'a@example.com' });
  // @ts-expect-error unknown field
  await jobs.enqueue(SendEmailJob, { to: 'a@example.com', subject: 'Hi', cc: 'b@example.com' });
  // @ts-expect-error the input is required
  await jobs.enqueue(SendEmailJob);
  // @ts-expect-error a job without input takes none
  await jobs.enqueue(TickJob, { n: 1 });
  // @ts-expect-error width is a number
  await jobs.enqueue(ResizeJob, { url: 'x', width: '100' });
  // @ts-expect-error options are EnqueueOptions
  await jobs.enqueue(TickJob, undefined, { dealy: '1m' });
}

export async function enqueueMany(jobs: JobScheduler): Promise<void> {
  await jobs.enqueueMany([
    { job: SendEmailJob, input: { to: 'a@example.com', subject: 'Hi' } },
    { job: TickJob },
    { job: RecordJob, input: 3, options: { priority: 2 } },
    { job: 'anything', input: { free: true } },
  ]);
  const emails = ['a@example.com', 'b@example.com'].map((to) => ({ job: SendEmailJob, input: { to, subject: 'Hi' } }));
  await jobs.enqueueMany(emails);

  // @ts-expect-error missing required field `subject` in the first item
  await jobs.enqueueMany([{ job: SendEmailJob, input: { to: 'a@example.com' } }, { job: TickJob }]);
  // @ts-expect-error the second item needs its input
  await jobs.enqueueMany([{ job: TickJob }, { job: SendEmailJob }]);
  const wrong = ['a@example.com'].map((to) => ({ job: SendEmailJob, input: { to } }));
  // @ts-expect-error items built elsewhere are checked too
  await jobs.enqueueMany(wrong);
}

export async function continueWith(jobs: JobScheduler, parent: string): Promise<void> {
  await jobs.continueWith(parent, SendEmailJob, { to: 'a@example.com', subject: 'Done' });
  await jobs.continueWith(parent, SendEmailJob, { to: 'a@example.com', subject: 'Done' }, { condition: 'failure' });
  // The parent's output becomes the input: none needed.
  await jobs.continueWith(parent, SendEmailJob, undefined, { passParentOutput: true });
  await jobs.continueWith(parent, RecordJob);
  await jobs.continueWith(parent, 'record', 'anything');

  // @ts-expect-error wrong shape
  await jobs.continueWith(parent, SendEmailJob, { to: 'a@example.com' });
  // @ts-expect-error no input and no passParentOutput
  await jobs.continueWith(parent, SendEmailJob, undefined, { condition: 'always' });
  // @ts-expect-error condition is 'success' | 'failure' | 'always'
  await jobs.continueWith(parent, RecordJob, undefined, { condition: 'completed' });
}

export async function readRuns(jobs: JobScheduler, runId: string): Promise<void> {
  const typed = await jobs.getRun(runId, SendEmailJob);
  if (typed) {
    expectType<string | undefined>(typed.output?.messageId);
    expectType<string | undefined>(typed.input?.to);
    expectType<boolean>(typed.passParentOutput);
    expectType<Date>(typed.createdAt);
    expectType<Date | null>(typed.completedAt);
    expectType<JobRunStatus>(typed.status);
    // @ts-expect-error output is { messageId } (or null), with no other field
    void typed.output?.messageID;
    // @ts-expect-error output may be null until the run completes
    void typed.output.messageId;
    // @ts-expect-error messageId is a string
    expectType<number | undefined>(typed.output?.messageId);
    // @ts-expect-error the run model has values, not JSON text
    void typed.outputJson;
    // @ts-expect-error the run model has values, not JSON text
    void typed.inputJson;
  }

  const untyped = await jobs.getRun(runId);
  if (untyped) {
    expectType<unknown>(untyped.output);
    // @ts-expect-error an untyped run's output is unknown
    void untyped.output.messageId;
  }
  const byId = await jobs.getRun(runId, 'send-email');
  expectType<JobRun | null>(byId);
}

export async function injectedStorage(storage: JobStorage, runId: string): Promise<void> {
  const run = await storage.getRun(runId);
  expectType<JobRun | null>(run);
  await storage.listRuns({ status: JobRunStatus.Failed, limit: 10 });
  await storage.countRuns();
  await storage.getLogs(runId);
  await storage.getAllDefinitions();
  await storage.getActiveWorkers(60_000);
  await storage.cancelRun(runId);
  await storage.requeueRun(runId);

  // The engine's own operations are not on the storage applications inject.
  // @ts-expect-error engine-only
  await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
  // @ts-expect-error engine-only
  await storage.completeAndClaim([], { queues: ['default'], workerId: 'w', limit: 1 });
  // @ts-expect-error engine-only
  await storage.failRun({ runId, workerId: 'w', attempt: 1 });
  // @ts-expect-error engine-only
  await storage.releaseRuns([]);
  // @ts-expect-error engine-only
  await storage.stillHeld([]);
  // @ts-expect-error engine-only
  await storage.claimScheduleTick({ jobTypeId: 'tick' });
}

// Internals are not exported from the package root.
// @ts-expect-error not public
export type NoSqliteStorage = Api.SqliteJobStorage;
// @ts-expect-error not public
export type NoPostgresStorage = Api.PostgresJobStorage;
// @ts-expect-error not public
export type NoEngineStorage = Api.EngineStorage;
// @ts-expect-error not public
export type NoResolvedOptions = Api.ResolvedZapJobsOptions;
// @ts-expect-error not public
export type NoEntities = typeof Api.ZAPJOBS_ENTITIES;
// @ts-expect-error not public
export type NoOptionsToken = typeof Api.ZAPJOBS_OPTIONS;
// @ts-expect-error engine-only storage types
export type NoRunCompletion = Api.RunCompletion;

// @Job's defaultInput is typed by its input class.
@Job({ id: 'digest', input: SendEmailInput, defaultInput: { to: 'ops@example.com', subject: 'Daily digest' } })
export class DigestJob implements JobHandler<SendEmailInput> {
  handle(): void {}
}

// @ts-expect-error a default input missing a required field
@Job({ id: 'bad-digest', input: SendEmailInput, defaultInput: { to: 'ops@example.com' } })
export class BadDigestJob implements JobHandler<SendEmailInput> {
  handle(): void {}
}

// Without an input class, any default input.
@Job({ id: 'report', defaultInput: { format: 'csv' } })
export class ReportJob implements JobHandler {
  handle(): void {}
}

export async function unique(jobs: JobScheduler): Promise<void> {
  const result = await jobs.enqueueDetailed(SendEmailJob, { to: 'a@example.com', subject: 'Hi' }, {
    unique: { key: 'k', for: '1h', states: ['pending', JobRunStatus.Running], onConflict: 'replace' },
  });
  assert<Equal<typeof result, Api.EnqueueResult>>();
  expectType<string>(await jobs.enqueue(TickJob, undefined, { unique: true }));
  expectType<Api.EnqueueResult[]>(await jobs.enqueueManyDetailed([{ job: TickJob, options: { unique: false } }]));
  // @ts-expect-error onConflict is 'skip' or 'replace'
  await jobs.enqueue(TickJob, undefined, { unique: { onConflict: 'merge' } });
  // @ts-expect-error states are run statuses
  await jobs.enqueue(TickJob, undefined, { unique: { states: ['queued'] } });
  // @ts-expect-error enqueueDetailed checks the input as enqueue does
  await jobs.enqueueDetailed(SendEmailJob, { to: 'a@example.com' });
}
