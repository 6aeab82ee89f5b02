import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { JobRunStatus, type JobRun } from '../../lib/index.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { postgresBackend, type TestDatabase } from '../helpers/backends.js';
import { ManualClock, openStorage, type OpenedStorage } from '../helpers/open-storage.js';
import { tempDir } from '../helpers/temp-db.js';

Logger.overrideLogger(false);

/**
 * The run model is the same whichever backend stored it: the same operations at the same (manual)
 * clock readings on SQLite and on PostgreSQL give field-for-field equal values, and the TypeORM
 * entities registered on each DataSource read and write those same values.
 */
const START = Date.UTC(2026, 0, 15, 9, 30);
const ids = { plain: randomUUID(), text: randomUUID(), empty: randomUUID(), child: randomUUID() };

/** The same story on one backend: runs of every shape, an attempt completed, one failed, progress, a log, a worker. */
async function script(storage: EngineStorage, clock: ManualClock): Promise<void> {
  clock.set(START);
  await storage.upsertDefinition({
    jobTypeId: 'job', displayName: 'A job', queue: 'default', priority: 1, tags: ['mail', 'x'],
    defaultInputJson: JSON.stringify({ greeting: 'hi' }), preventOverlap: true, timeoutMs: 30_000, maxRetries: 2,
  });
  await storage.enqueue({ id: ids.plain, jobTypeId: 'job', input: { to: 'a@b.c', list: [1, 2], nested: { ok: true } }, priority: 5, correlationId: 'order-1', maxRetries: 0 });
  await storage.enqueue({ id: ids.text, jobTypeId: 'job', input: 'just text', maxRetries: 0 });
  await storage.enqueue({ id: ids.empty, jobTypeId: 'job', scheduledAt: new Date(START + 60_000) });
  await storage.enqueue({
    id: ids.child, jobTypeId: 'job', parentRunId: ids.plain, status: JobRunStatus.Awaiting, continueOn: 'success', passParentOutput: true,
  });
  clock.advance(1000);
  const claimed = await storage.claim({ queues: ['default'], workerId: 'worker-1', limit: 2 });
  expect(claimed.map((run) => run.id)).toEqual([ids.plain, ids.text]);
  clock.advance(250);
  expect(await storage.writeProgress({ runId: ids.plain, workerId: 'worker-1', attempt: 1 }, JSON.stringify({ processed: 3, total: 4 }))).toBe(true);
  await storage.addLog({ runId: ids.plain, level: 'info' as never, message: 'working', attemptNumber: 1, category: 'job' });
  clock.advance(250);
  const { completed } = await storage.completeAndClaim(
    [{ runId: ids.plain, workerId: 'worker-1', attempt: 1, outputJson: JSON.stringify({ sent: true, at: [1, 'x'] }), completedAt: clock.date(), durationMs: 500 }],
    { queues: [], workerId: 'worker-1', limit: 0 },
  );
  expect(completed).toEqual([ids.plain]);
  await storage.failRun({
    runId: ids.text, workerId: 'worker-1', attempt: 1, errorMessage: 'boom', errorDetails: 'Error: boom\n    at here',
    completedAt: clock.date(), durationMs: 12, retryAt: null,
  });
  await storage.updateHeartbeat('worker-1', { hostname: 'host-a', pid: 42, queues: ['default'], concurrency: 2, runningRunIds: [], startedAt: new Date(START) });
}

describe('the run model', () => {
  const opened: OpenedStorage[] = [];
  const dropped: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
    for (const drop of dropped.splice(0)) await drop();
  });

  async function openSqlite(clock: ManualClock): Promise<OpenedStorage> {
    const dir = tempDir();
    dropped.push(dir.remove);
    const o = await openStorage({ database: dir.file() }, { clock });
    opened.push(o);
    return o;
  }

  async function openPostgres(clock: ManualClock): Promise<OpenedStorage> {
    const db: TestDatabase = postgresBackend.create();
    dropped.push(db.drop);
    const o = await openStorage(db.options, { clock });
    opened.push(o);
    return o;
  }

  it('gives values: parsed JSON, Dates, booleans and null for absent (SQLite)', async () => {
    const clock = new ManualClock();
    const { storage } = await openSqlite(clock);
    await script(storage, clock);

    const run = (await storage.getRun(ids.plain)) as JobRun;
    expect(run.input).toEqual({ to: 'a@b.c', list: [1, 2], nested: { ok: true } });
    expect(run.output).toEqual({ sent: true, at: [1, 'x'] });
    expect(run.progress).toEqual({ processed: 3, total: 4 });
    expect(run.completedAt).toEqual(new Date(START + 1500));
    expect(run.startedAt).toEqual(new Date(START + 1000));
    expect(run.passParentOutput).toBe(false);
    expect(run.nextRetryAt).toBeNull();
    const empty = (await storage.getRun(ids.empty)) as JobRun;
    expect([empty.input, empty.output, empty.progress, empty.startedAt, empty.workerId]).toEqual([null, null, null, null, null]);
    const child = (await storage.getRun(ids.child)) as JobRun;
    expect(child).toMatchObject({ status: JobRunStatus.Pending, passParentOutput: true, continueOn: 'success', input: { sent: true, at: [1, 'x'] } });
    const definition = await storage.getJobDefinition('job');
    expect(definition).toMatchObject({ defaultInput: { greeting: 'hi' }, tags: ['mail', 'x'], preventOverlap: true, isEnabled: true, timeoutMs: 30_000 });
  });

  (postgresBackend.available ? it : it.skip)('is field for field the same on SQLite and PostgreSQL for the same runs', async () => {
    const clock = new ManualClock();
    const sqlite = await openSqlite(clock);
    const pg = await openPostgres(clock);
    await script(sqlite.storage, clock);
    await script(pg.storage, clock);

    for (const id of Object.values(ids)) expect(await pg.storage.getRun(id)).toEqual(await sqlite.storage.getRun(id));
    expect(await pg.storage.listRuns()).toEqual(await sqlite.storage.listRuns());
    expect(await pg.storage.countRuns()).toEqual(await sqlite.storage.countRuns());
    expect(await pg.storage.getAllDefinitions()).toEqual(await sqlite.storage.getAllDefinitions());
    expect(await pg.storage.getLogs(ids.plain)).toEqual(await sqlite.storage.getLogs(ids.plain));
    expect(await pg.storage.getActiveWorkers(60_000)).toEqual(await sqlite.storage.getActiveWorkers(60_000));
    // Not merely equal, but of the documented types.
    const run = (await pg.storage.getRun(ids.plain)) as JobRun;
    expect(run.scheduledAt).toBeInstanceOf(Date);
    expect(typeof run.durationMs).toBe('number');
    expect(typeof run.passParentOutput).toBe('boolean');
  });

  for (const backend of ['sqlite', 'postgres'] as const) {
    const maybe = backend === 'sqlite' || postgresBackend.available ? it : it.skip;
    maybe(`the TypeORM entities read and write the run model's values [${backend}]`, async () => {
      const clock = new ManualClock();
      const { storage, dataSource } = backend === 'sqlite' ? await openSqlite(clock) : await openPostgres(clock);
      await script(storage, clock);
      const runs = dataSource.getRepository<JobRun>('JobRun');

      expect(await runs.findOneBy({ id: ids.plain })).toEqual(await storage.getRun(ids.plain));
      expect(await dataSource.getRepository('JobDefinition').findOneBy({ jobTypeId: 'job' })).toEqual(await storage.getJobDefinition('job'));

      // Written through the Repository, read back through the storage: the same values, no column text.
      const run = (await runs.findOneBy({ id: ids.empty })) as JobRun;
      await runs.save({ ...run, progress: { processed: 9 }, input: { replaced: [true] }, passParentOutput: true, completedAt: new Date(START + 7) });
      expect(await storage.getRun(ids.empty)).toMatchObject({
        progress: { processed: 9 }, input: { replaced: [true] }, passParentOutput: true, completedAt: new Date(START + 7),
      });
    });
  }
});
