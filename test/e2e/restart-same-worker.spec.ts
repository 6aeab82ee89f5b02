import 'reflect-metadata';
import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';
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
  const t = appPerTest(backend);

  it('recovers the runs its killed predecessor held, at start, and runs them again', async () => {
    const workerId = 'pod-7';
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false, enableScheduler: false }, [RestartedSlowJob]);
    const runId = await t.booted.jobs.enqueue('crash.slow', { n: 1 });
    await t.booted.close();

    const victim = startChild('worker-process.ts', [JSON.stringify({ ...t.db.options, workerId }), 'slow']);
    expect(JSON.parse(await victim.waitForLine((l) => l.includes('"handler"'))).runId).toBe(runId);
    victim.process.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    // staleAfter is far away: only the restart itself can recover the run in time.
    const logger = new RecordingLogger();
    const restartedAt = Date.now();
    t.booted = await bootApp({ ...t.db.options, workerId, heartbeatInterval: 100, staleAfter: '10m' }, [RestartedSlowJob], { logger });
    const run = await runIn(t.booted.storage, runId, [JobRunStatus.Completed], 10_000);
    expect([run.attemptNumber, run.workerId, run.output]).toEqual([2, workerId, { finishedBy: 'restarted', attempt: 2 }]);
    expect(logger.warnings).toContainEqual(expect.stringContaining(`Recovered 1 run(s) left Running by a previous process with worker id ${workerId}`));
    const [worker] = (await t.booted.storage.getActiveWorkers(60_000)).filter((w) => w.workerId === workerId);
    // The heartbeat row is the new incarnation's: its start time is this process's, not the dead one's.
    expect(worker.startedAt.getTime()).toBeGreaterThanOrEqual(restartedAt - 5);
  });
});
