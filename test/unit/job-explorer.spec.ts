import { Injectable, Module, Scope, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { InvalidDurationError, InvalidJobHandlerError, InvalidScheduleError, Job, ScheduleType } from '../../lib/index.js';
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

  it.each([
    [{ priority: 1.5 }, /@Job\(\{ id: 'bad-default' \}\) on BadDefaultJob: priority must be an integer from -2147483648 to 2147483647, got 1\.5/],
    [{ priority: 2 ** 31 }, /priority must be an integer/],
    [{ queue: '' }, /@Job\(\{ id: 'bad-default' \}\) on BadDefaultJob: queue must be a non-empty string without NUL characters, got ""/],
    [{ queue: 5 }, /queue must be a non-empty string/],
    // A retry policy the module would refuse: it failed the run's first retry while recording it (the run stayed running).
    [{ retryPolicy: { multiplier: 'x' } }, /BadDefaultJob: retryPolicy\.multiplier must be a number >= 1, got "x"/],
    [{ retryPolicy: { jitter: 2 } }, /retryPolicy\.jitter must be a number from 0 to 1, got 2/],
    [{ retryPolicy: 'exponential' }, /retryPolicy must be an object such as/],
    [{ retryPolicy: { initalDelay: '1s' } }, /retryPolicy.*initalDelay/],
    [{ misfire: 'skipp' }, /misfire must be "once" or "skip", got "skipp"/],
    [{ enabled: 'false' }, /enabled must be true or false, got "false"/],
    [{ preventOverlap: 'yes' }, /preventOverlap must be true or false/],
  ])('fails start-up on a default every enqueue would refuse, or a run would trip on: %j', async (bad, message) => {
    @Job({ id: 'bad-default', ...(bad as object) })
    class BadDefaultJob {
      handle() {
        return undefined;
      }
    }
    const error = failureOf(await explorerWith([BadDefaultJob]));
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toMatch(message);
  });

  it('fails on cron and interval together', async () => {
    const error = failureOf(await explorerWith([CronAndIntervalJob]));
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/CronAndIntervalJob: cron and interval are exclusive/);
  });

  describe('scopes', () => {
    const registered = (id: string) => moduleRef!.get(JobRegistry).get(id);

    it('registers a request-scoped @Job class as built per run', async () => {
      const explorer = await explorerWith([RequestScopedJob]);
      expect(explorer.explore().map((job) => job.id)).toEqual(['request-scoped']);
      expect(registered('request-scoped')?.perRun).toBeInstanceOf(Function);
    });

    it('registers a @Job class that depends on a request-scoped provider as built per run (scope bubbling)', async () => {
      const explorer = await explorerWith([ImplicitlyRequestScopedJob, RequestContext]);
      explorer.explore();
      expect(registered('implicitly-request-scoped')?.perRun).toBeInstanceOf(Function);
    });

    // Decorators apply bottom-up: @Job() must keep the scope an @Injectable({ scope }) below it set.
    it('keeps a request scope declared below @Job() too, rather than dropping it silently', async () => {
      @Job({ id: 'request-scoped-below' })
      @Injectable({ scope: Scope.REQUEST })
      class ScopeBelowJobDecorator {
        handle() {
          return undefined;
        }
      }
      (await explorerWith([ScopeBelowJobDecorator])).explore();
      expect(registered('request-scoped-below')?.perRun).toBeInstanceOf(Function);
    });

    it('registers a default-scoped @Job class with a transient dependency as built per run', async () => {
      @Injectable({ scope: Scope.TRANSIENT })
      class Scratch {}
      @Job({ id: 'transient-dependency' })
      class WithTransient {
        constructor(readonly scratch: Scratch) {}
        handle() {
          return undefined;
        }
      }
      (await explorerWith([WithTransient, Scratch])).explore();
      expect(registered('transient-dependency')?.perRun).toBeInstanceOf(Function);
    });

    it('keeps a singleton a singleton: no per-run cost', async () => {
      (await explorerWith([SendEmailJob])).explore();
      expect(registered('send-email')?.perRun).toBeUndefined();
    });

    it('still refuses a per-run class without handle()', async () => {
      @Injectable({ scope: Scope.TRANSIENT })
      @Job({ id: 'transient-no-handle' })
      class TransientNoHandle {}
      const error = failureOf(await explorerWith([TransientNoHandle]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toMatch(/TransientNoHandle/);
    });
  });

  describe('provider forms', () => {
    it('finds a @Job class given with useClass under another token', async () => {
      const explorer = await explorerWith([{ provide: 'EMAIL_JOB', useClass: SendEmailJob }]);
      expect(explorer.explore().map((job) => job.id)).toEqual(['send-email']);
      expect(moduleRef!.get(JobRegistry).get('send-email')).toMatchObject({ className: 'SendEmailJob', metatype: SendEmailJob });
    });

    it('finds a @Job instance given with useValue', async () => {
      const instance = new SendEmailJob();
      const explorer = await explorerWith([{ provide: 'EMAIL_JOB', useValue: instance }]);
      expect(explorer.explore().map((job) => job.id)).toEqual(['send-email']);
      expect(moduleRef!.get(JobRegistry).get('send-email')?.instance).toBe(instance);
    });

    it('finds a @Job instance made by useFactory (whose metatype is the factory function)', async () => {
      const explorer = await explorerWith([
        { provide: 'REPORT_PREFIX', useValue: 'nightly' },
        { provide: 'REPORT_JOB', useFactory: (prefix: string) => Object.assign(new NightlyReportJob(), { prefix }), inject: ['REPORT_PREFIX'] },
      ]);
      expect(explorer.explore().map((job) => job.id)).toEqual(['nightly-report']);
      const job = moduleRef!.get(JobRegistry).get('nightly-report');
      expect(job).toMatchObject({ className: 'NightlyReportJob', metatype: NightlyReportJob, instance: { prefix: 'nightly' } });
    });

    it('finds a @Job class replaced by a plain object under its own token (overrideProvider().useValue in a test)', async () => {
      const fake = { handle: () => 'fake' };
      const explorer = await explorerWith([{ provide: SendEmailJob, useValue: fake }]);
      expect(explorer.explore().map((job) => job.id)).toEqual(['send-email']);
      expect(moduleRef!.get(JobRegistry).get('send-email')?.instance).toBe(fake);
    });

    it('registers once a class also reachable through useExisting', async () => {
      const explorer = await explorerWith([SendEmailJob, { provide: 'EMAIL_JOB', useExisting: SendEmailJob }]);
      expect(explorer.explore().map((job) => job.id)).toEqual(['send-email']);
    });

    it('fails, naming the class and the provider, when a useFactory for a @Job token gives no handler', async () => {
      const error = failureOf(await explorerWith([{ provide: SendEmailJob, useFactory: () => ({}) }]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toBe("@Job class SendEmailJob, as the useFactory provider of 'SendEmailJob', gives no object with a handle(ctx) method.");
    });

    it('fails when one provider is two different @Job classes (token and instance)', async () => {
      const error = failureOf(await explorerWith([{ provide: SendEmailJob, useValue: new NightlyReportJob() }]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toMatch(/useValue provider of 'SendEmailJob' is both @Job class .*(NightlyReportJob|SendEmailJob).* and @Job class/);
    });
  });

  describe('unknown keys in @Job options', () => {
    it("fails on timeZone (the @nestjs/schedule spelling), naming the key and the class, suggesting 'timezone' and listing the known keys", async () => {
      @Job({ id: 'lisbon-report', cron: '0 6 * * *', timeZone: 'Europe/Lisbon' } as never)
      class LisbonReportJob {
        handle() {
          return undefined;
        }
      }
      const error = failureOf(await explorerWith([LisbonReportJob]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toBe(
        "@Job({ id: 'lisbon-report' }) on LisbonReportJob: unknown key 'timeZone' (did you mean 'timezone'?); known keys: " +
          'id, queue, displayName, description, tags, priority, input, defaultInput, timeout, maxRetries, retryPolicy, cron, timezone, interval, misfire, preventOverlap, enabled, concurrency, rateLimit, unique',
      );
    });

    it('fails on any other unknown key, and on one inside retryPolicy', async () => {
      @Job({ id: 'typo', retires: 3 } as never)
      class TypoJob {
        handle() {
          return undefined;
        }
      }
      @Job({ id: 'typo-policy', retryPolicy: { initalDelay: '1s' } } as never)
      class TypoPolicyJob {
        handle() {
          return undefined;
        }
      }
      expect(failureOf(await explorerWith([TypoJob])).message).toMatch(/^@Job\(\{ id: 'typo' \}\) on TypoJob: unknown key 'retires'; known keys: /);
      await moduleRef?.close();
      const error = failureOf(await explorerWith([TypoPolicyJob]));
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect(error.message).toBe(
        "@Job({ id: 'typo-policy' }) on TypoPolicyJob: retryPolicy: unknown key 'initalDelay'; known keys: initialDelay, multiplier, maxDelay, jitter",
      );
    });
  });

  describe('schedules and durations (the rules schedule() shares)', () => {
    it.each<[string, Record<string, unknown>, Function, RegExp]>([
      ['interval: 0', { interval: 0 }, InvalidScheduleError, /on ZeroJob: interval: must be at least 100 ms/],
      ['a cron that never fires', { cron: '0 0 30 2 *' }, InvalidScheduleError, /on ZeroJob: cron: Invalid cron expression '0 0 30 2 \*': it never fires/],
      ['a bad timeout', { timeout: 'soon' }, InvalidDurationError, /^@Job\(\{ id: 'zero' \}\) on ZeroJob: timeout: must be milliseconds.*got "soon"$/],
    ])('fails on %s with the shared error', async (_, extra, type, message) => {
      @Job({ id: 'zero', ...extra })
      class ZeroJob {
        handle() {
          return undefined;
        }
      }
      const error = failureOf(await explorerWith([ZeroJob]));
      expect(error).toBeInstanceOf(type);
      expect(error.message).toMatch(message);
    });

    it("accepts a timeout of '25d' (over 2^31 ms) as its full length", async () => {
      @Job({ id: 'long', timeout: '25d' })
      class LongJob {
        handle() {
          return undefined;
        }
      }
      (await explorerWith([LongJob])).explore();
      expect(moduleRef!.get(JobRegistry).get('long')?.timeoutMs).toBe(25 * 86_400_000);
    });
  });
});
