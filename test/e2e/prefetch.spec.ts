import 'reflect-metadata';
import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';
import { describeEachBackend } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import { BlockingJob, probe, RUNTIME_JOBS } from '../fixtures/runtime-jobs.fixture.js';

/** Counts the handlers running at once. */
const load = { now: 0, max: 0 };

@Job({ id: 'prefetch.short', maxRetries: 0 })
class ShortJob implements JobHandler<{ n: number }> {
  async handle(ctx: JobContext<{ n: number }>) {
    load.max = Math.max(load.max, ++load.now);
    await new Promise((resolve) => setTimeout(resolve, 5));
    load.now--;
    return ctx.input.n;
  }
}

/** The survivor's handler for the job the killed process held. */
@Job({ id: 'crash.slow', maxRetries: 3 })
class SurvivorSlowJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    return { finishedBy: 'survivor', attempt: ctx.attempt };
  }
}

/** `prefetch: n`: runs claimed ahead of free slots, held under the worker's lease until a slot frees. */
describeEachBackend('prefetch', (backend) => {
  const t = appPerTest(backend);

  beforeEach(() => {
    probe.reset();
    load.now = load.max = 0;
  });
  // Before appPerTest's close: a blocked handler would hold the shutdown.
  afterEach(() => probe.release());

  const runningCount = async () => (await t.booted!.storage.countRuns()).running;

  it('holds up to prefetch runs beyond its slots, never runs more handlers than its concurrency, and drains them all', async () => {
    t.booted = await bootApp({ ...t.db.options, concurrency: 2, prefetch: 5 }, [ShortJob]);
    const ids = await t.booted.jobs.enqueueMany(Array.from({ length: 60 }, (_, n) => ({ job: ShortJob, input: { n } })));
    let most = 0;
    await waitFor(async () => {
      most = Math.max(most, await runningCount());
      return (await t.booted!.storage.countRuns({ jobTypeId: 'prefetch.short' })).completed === 60;
    }, { intervalMs: 5, timeoutMs: 20_000 });
    // Claimed ahead: more rows Running than slots, never more than slots + prefetch.
    expect(most).toBeGreaterThan(2);
    expect(most).toBeLessThanOrEqual(7);
    expect(load.max).toBe(2);
    for (const id of ids) expect((await t.booted.storage.getRun(id))!.attemptNumber).toBe(1);
  });

  it('returns prefetched runs to the queue at shutdown, their attempt not counted', async () => {
    t.booted = await bootApp({ ...t.db.options, concurrency: 1, prefetch: 3, shutdownTimeout: 5000 }, RUNTIME_JOBS);
    const ids = await t.booted.jobs.enqueueMany(Array.from({ length: 4 }, () => ({ job: BlockingJob, input: {} })));
    await waitFor(async () => probe.calls.length === 1 && (await runningCount()) === 4);
    const closing = t.booted.close();
    // The prefetched runs go back before the one executing is waited for.
    await waitFor(async () => (await t.booted!.storage.countRuns()).pending === 3);
    probe.release();
    await closing;
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, RUNTIME_JOBS);
    const runs = await Promise.all(ids.map((id) => t.booted!.storage.getRun(id)));
    const executed = probe.calls[0].runId;
    expect(runs.find((run) => run!.id === executed)!.status).toBe(JobRunStatus.Completed);
    for (const run of runs.filter((r) => r!.id !== executed)) {
      expect(run!.status).toBe(JobRunStatus.Pending);
      expect(run!.attemptNumber).toBe(0);
      expect(run!.workerId).toBeNull();
    }
  });

  it("a prefetched run cancelled here never starts, and 'cancelled' is emitted for it", async () => {
    t.booted = await bootApp({ ...t.db.options, concurrency: 1, prefetch: 2 }, RUNTIME_JOBS);
    const cancelled: string[] = [];
    t.booted.events.on('cancelled', ({ runId }) => void cancelled.push(runId));
    const ids = await t.booted.jobs.enqueueMany(Array.from({ length: 3 }, () => ({ job: BlockingJob, input: {} })));
    await waitFor(async () => probe.calls.length === 1 && (await runningCount()) === 3);
    const waiting = ids.find((id) => id !== probe.calls[0].runId)!;
    expect(await t.booted.jobs.cancel(waiting)).toBe(true);
    expect(cancelled).toEqual([waiting]);
    probe.release();
    const others = ids.filter((id) => id !== waiting);
    for (const id of others) await runIn(t.booted.storage, id, [JobRunStatus.Completed]);
    expect(probe.calls.map((call) => call.runId).sort()).toEqual([...others].sort());
    expect((await t.booted.storage.getRun(waiting))!.status).toBe(JobRunStatus.Cancelled);
  });

  it('the runs a killed worker had prefetched are rescued and finished by another worker', async () => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, [SurvivorSlowJob]);
    await t.booted.close();
    // The victim executes 10 (its concurrency) and holds 5 more, prefetched; then it is killed.
    const victim = startChild('worker-process.ts', [JSON.stringify({ ...t.db.options, prefetch: 5 }), 'slow']);
    t.children.push(victim);
    await victim.waitForLine((line) => line.includes('"ready"'), 60_000);
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, [SurvivorSlowJob]);
    const ids = await t.booted.jobs.enqueueMany(Array.from({ length: 15 }, (_, n) => ({ job: 'crash.slow', input: { n } })));
    await waitFor(async () => (await runningCount()) === 15, { timeoutMs: 20_000 });
    victim.process.kill('SIGKILL');
    await victim.exited;
    await t.booted.close();

    t.booted = await bootApp({ ...t.db.options, staleAfter: 1000, heartbeatInterval: 100 }, [SurvivorSlowJob]);
    for (const id of ids) {
      const run = await runIn(t.booted.storage, id, [JobRunStatus.Completed, JobRunStatus.Failed], 20_000);
      expect(run.status).toBe(JobRunStatus.Completed);
      expect(run.output).toMatchObject({ finishedBy: 'survivor' });
    }
  }, 60_000);

  it('refuses a prefetch that is not an integer from 0 to 1000, naming the field', async () => {
    await expect(bootApp({ ...t.db.options, prefetch: -1 }, [ShortJob])).rejects.toThrow(/prefetch/);
    await expect(bootApp({ ...t.db.options, prefetch: 1.5 as number }, [ShortJob])).rejects.toThrow(/prefetch/);
  });
});
