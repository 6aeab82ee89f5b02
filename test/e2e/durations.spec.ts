import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, JobRunStatus, type JobHandler } from '../../lib/index.js';
import { parseDuration } from '../../lib/util/duration.js';
import { bootApp, runIn } from '../helpers/boot.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';

const DAY = 86_400_000;

/** Works for 30 ms: far longer than the 1 ms Node makes of a timer of 2^31 ms or more. */
@Job({ id: 'long-timeout', timeout: '25d', maxRetries: 0 })
class LongTimeoutJob implements JobHandler<unknown, string> {
  async handle(): Promise<string> {
    await sleep(30);
    return 'done';
  }
}

describe('durations of 2^31 ms (24.8 days) and more', () => {
  it.each(['25d', '4w', 2 ** 31, '365d'])('parses %j to its full length', (value) => {
    expect(parseDuration(value)).toBeGreaterThanOrEqual(2 ** 31);
  });
});

describeEachBackend('durations of 2^31 ms and more in a running app', (backend) => {
  const t = appPerTest(backend);

  it("runs a job with timeout '25d' to completion instead of timing it out at once", async () => {
    t.booted = await bootApp(t.db.options, [LongTimeoutJob]);
    const id = await t.booted.jobs.enqueue(LongTimeoutJob);
    const run = await runIn(t.booted.storage, id, [JobRunStatus.Completed, JobRunStatus.Failed]);
    expect(run.status).toBe(JobRunStatus.Completed);
    expect(run.attemptNumber).toBe(1);
    const definition = (await t.booted.storage.getAllDefinitions()).find((d) => d.jobTypeId === 'long-timeout');
    expect(Number(definition?.timeoutMs)).toBe(25 * DAY);
  });

  it("starts, works and closes promptly with every loop interval and the shutdown timeout at '25d'", async () => {
    t.booted = await bootApp(
      { ...t.db.options, pollInterval: '25d', heartbeatInterval: '25d', staleAfter: '26d', cleanupInterval: '25d', shutdownTimeout: '25d' },
      [LongTimeoutJob],
    );
    // A local enqueue wakes the idle worker: the 25-day poll is only for other processes' runs.
    const id = await t.booted.jobs.enqueue(LongTimeoutJob);
    expect((await runIn(t.booted.storage, id, [JobRunStatus.Completed, JobRunStatus.Failed])).status).toBe(JobRunStatus.Completed);
    const started = Date.now();
    await t.booted.close();
    // Nothing was running: close() waits neither for the shutdown timeout nor for a loop's timer.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
