import 'reflect-metadata';
import { JobInputValidationError, JobRunStatus, JobLogLevel } from '../../lib/index.js';
import { bootApp, bootTestingApp, runIn, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  AlwaysFailsJob, BlockingJob, EchoJob, FlakyJob, HangsJob, probe, RecordJob, ReportJob, RUNTIME_JOBS, SendEmailJob,
} from '../fixtures/runtime-jobs.fixture.js';

describeEachBackend('runtime: workers, retries, timeouts, cancel', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp;

  beforeEach(() => {
    probe.reset();
    db = backend.create();
  });
  afterEach(async () => {
    probe.release();
    await booted?.close();
    await db.drop();
  });

  it('runs a job and stores its output, duration, logs and progress', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const seen: string[] = [];
    for (const e of ['enqueued', 'started', 'completed'] as const) booted.events.on(e, () => seen.push(e));
    const id = await booted.jobs.enqueue(EchoJob, { n: 21 });
    const run = await runIn(booted.storage, id, [JobRunStatus.Completed]);
    expect(run.output).toEqual({ doubled: 42 });
    expect(run.attemptNumber).toBe(1);
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(run.completedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt!.getTime());
    expect(run.workerId).toBeTruthy();
    expect(run.progress).toEqual({ processed: 1, total: 1 });
    const logs = await booted.storage.getLogs(id);
    expect(logs.map((l) => [l.level, l.message])).toContainEqual([JobLogLevel.Info, 'doubling 21']);
    await waitFor(() => seen.includes('completed'));
    // 'started' may come before 'enqueued': a worker (woken by NOTIFY, or polling) can claim the
    // run before the enqueue's own reply from the database is read. 'completed' always comes last.
    expect([...seen].sort()).toEqual(['completed', 'enqueued', 'started']);
    expect(seen.indexOf('started')).toBeLessThan(seen.indexOf('completed'));
  });

  it('retries a failing job with exponential backoff and succeeds on the third attempt', async () => {
    // On the testing module's fake clock, each backoff is exact: nothing runs a millisecond early.
    const testing = await bootTestingApp(db.options, RUNTIME_JOBS);
    booted = testing;
    const { zap } = testing;
    const start = zap.clock.now();
    const id = await booted.jobs.enqueue(FlakyJob);
    // initialDelay 200 ms, multiplier 2, no jitter: attempt 2 is due at +200 ms, attempt 3 at +600 ms.
    expect(await zap.drain()).toMatchObject({ retried: 1, completed: 0 });
    expect((await booted.storage.getRun(id))!.scheduledAt.getTime()).toBe(start + 200);
    zap.clock.advance(199);
    expect(await zap.drain()).toMatchObject({ retried: 0, completed: 0 });
    zap.clock.advance(1);
    expect(await zap.drain()).toMatchObject({ retried: 1 });
    expect((await booted.storage.getRun(id))!.scheduledAt.getTime()).toBe(start + 600);
    zap.clock.advance(399);
    expect(await zap.drain()).toMatchObject({ completed: 0 });
    zap.clock.advance(1);
    expect(await zap.drain()).toMatchObject({ completed: 1, retried: 0, failed: 0 });
    const run = (await booted.storage.getRun(id))!;
    expect(run.status).toBe(JobRunStatus.Completed);
    expect(run.attemptNumber).toBe(3);
    expect(run.startedAt!.getTime()).toBe(start + 600);
    expect(probe.calls.filter((c) => c.runId === id)).toHaveLength(3);
    const errors = (await booted.storage.getLogs(id)).filter((l) => l.level === JobLogLevel.Error);
    expect(errors.map((l) => l.attemptNumber)).toEqual([1, 2]);
    expect(errors[0].message).toContain('boom 1');
  });

  it('dead-letters a run after its last retry, keeps it queryable, and retry() runs it again', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const failed: string[] = [];
    booted.events.on('failed', ({ runId }) => failed.push(runId));
    const id = await booted.jobs.enqueue(AlwaysFailsJob);
    const run = await runIn(booted.storage, id, [JobRunStatus.Failed]);
    expect(run.attemptNumber).toBe(3);
    expect(run.errorMessage).toBe('always 3');
    expect(run.errorDetails).toContain('Error: always 3');
    const errors = (await booted.storage.getLogs(id)).filter((l) => l.level === JobLogLevel.Error);
    expect(errors.map((l) => l.message)).toEqual([
      expect.stringContaining('attempt 1 of 3 failed: always 1'),
      expect.stringContaining('attempt 2 of 3 failed: always 2'),
      expect.stringContaining('attempt 3 of 3 failed: always 3; no attempts left'),
    ]);
    await waitFor(() => failed.includes(id));
    await booted.jobs.retry(id);
    await waitFor(() => probe.calls.filter((c) => c.runId === id).length === 6, { what: 'three more attempts' });
    await runIn(booted.storage, id, [JobRunStatus.Failed]);
  });

  it('fails a non-Error throw with a readable message, and an UnrecoverableJobError without retrying', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const a = await booted.jobs.enqueue('throws-string');
    const b = await booted.jobs.enqueue('unrecoverable');
    expect((await runIn(booted.storage, a, [JobRunStatus.Failed])).errorMessage).toBe('handler threw a non-Error value: a plain string');
    const run = await runIn(booted.storage, b, [JobRunStatus.Failed]);
    expect(run.attemptNumber).toBe(1);
    expect(run.errorMessage).toBe('bad input, no retry helps');
  });

  it('times out an attempt whose handler ignores its signal', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const id = await booted.jobs.enqueue(HangsJob);
    const run = await runIn(booted.storage, id, [JobRunStatus.Failed]);
    expect(run.errorMessage).toBe('the attempt timed out after 200 ms');
    expect(run.durationMs).toBeGreaterThanOrEqual(195);
    expect(probe.aborted).toEqual([{ runId: id, reason: 'JobTimeoutError' }]);
  });

  it('cancels a pending run before it runs', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const id = await booted.jobs.enqueue(RecordJob, { x: 1 }, { delay: '1h' });
    expect(await booted.jobs.cancel(id)).toBe(true);
    expect((await booted.storage.getRun(id))!.status).toBe(JobRunStatus.Cancelled);
    expect(await booted.jobs.cancel(id)).toBe(false);
    expect(probe.calls).toHaveLength(0);
  });

  it('cancels a running run: its signal fires and it ends Cancelled', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const cancelled: string[] = [];
    booted.events.on('cancelled', ({ runId }) => cancelled.push(runId));
    const id = await booted.jobs.enqueue(BlockingJob);
    await waitFor(() => probe.calls.some((c) => c.runId === id));
    expect(await booted.jobs.cancel(id)).toBe(true);
    await waitFor(() => probe.aborted.some((a) => a.runId === id));
    await waitFor(() => cancelled.includes(id));
    const run = await booted.storage.getRun(id);
    expect(run!.status).toBe(JobRunStatus.Cancelled);
  });

  it('does not run a delayed job before its time', async () => {
    const testing = await bootTestingApp(db.options, RUNTIME_JOBS);
    booted = testing;
    const { zap } = testing;
    const id = await booted.jobs.enqueue(RecordJob, null, { delay: 400 });
    const id2 = await booted.jobs.enqueue(RecordJob, null, { runAt: new Date(zap.clock.now() + 300) });
    zap.clock.advance(299);
    expect((await zap.drain()).completed).toBe(0);
    zap.clock.advance(1);
    expect((await zap.drain()).completed).toBe(1);
    expect((await booted.storage.getRun(id2))!.status).toBe(JobRunStatus.Completed);
    expect((await booted.storage.getRun(id))!.status).toBe(JobRunStatus.Pending);
    zap.clock.advance(99);
    expect((await zap.drain()).completed).toBe(0);
    zap.clock.advance(1);
    expect((await zap.drain()).completed).toBe(1);
    const run = (await booted.storage.getRun(id))!;
    expect(run.status).toBe(JobRunStatus.Completed);
    expect(run.startedAt!.getTime() - run.createdAt.getTime()).toBe(400);
  });

  it('runs by queue order, then priority, then time', async () => {
        const producer = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, RUNTIME_JOBS);
    const low = await producer.jobs.enqueue(RecordJob, 'low-queue', { queue: 'low', priority: 100 });
    const p0 = await producer.jobs.enqueue(RecordJob, 'p0');
    const p5 = await producer.jobs.enqueue(RecordJob, 'p5', { priority: 5 });
    const p1 = await producer.jobs.enqueue(RecordJob, 'p1', { priority: 1 });
    const crit = await producer.jobs.enqueue('critical-record', 'critical');
    const p5b = await producer.jobs.enqueue(RecordJob, 'p5b', { priority: 5 });
    await producer.close();
    booted = await bootApp({ ...db.options, concurrency: 1 }, RUNTIME_JOBS);
    await runIn(booted.storage, low, [JobRunStatus.Completed]);
    expect(probe.calls.map((c) => c.runId)).toEqual([crit, p5, p5b, p1, p0, low]);
  });

  it('validates typed input at enqueue and stores nothing when it is invalid', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    await expect(booted.jobs.enqueue(SendEmailJob, { to: 'not-an-email', subject: '' })).rejects.toThrow(JobInputValidationError);
    await expect(booted.jobs.enqueue(SendEmailJob, { to: 'not-an-email', subject: 'x' })).rejects.toThrow(/to must be an email/);
    expect(await booted.storage.listRuns({ jobTypeId: 'send-email' })).toHaveLength(0);
    const id = await booted.jobs.enqueue(SendEmailJob, { to: 'a@example.com', subject: 'hi' });
    const run = await runIn(booted.storage, id, [JobRunStatus.Completed]);
    expect(run.output).toBe('sent to a@example.com (typed)');
  });

  it('enqueueMany stores all runs in one go, or none when one is invalid', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false }, RUNTIME_JOBS);
    const ids = await booted.jobs.enqueueMany([{ job: RecordJob, input: 1 }, { job: 'echo', input: { n: 1 } }]);
    expect(ids).toHaveLength(2);
    await expect(
      // By id, untyped: this is the run-time check (the class would not compile with this input).
      booted.jobs.enqueueMany([{ job: RecordJob, input: 2 }, { job: 'send-email', input: { to: 'x' } }]),
    ).rejects.toThrow(JobInputValidationError);
    await expect(booted.jobs.enqueueMany([{ job: RecordJob, input: 3 }, { job: 'no-such-job' }])).rejects.toThrow(/Unknown job 'no-such-job'/);
    expect(await booted.storage.listRuns()).toHaveLength(2);
  });

  it.each([
    ['success', 'echo', JobRunStatus.Completed],
    ['failure', 'always-fails', JobRunStatus.Failed],
    ['always', 'always-fails', JobRunStatus.Failed],
  ] as const)('runs a continuation on %s, and cancels one whose condition is not met', async (condition, parentJob, parentEnd) => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const parent = await booted.jobs.enqueue(parentJob, parentJob === 'echo' ? { n: 4 } : undefined, { maxRetries: 0 });
    const child = await booted.jobs.continueWith(parent, RecordJob, undefined, { condition, passParentOutput: true });
    const opposite = await booted.jobs.continueWith(parent, RecordJob, 'never', {
      condition: parentEnd === JobRunStatus.Completed ? 'failure' : 'success',
    });
    await runIn(booted.storage, parent, [parentEnd]);
    const run = await runIn(booted.storage, child, [JobRunStatus.Completed]);
    expect(run.parentRunId).toBe(parent);
    expect(run.passParentOutput).toBe(true);
    if (parentJob === 'echo') expect(run.input).toEqual({ doubled: 8 });
    const skipped = await runIn(booted.storage, opposite, [JobRunStatus.Cancelled]);
    expect(skipped.errorMessage).toContain('condition not met');
  });

  it('trigger() runs a job now with its default input, and names an unknown job', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const id = await booted.jobs.trigger(ReportJob);
    const run = await runIn(booted.storage, id, [JobRunStatus.Completed]);
    expect(run.input).toEqual({ format: 'csv' });
    expect(run.output).toEqual({ format: 'csv' });
    await expect(booted.jobs.trigger('no-such-report')).rejects.toThrow(/Unknown job 'no-such-report'/);
  });

  it('releases a continuation added after its parent already finished', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const parent = await booted.jobs.enqueue(EchoJob, { n: 1 });
    await runIn(booted.storage, parent, [JobRunStatus.Completed]);
    const child = await booted.jobs.continueWith(parent, RecordJob, 'late child');
    await runIn(booted.storage, child, [JobRunStatus.Completed]);
  });
});
