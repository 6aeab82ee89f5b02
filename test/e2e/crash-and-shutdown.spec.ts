import 'reflect-metadata';
import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import { BlockingJob, probe, RUNTIME_JOBS } from '../fixtures/runtime-jobs.fixture.js';

/** The survivor's handler for the job the crashed process was running. */
@Job({ id: 'crash.slow', maxRetries: 3 })
class SurvivorSlowJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    return { finishedBy: 'survivor', attempt: ctx.attempt };
  }
}

@Job({ id: 'short', maxRetries: 0 })
class ShortJob implements JobHandler {
  async handle() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return 'finished during shutdown';
  }
}

describeEachBackend('crashes and shutdown', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;

  beforeEach(() => {
    probe.reset();
    db = backend.create();
  });
  afterEach(async () => {
    probe.release();
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  it('a run whose process is killed with SIGKILL mid-job is finished by another worker', async () => {
        booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [SurvivorSlowJob]);
    const runId = await booted.jobs.enqueue('crash.slow', { n: 1 });
    await booted.close();

    const victim = startChild('worker-process.ts', [JSON.stringify(db.options), 'slow']);
    const started = JSON.parse(await victim.waitForLine((l) => l.includes('"handler"')));
    expect(started.runId).toBe(runId);
    victim.process.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    // The row still says Running, held by a worker that will never send another heartbeat.
    booted = await bootApp({ ...db.options, staleAfter: 1000, heartbeatInterval: 100 }, [SurvivorSlowJob]);
    const held = await booted.storage.getRun(runId);
    expect(held!.status).toBe(JobRunStatus.Running);
    const run = await runIn(booted.storage, runId, [JobRunStatus.Completed], 15_000);
    expect(run.attemptNumber).toBe(2);
    expect(run.output).toEqual({ finishedBy: 'survivor', attempt: 2 });
    expect(run.workerId).not.toBe(held!.workerId);
  });

  it('on close, lets a running job finish within shutdownTimeout', async () => {
    booted = await bootApp({ ...db.options, shutdownTimeout: 5000 }, [ShortJob]);
    const id = await booted.jobs.enqueue('short');
    await runIn(booted.storage, id, [JobRunStatus.Running]);
    await booted.close();
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [ShortJob]);
    const run = await booted.storage.getRun(id);
    expect(run!.status).toBe(JobRunStatus.Completed);
    expect(run!.output).toBe('finished during shutdown');
  });

  it('on close, aborts a job still running after shutdownTimeout and returns its run to the queue', async () => {
        booted = await bootApp({ ...db.options, shutdownTimeout: 200 }, RUNTIME_JOBS);
    const id = await booted.jobs.enqueue(BlockingJob);
    await waitFor(() => probe.calls.some((c) => c.runId === id));
    const started = Date.now();
    await booted.close();
    // The job never ends by itself: a close that returns at all aborted it; well under 10 s, its 200 ms timeout did.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(probe.aborted).toEqual([{ runId: id, reason: 'WorkerShutdownError' }]);
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, RUNTIME_JOBS);
    const run = await booted.storage.getRun(id);
    expect(run!.status).toBe(JobRunStatus.Pending);
    expect(run!.workerId).toBeNull();
    expect(run!.attemptNumber).toBe(0); // an attempt interrupted by shutdown does not count
    expect(await booted.storage.getActiveWorkers(60_000)).toHaveLength(0);
  });
});
