import { InvalidPayloadError, Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { MAX_LOG_LINES_PER_ATTEMPT } from '../../lib/worker/job-runner.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';

/**
 * Issue 8, item 9: what one run may store is bounded, and what an enqueue passes is checked for its
 * type. Output had no cap (and passParentOutput carried it past maxPayloadBytes into a child's
 * input); one attempt could store any number of log lines; priority 'low' and a numeric queue or
 * correlationId were stored as they came.
 */
const LIMIT = 2048;

@Job({ id: 'big-output', maxRetries: 0 })
class BigOutputJob implements JobHandler<{ bytes: number }, string> {
  handle(ctx: JobContext<{ bytes: number }>) {
    return 'x'.repeat(ctx.input.bytes);
  }
}

@Job({ id: 'big-progress', maxRetries: 0 })
class BigProgressJob implements JobHandler<void, string> {
  async handle(ctx: JobContext<void>) {
    await ctx.progress({ note: 'y'.repeat(LIMIT) });
    return 'unreachable';
  }
}

@Job({ id: 'chatty', maxRetries: 0 })
class ChattyJob implements JobHandler<{ lines: number }, number> {
  handle(ctx: JobContext<{ lines: number }>) {
    for (let i = 0; i < ctx.input.lines; i++) ctx.logger.debug(`line ${i}`);
    return ctx.input.lines;
  }
}

@Job({ id: 'child', maxRetries: 0 })
class ChildJob implements JobHandler<unknown, unknown> {
  handle(ctx: JobContext<unknown>) {
    return ctx.input;
  }
}

describeEachBackend('limits on what a run stores', (backend) => {
  const t = appPerTest(backend);

  it('fails an attempt whose output or progress is over maxPayloadBytes, and its passParentOutput child with it', async () => {
    t.booted = await bootApp({ ...t.db.options, maxPayloadBytes: LIMIT }, [BigOutputJob, BigProgressJob, ChildJob]);
    const small = await t.booted.jobs.enqueue(BigOutputJob, { bytes: 100 });
    const big = await t.booted.jobs.enqueue(BigOutputJob, { bytes: LIMIT + 1 });
    const child = await t.booted.jobs.continueWith(big, ChildJob, undefined, { passParentOutput: true, condition: 'success' });
    const progress = await t.booted.jobs.enqueue(BigProgressJob);

    expect((await runIn(t.booted.storage, small, [JobRunStatus.Completed])).output).toBe('x'.repeat(100));
    const failed = await runIn(t.booted.storage, big, [JobRunStatus.Failed]);
    expect(failed.errorMessage).toMatch(/output of job 'big-output' is \d+ bytes as JSON, over maxPayloadBytes \(2048\)/);
    expect(failed.output).toBeNull();
    // The oversized output never became the child's input: the child was cancelled with its parent's failure.
    expect(await runIn(t.booted.storage, child, [JobRunStatus.Cancelled])).toMatchObject({ input: null });
    expect((await runIn(t.booted.storage, progress, [JobRunStatus.Failed])).errorMessage).toMatch(/progress of job 'big-progress' is \d+ bytes/);
  });

  it(`stores at most ${MAX_LOG_LINES_PER_ATTEMPT} log lines of one attempt, then one line saying so`, async () => {
    t.booted = await bootApp(t.db.options, [ChattyJob]);
    const id = await t.booted.jobs.enqueue(ChattyJob, { lines: MAX_LOG_LINES_PER_ATTEMPT + 50 });

    expect((await runIn(t.booted.storage, id, [JobRunStatus.Completed], 30_000)).output).toBe(MAX_LOG_LINES_PER_ATTEMPT + 50);
    const logs = await t.booted.storage.getLogs(id, MAX_LOG_LINES_PER_ATTEMPT + 100);
    expect(logs).toHaveLength(MAX_LOG_LINES_PER_ATTEMPT + 1);
    expect(logs[MAX_LOG_LINES_PER_ATTEMPT - 1].message).toBe(`line ${MAX_LOG_LINES_PER_ATTEMPT - 1}`);
    expect(logs[MAX_LOG_LINES_PER_ATTEMPT].message).toMatch(/^log limit reached: this attempt stores at most 10000 lines/);
  });

  it('refuses a priority, queue or correlationId of the wrong type at enqueue, naming the field, and stores nothing', async () => {
    t.booted = await bootApp({ ...t.db.options, enableWorkers: false }, [ChildJob]);
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ priority: 'low' }, /priority: expected an integer/],
      [{ priority: 1.5 }, /priority: expected an integer/],
      [{ priority: 2 ** 31 }, /priority: expected an integer from -2147483648 to 2147483647/],
      [{ queue: 42 }, /queue: expected a non-empty string/],
      [{ queue: '' }, /queue: expected a non-empty string/],
      [{ correlationId: 42 }, /correlationId: expected a non-empty string or null/],
    ];
    for (const [options, message] of bad) {
      const attempt = t.booted.jobs.enqueue(ChildJob, { any: 1 }, options as never);
      await expect(attempt).rejects.toBeInstanceOf(InvalidPayloadError);
      await expect(t.booted.jobs.enqueue(ChildJob, { any: 1 }, options as never)).rejects.toThrow(message);
    }
    expect(await t.booted.storage.listRuns()).toEqual([]);
  });
});
