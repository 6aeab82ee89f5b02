import 'reflect-metadata';
import { Job, JobRunStatus, JobTriggerType, type JobContext, type JobHandler } from '../../lib/index.js';
import { RecurringScheduler } from '../../lib/scheduler/recurring-scheduler.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, sqliteBackend, type TestDatabase } from '../helpers/backends.js';
import { rawSqlite } from '../helpers/open-storage.js';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { ZAPJOBS_DATA_SOURCE } from '../../lib/zapjobs.constants.js';
import { waitFor } from '../helpers/wait-for.js';
import { startChild } from '../helpers/child-process.js';

const ran: Array<{ job: string; at: number }> = [];

@Job({ id: 'every-second', cron: '* * * * * *' })
class EverySecondJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    ran.push({ job: ctx.jobTypeId, at: Date.now() });
  }
}

@Job({ id: 'every-300ms', interval: 300 })
class IntervalJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    ran.push({ job: ctx.jobTypeId, at: Date.now() });
  }
}

@Job({ id: 'nightly-skip', cron: '0 2 * * *', timezone: 'America/Sao_Paulo', misfire: 'skip' })
class NightlySkipJob implements JobHandler {
  handle() {}
}

@Job({ id: 'nightly-once', cron: '0 2 * * *', timezone: 'America/Sao_Paulo' })
class NightlyOnceJob implements JobHandler {
  handle() {}
}

@Job({ id: 'no-overlap', interval: '1h', preventOverlap: true })
class NoOverlapJob implements JobHandler {
  handle() {}
}

const JOBS = [EverySecondJob, IntervalJob, NightlySkipJob, NightlyOnceJob, NoOverlapJob];

@Job({ id: 'low-report', queue: 'low' })
class LowQueueJob implements JobHandler {
  handle() {}
}

describeEachBackend('recurring jobs', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;

  beforeEach(() => {
    ran.length = 0;
    db = backend.create();
  });
  afterEach(async () => {
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  it('fires a cron job every second and an interval job every 300 ms, each run on its tick', async () => {
    booted = await bootApp(db.options, JOBS);
    await waitFor(() => ran.filter((r) => r.job === 'every-second').length >= 2 && ran.filter((r) => r.job === 'every-300ms').length >= 3, {
      timeoutMs: 5000,
      what: 'two cron runs and three interval runs',
    });
    const cronRuns = await booted.storage.listRuns({ jobTypeId: 'every-second' });
    for (const run of cronRuns) {
      expect(run.triggerType).toBe(JobTriggerType.Scheduled);
      expect(run.scheduledAt.getMilliseconds()).toBe(0); // the tick's own time: a whole second
    }
    const definition = await booted.storage.getJobDefinition('every-second');
    expect(definition!.nextRunAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(definition!.lastRunAt).not.toBeNull();
  });

  it('stores next_run_at of a cron in its time zone at start-up', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const definition = await booted.storage.getJobDefinition('nightly-once');
    // 02:00 in São Paulo (UTC-3, no DST since 2019) is 05:00 UTC.
    expect(definition!.nextRunAt!.getUTCHours()).toBe(5);
    expect(definition!.nextRunAt!.getUTCMinutes()).toBe(0);
    expect(definition!.timezone).toBe('America/Sao_Paulo');
  });

  it("after downtime fires one catch-up run with misfire 'once' and none with 'skip'", async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    for (const id of ['nightly-once', 'nightly-skip']) {
      await booted.storage.updateSchedule(id, { scheduleType: 'cron' as never, cronExpression: '0 2 * * *', timezone: 'America/Sao_Paulo', nextRunAt: threeDaysAgo });
    }
    const scheduler = booted.app.get(RecurringScheduler);
    await scheduler.tick();
    expect(await booted.storage.listRuns({ jobTypeId: 'nightly-once' })).toHaveLength(1);
    expect(await booted.storage.listRuns({ jobTypeId: 'nightly-skip' })).toHaveLength(0);
    for (const id of ['nightly-once', 'nightly-skip']) {
      const next = (await booted.storage.getJobDefinition(id))!.nextRunAt!;
      expect(next.getTime()).toBeGreaterThan(Date.now()); // moved to the first future tick
    }
    await scheduler.tick();
    expect(await booted.storage.listRuns({ jobTypeId: 'nightly-once' })).toHaveLength(1);
  });

  it("a fired tick emits 'enqueued' with the id of the run it stored", async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const heard: Array<{ runId: string; jobTypeId: string; queue?: string }> = [];
    booted.events.on('enqueued', (event) => void heard.push(event));
    await booted.storage.updateSchedule('no-overlap', { scheduleType: 'interval' as never, intervalMs: 3_600_000, nextRunAt: new Date(Date.now() - 10) });
    await booted.app.get(RecurringScheduler).tick();
    const [run] = await booted.storage.listRuns({ jobTypeId: 'no-overlap' });
    const definition = (await booted.storage.getJobDefinition('no-overlap'))!;
    // Other jobs of JOBS may fire in the same tick (every-second, when the boot took a second).
    expect(heard.filter((event) => event.jobTypeId === 'no-overlap')).toEqual([{ runId: run.id, jobTypeId: 'no-overlap', queue: definition.queue }]);
  });

  it("a named schedule's tick emits 'enqueued' with the queue its run took", async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [LowQueueJob]);
    const heard: Array<{ runId: string; jobTypeId: string; queue?: string }> = [];
    booted.events.on('enqueued', (event) => void heard.push(event));
    await booted.jobs.schedule(LowQueueJob, { key: 'tenant-1', interval: '1h' });
    await booted.app.get(RecurringScheduler).tick(new Date(Date.now() + 2 * 3_600_000));
    const [run] = await booted.storage.listRuns({ jobTypeId: 'low-report' });
    expect(run.queue).toBe('low');
    expect(heard).toEqual([{ runId: run.id, jobTypeId: 'low-report', queue: 'low' }]);
  });

  it('skips a tick while a run of a preventOverlap job is pending', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const scheduler = booted.app.get(RecurringScheduler);
    const due = async () => booted!.storage.updateSchedule('no-overlap', { scheduleType: 'interval' as never, intervalMs: 3_600_000, nextRunAt: new Date(Date.now() - 10) });
    await due();
    await scheduler.tick();
    expect(await booted.storage.listRuns({ jobTypeId: 'no-overlap' })).toHaveLength(1);
    await due();
    await scheduler.tick();
    expect(await booted.storage.listRuns({ jobTypeId: 'no-overlap' })).toHaveLength(1);
  });

  it('neither fires nor claims a disabled job', async () => {
    booted = await bootApp(db.options, JOBS);
    await booted.jobs.setEnabled('every-300ms', false);
    ran.length = 0;
    const queued = await booted.jobs.enqueue('every-300ms');
    await waitFor(() => ran.filter((r) => r.job === 'every-second').length >= 1, { timeoutMs: 3000 });
    expect(ran.filter((r) => r.job === 'every-300ms')).toHaveLength(0);
    expect((await booted.storage.getRun(queued))!.status).toBe(JobRunStatus.Pending);
    await booted.jobs.setEnabled('every-300ms', true);
    await waitFor(async () => (await booted!.storage.getRun(queued))!.status === JobRunStatus.Completed);
  });

  it('schedule() and unschedule() change a schedule at run time; bad ones are rejected', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const next = await booted.jobs.schedule('nightly-skip', { cron: '30 4 * * *', timezone: 'Europe/Lisbon' });
    expect((await booted.storage.getJobDefinition('nightly-skip'))!.nextRunAt!.getTime()).toBe(next.getTime());
    await expect(booted.jobs.schedule('nightly-skip', { cron: 'every day' })).rejects.toThrow(/Invalid cron expression 'every day'/);
    await expect(booted.jobs.schedule('nightly-skip', { cron: '* * * * *', timezone: 'Mars/Olympus' })).rejects.toThrow(/Invalid time zone 'Mars\/Olympus'/);
    await expect(booted.jobs.schedule('nightly-skip', {})).rejects.toThrow(/exactly one of cron and interval/);
    await booted.jobs.unschedule('nightly-skip');
    const definition = await booted.storage.getJobDefinition('nightly-skip');
    expect(definition!.scheduleType).toBe('none');
    expect(definition!.nextRunAt).toBeNull();
  });

  it('three processes on one database fire each cron tick once', async () => {
        // Create the schema first, so the children only race for ticks.
    const setup = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, []);
    await setup.close();
    const children = [1, 2, 3].map(() => startChild('worker-process.ts', [JSON.stringify(db.options), 'cron']));
    try {
      await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"ready"'))));
      booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, []);
      const storage = booted.storage;
      await waitFor(async () => (await storage.listRuns({ jobTypeId: 'cron.tick', limit: 1000 })).length >= 4, {
        timeoutMs: 10_000,
        what: 'four cron ticks',
      });
    } finally {
      for (const child of children) child.process.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
    }
    const runs = await booted.storage.listRuns({ jobTypeId: 'cron.tick', limit: 1000 });
    const ticks = runs.map((r) => r.scheduledAt.getTime());
    console.log(`cron.tick: ${runs.length} runs for ${new Set(ticks).size} distinct ticks from 3 schedulers`);
    expect(new Set(ticks).size).toBe(ticks.length);
    // No tick skipped between the first and the last either.
    const sorted = [...ticks].sort((a, b) => a - b);
    expect((sorted[sorted.length - 1] - sorted[0]) / 1000 + 1).toBe(sorted.length);
  });
});

describe('recurring jobs: a tick that cannot fire', () => {
  it('is tried again a poll later, not at once in a loop that logs its error thousands of times a second', async () => {
    const db = sqliteBackend.create();
    const logger = new RecordingLogger();
    const booted = await bootApp({ ...db.options, enableWorkers: false, pollInterval: 500, maxPayloadBytes: 100 }, [NoOverlapJob], { logger });
    const failures = () => logger.errors.filter((line) => line.includes("Schedule of 'no-overlap' failed to fire")).length;
    try {
      // A default input stored by another program, too large for a run under this maxPayloadBytes.
      rawSqlite(booted.app.get(ZAPJOBS_DATA_SOURCE))
        .prepare(`UPDATE zj_definitions SET default_input_json = ?, next_run_at = ? WHERE job_type_id = 'no-overlap'`)
        .run(JSON.stringify({ blob: 'x'.repeat(500) }), Date.now() - 10);
      booted.app.get(RecurringScheduler).poke();
      await waitFor(() => failures() > 0, { what: 'the tick to fail' });
      // A window to count in, not a synchronisation: a busy loop logs hundreds of lines in it.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(failures()).toBeLessThanOrEqual(6);
      expect(await booted.storage.listRuns({ jobTypeId: 'no-overlap' })).toEqual([]);
    } finally {
      await booted.close();
      await db.drop();
    }
  });
});
