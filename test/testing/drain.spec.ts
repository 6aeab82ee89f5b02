import { JobRunStatus } from '../../lib/index.js';
import type { ZapJobsTestingOptions } from '../../lib/testing/index.js';
import { FanOutJob, FlakyJob, GreetJob, HangJob, HourlyJob } from '../fixtures/testing-jobs.fixture.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import { bootTestingJobs, START, type TestingJobsApp } from './boot-testing-jobs.js';

describeEachBackend('ZapJobsTesting.drain', (backend) => {
  let db: TestDatabase | undefined;
  let t: TestingJobsApp;

  async function boot(options: ZapJobsTestingOptions = {}) {
    // SQLite: the testing module's own default, in memory. PostgreSQL: a schema of the test server.
    db = backend.name === 'postgres' ? backend.create() : undefined;
    t = await bootTestingJobs({ ...db?.options, ...options });
  }

  afterEach(async () => {
    await t?.close();
    await db?.drop();
  });

  it('runs every due run to completion through the engine, and leaves a delayed one for the clock', async () => {
    await boot();
    const a = await t.jobs.enqueue(GreetJob, { name: 'ada' });
    const b = await t.jobs.enqueue(GreetJob, { name: 'bob' });
    const later = await t.jobs.enqueue(GreetJob, { name: 'cy' }, { delay: '1h' });
    // No background worker: nothing ran on its own.
    expect(t.calls.runs).toEqual([]);

    expect(await t.zap.drain()).toEqual({ completed: 2, failed: 0, retried: 0, perJob: { greet: { completed: 2, failed: 0, retried: 0 } } });
    const done = await t.storage.getRun(a);
    expect(done).toMatchObject({ status: JobRunStatus.Completed, output: { greeting: 'hello ada' }, attemptNumber: 1 });
    // Times are the fake clock's.
    expect(done?.completedAt?.getTime()).toBe(START.getTime());
    expect((await t.storage.getRun(b))?.status).toBe(JobRunStatus.Completed);
    expect((await t.storage.getRun(later))?.status).toBe(JobRunStatus.Pending);

    // (The recurring jobs of the fixture fire meanwhile too: only greet is counted here.)
    t.zap.clock.advance('59m');
    expect((await t.zap.drain()).perJob.greet).toBeUndefined();
    t.zap.clock.advance('1m');
    expect((await t.zap.drain()).perJob.greet).toEqual({ completed: 1, failed: 0, retried: 0 });
    expect((await t.storage.getRun(later))?.status).toBe(JobRunStatus.Completed);
  });

  it('retries on the fake clock: each backoff waits until the clock passes it, then the run completes', async () => {
    await boot();
    const id = await t.jobs.enqueue(FlakyJob, { failures: 2 });
    expect(await t.zap.drain()).toMatchObject({ completed: 0, retried: 1, failed: 0 });
    const waiting = await t.storage.getRun(id);
    expect(waiting?.status).toBe(JobRunStatus.Pending);
    expect(waiting?.scheduledAt.getTime()).toBe(START.getTime() + 60_000);

    // Not due yet: a drain runs nothing.
    t.zap.clock.advance('59s');
    expect(await t.zap.drain()).toMatchObject({ completed: 0, retried: 0 });
    t.zap.clock.advance('1s');
    expect(await t.zap.drain()).toMatchObject({ retried: 1 });
    // The second backoff doubles.
    expect((await t.storage.getRun(id))?.scheduledAt.getTime()).toBe(START.getTime() + 60_000 + 120_000);
    t.zap.clock.advance('2m');
    expect(await t.zap.drain()).toEqual({ completed: 1, failed: 0, retried: 0, perJob: { flaky: { completed: 1, failed: 0, retried: 0 } } });
    expect(await t.storage.getRun(id)).toMatchObject({ status: JobRunStatus.Completed, attemptNumber: 3, output: { attempts: 3 } });
    expect(t.calls.of('flaky').map((c) => c.attempt)).toEqual([1, 2, 3]);
  });

  it('counts a run that fails for good as failed', async () => {
    await boot();
    const id = await t.jobs.enqueue(FlakyJob, { failures: 0, fatal: true });
    expect(await t.zap.drain()).toMatchObject({ failed: 1, retried: 0, completed: 0 });
    expect(await t.storage.getRun(id)).toMatchObject({ status: JobRunStatus.Failed, errorMessage: 'no point retrying' });
  });

  it('runs the continuations a parent releases in the same drain, with the output passed on', async () => {
    await boot();
    const parent = await t.jobs.enqueue(FlakyJob, { failures: 0 });
    const child = await t.jobs.continueWith(parent, GreetJob, { name: 'next' });
    const onFailure = await t.jobs.continueWith(parent, GreetJob, { name: 'never' }, { condition: 'failure' });
    expect(await t.zap.drain()).toMatchObject({ completed: 2, perJob: { flaky: { completed: 1 }, greet: { completed: 1 } } });
    expect((await t.storage.getRun(child))?.status).toBe(JobRunStatus.Completed);
    expect((await t.storage.getRun(onFailure))?.status).toBe(JobRunStatus.Cancelled);
    expect(t.calls.runs.map((c) => c.job)).toEqual(['flaky', 'greet']);
  });

  it('fires cron and interval ticks as the fake clock reaches them', async () => {
    await boot();
    // 10:30: the hourly tick is at 11:00, the interval's at 10:40.
    expect(await t.zap.drain()).toMatchObject({ completed: 0 });
    t.zap.clock.advance('10m');
    expect(await t.zap.drain()).toMatchObject({ completed: 1, perJob: { 'every-10m': { completed: 1 } } });
    t.zap.clock.advance('20m');
    // 11:00: both due; the interval's 10:50 tick was passed over (ticks missed collapse into one).
    expect(await t.zap.drain()).toMatchObject({ completed: 2, perJob: { hourly: { completed: 1 }, 'every-10m': { completed: 1 } } });
    const [hourly] = await t.storage.listRuns({ jobTypeId: 'hourly' });
    expect(hourly.scheduledAt.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(t.calls.of('hourly')).toHaveLength(1);
    t.zap.clock.set(new Date('2026-03-01T12:00:00Z'));
    expect((await t.zap.drain({ job: HourlyJob })).completed).toBe(1);
  });

  it('times an attempt out when the fake clock passes its timeout', async () => {
    await boot();
    const id = await t.jobs.enqueue(HangJob, {});
    const draining = t.zap.drain();
    await waitFor(() => t.calls.of('hang').length === 1, { what: 'the hang job started' });
    t.zap.clock.advance('29s');
    expect((await t.storage.getRun(id))?.status).toBe(JobRunStatus.Running);
    t.zap.clock.advance('1s');
    expect(await draining).toMatchObject({ failed: 1, completed: 0 });
    expect((await t.storage.getRun(id))?.errorMessage).toMatch(/timed out after 30000 ms|timeout/i);
  });

  it('drains one job or one queue only, when asked', async () => {
    await boot();
    const greet = await t.jobs.enqueue(GreetJob, { name: 'ada' });
    const flaky = await t.jobs.enqueue(FlakyJob, { failures: 0 });
    const elsewhere = await t.jobs.enqueue(GreetJob, { name: 'bob' }, { queue: 'other' });
    expect(await t.zap.drain({ queue: 'slow' })).toMatchObject({ completed: 1, perJob: { flaky: { completed: 1 } } });
    expect((await t.storage.getRun(greet))?.status).toBe(JobRunStatus.Pending);
    expect(await t.zap.drain({ job: 'greet', queue: 'default' })).toMatchObject({ completed: 1 });
    expect((await t.storage.getRun(elsewhere))?.status).toBe(JobRunStatus.Pending);
    // Without a filter, every queue a pending run is in.
    expect(await t.zap.drain()).toMatchObject({ completed: 1 });
    expect((await t.storage.getRun(elsewhere))?.status).toBe(JobRunStatus.Completed);
    expect((await t.storage.getRun(flaky))?.status).toBe(JobRunStatus.Completed);
  });

  it('inline: enqueue() resolves once the job has run', async () => {
    await boot({ inline: true });
    const id = await t.jobs.enqueue(GreetJob, { name: 'ada' });
    expect(t.calls.of('greet')).toHaveLength(1);
    expect(await t.storage.getRun(id)).toMatchObject({ status: JobRunStatus.Completed, output: { greeting: 'hello ada' } });
    // A delayed run still waits for the clock.
    const later = await t.jobs.enqueue(GreetJob, { name: 'bob' }, { delay: '5m' });
    expect((await t.storage.getRun(later))?.status).toBe(JobRunStatus.Pending);
    const [many] = await t.jobs.enqueueMany([{ job: GreetJob, input: { name: 'cy' } }]);
    expect((await t.storage.getRun(many))?.status).toBe(JobRunStatus.Completed);
  });

  it('inline: batch(), addToBatch() and retryMany() resolve once their runs have run', async () => {
    await boot({ inline: true });
    const batch = await t.jobs.batch([{ job: GreetJob, input: { name: 'ada' } }, { job: GreetJob, input: { name: 'bob' } }], { onComplete: GreetJob });
    for (const id of [...batch.runIds, ...batch.callbackRunIds]) expect((await t.storage.getRun(id))?.status).toBe(JobRunStatus.Completed);

    const open = await t.jobs.batch([{ job: GreetJob, input: { name: 'cy' } }, { job: GreetJob, input: { name: 'dee' }, options: { delay: '1h' } }]);
    const [added] = await t.jobs.addToBatch(open.batchId, [{ job: GreetJob, input: { name: 'eve' } }]);
    expect((await t.storage.getRun(added))?.status).toBe(JobRunStatus.Completed);

    const failed = await t.jobs.enqueue('flaky', { failures: 0, fatal: true });
    expect((await t.storage.getRun(failed))?.status).toBe(JobRunStatus.Failed);
    expect(await t.jobs.retryMany({ jobTypeId: 'flaky' })).toBe(1);
    // Ran again before retryMany() resolved (and, fatal again, failed again).
    expect(t.calls.of('flaky')).toHaveLength(2);
    expect((await t.storage.getRun(failed))?.status).toBe(JobRunStatus.Failed);
  });

  it('inline: a job that enqueues another runs it within its own attempt', async () => {
    await boot({ inline: true });
    const id = await t.jobs.enqueue(FanOutJob, { name: 'dee' });
    expect(t.calls.runs.map((c) => c.job)).toEqual(['fan-out', 'greet', 'fan-out:after-enqueue']);
    expect((await t.storage.getRun(id))?.status).toBe(JobRunStatus.Completed);
    const [greet] = await t.storage.listRuns({ jobTypeId: 'greet' });
    expect(greet).toMatchObject({ status: JobRunStatus.Completed, output: { greeting: 'hello dee' } });
  });
});
