import 'reflect-metadata';
import { InvalidPayloadError, InvalidScheduleError, JobTriggerType, UnknownJobError } from '../../lib/index.js';
import { RecurringScheduler } from '../../lib/scheduler/recurring-scheduler.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { ReportJob, TickJob } from '../fixtures/flows-jobs.fixture.js';

describeEachBackend('named schedules', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp;
  let scheduler: RecurringScheduler;

  beforeEach(async () => {
    db = backend.create();
    // The scheduler is driven by hand (tick(at)), so that each test decides what time it is.
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [ReportJob, TickJob]);
    scheduler = booted.app.get(RecurringScheduler);
  });
  afterEach(async () => {
    await booted.close();
    await db.drop();
  });

  const scheduledRuns = async () =>
    (await booted.storage.listRuns({ limit: 1000 })).filter((run) => run.triggerType === JobTriggerType.Scheduled);

  it('fires each schedule of a job with its own input and time zone, once per tick, beside the default schedule', async () => {
    const lisbon = await booted.jobs.schedule(ReportJob, { key: 'tenant-1', cron: '0 9 * * *', timezone: 'Europe/Lisbon', input: { tenantId: 1 } });
    const tokyo = await booted.jobs.schedule(ReportJob, { key: 'tenant-2', cron: '0 9 * * *', timezone: 'Asia/Tokyo', input: { tenantId: 2 } });
    expect(lisbon.getTime()).not.toBe(tokyo.getTime());
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Lisbon', hour: '2-digit', minute: '2-digit' }).format(lisbon)).toBe('09:00');

    const listed = await booted.jobs.listSchedules(ReportJob);
    expect(listed.map((s) => [s.key, s.input, s.timezone, s.isEnabled, s.misfirePolicy])).toEqual([
      ['tenant-1', { tenantId: 1 }, 'Europe/Lisbon', true, 'once'],
      ['tenant-2', { tenantId: 2 }, 'Asia/Tokyo', true, 'once'],
    ]);
    expect(listed[0].nextRunAt).toEqual(lisbon);

    const later = new Date(Math.max(lisbon.getTime(), tokyo.getTime()) + 1);
    // Both named ticks, and the job's default schedule (03:00 UTC daily), which falls in the same day.
    const fired = await scheduler.tick(later);
    const runs = await scheduledRuns();
    expect(runs.filter((run) => run.input !== null).map((run) => run.input).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
      .toEqual([{ tenantId: 1 }, { tenantId: 2 }]);
    expect(runs.find((run) => (run.input as { tenantId: number } | null)?.tenantId === 1)!.scheduledAt).toEqual(lisbon);
    expect(fired).toBe(runs.length);
    expect(await scheduler.tick(later)).toBe(0);
    const [after] = await booted.jobs.listSchedules(ReportJob);
    expect(after.nextRunAt!.getTime()).toBeGreaterThan(later.getTime());
    expect(after.lastRunAt).toEqual(later);
  });

  it('keeps the next tick when a schedule is declared again unchanged; a disabled or removed schedule fires nothing', async () => {
    const first = await booted.jobs.schedule(TickJob, { key: 'a', interval: '1h', input: { key: 'a' } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await booted.jobs.schedule(TickJob, { key: 'a', interval: '1h', input: { key: 'a2' } })).toEqual(first);
    expect((await booted.jobs.listSchedules())[0].input).toEqual({ key: 'a2' });
    const moved = await booted.jobs.schedule(TickJob, { key: 'a', interval: '2h', input: { key: 'a' } });
    expect(moved.getTime()).toBeGreaterThan(first.getTime());

    await booted.jobs.schedule(TickJob, { key: 'b', interval: '1h', input: { key: 'b' }, enabled: false });
    await booted.jobs.schedule(TickJob, { key: 'c', interval: '1h', input: { key: 'c' } });
    expect(await booted.jobs.unschedule(TickJob, 'c')).toBe(true);
    expect(await booted.jobs.unschedule(TickJob, 'c')).toBe(false);

    await scheduler.tick(new Date(Date.now() + 3 * 3_600_000));
    expect((await scheduledRuns()).map((run) => run.input)).toEqual([{ key: 'a' }]);
    expect((await booted.jobs.listSchedules()).map((s) => s.key)).toEqual(['a', 'b']);
  });

  it('refuses bad schedules with an error naming the field, storing nothing', async () => {
    const refused = async (call: () => Promise<unknown>) => call().then(() => undefined, (error: unknown) => error as Error);
    const cases: Array<[() => Promise<unknown>, unknown, RegExp]> = [
      [() => booted.jobs.schedule(ReportJob, { key: 'k', cron: '61 * * * *' }), InvalidScheduleError, /^schedule\('flows.report', \{ key: 'k' \}\): cron: /],
      [() => booted.jobs.schedule(ReportJob, { key: 'k', cron: '0 9 * * *', timezone: 'Mars/Olympus' }), InvalidScheduleError, /key: 'k'.*timezone|Mars/],
      [() => booted.jobs.schedule(ReportJob, { key: '', interval: '1h' }), InvalidScheduleError, /key: expected a non-empty string/],
      [() => booted.jobs.schedule(ReportJob, { key: 'k' } as never), InvalidScheduleError, /key: 'k'.*(cron|interval)/],
      [() => booted.jobs.schedule(ReportJob, { key: 'k', interval: '1h', misfire: 'later' } as never), InvalidScheduleError, /misfire: expected 'once' or 'skip'/],
      [() => booted.jobs.schedule(ReportJob, { key: 'k', interval: '1h', enabled: 'yes' } as never), InvalidScheduleError, /enabled: expected a boolean/],
      [() => booted.jobs.schedule(ReportJob, { key: 'k', interval: '1h', inputs: {} } as never), InvalidScheduleError, /unknown key 'inputs'/],
      [() => booted.jobs.schedule(ReportJob, { key: 'k', interval: '1h', input: new Map() as never }), InvalidPayloadError, /input.*Map/],
      [() => booted.jobs.schedule('no.such.job', { key: 'k', interval: '1h' }), UnknownJobError, /no.such.job/],
    ];
    for (const [call, type, message] of cases) {
      const error = await refused(call);
      expect(error).toBeInstanceOf(type);
      expect(error!.message).toMatch(message);
    }
    expect(await booted.jobs.listSchedules()).toEqual([]);

    await booted.jobs.schedule(ReportJob, { key: 'tenant-42', cron: '0 9 * * *', input: { tenantId: 42 } });
    const taken = await refused(() => booted.jobs.schedule(TickJob, { key: 'tenant-42', interval: '1m', input: { key: 'x' } }));
    expect(taken).toBeInstanceOf(InvalidScheduleError);
    expect(taken!.message).toMatch(/the key 'tenant-42' is the schedule of job 'flows.report'; keys are unique across jobs.*Nothing was stored/);
    expect((await booted.jobs.listSchedules()).map((s) => [s.key, s.jobTypeId, s.cronExpression, s.input])).toEqual([
      ['tenant-42', 'flows.report', '0 9 * * *', { tenantId: 42 }],
    ]);
  });
});
