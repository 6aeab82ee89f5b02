import type { Type } from '@nestjs/common';
import type { JobRun } from '../model/job-run.js';
import type { JobContext } from './job-context.interface.js';
import type { ContinuationOptions, EnqueueOptions, TransactionOptions } from './enqueue-options.interface.js';

// The typed API reads a job's input and output types off its class: handle(ctx: JobContext<I>)
// gives I, what handle() returns (awaited) gives O. A decorator cannot change a class's type, so
// the handler's signature is the one place both are written; `@Job({ input })` is checked against
// it only at run time (class-validator).

/** A class marked `@Job()`: anything with a `handle(ctx)` method. */
export type JobClass = Type<{ handle(ctx: JobContext<any>): unknown }>;

/** A job id (untyped: its input is `unknown`), or the `@Job()` class itself (typed). */
export type JobRef = string | JobClass;

/**
 * The input type of a job class: `JobInput<typeof SendEmailJob>`. `void` when handle() takes no
 * context (it cannot read an input), `unknown` for a job id.
 */
export type JobInput<J> = J extends Type<infer H>
  ? H extends { handle(...args: infer P): unknown }
    ? P extends [] ? void : P extends [JobContext<infer I>, ...unknown[]] ? I : unknown
    : unknown
  : unknown;

/** What a job class's handle() resolves to (`unknown` for a job id). `JobOutput<typeof SendEmailJob>` */
export type JobOutput<J> = J extends Type<infer H>
  ? H extends { handle(...args: any[]): infer R } ? Awaited<R> : unknown
  : unknown;

/** A run read through a job class: `input` and `output` typed as that job's. */
export type JobRunOf<J> = JobRun<JobInput<J>, JobOutput<J>>;

/** `input` may be left out only when the job accepts undefined (void, unknown, or optional input). */
type InputField<I> = undefined extends I ? { input?: I } : { input: I };

/** One item of `JobScheduler.enqueueMany()`. */
export type EnqueueItem<J extends JobRef = JobRef> = { job: J; options?: EnqueueOptions } & InputField<JobInput<J>>;

/** The arguments of enqueue() after the job: the input (required unless it accepts undefined), then options. */
export type EnqueueArgs<I> = undefined extends I
  ? [input?: I, options?: EnqueueOptions & TransactionOptions]
  : [input: I, options?: EnqueueOptions & TransactionOptions];

/**
 * The arguments of continueWith() after the job. With `passParentOutput: true` the parent's output
 * becomes the input when the parent completes, so the input may be left undefined; it is still
 * used when the parent ends otherwise (condition 'failure' or 'always').
 */
export type ContinueArgs<I> = undefined extends I
  ? [input?: I, options?: ContinuationOptions]
  : [input: I, options?: ContinuationOptions] | [input: I | undefined, options: ContinuationOptions & { passParentOutput: true }];
