import 'reflect-metadata';
import { InvalidPayloadError, InvalidRunStateError, JobRunStatus, UnknownJobError, type BatchSummary } from '../../lib/index.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';

const lease = (runId: string, attempt: number) => ({ runId, workerId: 'w', attempt });
import { BatchChildJob, BatchDoneJob } from '../fixtures/flows-jobs.fixture.js';

const JOBS = [BatchChildJob, BatchDoneJob];
const items = (count: number, fail: number[] = []) =>
  Array.from({ length: count }, (_, n) => ({ job: BatchChildJob, input: { n, ...(fail.includes(n) ? { fail: true } : {}) } }));

describeEachBackend('batches', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;
  let children: Child[] = [];

  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    children = [];
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  const total = async () => Object.values(await booted!.storage.countRuns()).reduce((sum, n) => sum + n, 0);

  it('fires onSuccess and onComplete once every child completed, with the summary; onFailure is cancelled', async () => {
    booted = await bootApp(db.options, JOBS);
    const batch = await booted.jobs.batch(items(5), { onSuccess: BatchDoneJob, onFailure: BatchDoneJob, onComplete: 'flows.batch-done', description: 'five' });
    expect(batch.runIds).toHaveLength(5);
    const [onSuccess, onFailure, onComplete] = batch.callbackRunIds;
    const success = await runIn(booted.storage, onSuccess, [JobRunStatus.Completed]);
    const childIds = [...batch.runIds].sort();
    const summary: BatchSummary = { batchId: batch.batchId, description: 'five', total: 5, succeeded: 5, failed: 0, cancelled: 0, childIds };
    expect(success.output).toEqual(summary);
    expect((await runIn(booted.storage, onComplete, [JobRunStatus.Completed])).output).toEqual(summary);
    expect((await booted.storage.getRun(onFailure))!.status).toBe(JobRunStatus.Cancelled);
    for (const id of batch.runIds) expect((await booted.storage.getRun(id))!.batchId).toBe(batch.batchId);
    const listed = await booted.storage.listRuns({ batchId: batch.batchId });
    expect(listed.map((run) => run.id).sort()).toEqual([...batch.runIds].sort());
    expect(listed.map((run) => run.output).sort()).toEqual([0, 1, 2, 3, 4]);
    const state = await booted.jobs.getBatch(batch.batchId);
    expect(state).toMatchObject({ state: 'finished', total: 5, pending: 0, succeeded: 5, failed: 0, cancelled: 0, description: 'five' });
    expect([...state!.callbackRunIds].sort()).toEqual([...batch.callbackRunIds].sort());
  });

  it('fires onFailure when a child fails after its retries, and counts it', async () => {
    booted = await bootApp(db.options, JOBS);
    const batch = await booted.jobs.batch(items(4, [2]), { onSuccess: BatchDoneJob, onFailure: BatchDoneJob });
    const failure = await runIn(booted.storage, batch.callbackRunIds[1], [JobRunStatus.Completed]);
    expect(failure.output).toMatchObject({ total: 4, succeeded: 3, failed: 1, cancelled: 0 });
    expect((await booted.storage.getRun(batch.callbackRunIds[0]))!.status).toBe(JobRunStatus.Cancelled);
  });

  it('adds children to an open batch, which then waits for them too; cancels a batch with its pending children and callbacks', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const batch = await booted.jobs.batch(items(2), { onComplete: BatchDoneJob });
    const added = await booted.jobs.addToBatch(batch.batchId, [{ job: BatchChildJob, input: { n: 10 } }]);
    expect(await booted.jobs.getBatch(batch.batchId)).toMatchObject({ state: 'open', total: 3, pending: 3 });
    const doomed = await booted.jobs.batch(items(3), { onComplete: BatchDoneJob });
    expect(await booted.jobs.cancelBatch(doomed.batchId)).toBe(4);
    expect(await booted.jobs.getBatch(doomed.batchId)).toMatchObject({ state: 'cancelled' });
    await expect(booted.jobs.addToBatch(doomed.batchId, items(1))).rejects.toThrow(InvalidRunStateError);
    await expect(booted.jobs.cancelBatch(doomed.batchId)).rejects.toThrow(/is cancelled/);
    await booted.close();

    booted = await bootApp(db.options, JOBS);
    const done = await runIn(booted.storage, batch.callbackRunIds[0], [JobRunStatus.Completed]);
    expect(done.output).toMatchObject({ total: 3, succeeded: 3 });
    expect((await booted.storage.getRun(added[0]))!.status).toBe(JobRunStatus.Completed);
    expect((await booted.storage.getRun(doomed.callbackRunIds[0]))!.status).toBe(JobRunStatus.Cancelled);
    await expect(booted.jobs.addToBatch(batch.batchId, items(1))).rejects.toThrow(/is finished: runs can be added to an open batch only/);
  });

  it('a failed child retried while its batch is open is waited for again: the batch then succeeds', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const storage = booted.storage as EngineStorage;
    const batch = await booted.jobs.batch(items(2), { onSuccess: BatchDoneJob, onFailure: BatchDoneJob });
    const [claimed] = await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
    await storage.failRun({ ...lease(claimed.id, claimed.attemptNumber), errorMessage: 'x', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null });
    expect(await booted.jobs.getBatch(batch.batchId)).toMatchObject({ state: 'open', pending: 1, failed: 1 });
    await booted.jobs.retry(claimed.id);
    expect(await booted.jobs.getBatch(batch.batchId)).toMatchObject({ state: 'open', pending: 2, failed: 0 });
    await booted.close();

    booted = await bootApp(db.options, JOBS);
    const success = await runIn(booted.storage, batch.callbackRunIds[0], [JobRunStatus.Completed, JobRunStatus.Cancelled]);
    expect(success.output).toMatchObject({ total: 2, succeeded: 2, failed: 0 });
    expect((await booted.storage.getRun(batch.callbackRunIds[1]))!.status).toBe(JobRunStatus.Cancelled);
  });

  it('refuses an empty batch and a callback naming an unknown job, storing nothing', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    const empty = (await booted.jobs.batch([], { onComplete: BatchDoneJob }).catch((e: unknown) => e)) as Error;
    expect(empty).toBeInstanceOf(InvalidPayloadError);
    expect(empty.message).toMatch(/^batch: expected at least one item/);
    const unknown = (await booted.jobs.batch(items(3), { onSuccess: 'no.such.job' }).catch((e: unknown) => e)) as Error;
    expect(unknown).toBeInstanceOf(UnknownJobError);
    expect(unknown.message).toMatch(/^batch: onSuccess: Unknown job 'no.such.job'.*Nothing was stored/);
    const storage = booted.storage;
    await expect(storage.createBatch({ children: [{ jobTypeId: 'flows.child', input: { n: 1 } }], callbacks: [{ jobTypeId: 'nope' }] })).rejects.toThrow(UnknownJobError);
    expect(await total()).toBe(0);
  });

  it('1,000 children finished by three processes at once: the callback fires once, after the last child', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, JOBS);
    children = [0, 1, 2].map(() => startChild('flows-process.ts', [JSON.stringify(db.options), 'batch']));
    await Promise.all(children.map((child) => child.waitForLine((line) => line.includes('"ready"'), 60_000)));
    // Each child takes ~10 ms, so that the three processes (20 slots each) share the work to its end.
    const batch = await booted.jobs.batch(
      Array.from({ length: 1000 }, (_, n) => ({ job: BatchChildJob, input: { n, delayMs: 10 } })),
      { onComplete: BatchDoneJob },
    );
    const done = await runIn(booted.storage, batch.callbackRunIds[0], [JobRunStatus.Completed, JobRunStatus.Failed], 90_000);
    expect(done.status).toBe(JobRunStatus.Completed);
    expect(done.attemptNumber).toBe(1);
    expect(done.output).toMatchObject({ total: 1000, succeeded: 1000, failed: 0, cancelled: 0 });
    expect(await booted.jobs.getBatch(batch.batchId)).toMatchObject({ state: 'finished', pending: 0, succeeded: 1000 });
    const finished = await booted.storage.listRuns({ jobTypeId: 'flows.child', status: JobRunStatus.Completed, limit: 2000 });
    expect(finished).toHaveLength(1000);
    const workers = new Set(finished.map((run) => run.workerId));
    expect(workers.size).toBe(3);
    const lastChild = Math.max(...finished.map((run) => run.completedAt!.getTime()));
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(lastChild);
    await waitFor(async () => (await booted!.storage.countRuns({ jobTypeId: 'flows.batch-done' })).completed === 1);
  }, 120_000);
});
