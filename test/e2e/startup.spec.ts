import 'reflect-metadata';
import { Job, JobRunStatus, type JobHandler } from '../../lib/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';

/** The producer's view of the job the worker process runs. */
@Job({ id: 'startup.first', maxRetries: 0 })
class FirstJob implements JobHandler {
  handle() {}
}

/**
 * A worker process started with a run already queued (W7 of the bench): the worker claims at once
 * when it starts, not at its first poll (10 minutes away here), and its start does not load pg on
 * SQLite (the PostgreSQL backend is loaded on demand).
 */
describeEachBackend('start-up of a worker process', (backend) => {
  const t = appPerTest(backend);

  it('runs a run queued before it started right away, without the PostgreSQL driver on SQLite', async () => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, [FirstJob]);
    const runId = await t.booted.jobs.enqueue('startup.first', {});
    const worker = startChild('startup-process.ts', [JSON.stringify(t.db.options)]);
    t.children.push(worker);
    const first = JSON.parse(await worker.waitForLine((l) => l.includes('"first"'))) as { bootToFirstMs: number; loaded: Record<string, boolean> };
    // A generous bound for a loaded machine, far below the poll interval: only the claim at start fits in it.
    expect(first.bootToFirstMs).toBeLessThan(10_000);
    expect((await runIn(t.booted.storage, runId, [JobRunStatus.Completed], 10_000)).attemptNumber).toBe(1);
    // class-validator checks the module options (a chosen dependency), so it is loaded on both.
    expect(first.loaded).toEqual({ 'class-validator': true, pg: backend.name === 'postgres' });
    // Closed, not killed: no connection of a dead process still holds a lock when the schema is dropped.
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });
});
