import 'reflect-metadata';
import { Job, JobRunStatus, type JobHandler } from '../../lib/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';

/** The enqueuing process's view of the job the worker process runs. */
@Job({ id: 'crash.slow', maxRetries: 3 })
class ProbeJob implements JobHandler {
  handle() {}
}

/**
 * A run enqueued by one process (an API, say) wakes an idle worker in another process at once:
 * PostgreSQL through NOTIFY, SQLite through PRAGMA data_version (it moves when another connection
 * commits). The worker polls only every 10 minutes here, so a run started within seconds can only
 * have been started by a wake-up; three in a row, so not by the worker's first claim at start.
 */
describeEachBackend('wake-ups across processes', (backend) => {
  const t = appPerTest(backend);

  it('a run enqueued in another process starts long before the idle worker would poll', async () => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, [ProbeJob]);
    const worker = startChild('worker-process.ts', [JSON.stringify(t.db.options), 'wake']);
    t.children.push(worker);
    await worker.waitForLine((l) => l.includes('"ready"'));
    for (let i = 0; i < 3; i++) {
      const runId = await t.booted.jobs.enqueue('crash.slow', { i });
      const run = await runIn(t.booted.storage, runId, [JobRunStatus.Completed], 10_000);
      expect(run.attemptNumber).toBe(1);
    }
  });
});
