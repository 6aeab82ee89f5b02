import type { DataSource } from 'typeorm';
import { Job, JobRunStatus, ZAPJOBS_DATA_SOURCE, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';

/**
 * Issue 8, item 1, at its root: whatever makes the database refuse one run's outcome, the other
 * completions committed in the same group must not be held back with it. Here the database itself
 * refuses any output holding 'refuse-me' (a trigger on SQLite, a CHECK constraint on PostgreSQL):
 * the group is committed one by one, the culprit fails with the database's reason, the rest complete.
 */
@Job({ id: 'say', maxRetries: 2 })
class SayJob implements JobHandler<{ word: string }, { said: string }> {
  handle(ctx: JobContext<{ word: string }>) {
    return { said: ctx.input.word };
  }
}

async function refuseOutputs(dataSource: DataSource, backend: 'sqlite' | 'postgres', schema?: string): Promise<void> {
  if (backend === 'sqlite') {
    await dataSource.query(`CREATE TRIGGER refuse_output BEFORE UPDATE OF output_json ON zj_runs
      WHEN NEW.output_json LIKE '%refuse-me%' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`);
  } else {
    await dataSource.query(`ALTER TABLE "${schema}"."zj_runs" ADD CONSTRAINT refuse_output
      CHECK (output_json IS NULL OR output_json::text NOT LIKE '%refuse-me%')`);
  }
}

describeEachBackend('an outcome the database refuses', (backend) => {
  const t = appPerTest(backend);

  it('fails only its own attempt, with the reason; the runs committed beside it complete', async () => {
    t.booted = await bootApp({ ...t.db.options, concurrency: 16 }, [SayJob]);
    await refuseOutputs(t.booted.app.get(ZAPJOBS_DATA_SOURCE), backend.name, t.db.options.schema);
    const words = ['one', 'two', 'refuse-me', 'three', 'four', 'five', 'six', 'seven'];
    // One enqueueMany: the workers claim them together and commit their completions in groups.
    const ids = await t.booted.jobs.enqueueMany(words.map((word) => ({ job: SayJob, input: { word } })));

    for (const [i, id] of ids.entries()) {
      if (words[i] === 'refuse-me') continue;
      expect((await runIn(t.booted.storage, id, [JobRunStatus.Completed])).output).toEqual({ said: words[i] });
    }
    const refused = await runIn(t.booted.storage, ids[2], [JobRunStatus.Failed]);
    expect(refused.errorMessage).toMatch(/^the attempt's outcome could not be stored: .*(refused by the test trigger|refuse_output)/);
    // Refused for its data: a retry would be refused again, so none was made.
    expect(refused.attemptNumber).toBe(1);

    const later = await t.booted.jobs.enqueue(SayJob, { word: 'after' });
    expect((await runIn(t.booted.storage, later, [JobRunStatus.Completed])).output).toEqual({ said: 'after' });
  });
});
