import { Inject, Injectable } from '@nestjs/common';
import { JobScheduler } from '../client/job-scheduler.js';
import type { BatchOptions, BatchResult, EnqueueResult, TransactionOptions } from '../interfaces/enqueue-options.interface.js';
import type { ContinueArgs, EnqueueArgs, EnqueueItem, JobInput, JobRef } from '../interfaces/job-types.interface.js';
import { ZapJobsTesting } from './zapjobs-testing.js';

/**
 * The JobScheduler of `ZapJobsTestingModule.forRoot({ inline: true })`: each call that makes runs
 * due drains before it returns, so the job has run when enqueue() resolves. A run enqueued with
 * { manager } exists only once its transaction commits, after enqueue() returned: drain() runs it.
 */
@Injectable()
export class InlineJobScheduler extends JobScheduler {
  // A property, so that the constructor (and its injections) stay JobScheduler's own.
  @Inject(ZapJobsTesting) private readonly testing!: ZapJobsTesting;

  override async enqueue<J extends JobRef>(job: J, ...args: EnqueueArgs<JobInput<J>>): Promise<string> {
    return this.thenDrain(super.enqueue(job, ...args), args[1]);
  }

  override async enqueueDetailed<J extends JobRef>(job: J, ...args: EnqueueArgs<JobInput<J>>): Promise<EnqueueResult> {
    return this.thenDrain(super.enqueueDetailed(job, ...args), args[1]);
  }

  override async enqueueMany<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    options?: TransactionOptions,
  ): Promise<string[]> {
    return this.thenDrain(super.enqueueMany<Jobs>(items, options), options);
  }

  override async enqueueManyDetailed<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    options?: TransactionOptions,
  ): Promise<EnqueueResult[]> {
    return this.thenDrain(super.enqueueManyDetailed<Jobs>(items, options), options);
  }

  override async continueWith<J extends JobRef>(parentRunId: string | readonly string[], job: J, ...args: ContinueArgs<JobInput<J>>): Promise<string> {
    // Released at once when the parent has already finished: it runs now, as any enqueued run.
    return this.thenDrain(super.continueWith(parentRunId, job, ...args));
  }

  override async retry(runId: string): Promise<void> {
    return this.thenDrain(super.retry(runId));
  }

  override async retryMany(...args: Parameters<JobScheduler['retryMany']>): Promise<number> {
    return this.thenDrain(super.retryMany(...args));
  }

  override async batch<const Jobs extends readonly JobRef[]>(items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> }, options?: BatchOptions): Promise<BatchResult> {
    return this.thenDrain(super.batch<Jobs>(items, options));
  }

  override async addToBatch<const Jobs extends readonly JobRef[]>(batchId: string, items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> }): Promise<string[]> {
    return this.thenDrain(super.addToBatch<Jobs>(batchId, items));
  }

  /** What `done` resolves with, once what it made due has run; not with `{ manager }`, whose runs exist only at the commit. */
  private async thenDrain<T>(done: Promise<T>, options?: TransactionOptions | null): Promise<T> {
    const result = await done;
    if (options?.manager === undefined) await this.testing.drain();
    return result;
  }
}

