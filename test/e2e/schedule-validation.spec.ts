import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InvalidJobHandlerError, InvalidOptionsError, InvalidScheduleError, Job, ScheduleType, ZapJobsModule,
} from '../../lib/index.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp } from '../helpers/boot.js';
import { describeEachBackend, sqliteBackend, type TestDatabase } from '../helpers/backends.js';

@Job({ id: 'tick' })
class TickJob {
  handle() {
    return undefined;
  }
}

describeEachBackend('JobScheduler.schedule() is checked as @Job is, before anything is stored', (backend) => {
  const t = appPerTest(backend);

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['interval: 0', { interval: 0 }, /^schedule\('tick'\): interval: must be at least 100 ms/],
    ['interval: 50', { interval: 50 }, /^schedule\('tick'\): interval: must be at least 100 ms.*got 50$/],
    ['a cron that never fires', { cron: '0 0 30 2 *' }, /^schedule\('tick'\): cron: Invalid cron expression '0 0 30 2 \*': it never fires/],
    ['timeZone', { cron: '0 6 * * *', timeZone: 'Europe/Lisbon' }, /unknown key 'timeZone' \(did you mean 'timezone'\?\)/],
    ['neither cron nor interval', {}, /give exactly one of cron and interval/],
  ])('refuses %s with InvalidScheduleError and stores nothing', async (_, schedule, message) => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false }, [TickJob]);
    const before = (await t.booted.storage.getAllDefinitions()).find((d) => d.jobTypeId === 'tick');
    await expect(t.booted.jobs.schedule(TickJob, schedule as never)).rejects.toThrow(InvalidScheduleError);
    await expect(t.booted.jobs.schedule(TickJob, schedule as never)).rejects.toThrow(message);
    const after = (await t.booted.storage.getAllDefinitions()).find((d) => d.jobTypeId === 'tick');
    expect(after).toMatchObject({ scheduleType: ScheduleType.None, intervalMs: null, cronExpression: null, nextRunAt: null });
    expect(after).toEqual(before);
    expect(await t.booted.storage.listRuns()).toHaveLength(0);
  });

  it('stores a valid interval at its minimum, 100 ms', async () => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, [TickJob]);
    await t.booted.jobs.schedule(TickJob, { interval: 100 });
    const stored = (await t.booted.storage.getAllDefinitions()).find((d) => d.jobTypeId === 'tick');
    expect(stored).toMatchObject({ scheduleType: ScheduleType.Interval, intervalMs: 100 });
  });
});

describe('start-up refuses what it cannot honour [sqlite]', () => {
  let db: TestDatabase;
  beforeEach(() => {
    db = sqliteBackend.create();
  });
  afterEach(async () => {
    await db.drop();
  });

  async function startUpFailure(imports: unknown[], providers: unknown[] = []): Promise<Error> {
    @Module({ imports: imports as never[], providers: providers as never[] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile().catch((error: Error) => error);
    if (moduleRef instanceof Error) return moduleRef;
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } catch (error) {
      return error as Error;
    } finally {
      await app.close();
    }
    throw new Error('start-up did not fail');
  }

  it('a @Job with a cron that never fires: InvalidScheduleError', async () => {
    @Job({ id: 'never', cron: '0 0 30 2 *' })
    class NeverJob {
      handle() {
        return undefined;
      }
    }
    const error = await startUpFailure([ZapJobsModule.forRoot(db.options)], [NeverJob]);
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/@Job\(\{ id: 'never' \}\) on NeverJob: cron: .*never fires/);
  });

  it('@Job({ timeZone }): InvalidJobHandlerError suggesting timezone', async () => {
    @Job({ id: 'lisbon', cron: '0 6 * * *', timeZone: 'Europe/Lisbon' } as never)
    class LisbonJob {
      handle() {
        return undefined;
      }
    }
    const error = await startUpFailure([ZapJobsModule.forRoot(db.options)], [LisbonJob]);
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toMatch(/on LisbonJob: unknown key 'timeZone' \(did you mean 'timezone'\?\)/);
  });

  it('forRoot(null): InvalidOptionsError, not a bare TypeError', () => {
    expect(() => ZapJobsModule.forRoot(null as never)).toThrow(InvalidOptionsError);
  });

  it.each([null, undefined])('a forRootAsync factory that returns %j: InvalidOptionsError, no start on the default file', async (value) => {
    const error = await startUpFailure([ZapJobsModule.forRootAsync({ useFactory: () => value as never })]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(/the value the forRootAsync useFactory returned: expected an options object/);
  });
});
