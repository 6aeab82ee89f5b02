import { Injectable, Module, Scope, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { InvalidJobHandlerError, InvalidScheduleError, Job, ScheduleType } from '../../lib/index.js';
import { JobExplorer } from '../../lib/discovery/job-explorer.js';
import { JobMetadataAccessor } from '../../lib/discovery/job-metadata.accessor.js';
import { JobRegistry } from '../../lib/discovery/job-registry.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';
import { ZAPJOBS_OPTIONS } from '../../lib/zapjobs.constants.js';
import {
  AnotherSendEmailJob, BadCronJob, BadTimeZoneJob, CronAndIntervalJob, ImplicitlyRequestScopedJob, NightlyReportJob,
  NoHandleJob, RequestContext, RequestScopedJob, SendEmailJob,
} from '../fixtures/jobs.fixture.js';

// The explorer with only what it needs (discovery, accessor, registry, options): no database.

let moduleRef: TestingModule | undefined;

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
});

async function explorerWith(providers: Provider[], imports: Type<unknown>[] = []): Promise<JobExplorer> {
  moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule, ...imports],
    providers: [
      JobExplorer,
      JobMetadataAccessor,
      JobRegistry,
      { provide: ZAPJOBS_OPTIONS, useValue: resolveOptions({ defaultMaxRetries: 7, retryPolicy: { maxDelay: '10m' } }) },
      ...providers,
    ],
  }).compile();
  return moduleRef.get(JobExplorer);
}

/** The error explore() throws. */
function failureOf(explorer: JobExplorer): Error {
  try {
    explorer.explore();
  } catch (error) {
    return error as Error;
  }
  throw new Error('explore() did not throw');
}

describe('JobExplorer', () => {
  it('registers every @Job provider with its options resolved against the module defaults', async () => {
    const explorer = await explorerWith([SendEmailJob, NightlyReportJob]);
    const jobs = explorer.explore();
    expect(jobs.map((job) => job.id).sort()).toEqual(['nightly-report', 'send-email']);
    const registry = moduleRef!.get(JobRegistry);
    expect(registry.get('send-email')).toMatchObject({
      className: 'SendEmailJob',
      metatype: SendEmailJob,
      instance: moduleRef!.get(SendEmailJob),
      queue: 'critical',
      priority: 5,
      timeoutMs: 30_000,
      maxRetries: 5,
      retryPolicy: { initialDelay: 2_000, multiplier: 2, maxDelay: 600_000, jitter: 0.2 },
      schedule: { type: ScheduleType.None, misfire: 'once', preventOverlap: false },
    });
    expect(registry.get('nightly-report')).toMatchObject({
      queue: 'low',
      priority: 0,
      timeoutMs: 3_600_000,
      maxRetries: 7,
      retryPolicy: { initialDelay: 5_000, multiplier: 2, maxDelay: 600_000, jitter: 0.2 },
      schedule: { type: ScheduleType.Cron, cron: '0 2 * * *', timezone: 'America/Sao_Paulo' },
    });
  });

  it('ignores providers without @Job', async () => {
    @Injectable()
    class PlainService {
      handle() {
        return undefined;
      }
    }
    const explorer = await explorerWith([PlainService, SendEmailJob]);
    expect(explorer.explore().map((job) => job.id)).toEqual(['send-email']);
  });

  it('registers a class listed in two modules once', async () => {
    @Module({ providers: [SendEmailJob] })
    class FirstModule {}
    @Module({ providers: [SendEmailJob] })
    class SecondModule {}
    const explorer = await explorerWith([], [FirstModule, SecondModule]);
    expect(explorer.explore().map((job) => job.id)).toEqual(['send-email']);
  });

  it('fails on two classes with one id, naming both', async () => {
    const explorer = await explorerWith([SendEmailJob, AnotherSendEmailJob]);
    const error = failureOf(explorer);
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toMatch(/'send-email'/);
    expect(error.message).toMatch(/SendEmailJob and AnotherSendEmailJob|AnotherSendEmailJob and SendEmailJob/);
  });

  it('fails on a class without handle(), naming it', async () => {
    const error = failureOf(await explorerWith([NoHandleJob]));
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toBe('@Job class NoHandleJob has no handle(ctx) method.');
  });

  it('fails on an empty id, naming the class', async () => {
    @Job({ id: ' ' })
    class BlankIdJob {
      handle() {
        return undefined;
      }
    }
    const error = failureOf(await explorerWith([BlankIdJob]));
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toMatch(/BlankIdJob needs a non-empty string id/);
  });

  it('fails on an invalid cron expression with InvalidScheduleError naming the job, the class and the expression', async () => {
    const error = failureOf(await explorerWith([BadCronJob]));
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/@Job\(\{ id: 'bad-cron' \}\) on BadCronJob: cron: Invalid cron expression '61 \* \* \* \*'/);
  });

  it('fails on an unknown time zone with InvalidScheduleError naming the zone', async () => {
    const error = failureOf(await explorerWith([BadTimeZoneJob]));
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/BadTimeZoneJob: .*Invalid time zone 'Mars\/Olympus_Mons'/);
  });

  it('fails on cron and interval together', async () => {
    const error = failureOf(await explorerWith([CronAndIntervalJob]));
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/CronAndIntervalJob: cron and interval are exclusive/);
  });

  describe('request scope', () => {
    it('fails on a request-scoped @Job class, naming it and saying what to do', async () => {
      const error = failureOf(await explorerWith([RequestScopedJob]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toMatch(/@Job class RequestScopedJob is request-scoped/);
      expect(error.message).toMatch(/make it a singleton/);
    });

    it('fails on a @Job class that depends on a request-scoped provider', async () => {
      const error = failureOf(await explorerWith([ImplicitlyRequestScopedJob, RequestContext]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toMatch(/@Job class ImplicitlyRequestScopedJob is request-scoped \(or depends on a request-scoped provider\)/);
    });

    // Decorators apply bottom-up: @Job() must keep the scope an @Injectable({ scope }) below it set.
    it('fails on a request scope declared below @Job() too, rather than dropping it silently', async () => {
      @Job({ id: 'request-scoped-below' })
      @Injectable({ scope: Scope.REQUEST })
      class ScopeBelowJobDecorator {
        handle() {
          return undefined;
        }
      }
      const error = failureOf(await explorerWith([ScopeBelowJobDecorator]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toMatch(/@Job class ScopeBelowJobDecorator is request-scoped/);
    });
  });
});
