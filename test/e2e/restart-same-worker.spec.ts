import 'reflect-metadata';
import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';
import { RecordingLogger } from '../helpers/recording-logger.js';

/** The restarted process's handler for the job its killed predecessor was running. */
@Job({ id: 'crash.slow', maxRetries: 3 })
class RestartedSlowJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    return { finishedBy: 'restarted', attempt: ctx.attempt };
  }
}

/**
 * Issue 8 item 3: a worker with a fixed workerId (a pod name, say) killed and restarted under the
 * same id. The dead process's run must not stay Running under the new heartbeat, which would make
 * it look alive for ever: the new incarnation recovers it before it claims anything.
 */
describeEachBackend('a worker restarted under the same workerId', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;

  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  it('recovers the runs its killed predecessor held, at start, and runs them again', async () => {
    const workerId = 'pod-7';
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [RestartedSlowJob]);
    const runId = await booted.jobs.enqueue('crash.slow', { n: 1 });
    await booted.close();

    const victim = startChild('worker-process.ts', [JSON.stringify({ ...db.options, workerId }), 'slow']);
    expect(JSON.parse(await victim.waitForLine((l) => l.includes('"handler"'))).runId).toBe(runId);
    victim.process.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    // staleAfter is far away: only the restart itself can recover the run in time.
    const logger = new RecordingLogger();
    const restartedAt = Date.now();
    booted = await bootApp({ ...db.options, workerId, heartbeatInterval: 100, staleAfter: '10m' }, [RestartedSlowJob], { logger });
    const run = await runIn(booted.storage, runId, [JobRunStatus.Completed], 10_000);
    expect([run.attemptNumber, run.workerId, run.output]).toEqual([2, workerId, { finishedBy: 'restarted', attempt: 2 }]);
    expect(logger.warnings).toContainEqual(expect.stringContaining(`Recovered 1 run(s) left Running by a previous process with worker id ${workerId}`));
    const [worker] = (await booted.storage.getActiveWorkers(60_000)).filter((w) => w.workerId === workerId);
    // The heartbeat row is the new incarnation's: its start time is this process's, not the dead one's.
    expect(worker.startedAt.getTime()).toBeGreaterThanOrEqual(restartedAt - 5);
  });
});
