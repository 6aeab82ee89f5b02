import type { DynamicModule } from '@nestjs/common';
import { JobScheduler } from '../client/job-scheduler.js';
import { InvalidOptionsError } from '../errors/errors.js';
import { messages, shownValue } from '../errors/messages.js';
import type { ZapJobsModuleOptions } from '../options/zapjobs-options.interface.js';
import { Clock } from '../util/clock.js';
import { ZapJobsModule } from '../zapjobs.module.js';
import { FakeClock } from './fake-clock.js';
import { InlineJobScheduler } from './inline-job-scheduler.js';
import { ZapJobsTesting } from './zapjobs-testing.js';

/** ZapJobsModule's options, with the testing module's defaults, and two of its own. */
export interface ZapJobsTestingOptions extends ZapJobsModuleOptions {
  /**
   * enqueue() (and enqueueMany, continueWith, retry, trigger) drains before it returns: the job
   * has run when the call resolves.
   * @default false
   */
  inline?: boolean;
  /**
   * Where the fake clock starts.
   * @default the real time when the application is created
   */
  now?: Date;
}

/**
 * ZapJobs for a test suite: an in-memory SQLite database (unless `storage` says otherwise), no
 * background workers, scheduler or timers (unless `enableWorkers` / `enableScheduler` ask for
 * them), a fake clock, and the `ZapJobsTesting` handle that runs what is due.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [ZapJobsTestingModule.forRoot()],
 *   providers: [SendEmailJob],
 * }).compile();
 */
export class ZapJobsTestingModule {
  static forRoot(options: ZapJobsTestingOptions = {}): DynamicModule {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidOptionsError([messages.optionsNotObject('ZapJobsTestingModule.forRoot(options)', options)]);
    }
    const { inline = false, now, ...moduleOptions } = options;
    const problems: string[] = [];
    if (typeof inline !== 'boolean') problems.push(`inline must be true or false; got ${shownValue(inline)}`);
    if (now !== undefined && (!(now instanceof Date) || Number.isNaN(now.getTime()))) {
      problems.push(`now must be a valid Date (where the fake clock starts); got ${now instanceof Date ? 'an invalid Date' : shownValue(now)}`);
    }
    if (problems.length) throw new InvalidOptionsError(problems);
    const base = ZapJobsModule.forRoot({
      ...(moduleOptions.storage === 'postgres' ? {} : { database: ':memory:' }),
      enableWorkers: false,
      enableScheduler: false,
      ...moduleOptions,
    });
    // ZapJobsModule's own module, with these providers after its own: a provider given again
    // under the same token replaces it (the Clock; the JobScheduler when inline).
    return {
      ...base,
      providers: [
        ...(base.providers ?? []),
        { provide: Clock, useFactory: () => new FakeClock(now) },
        ZapJobsTesting,
        ...(inline ? [{ provide: JobScheduler, useClass: InlineJobScheduler }] : []),
      ],
      exports: [...(base.exports ?? []), ZapJobsTesting],
    };
  }
}
