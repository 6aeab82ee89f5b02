import { InvalidDurationError, InvalidOptionsError, InvalidRunStateError, JobRunStatus, RunNotFoundError, UnknownJobError } from '../../lib/index.js';
import {
  DrainLimitError, NotEnqueuedError, TestingClosedError, ZapJobsTestingModule, type ZapJobsTestingOptions,
} from '../../lib/testing/index.js';
import { WorkerPool } from '../../lib/worker/worker-pool.js';
import { ForeverJob, GreetJob } from '../fixtures/testing-jobs.fixture.js';
import { bootTestingJobs, START, type TestingJobsApp } from './boot-testing-jobs.js';

describe('ZapJobsTesting', () => {
  let t: TestingJobsApp;

  async function boot(options: ZapJobsTestingOptions = {}) {
    t = await bootTestingJobs(options);
  }

  afterEach(async () => {
    await t?.close();
  });

  it('starts no worker and no scheduler, on an in-memory database, with the fake clock where it was set', async () => {
    await boot();
    expect(t.app.get(WorkerPool, { strict: false }).isRunning).toBe(false);
    expect(t.zap.clock.now()).toBe(START.getTime());
    // The definitions' next ticks were computed on the fake clock.
    expect((await t.storage.getJobDefinition('hourly'))?.nextRunAt?.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    const id = await t.jobs.enqueue(GreetJob, { name: 'ada' });
    expect((await t.storage.getRun(id))?.createdAt.getTime()).toBe(START.getTime());
  });

  it('enqueued() lists the pending runs of a job whose input matches, nested keys included', async () => {
    await boot();
    const b = await t.jobs.enqueue(GreetJob, { name: 'bob' }, { delay: '1d' });
    const a = await t.jobs.enqueue(GreetJob, { name: 'ada', tags: ['x', 'y'] });
    await t.jobs.enqueue('flaky', { failures: 1 });
    // The soonest due first.
    expect((await t.zap.enqueued(GreetJob)).map((run) => run.id)).toEqual([a, b]);
    expect((await t.zap.enqueued(GreetJob, { name: 'bob' })).map((run) => run.id)).toEqual([b]);
    expect((await t.zap.enqueued(GreetJob, { tags: ['x', 'y'] })).map((run) => run.id)).toEqual([a]);
    // Arrays match whole, not in part.
    expect(await t.zap.enqueued(GreetJob, { tags: ['x'] })).toEqual([]);
    expect(await t.zap.enqueued('greet', { name: 'cy' })).toEqual([]);
    await t.zap.drain();
    // A run that ran is no longer enqueued.
    expect((await t.zap.enqueued(GreetJob)).map((run) => run.id)).toEqual([b]);
  });

  it('enqueued() finds the oldest of more pending runs than one read takes (1,000)', async () => {
    await boot();
    const oldest = await t.jobs.enqueue(GreetJob, { name: 'first' });
    await t.zap.clock.advance('1s');
    await t.jobs.enqueueMany(Array.from({ length: 1000 }, (_, n) => ({ job: GreetJob, input: { name: `later-${n}` } })));
    expect(await t.zap.enqueued(GreetJob)).toHaveLength(1001);
    expect((await t.zap.expectEnqueued(GreetJob, { name: 'first' })).id).toBe(oldest);
  });

  it('drain() finds a queue of its own behind more than 1,000 newer runs scheduled for later', async () => {
    await boot();
    const elsewhere = await t.jobs.enqueue(GreetJob, { name: 'elsewhere' }, { queue: 'side' });
    await t.zap.clock.advance('1s');
    await t.jobs.enqueueMany(Array.from({ length: 1001 }, (_, n) => ({ job: GreetJob, input: { name: `later-${n}` }, options: { delay: '1d' } })));
    expect((await t.zap.drain()).completed).toBe(1);
    expect((await t.storage.getRun(elsewhere))?.status).toBe(JobRunStatus.Completed);
  });

  it('expectEnqueued() returns the run, or throws a readable error listing what is enqueued', async () => {
    await boot();
    const id = await t.jobs.enqueue(GreetJob, { name: 'ada' });
    await t.jobs.enqueue('flaky', { failures: 0 }, { delay: '10m' });
    expect((await t.zap.expectEnqueued(GreetJob, { name: 'ada' })).id).toBe(id);

    const error = await t.zap.expectEnqueued(GreetJob, { name: 'bob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotEnqueuedError);
    const message = (error as Error).message;
    expect(message).toContain(`Expected a run of 'greet' with input matching {"name":"bob"} to be enqueued, but the enqueued runs are:`);
    expect(message).toContain(`greet {"name":"ada"} (run ${id}, queue 'default', due now)`);
    expect(message).toContain(`flaky {"failures":0}`);
    expect(message).toContain(`scheduled for 2026-03-01T10:40:00.000Z`);

    await t.zap.drain({ job: GreetJob });
    await t.zap.clock.advance('10m');
    await t.zap.drain();
    await expect(t.zap.expectEnqueued(GreetJob)).rejects.toThrow(`Expected a run of 'greet' to be enqueued, but no run is enqueued.`);
  });

  it('runNow() runs a run scheduled for later at once, and no other run', async () => {
    await boot();
    const later = await t.jobs.enqueue(GreetJob, { name: 'later' }, { delay: '2h' });
    const other = await t.jobs.enqueue(GreetJob, { name: 'other' }, { delay: '1h' });
    const run = await t.zap.runNow(later);
    expect(run).toMatchObject({ id: later, status: JobRunStatus.Completed, output: { greeting: 'hello later' } });
    // It shows when it ran: now, on the fake clock.
    expect(run.scheduledAt.getTime()).toBe(START.getTime());
    expect((await t.storage.getRun(later))?.scheduledAt.getTime()).toBe(START.getTime());
    expect((await t.storage.getRun(other))?.status).toBe(JobRunStatus.Pending);
    expect(t.calls.of('greet').map((c) => c.input)).toEqual([{ name: 'later' }]);

    await expect(t.zap.runNow(later)).rejects.toThrow(InvalidRunStateError);
    await expect(t.zap.runNow(later)).rejects.toThrow(`runNow('${later}'): the run is completed; only a pending run`);
    await expect(t.zap.runNow('0190a0b0-0000-7000-8000-000000000000')).rejects.toThrow(RunNotFoundError);
  });

  it('cleanup() removes finished runs once the fake clock passes the retention', async () => {
    await boot({ retention: '1d' });
    const id = await t.jobs.enqueue(GreetJob, { name: 'ada' });
    await t.zap.drain({ job: GreetJob });
    expect(await t.zap.cleanup()).toMatchObject({ runs: 0 });
    t.zap.clock.advance('1d1s');
    expect(await t.zap.cleanup()).toMatchObject({ runs: 1 });
    expect(await t.storage.getRun(id)).toBeNull();
  });

  it('drain() gives up on runs that are due again at once without end', async () => {
    await boot();
    await t.jobs.enqueue(ForeverJob);
    const error = await t.zap.drain({ job: ForeverJob, maxAttempts: 25 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainLimitError);
    expect((error as Error).message).toMatch(/^drain\(\): still finding due runs after 25 attempts \(maxAttempts\)/);
    expect(t.calls.of('forever')).toHaveLength(25);
  });

  describe('bad input', () => {
    it('clock.advance() with a bad duration: an InvalidDurationError naming the argument', async () => {
      await boot();
      for (const bad of ['soon', -5, '1 fortnight', Number.NaN, null]) {
        const error = (() => {
          try {
            t.zap.clock.advance(bad as never);
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(InvalidDurationError);
        expect(error).toMatchObject({ field: 'clock.advance(duration)' });
        expect((error as Error).message).toMatch(/^clock\.advance\(duration\): must be milliseconds .*; got /);
      }
      expect(t.zap.clock.now()).toBe(START.getTime());
      expect(() => t.zap.clock.set('tomorrow' as never)).toThrow(`clock.set(date): expected a valid Date, e.g. new Date('2026-01-01T00:00:00Z'); got "tomorrow"`);
      expect(() => t.zap.clock.set(new Date('nope'))).toThrow('got an invalid Date');
    });

    it('the handle and its clock used after the app closed: a TestingClosedError saying what to do', async () => {
      await boot();
      const handle = t.zap;
      await t.close();
      await expect(handle.drain()).rejects.toThrow(TestingClosedError);
      await expect(handle.drain()).rejects.toThrow(
        'ZapJobsTesting drain(): its application was closed (app.close()). A testing handle belongs to one app: ' +
          'create the testing module again (in beforeEach) and take the handle from the new app.',
      );
      await expect(handle.expectEnqueued(GreetJob)).rejects.toThrow('ZapJobsTesting enqueued(): its application was closed');
      await expect(handle.runNow('x')).rejects.toThrow(TestingClosedError);
      await expect(handle.cleanup()).rejects.toThrow(TestingClosedError);
      expect(() => handle.clock.advance('1m')).toThrow('ZapJobsTesting clock.advance(): its application was closed');
      expect(() => handle.clock.set(new Date())).toThrow(TestingClosedError);
    });

    it('drain() and the module options: errors naming the option', async () => {
      await boot();
      await expect(t.zap.drain({ queue: 3 as never })).rejects.toThrow(`drain({ queue }): expected a queue name (a non-empty string); got 3`);
      await expect(t.zap.drain({ maxAttempts: 0 })).rejects.toThrow(`drain({ maxAttempts }): expected an integer >= 1; got 0`);
      await expect(t.zap.drain({ job: 'nope' })).rejects.toThrow(UnknownJobError);
      await expect(t.zap.enqueued(class NotAJob {} as never)).rejects.toThrow(UnknownJobError);
      expect(() => ZapJobsTestingModule.forRoot({ inline: 'yes' as never })).toThrow(InvalidOptionsError);
      expect(() => ZapJobsTestingModule.forRoot({ inline: 'yes' as never })).toThrow(`inline must be true or false; got "yes"`);
      expect(() => ZapJobsTestingModule.forRoot({ now: '2026-01-01' as never })).toThrow(`now must be a valid Date (where the fake clock starts); got "2026-01-01"`);
      expect(() => ZapJobsTestingModule.forRoot(null as never)).toThrow(`ZapJobsTestingModule.forRoot(options): expected an options object`);
    });
  });
});
