import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { Module } from '@nestjs/common';
import pg from 'pg';
import { InvalidOptionsError, InvalidPayloadError, Job, JobRunStatus, UnknownJobError, ZapJobsModule } from '../../lib/index.js';
import { rawSqlite } from '../helpers/open-storage.js';
import { ZAPJOBS_DATA_SOURCE } from '../../lib/zapjobs.constants.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, PG_URL, type TestDatabase } from '../helpers/backends.js';
import { EchoJob, probe, RecordJob, RUNTIME_JOBS, SendEmailJob } from '../fixtures/runtime-jobs.fixture.js';

/** Runs a statement on the backend's tables as another program would, bypassing ZapJobs. */
async function rawWrite(booted: BootedApp, db: TestDatabase, sqlite: string, postgres: string, params: unknown[]): Promise<void> {
  if (db.options.storage === 'postgres') {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(postgres.replaceAll('zj_', `"${db.options.schema}".zj_`), params);
    } finally {
      await client.end();
    }
  } else {
    rawSqlite(booted.app.get(ZAPJOBS_DATA_SOURCE)).prepare(sqlite).run(...params);
  }
}

describeEachBackend('bad input gets a clear error and loses nothing', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp;

  beforeEach(() => {
    probe.reset();
    db = backend.create();
  });
  afterEach(async () => {
    probe.release();
    await booted?.close();
    await db.drop();
  });

  it('rejects an unknown job id and stores nothing', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false }, RUNTIME_JOBS);
    await booted.jobs.enqueue(RecordJob, 'kept');
    await expect(booted.jobs.enqueue('no-such-job', {})).rejects.toThrow(UnknownJobError);
    await expect(booted.jobs.enqueue('no-such-job', {})).rejects.toThrow(/Unknown job 'no-such-job'/);
    await expect(booted.storage.enqueue({ jobTypeId: 'no-such-job' })).rejects.toThrow(UnknownJobError);
    expect(await booted.storage.listRuns()).toHaveLength(1);
  });

  it('rejects input over maxPayloadBytes, naming the sizes, and stores nothing', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, maxPayloadBytes: 1000 }, RUNTIME_JOBS);
    await booted.jobs.enqueue(RecordJob, 'x'.repeat(900));
    const huge = { blob: 'x'.repeat(5000) };
    await expect(booted.jobs.enqueue(RecordJob, huge)).rejects.toThrow(InvalidPayloadError);
    await expect(booted.jobs.enqueue(RecordJob, huge)).rejects.toThrow(/is 5\d\d\d bytes as JSON, over maxPayloadBytes \(1000\)/);
    await expect(booted.jobs.enqueueMany([{ job: RecordJob, input: 1 }, { job: RecordJob, input: huge }])).rejects.toThrow(InvalidPayloadError);
    expect(await booted.storage.listRuns()).toHaveLength(1);
  });

  it('refuses a misspelt, misplaced or null option, naming it, and stores nothing', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false }, RUNTIME_JOBS);
    const parent = await booted.jobs.enqueue(RecordJob, 'kept');
    const { jobs } = booted;
    const refusals: Array<[Promise<unknown>, RegExp]> = [
      [jobs.enqueue(RecordJob, 1, { dealy: '1h' } as never), /^enqueue: options: dealy: not an option here \(expected queue, delay, runAt, priority, correlationId, maxRetries, unique\)$/],
      [jobs.enqueueDetailed(RecordJob, 1, { priorty: 5 } as never), /^enqueueDetailed: options: priorty: not an option here/],
      [jobs.enqueue(RecordJob, 1, null as never), /^enqueue: options: expected an object, got null$/],
      [jobs.enqueue(RecordJob, 1, { delay: '1h', runAt: new Date() }), /^runAt, delay: give one of them, not both$/],
      [jobs.trigger(RecordJob, { condition: 'success' } as never), /^enqueue: options: condition: not an option here/],
      [jobs.enqueueMany([{ job: RecordJob, input: 1, options: { queu: 'x' } as never }]), /^enqueueMany: items\[0\]\.options: queu: not an option here/],
      [jobs.enqueueMany([{ job: RecordJob, input: 1 }], null as never), /^enqueueMany: options: expected an object, got null$/],
      [jobs.enqueueManyDetailed([{ job: RecordJob, input: 1 }], { delay: '1h' } as never), /^enqueueManyDetailed: options: delay: not an option here/],
      [jobs.batch([{ job: RecordJob, input: 1 }], { onSucess: EchoJob } as never), /^batch: options: onSucess: not an option here \(expected onSuccess, onFailure, onComplete, description, includeOutputs\)$/],
      [jobs.continueWith(parent, RecordJob, 2, { condition: 'sucess' } as never), /^continueWith: condition: expected 'success', 'failure', 'always', got "sucess"$/],
      [jobs.continueWith(parent, RecordJob, 2, { delay: '1h' } as never), /^continueWith: options: delay: not an option here/],
      [jobs.continueWith([parent], RecordJob, 2, { unique: true } as never), /^continueWith: options: unique: not an option here/],
      [jobs.setEnabled(RecordJob, 'no' as never), /^setEnabled: enabled: expected true or false, got "no"$/],
      [jobs.waitFor(parent, { timeot: 200 } as never), /^waitFor: options: timeot: not an option here \(expected timeout\)$/],
      [Promise.resolve().then(() => booted.events.on('complete' as never, () => undefined)), /^event: expected one of enqueued, started, progress, completed, failed, retrying, cancelled, got "complete"$/],
    ];
    for (const [refused, message] of refusals) {
      const error = await refused.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toMatch(message);
    }
    expect((await booted.storage.listRuns()).map((run) => run.id)).toEqual([parent]);
    expect((await booted.storage.getJobDefinition('record'))?.isEnabled).toBe(true);
  });

  it("batch({ manager }) is refused: a batch is created in ZapJobs' own transaction, where the manager would be ignored", async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false }, RUNTIME_JOBS);
    const manager = {} as never;
    await expect(booted.jobs.batch([{ job: RecordJob, input: 1 }], { manager } as never)).rejects.toThrow(
      /^batch: options: 'manager' is not an option here; give it as enqueue\(job, input, \{ manager \}\) or enqueueMany\(items, \{ manager \}\)$/,
    );
    expect(await booted.storage.listRuns()).toHaveLength(0);
  });

  it('fails start-up on a defaultInput over maxPayloadBytes: each of its ticks would fail to store its run', async () => {
    @Job({ id: 'big-default', interval: '1h', defaultInput: { blob: 'x'.repeat(500) } })
    class BigDefaultJob {
      handle() {}
    }
    await expect(bootApp({ ...db.options, enableWorkers: false, maxPayloadBytes: 100 }, [BigDefaultJob])).rejects.toThrow(
      /defaultInput of job 'big-default' is 5\d\d bytes as JSON, over maxPayloadBytes \(100\)/,
    );
  });

  it('rejects input that is not JSON-serialisable', async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false }, RUNTIME_JOBS);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(booted.jobs.enqueue(RecordJob, circular)).rejects.toThrow(/cannot be stored as JSON/);
    await expect(booted.jobs.enqueue(RecordJob, { n: 10n })).rejects.toThrow(/cannot be stored as JSON/);
    expect(await booted.storage.listRuns()).toHaveLength(0);
  });

  it('fails a run whose stored input another program broke, without retries, and keeps the others going', async () => {
    booted = await bootApp(db.options, RUNTIME_JOBS);
    const later = new Date(Date.now() + 3_600_000);
    const broken = await booted.jobs.enqueue(SendEmailJob, { to: 'a@example.com', subject: 'hi' }, { runAt: later });
    if (backend.name === 'sqlite') {
      // Not JSON at all: SQLite stores whatever text it is given.
      await rawWrite(booted, db, `UPDATE zj_runs SET input_json = '{"to": oops', scheduled_at = ? WHERE id = ?`, '', [Date.now(), broken]);
    } else {
      // PostgreSQL's jsonb refuses malformed JSON outright: the bad write never lands.
      await expect(rawWrite(booted, db, '', `UPDATE zj_runs SET input_json = '{"to": oops' WHERE id = $1`, [broken])).rejects.toThrow(/invalid input syntax for type json/);
      // Valid JSON of the wrong shape is what can land.
      await rawWrite(booted, db, '', `UPDATE zj_runs SET input_json = '{"to": 42}', scheduled_at = now() WHERE id = $1`, [broken]);
    }
    const fine = await booted.jobs.enqueue(EchoJob, { n: 1 });
    const run = await runIn(booted.storage, broken, [JobRunStatus.Failed]);
    expect(run.attemptNumber).toBe(1);
    expect(run.errorMessage).toMatch(backend.name === 'sqlite' ? /the stored input is not valid JSON/ : /the stored input does not match SendEmailInput: to must be an email/);
    // The run model still reads it: text that is not JSON comes back as that text.
    expect(run.input).toEqual(backend.name === 'sqlite' ? '{"to": oops' : { to: 42 });
    await runIn(booted.storage, fine, [JobRunStatus.Completed]);
  });
});

describe('bad connection settings', () => {
  const boot = async (options: Record<string, unknown>) => {
    @Module({ imports: [ZapJobsModule.forRoot({ enableWorkers: false, enableScheduler: false, ...options })] })
    class BadConnectionModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BadConnectionModule] }).compile();
    await moduleRef.close();
  };

  it('rejects a connection URL that is not a PostgreSQL URL, naming the option', async () => {
    await expect(boot({ storage: 'postgres', url: 'mysql://root@localhost/db' })).rejects.toThrow(InvalidOptionsError);
    await expect(boot({ storage: 'postgres', url: 'not a url' })).rejects.toThrow(/url: url must be a URL such as 'postgres:\/\/user:password@host:5432\/database'/);
  });

  it('never echoes a password in an option error', async () => {
    const error = await boot({ storage: 'postgres', url: 'mysql://me:hunter2@localhost/db', password: 42 }).catch((e: Error) => e);
    expect(String(error)).toContain('mysql://me:***@localhost/db');
    expect(String(error)).not.toContain('hunter2');
  });

  (PG_URL ? it : it.skip)('fails start-up on a wrong password with an error that names the server, not the password', async () => {
    const url = new URL(PG_URL!);
    url.password = 'wrong-secret';
    const error = await boot({ storage: 'postgres', url: url.toString() }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toMatch(/Could not connect to PostgreSQL at postgres:\/\/zapjobs:\*\*\*@127\.0\.0\.1:\d+\/zapjobs: password authentication failed/);
    expect(String(error)).not.toContain('wrong-secret');
  });
});
