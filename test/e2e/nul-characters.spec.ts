import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';

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
  const t = appPerTest(backend);

  it('never block other runs: the bad output fails its own attempt, text is stored with U+FFFD', async () => {
    t.booted = await bootApp({ ...t.db.options, concurrency: 8 }, JOBS);
    // Enqueued together, so that their completions are committed in the same groups.
    const [output, error, log, ...plain] = await t.booted.jobs.enqueueMany([
      { job: NulOutputJob },
      { job: NulErrorJob },
      { job: NulLogJob },
      ...Array.from({ length: 10 }, (_, n) => ({ job: PlainJob, input: { n } })),
    ]);

    for (const [i, id] of plain.entries()) expect((await runIn(t.booted.storage, id, [JobRunStatus.Completed])).output).toBe(i);
    const badOutput = await runIn(t.booted.storage, output, [JobRunStatus.Failed]);
    expect(badOutput.errorMessage).toMatch(/output of job 'nul-output' cannot be stored as JSON: it contains a NUL character/);
    const badError = await runIn(t.booted.storage, error, [JobRunStatus.Failed]);
    expect(badError.errorMessage).toBe('bad\uFFFDmessage');
    const logged = await runIn(t.booted.storage, log, [JobRunStatus.Completed]);
    expect(logged.output).toBe('logged');
    const lines = (await t.booted.storage.getLogs(log)).map((l) => l.message);
    expect(lines).toEqual(['line with \uFFFD inside', 'a later line']);

    // Runs enqueued afterwards are claimed and committed as usual.
    const later = await t.booted.jobs.enqueue(PlainJob, { n: 99 });
    expect((await runIn(t.booted.storage, later, [JobRunStatus.Completed])).output).toBe(99);
  });

  it('refuses input with NUL at enqueue, naming why, and stores nothing', async () => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false }, JOBS);

    await expect(t.booted.jobs.enqueue(PlainJob, { n: 1, note: 'x\u0000' } as never)).rejects.toThrow(/contains a NUL character/);
    await expect(t.booted.jobs.enqueue(PlainJob, { n: 1 }, { correlationId: 'a\u0000b' })).rejects.toThrow(/correlationId: contains a NUL character/);
    expect(await t.booted.storage.listRuns()).toEqual([]);
  });
});
