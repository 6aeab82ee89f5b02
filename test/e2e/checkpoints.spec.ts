import 'reflect-metadata';
import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { startChild } from '../helpers/child-process.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { CheckpointItemsJob } from '../fixtures/flows-jobs.fixture.js';

/** Saves a checkpoint, then fails: the first attempt of two, or every attempt with maxRetries 0. */
@Job({ id: 'flows.failing', maxRetries: 1, retryPolicy: { initialDelay: 10, jitter: 0 } })
class FailingCheckpointJob implements JobHandler {
  static seen: Array<{ attempt: number; saved: unknown }> = [];
  async handle(ctx: JobContext<{ failAlways?: boolean }>) {
    FailingCheckpointJob.seen.push({ attempt: ctx.attempt, saved: await ctx.checkpoint.get('step') });
    await ctx.checkpoint.set('step', { attempt: ctx.attempt, at: 'after download' });
    if (ctx.attempt === 1 || ctx.input?.failAlways) throw new Error(`attempt ${ctx.attempt} failed`);
    return 'done';
  }
}

/** Tries to save what cannot be saved; reports the errors it got. */
@Job({ id: 'flows.bad-checkpoint', maxRetries: 0 })
class BadCheckpointJob implements JobHandler {
  async handle(ctx: JobContext) {
    const errors: string[] = [];
    for (const [key, value] of [['tags', new Map([[1, 2]])], ['blob', 'x'.repeat(5000)], ['', 1]] as const) {
      await ctx.checkpoint.set(key, value).catch((error: Error) => errors.push(`${error.name}: ${error.message}`));
    }
    await ctx.checkpoint.set('small', 1);
    return { errors, small: await ctx.checkpoint.get('small'), blob: (await ctx.checkpoint.get('blob')) ?? null };
  }
}

describeEachBackend('checkpoints', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;

  beforeEach(() => {
    FailingCheckpointJob.seen = [];
    db = backend.create();
  });
  afterEach(async () => {
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  it('a run SIGKILLed after item 4 of 10 is rescued at item 5, and its checkpoint is cleared when it completes', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [CheckpointItemsJob]);
    const runId = await booted.jobs.enqueue(CheckpointItemsJob);
    await booted.close();

    const victim = startChild('flows-process.ts', [JSON.stringify(db.options), 'checkpoint']);
    await victim.waitForLine((line) => line.includes('"item":4'));
    victim.process.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const done = victim.lines.filter((line) => line.includes('"item"')).map((line) => JSON.parse(line).item);
    expect(done).toEqual([1, 2, 3, 4]);

    booted = await bootApp({ ...db.options, staleAfter: 1000, heartbeatInterval: 100 }, [CheckpointItemsJob]);
    const run = await runIn(booted.storage, runId, [JobRunStatus.Completed], 15_000);
    expect(run.output).toEqual({ attempt: 2, items: [5, 6, 7, 8, 9, 10] });
    expect(run.checkpoint).toBeNull();
  });

  it('a retried attempt reads what the failed one saved; a run that fails for good keeps its checkpoint', async () => {
    booted = await bootApp(db.options, [FailingCheckpointJob]);
    const retried = await booted.jobs.enqueue(FailingCheckpointJob, {});
    expect((await runIn(booted.storage, retried, [JobRunStatus.Completed])).checkpoint).toBeNull();
    expect(FailingCheckpointJob.seen).toEqual([
      { attempt: 1, saved: undefined },
      { attempt: 2, saved: { attempt: 1, at: 'after download' } },
    ]);

    const failed = await booted.jobs.enqueue(FailingCheckpointJob, { failAlways: true }, { maxRetries: 0 });
    const run = await runIn(booted.storage, failed, [JobRunStatus.Failed]);
    expect(run.checkpoint).toEqual({ step: { attempt: 1, at: 'after download' } });
  });

  it('refuses values that are not JSON or over maxPayloadBytes, naming the key, and stores the rest', async () => {
    booted = await bootApp({ ...db.options, maxPayloadBytes: 1000 }, [BadCheckpointJob]);
    const runId = await booted.jobs.enqueue(BadCheckpointJob);
    const run = await runIn(booted.storage, runId, [JobRunStatus.Completed, JobRunStatus.Failed]);
    expect(run.errorMessage).toBeNull();
    const { errors, small, blob } = run.output as { errors: string[]; small: unknown; blob: unknown };
    expect({ small, blob }).toEqual({ small: 1, blob: null });
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^InvalidPayloadError: checkpoint 'tags' of job 'flows.bad-checkpoint' cannot be stored as JSON: .*Map/);
    expect(errors[1]).toMatch(/^InvalidPayloadError: checkpoint 'blob' of job 'flows.bad-checkpoint' is 5002 bytes as JSON, over maxPayloadBytes \(1000\)/);
    expect(errors[2]).toMatch(/^InvalidPayloadError: checkpoint key: expected a non-empty string/);
  });

  it('writes are fenced on the attempt lease: an attempt that lost its run stores nothing', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [CheckpointItemsJob]);
    const storage = booted.storage as EngineStorage;
    const runId = await booted.jobs.enqueue(CheckpointItemsJob);
    const [claimed] = await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
    expect(claimed.id).toBe(runId);
    expect(await storage.writeCheckpoint({ runId, workerId: 'w1', attempt: 1 }, '{"next":3}')).toBe(true);
    expect(await storage.writeCheckpoint({ runId, workerId: 'w2', attempt: 1 }, '{"next":9}')).toBe(false);
    expect(await storage.writeCheckpoint({ runId, workerId: 'w1', attempt: 2 }, '{"next":9}')).toBe(false);
    expect(await storage.readCheckpoint(runId)).toBe('{"next":3}'.replace(':', backend.name === 'postgres' ? ': ' : ':'));
    expect((await storage.getRun(runId))!.checkpoint).toEqual({ next: 3 });
  });
});
