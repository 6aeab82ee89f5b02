import { InvalidJobHandlerError, InvalidPayloadError, Job, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';

/** Issue 10: what @Job({ concurrency, rateLimit }) stores, and what a bad key or limit does. */
@Job({ id: 'jl.tenant', concurrency: { limit: 1, key: (input: { tenant: string }) => input.tenant }, rateLimit: { limit: 5, per: '1s' } })
class TenantJob implements JobHandler<{ tenant: string }> {
  handle(_ctx: JobContext<{ tenant: string }>) {}
}

@Job({ id: 'jl.bad', concurrency: 0 })
class BadLimitJob implements JobHandler {
  handle() {}
}

describeEachBackend('@Job limits', (backend) => {
  let db: TestDatabase;
  let app: BootedApp | undefined;

  beforeEach(() => {
    db = backend.create();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db.drop();
  });

  it('stores the limits on the definition and the keys on each run', async () => {
    app = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [TenantJob]);
    expect(await app.storage.getJobDefinition('jl.tenant')).toMatchObject({ concurrencyLimit: 1, rateLimit: 5, ratePeriodMs: 1000 });
    const id = await app.jobs.enqueue(TenantJob, { tenant: 'acme' });
    expect(await app.storage.getRun(id)).toMatchObject({ concurrencyKey: 'acme', rateKey: '' });
  });

  it('a key function that throws or returns a non-string fails the enqueue, and nothing is stored', async () => {
    app = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [TenantJob]);
    await expect(app.jobs.enqueue('jl.tenant', null)).rejects.toThrow(InvalidPayloadError);
    await expect(app.jobs.enqueue('jl.tenant', { tenant: 42 })).rejects.toThrow(/concurrency\.key function of job 'jl\.tenant' must return a non-empty string, got 42/);
    await expect(app.jobs.enqueueMany([{ job: 'jl.tenant', input: { tenant: 'a' } }, { job: 'jl.tenant', input: {} }])).rejects.toThrow(InvalidPayloadError);
    expect(await app.storage.countRuns({ jobTypeId: 'jl.tenant' })).toMatchObject({ pending: 0 });
  });

  it('a zero limit fails start-up, naming the job and the field', async () => {
    await expect(bootApp({ ...db.options, enableWorkers: false }, [BadLimitJob])).rejects.toThrow(InvalidJobHandlerError);
    await expect(bootApp({ ...db.options, enableWorkers: false }, [BadLimitJob])).rejects.toThrow(
      /@Job\(\{ id: 'jl\.bad' \}\) on BadLimitJob: concurrency must be an integer from 1/,
    );
  });

  it('runs without limits store no keys', async () => {
    @Job({ id: 'jl.free' })
    class FreeJob implements JobHandler {
      handle() {}
    }
    app = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [FreeJob]);
    const id = await app.jobs.enqueue('jl.free', {});
    expect(await app.storage.getRun(id)).toMatchObject({ concurrencyKey: null, rateKey: null });
  });
});
