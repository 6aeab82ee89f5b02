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
    const id = await super.enqueue(job, ...args);
    if ((args[1] as TransactionOptions | undefined)?.manager === undefined) await this.testing.drain();
    return id;
  }

  override async enqueueDetailed<J extends JobRef>(job: J, ...args: EnqueueArgs<JobInput<J>>): Promise<EnqueueResult> {
    const result = await super.enqueueDetailed(job, ...args);
    if ((args[1] as TransactionOptions | undefined)?.manager === undefined) await this.testing.drain();
    return result;
  }

  override async enqueueMany<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    options: TransactionOptions = {},
  ): Promise<string[]> {
    const ids = await super.enqueueMany<Jobs>(items, options);
    if (options?.manager === undefined) await this.testing.drain();
    return ids;
  }

  override async enqueueManyDetailed<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    options: TransactionOptions = {},
  ): Promise<EnqueueResult[]> {
    const results = await super.enqueueManyDetailed<Jobs>(items, options);
    if (options?.manager === undefined) await this.testing.drain();
    return results;
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

  private async thenDrain<T>(done: Promise<T>): Promise<T> {
    const result = await done;
    await this.testing.drain();
    return result;
  }
}

