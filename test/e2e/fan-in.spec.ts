import 'reflect-metadata';
import { InvalidPayloadError, JobRunStatus, RunNotFoundError, type BatchSummary, type JobRun } from '../../lib/index.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';
import { describeEachBackend } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { BatchChildJob, BatchDoneJob, FanInDoneJob } from '../fixtures/flows-jobs.fixture.js';

const JOBS = [BatchChildJob, BatchDoneJob, FanInDoneJob];
const IDLE = { enableWorkers: false, enableScheduler: false };
const FINISHED = [JobRunStatus.Completed, JobRunStatus.Failed, JobRunStatus.Cancelled];

/** Continuations of several parents (fan-in): jobs.continueWith([ids], Job, input, options). */
describeEachBackend('fan-in continuations', (backend) => {
  const t = appPerTest(backend);

  const parents = (app: BootedApp, inputs: Array<{ n: number; fail?: boolean; delayMs?: number }>) =>
    Promise.all(inputs.map((input) => app.jobs.enqueue(BatchChildJob, input)));
  const lastCompletion = (runs: Array<JobRun | null>) => Math.max(...runs.map((run) => run!.completedAt!.getTime()));

  it('waits for every parent, then runs once with their outputs in the order given (passParentOutput)', async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    const [a, b, c] = await parents(t.booted, [{ n: 1 }, { n: 2, delayMs: 200 }, { n: 3 }]);
    const id = await t.booted.jobs.continueWith([c, a, b], FanInDoneJob, undefined, { passParentOutput: true });
    expect((await t.booted.storage.getRun(id))!.status).toBe(JobRunStatus.Awaiting);
    await t.booted.close();

    t.booted = await bootApp(t.db.options, JOBS);
    const done = await runIn(t.booted.storage, id, FINISHED);
    expect(done.status).toBe(JobRunStatus.Completed);
    expect(done.output).toEqual([3, 1, 2]);
    expect(done.attemptNumber).toBe(1);
    const ended = await Promise.all([a, b, c].map((run) => t.booted!.storage.getRun(run)));
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(lastCompletion(ended));
  });

  it("fires by the parents' outcomes together: 'failure' when one failed, 'always' either way; 'success' is cancelled", async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    const [ok, bad] = await parents(t.booted, [{ n: 1 }, { n: 2, fail: true }]);
    // One pair of parents awaited by three fan-ins at once.
    const success = await t.booted.jobs.continueWith([ok, bad], FanInDoneJob, { fired: 'success' });
    const failure = await t.booted.jobs.continueWith([ok, bad], FanInDoneJob, { fired: 'failure' }, { condition: 'failure' });
    const always = await t.booted.jobs.continueWith([ok, bad], FanInDoneJob, { fired: 'always' }, { condition: 'always' });
    await t.booted.close();

    t.booted = await bootApp(t.db.options, JOBS);
    expect((await runIn(t.booted.storage, failure, FINISHED)).output).toEqual({ fired: 'failure' });
    expect((await runIn(t.booted.storage, always, FINISHED)).output).toEqual({ fired: 'always' });
    const skipped = await runIn(t.booted.storage, success, FINISHED);
    expect(skipped.status).toBe(JobRunStatus.Cancelled);
    expect(skipped.errorMessage).toBe('continuation not called: the runs it awaited ended with failures');
  });

  it('counts parents that had already ended when it was created; released at once when all had', async () => {
    t.booted = await bootApp(t.db.options, JOBS);
    const [a, b] = await parents(t.booted, [{ n: 1 }, { n: 2, fail: true }]);
    await runIn(t.booted.storage, a, FINISHED);
    await runIn(t.booted.storage, b, FINISHED);
    const both = await t.booted.jobs.continueWith([a, b], FanInDoneJob, undefined, { condition: 'always', passParentOutput: true });
    // A parent that failed has no output: null in its place.
    expect((await runIn(t.booted.storage, both, FINISHED)).output).toEqual([1, null]);
    const [late] = await parents(t.booted, [{ n: 3, delayMs: 100 }]);
    const mixed = await t.booted.jobs.continueWith([a, late], FanInDoneJob, undefined, { passParentOutput: true });
    expect((await runIn(t.booted.storage, mixed, FINISHED)).output).toEqual([1, 3]);
  });

  it('a batch child awaited by a fan-in counts for both; a cancelled continuation counts as cancelled', async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    const batch = await t.booted.jobs.batch(
      [{ job: BatchChildJob, input: { n: 1 } }, { job: BatchChildJob, input: { n: 2 } }],
      { onComplete: BatchDoneJob },
    );
    const [first] = batch.runIds;
    const [parent] = await parents(t.booted, [{ n: 10 }]);
    // Cancelled when its parent completes (it waits for a failure): the fan-in then sees it cancelled.
    const onFailure = await t.booted.jobs.continueWith(parent, FanInDoneJob, { never: true }, { condition: 'failure' });
    const fanIn = await t.booted.jobs.continueWith([first, onFailure], FanInDoneJob, { fired: true }, { condition: 'failure' });
    const notFired = await t.booted.jobs.continueWith([first, onFailure], FanInDoneJob, { fired: false });
    await t.booted.close();

    t.booted = await bootApp(t.db.options, JOBS);
    expect((await runIn(t.booted.storage, batch.callbackRunIds[0], FINISHED)).output).toMatchObject({ total: 2, succeeded: 2 });
    expect((await runIn(t.booted.storage, onFailure, FINISHED)).status).toBe(JobRunStatus.Cancelled);
    expect((await runIn(t.booted.storage, fanIn, FINISHED)).output).toEqual({ fired: true });
    expect((await runIn(t.booted.storage, notFired, FINISHED)).status).toBe(JobRunStatus.Cancelled);
  });

  it('a parent retried after failing is awaited again: the fan-in then succeeds', async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    const storage = t.booted.storage as EngineStorage;
    const [a, b] = await parents(t.booted, [{ n: 1 }, { n: 2 }]);
    const fanIn = await t.booted.jobs.continueWith([a, b], FanInDoneJob, undefined, { passParentOutput: true });
    const [claimed] = await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
    await storage.failRun({
      runId: claimed.id, workerId: 'w', attempt: claimed.attemptNumber, errorMessage: 'x', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null,
    });
    await t.booted.jobs.retry(claimed.id);
    await t.booted.close();

    t.booted = await bootApp(t.db.options, JOBS);
    const done = await runIn(t.booted.storage, fanIn, FINISHED);
    expect(done.status).toBe(JobRunStatus.Completed);
    expect(done.output).toEqual([1, 2]);
  });

  it('refuses an empty list, a repeated parent and an unknown one, storing nothing', async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    const [a] = await parents(t.booted, [{ n: 1 }]);
    const refused = async (ids: string[]) => (await t.booted!.jobs.continueWith(ids, FanInDoneJob, {}).catch((e: unknown) => e)) as Error;
    const empty = await refused([]);
    expect(empty).toBeInstanceOf(InvalidPayloadError);
    expect(empty.message).toBe('continueWith: expected at least one parent run id. Nothing was stored.');
    expect((await refused([a, a])).message).toBe(`continueWith: parentRunIds[1]: '${a}' is listed twice. Nothing was stored.`);
    const missing = '01890000-0000-7000-8000-000000000000';
    const unknown = await refused([a, missing]);
    expect(unknown).toBeInstanceOf(RunNotFoundError);
    expect(unknown.message).toContain(missing);
    expect(await refused([a, 'not-a-run-id'])).toBeInstanceOf(RunNotFoundError);
    const counts = await t.booted.storage.countRuns();
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(1);
    // The refused fan-ins left no mark: the parent completes through the plain path.
    expect((await t.booted.storage.getRun(a))!.status).toBe(JobRunStatus.Pending);
  });

  it('600 fan-ins over overlapping parents, finished by three processes while they are created: each fires once, after its parents', async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    t.children.push(...[0, 1, 2].map(() => startChild('flows-process.ts', [JSON.stringify(t.db.options), 'batch'])));
    await Promise.all(t.children.map((child) => child.waitForLine((line) => line.includes('"ready"'), 60_000)));
    const N = 600;
    // Each parent takes 0-40 ms and is awaited by four fan-ins, which are created while the three
    // processes finish the parents: some see a parent end before, some during, some after.
    const ids = await t.booted.jobs.enqueueMany(Array.from({ length: N }, (_, n) => ({ job: BatchChildJob, input: { n, delayMs: (n * 7) % 41 } })));
    const fanIns: Array<{ id: string; parents: number[] }> = [];
    for (let i = 0; i < N; i++) {
      const members = [i, (i + 1) % N, (i + 7) % N, (i + 31) % N];
      fanIns.push({ id: await t.booted.jobs.continueWith(members.map((n) => ids[n]), FanInDoneJob, undefined, { passParentOutput: true }), parents: members });
    }
    const deadline = Date.now() + 90_000;
    while ((await t.booted.storage.countRuns({ jobTypeId: 'flows.fan-in-done' })).completed < N) {
      if (Date.now() > deadline) throw new Error(`fan-ins not all completed: ${JSON.stringify(await t.booted.storage.countRuns({ jobTypeId: 'flows.fan-in-done' }))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const byId = new Map((await t.booted.storage.listRuns({ limit: 10 * N })).map((run) => [run.id, run]));
    const workers = new Set<string>();
    for (const { id, parents: members } of fanIns) {
      const run = byId.get(id)!;
      expect(run.status).toBe(JobRunStatus.Completed);
      expect(run.attemptNumber).toBe(1);
      // Counted exactly once each: fired neither early (a parent counted twice) nor with a hole.
      expect(run.output).toEqual(members);
      expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(lastCompletion(members.map((n) => byId.get(ids[n]) ?? null)));
      workers.add(run.workerId!);
    }
    expect(workers.size).toBeGreaterThan(1);
  }, 150_000);
});

describeEachBackend('batch summaries and bulk cancels', (backend) => {
  const t = appPerTest(backend);

  it("hands the callback every child's id, and with includeOutputs their outputs", async () => {
    t.booted = await bootApp(t.db.options, JOBS);
    const items = [1, 2, 3].map((n) => ({ job: BatchChildJob, input: { n, ...(n === 3 ? { fail: true } : {}) } }));
    const batch = await t.booted.jobs.batch(items, { onComplete: BatchDoneJob, includeOutputs: true });
    const summary = (await runIn(t.booted.storage, batch.callbackRunIds[0], FINISHED)).output as BatchSummary;
    expect(summary.childIds).toEqual([...batch.runIds].sort());
    expect(summary.outputs).toEqual({ [batch.runIds[0]]: 1, [batch.runIds[1]]: 2, [batch.runIds[2]]: null });
    const plain = await t.booted.jobs.batch(items.slice(0, 1), { onComplete: BatchDoneJob });
    const without = (await runIn(t.booted.storage, plain.callbackRunIds[0], FINISHED)).output as BatchSummary;
    expect(without.childIds).toEqual(plain.runIds);
    expect(without).not.toHaveProperty('outputs');
  });

  it("cancelMany and cancelBatch emit 'cancelled' for every run they end", async () => {
    t.booted = await bootApp({ ...t.db.options, ...IDLE }, JOBS);
    const heard: string[] = [];
    t.booted.events.on('cancelled', ({ runId, jobTypeId }) => void heard.push(`${jobTypeId}:${runId}`));
    const loose = await Promise.all([1, 2, 3].map((n) => t.booted!.jobs.enqueue(BatchChildJob, { n })));
    expect(await t.booted.jobs.cancelMany({ jobTypeId: 'flows.child' }, { batchSize: 2 })).toBe(3);
    expect([...heard].sort()).toEqual(loose.map((id) => `flows.child:${id}`).sort());
    heard.length = 0;
    const batch = await t.booted.jobs.batch([{ job: BatchChildJob, input: { n: 1 } }], { onComplete: BatchDoneJob });
    expect(await t.booted.jobs.cancelBatch(batch.batchId)).toBe(2);
    expect([...heard].sort()).toEqual([`flows.child:${batch.runIds[0]}`, `flows.batch-done:${batch.callbackRunIds[0]}`].sort());
  });

  it("emits 'cancelled' for the runs the flow rules cancel: a continuation whose condition failed, a callback not called", async () => {
    t.booted = await bootApp(t.db.options, JOBS);
    const heard: string[] = [];
    t.booted.events.on('cancelled', ({ runId }) => void heard.push(runId));
    const parent = await t.booted.jobs.enqueue(BatchChildJob, { n: 1 });
    const onFailure = await t.booted.jobs.continueWith(parent, FanInDoneJob, {}, { condition: 'failure' });
    // Its own continuation is cancelled in turn, down the chain.
    const next = await t.booted.jobs.continueWith(onFailure, FanInDoneJob, {});
    const batch = await t.booted.jobs.batch([{ job: BatchChildJob, input: { n: 2 } }], { onSuccess: BatchDoneJob, onFailure: BatchDoneJob });
    const fanIn = await t.booted.jobs.continueWith([parent, batch.runIds[0]], FanInDoneJob, {}, { condition: 'failure' });
    const expected = [onFailure, next, batch.callbackRunIds[1], fanIn];
    await waitFor(() => expected.every((id) => heard.includes(id)));
    for (const id of expected) expect((await t.booted.storage.getRun(id))!.status).toBe(JobRunStatus.Cancelled);
    expect(heard.filter((id) => expected.includes(id))).toHaveLength(expected.length);
  });
});
