import 'reflect-metadata';
import { JobRunStatus, RunNotFoundError, WaitForTimeoutError, type ZapJobsEventMap } from '../../../lib/index.js';
import { describeEachBackend, type TestDatabase } from '../../helpers/backends.js';
import { bootApp, type BootedApp } from '../../helpers/boot.js';
import { startChild, type Child } from '../../helpers/child-process.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 11, events from every process: this (jest) process only enqueues; a child process runs the
 * jobs. What the child's runs do reaches this process's listeners, marked remote, with the output
 * or error read from the stored run; waitFor() answers for runs the child finishes.
 */
describeEachBackend('events across processes', (backend) => {
  let db: TestDatabase;
  let worker: Child;
  let client: BootedApp;

  beforeAll(async () => {
    db = backend.create();
    // The client migrates first, so the child starts on a ready schema.
    client = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false, events: { crossProcess: true } }, []);
    worker = startChild('events-worker.ts', [JSON.stringify(db.options)]);
    await worker.waitForLine((line) => line.includes('"ready"'));
  });

  afterAll(async () => {
    if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM');
    await worker.exited;
    await client.close();
    await db.drop();
  });

  it('an enqueue-only process hears started, progress and completed, with the output, of a run another process executes', async () => {
    const heard: Array<{ event: string; payload: Record<string, unknown> }> = [];
    const offs = (['started', 'progress', 'completed'] as const).map((event) =>
      client.events.on(event, (payload) => void heard.push({ event, payload: payload as unknown as Record<string, unknown> })),
    );
    try {
      const runId = await client.jobs.enqueue('events.echo', { n: 7 });
      await waitFor(() => heard.some((h) => h.event === 'completed' && h.payload.runId === runId), { what: 'the remote completed event', timeoutMs: 15_000 });
      const mine = heard.filter((h) => h.payload.runId === runId);
      expect(mine.map((h) => h.event)).toEqual(['started', 'progress', 'completed']);
      const completed = mine[2].payload as unknown as ZapJobsEventMap['completed'];
      expect(completed).toMatchObject({ runId, jobTypeId: 'events.echo', queue: 'default', attempt: 1, remote: true });
      // Larger than NOTIFY could carry: read from the row.
      expect(completed.output).toMatchObject({ n: 7, by: worker.process.pid });
      expect(completed.durationMs).toBeGreaterThanOrEqual(0);
      expect(mine[0].payload).toMatchObject({ remote: true, attempt: 1 });
      expect(typeof mine[0].payload.workerId).toBe('string');
      expect(mine[1].payload).toMatchObject({ remote: true, progress: { processed: 1, total: 2 } });
    } finally {
      for (const off of offs) off();
    }
  });

  it('hears failed with the stored error; the enqueue-only process\'s own enqueued event stays local (not remote)', async () => {
    const enqueued: ZapJobsEventMap['enqueued'][] = [];
    const failed: ZapJobsEventMap['failed'][] = [];
    const offs = [client.events.on('enqueued', (e) => void enqueued.push(e)), client.events.on('failed', (e) => void failed.push(e))];
    try {
      const runId = await client.jobs.enqueue('events.fail', {});
      await waitFor(() => failed.find((e) => e.runId === runId), { what: 'the remote failed event', timeoutMs: 15_000 });
      const event = failed.find((e) => e.runId === runId)!;
      expect(event.remote).toBe(true);
      expect(event.error).toBeInstanceOf(Error);
      expect(event.error.message).toContain(`failed in ${worker.process.pid}`);
      // This process's own event, heard once, in its local shape.
      expect(enqueued.filter((e) => e.runId === runId)).toEqual([{ runId, jobTypeId: 'events.fail', queue: undefined }]);
    } finally {
      for (const off of offs) off();
    }
  });

  it('waitFor resolves with the run another process finished, at once for a finished run, and rejects on timeout', async () => {
    const runId = await client.jobs.enqueue('events.echo', { n: 3, delayMs: 100 });
    const run = await client.jobs.waitFor(runId, { timeout: '15s' });
    expect(run.status).toBe(JobRunStatus.Completed);
    expect(run.output).toMatchObject({ n: 3, by: worker.process.pid });


    const failedId = await client.jobs.enqueue('events.fail', {});
    expect((await client.jobs.waitFor(failedId, { timeout: '15s' })).status).toBe(JobRunStatus.Failed);

    // A queue nobody works: the run stays pending, the wait ends, the run goes on.
    const stuck = await client.jobs.enqueue('events.echo', { n: 1 }, { queue: 'nobody' });
    const error = await client.jobs.waitFor(stuck, { timeout: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitForTimeoutError);
    expect((error as Error).message).toContain(`run ${stuck} did not finish within 300 ms (it is pending)`);
    expect((await client.storage.getRun(stuck))?.status).toBe(JobRunStatus.Pending);

    await expect(client.jobs.waitFor(stuck, { timeout: 'soon' })).rejects.toThrow(/^waitFor: timeout/);
    await expect(client.jobs.waitFor('0190a6f0-0000-7000-8000-000000000000', { timeout: '5s' })).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it('waitFor in a process that hears no events from others: a finished run at once, a running one by polling the stored run', async () => {
    // A poll every 3 s: an answer well before it comes from the first read, not from a poll.
    const deaf = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false, autoMigrate: false, pollInterval: '3s' }, []);
    try {
      const heard: unknown[] = [];
      deaf.events.on('completed', (e) => void heard.push(e));
      const finished = await client.jobs.enqueue('events.echo', { n: 4 });
      await client.jobs.waitFor(finished, { timeout: '15s' });
      const started = Date.now();
      expect((await deaf.jobs.waitFor(finished, { timeout: '15s' })).status).toBe(JobRunStatus.Completed);
      expect(Date.now() - started).toBeLessThan(2000);

      const runId = await deaf.jobs.enqueue('events.echo', { n: 5 });
      const run = await deaf.jobs.waitFor(runId, { timeout: '15s' });
      expect(run.output).toMatchObject({ n: 5, by: worker.process.pid });
      expect(heard).toEqual([]);
    } finally {
      await deaf.close();
    }
  });
});
