import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';

/**
 * Issue 8, item 1: on PostgreSQL a NUL character (U+0000) in one handler's output, error or log
 * line failed the whole group commit, forever: that run, every run committed with it, and every run
 * claimed later stayed Running, and one bad log line stopped all later lines. Now one run's bad data
 * never blocks another: text with NUL is stored with U+FFFD in its place, and JSON with NUL fails
 * that one attempt with a reason. The same on SQLite, so code behaves alike on both.
 */
@Job({ id: 'nul-output', maxRetries: 0 })
class NulOutputJob implements JobHandler<unknown, unknown> {
  handle() {
    return { text: 'before\u0000after' };
  }
}

@Job({ id: 'nul-error', maxRetries: 0 })
class NulErrorJob implements JobHandler {
  handle(): never {
    throw new Error('bad\u0000message');
  }
}

@Job({ id: 'nul-log', maxRetries: 0 })
class NulLogJob implements JobHandler<unknown, string> {
  handle(ctx: JobContext) {
    ctx.logger.info('line with \u0000 inside');
    ctx.logger.info('a later line');
    return 'logged';
  }
}

@Job({ id: 'plain', maxRetries: 0 })
class PlainJob implements JobHandler<{ n: number }, number> {
  handle(ctx: JobContext<{ n: number }>) {
    return ctx.input.n;
  }
}

const JOBS = [NulOutputJob, NulErrorJob, NulLogJob, PlainJob];

describeEachBackend('NUL characters in what handlers produce', (backend) => {
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

  it('never block other runs: the bad output fails its own attempt, text is stored with U+FFFD', async () => {
    booted = await bootApp({ ...db.options, concurrency: 8 }, JOBS);
    // Enqueued together, so that their completions are committed in the same groups.
    const [output, error, log, ...plain] = await booted.jobs.enqueueMany([
      { job: NulOutputJob },
      { job: NulErrorJob },
      { job: NulLogJob },
      ...Array.from({ length: 10 }, (_, n) => ({ job: PlainJob, input: { n } })),
    ]);

    for (const [i, id] of plain.entries()) expect((await runIn(booted.storage, id, [JobRunStatus.Completed])).output).toBe(i);
    const badOutput = await runIn(booted.storage, output, [JobRunStatus.Failed]);
    expect(badOutput.errorMessage).toMatch(/output of job 'nul-output' cannot be stored as JSON: it contains a NUL character/);
    const badError = await runIn(booted.storage, error, [JobRunStatus.Failed]);
    expect(badError.errorMessage).toBe('bad\uFFFDmessage');
    const logged = await runIn(booted.storage, log, [JobRunStatus.Completed]);
    expect(logged.output).toBe('logged');
    const lines = (await booted.storage.getLogs(log)).map((l) => l.message);
    expect(lines).toEqual(['line with \uFFFD inside', 'a later line']);

    // Runs enqueued afterwards are claimed and committed as usual.
    const later = await booted.jobs.enqueue(PlainJob, { n: 99 });
    expect((await runIn(booted.storage, later, [JobRunStatus.Completed])).output).toBe(99);
  });

  it('refuses input with NUL at enqueue, naming why, and stores nothing', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false }, JOBS);

    await expect(booted.jobs.enqueue(PlainJob, { n: 1, note: 'x\u0000' } as never)).rejects.toThrow(/contains a NUL character/);
    await expect(booted.jobs.enqueue(PlainJob, { n: 1 }, { correlationId: 'a\u0000b' })).rejects.toThrow(/correlationId: contains a NUL character/);
    expect(await booted.storage.listRuns()).toEqual([]);
  });
});
