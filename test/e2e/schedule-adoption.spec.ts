import 'reflect-metadata';
import { Injectable, Module, Scope, type INestApplication, type Type } from '@nestjs/common';
import { Cron, Interval, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import {
  InvalidJobHandlerError, InvalidOptionsError, InvalidScheduleError, Job, JobRunStatus, JobStorage, JobTriggerType, ZapJobsModule,
  type JobContext, type JobHandler, type ZapJobsModuleOptions,
} from '../../lib/index.js';
import { AdoptSchedule } from '../../lib/schedule-adoption/index.js';
import { describeEachBackend, sqliteBackend, type TestDatabase } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';

const fired: Array<{ what: string; runId?: string; attempt?: number }> = [];

@Injectable()
class Reports {
  @AdoptSchedule()
  @Cron('* * * * * *', { name: 'adopted-tick' })
  adopted(ctx?: JobContext) {
    fired.push({ what: 'adopted', runId: ctx?.runId });
    ctx?.logger.info('adopted tick');
  }

  // Marker below the @Cron() this time: the order does not matter.
  @Cron('* * * * * *', { name: 'local-tick' })
  local() {
    fired.push({ what: 'local' });
  }

  @Interval(200)
  @AdoptSchedule({ queue: 'polling' })
  poll(ctx?: JobContext) {
    fired.push({ what: 'poll', runId: ctx?.runId });
  }

  @AdoptSchedule({ maxRetries: 2, retryPolicy: { initialDelay: 50, jitter: 0 } })
  @Cron('* * * * * *', { name: 'flaky' })
  flaky(ctx: JobContext) {
    fired.push({ what: 'flaky', runId: ctx.runId, attempt: ctx.attempt });
    if (ctx.attempt === 1) throw new Error('first attempt fails');
  }

  @AdoptSchedule()
  @Cron('* * * * * *', { name: 'off', disabled: true, timeZone: 'Europe/Paris' })
  off() {
    fired.push({ what: 'off' });
  }
}

async function boot(
  options: ZapJobsModuleOptions,
  providers: Type<unknown>[],
  order: 'zapjobs-first' | 'schedule-first' = 'zapjobs-first',
): Promise<INestApplication> {
  const zapjobs = ZapJobsModule.forRoot({ pollInterval: 50, heartbeatInterval: 100, staleAfter: 1000, ...options });
  const schedule = ScheduleModule.forRoot();
  @Module({ imports: order === 'zapjobs-first' ? [zapjobs, schedule] : [schedule, zapjobs], providers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

const count = (what: string) => fired.filter((f) => f.what === what).length;

describeEachBackend('@nestjs/schedule methods adopted by ZapJobs', (backend) => {
  let db: TestDatabase;
  let app: INestApplication | undefined;

  beforeEach(() => {
    fired.length = 0;
    db = backend.create();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  it('runs marked methods as stored runs with logs and leaves unmarked ones, and SchedulerRegistry, to @nestjs/schedule', async () => {
    app = await boot({ ...db.options, queues: ['default', 'polling'] }, [Reports]);
    const registry = app.get(SchedulerRegistry);
    expect([...registry.getCronJobs().keys()]).toEqual(['local-tick']);
    expect(registry.getIntervals()).toEqual([]);
    await waitFor(() => count('adopted') >= 2 && count('local') >= 2 && count('poll') >= 3, { timeoutMs: 6000, what: 'two ticks of each' });

    // Called by ZapJobs runs only, never by a @nestjs/schedule timer (which passes no context).
    expect(fired.filter((f) => (f.what === 'adopted' || f.what === 'poll') && !f.runId)).toEqual([]);
    const storage = app.get(JobStorage);
    // A fire is stored as completed a moment after the method returns: wait for the rows.
    const runs = await waitFor(async () => {
      const completed = await storage.listRuns({ jobTypeId: 'adopted-tick', status: JobRunStatus.Completed });
      return completed.length >= 2 ? completed : undefined;
    }, { timeoutMs: 3000, what: 'two completed adopted-tick runs' });
    expect(runs.every((run) => run.triggerType === JobTriggerType.Scheduled && run.scheduledAt.getMilliseconds() === 0)).toBe(true);
    const logs = await storage.getLogs(runs[0].id);
    expect(logs.map((log) => log.message)).toContain('adopted tick');
    // Unnamed: the id is 'Class.method'; the marker's options apply.
    const poll = await storage.listRuns({ jobTypeId: 'Reports.poll' });
    expect(poll[0].queue).toBe('polling');
    // Calling an adopted method directly still calls it.
    app.get(Reports).off();
    expect(count('off')).toBe(1);
  });

  it('retries a failing adopted method per its options, and stores a disabled one as disabled', async () => {
    app = await boot(db.options, [Reports]);
    const storage = app.get(JobStorage);
    const retried = await waitFor(async () => (await storage.listRuns({ jobTypeId: 'flaky', status: JobRunStatus.Completed }))[0], {
      timeoutMs: 6000,
      what: 'a completed flaky run',
    });
    expect(retried.attemptNumber).toBe(2);
    expect(fired.filter((f) => f.what === 'flaky' && f.runId === retried.id).map((f) => f.attempt)).toEqual([1, 2]);
    const off = await storage.getJobDefinition('off');
    expect(off).toMatchObject({ isEnabled: false, cronExpression: '* * * * * *', timezone: 'Europe/Paris' });
    expect(count('off')).toBe(0);
  });

  it('adopts every @Cron() and @Interval() method with schedule: { adopt: true }', async () => {
    app = await boot({ ...db.options, schedule: { adopt: true } }, [Reports]);
    const registry = app.get(SchedulerRegistry);
    expect(registry.getCronJobs().size).toBe(0);
    expect(registry.getIntervals()).toEqual([]);
    const storage = app.get(JobStorage);
    await waitFor(async () => (await storage.listRuns({ jobTypeId: 'local-tick' })).length > 0, { timeoutMs: 4000, what: 'a stored run of local-tick' });
  });
});

describe('@nestjs/schedule adoption: bad input', () => {
  let db: TestDatabase;
  beforeEach(() => (db = sqliteBackend.create()));
  afterEach(() => db.drop());

  const failure = async (providers: Type<unknown>[], options: ZapJobsModuleOptions = {}, order?: 'schedule-first'): Promise<Error> => {
    let app: INestApplication | undefined;
    try {
      app = await boot({ ...db.options, ...options }, providers, order);
    } catch (error) {
      return error as Error;
    } finally {
      await app?.close();
    }
    throw new Error('the app started');
  };

  it('refuses an adopted method with an invalid cron, naming the method and the expression', async () => {
    @Injectable()
    class BadCron {
      @AdoptSchedule()
      @Cron('61 * * * *')
      tick() {}
    }
    const error = await failure([BadCron]);
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/^@Cron\(\) on BadCron\.tick \(adopted by ZapJobs\): cron: .*61 \* \* \* \*/);
  });

  it('refuses an adopted @Interval() below the shortest interval, and a Date cronTime', async () => {
    @Injectable()
    class TooFast {
      @AdoptSchedule()
      @Interval(10)
      tick() {}
    }
    const fast = await failure([TooFast]);
    expect(fast).toBeInstanceOf(InvalidScheduleError);
    expect(fast.message).toMatch(/@Interval\(\) on TooFast\.tick \(adopted by ZapJobs\): interval: must be at least 100 ms/);

    @Injectable()
    class OneOff {
      @Cron(new Date(Date.now() + 3_600_000))
      once() {}
    }
    const once = await failure([OneOff], { schedule: { adopt: true } });
    expect(once).toBeInstanceOf(InvalidScheduleError);
    expect(once.message).toMatch(/OneOff\.once .*cronTime must be a cron expression string/);
  });

  it('refuses the marker on a method without @Cron()/@Interval(), an unknown marker option, and a clash with a @Job id', async () => {
    @Injectable()
    class NoSchedule {
      @AdoptSchedule()
      tick() {}
    }
    expect((await failure([NoSchedule])).message).toMatch(/@AdoptSchedule\(\) on NoSchedule\.tick: .* has neither/);

    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @AdoptSchedule()
      @Cron('* * * * *')
      tick() {}
    }
    expect((await failure([PerRequest])).message).toMatch(/@AdoptSchedule\(\) on PerRequest\.tick: the provider is request-scoped/);

    @Injectable()
    class Typo {
      @AdoptSchedule({ timezone: 'UTC' } as never)
      @Cron('* * * * *')
      tick() {}
    }
    const typo = await failure([Typo]);
    expect(typo).toBeInstanceOf(InvalidJobHandlerError);
    expect(typo.message).toMatch(/@AdoptSchedule\(\) on Typo\.tick: unknown key 'timezone'/);

    @Injectable()
    class PolicyTypo {
      @AdoptSchedule({ retryPolicy: { initalDelay: '1s' } } as never)
      @Interval(1000)
      tick() {}
    }
    expect((await failure([PolicyTypo])).message).toMatch(/PolicyTypo\.tick.*retryPolicy.*initalDelay/);

    @Injectable()
    class BlankId {
      @AdoptSchedule({ id: ' ' })
      @Cron('* * * * *')
      tick() {}
    }
    expect((await failure([BlankId])).message).toMatch(/@AdoptSchedule\(\) on BlankId\.tick: id must be a non-empty string; got " "/);

    @Injectable()
    class Named {
      @AdoptSchedule()
      @Cron('* * * * *', { name: 'report' })
      tick() {}
    }
    @Job({ id: 'report' })
    class ReportJob implements JobHandler {
      handle() {}
    }
    expect((await failure([Named, ReportJob])).message).toMatch(/Two job handlers use the id 'report': Named\.tick and ReportJob/);
  });

  it('refuses to start when ScheduleModule is imported before ZapJobsModule (its explorer would take the methods first)', async () => {
    const error = await failure([Reports], {}, 'schedule-first');
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(/list ZapJobsModule\.forRoot\(\) before ScheduleModule\.forRoot\(\)/);
  });

  it('checks the schedule option', async () => {
    const error = await failure([], { schedule: { adopt: 'yes', adpot: true } as never });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(/schedule\.adpot: unknown option/);
    expect(error.message).toMatch(/adopt must be a boolean/);
  });
});
