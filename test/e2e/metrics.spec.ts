import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { Registry, register } from 'prom-client';
import { JobRunStatus, type ZapJobsModuleOptions } from '../../lib/index.js';
import { ZapJobsMetricsModule } from '../../lib/metrics/index.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { describeEachBackend, sqliteBackend } from '../helpers/backends.js';
import { runIn } from '../helpers/boot.js';
import { bootHttpApp, type HttpApp } from '../helpers/http-app.js';
import { waitFor } from '../helpers/wait-for.js';
import { MetricsController, sample, scraped } from '../fixtures/metrics-app.fixture.js';
import { AlwaysFailsJob, BlockingJob, EchoJob, probe, RUNTIME_JOBS } from '../fixtures/runtime-jobs.fixture.js';

describeEachBackend('ZapJobsMetricsModule: the scrape after known jobs', (backend) => {
  // Before appPerTest's: the blocking run ends before the app closes (hooks run in declaration order).
  afterEach(() => probe.release());
  const t = appPerTest(backend);
  beforeEach(() => probe.reset());
  const boot = async (options: ZapJobsModuleOptions, imports: DynamicModule[], controllers: Type<unknown>[] = []): Promise<HttpApp> => {
    const app = await bootHttpApp({ ...t.db.options, ...options }, { handlers: RUNTIME_JOBS, imports, controllers });
    t.booted = app;
    return app;
  };

  it('counts runs by job and queue, times them, and gauges queues and slots', async () => {
    const registry = (scraped.registry = new Registry());
    const app = await boot({ concurrency: 3 }, [ZapJobsMetricsModule.forRoot({ registry, gaugeCacheTtl: 0 })], [MetricsController]);
    const echoes = await Promise.all([1, 2, 3].map((n) => app.jobs.enqueue(EchoJob, { n })));
    // Attempts 1 and 2 are retried, attempt 3 fails for good.
    const failing = await app.jobs.enqueue(AlwaysFailsJob, null);
    const cancelled = await app.jobs.enqueue(EchoJob, { n: 4 }, { delay: '1h' });
    await app.jobs.cancel(cancelled);
    await app.jobs.enqueue(EchoJob, { n: 5 }, { queue: 'nobody' });
    for (const id of echoes) await runIn(app.storage, id, [JobRunStatus.Completed]);
    await runIn(app.storage, failing, [JobRunStatus.Failed]);
    const blocking = await app.jobs.enqueue(BlockingJob, null);
    // Its handler started (the row says Running from the claim's commit, a moment before the worker holds it).
    await waitFor(() => probe.calls.some((call) => call.runId === blocking));

    const text = await registry.metrics();
    const echo = { job: 'echo', queue: 'default' };
    const fails = { job: 'always-fails', queue: 'default' };
    expect(sample(text, 'zapjobs_runs_enqueued_total', echo)).toBe(4);
    expect(sample(text, 'zapjobs_runs_enqueued_total', { job: 'echo', queue: 'nobody' })).toBe(1);
    expect(sample(text, 'zapjobs_runs_started_total', echo)).toBe(3);
    expect(sample(text, 'zapjobs_runs_completed_total', echo)).toBe(3);
    expect(sample(text, 'zapjobs_runs_started_total', fails)).toBe(3);
    expect(sample(text, 'zapjobs_runs_retried_total', fails)).toBe(2);
    expect(sample(text, 'zapjobs_runs_failed_total', fails)).toBe(1);
    expect(sample(text, 'zapjobs_runs_cancelled_total', echo)).toBe(1);
    expect(sample(text, 'zapjobs_run_duration_seconds_count', { ...echo, outcome: 'completed' })).toBe(3);
    expect(sample(text, 'zapjobs_run_duration_seconds_count', { ...fails, outcome: 'retried' })).toBe(2);
    expect(sample(text, 'zapjobs_run_duration_seconds_count', { ...fails, outcome: 'failed' })).toBe(1);
    expect(sample(text, 'zapjobs_queue_wait_seconds_count', fails)).toBe(3);
    // Each wait counts from when the attempt was due (a retry: its backoff over), and each was short.
    expect(sample(text, 'zapjobs_queue_wait_seconds_bucket', { ...fails, le: '1' })).toBe(3);
    expect(sample(text, 'zapjobs_queue_runs', { queue: 'nobody', status: 'pending' })).toBe(1);
    expect(sample(text, 'zapjobs_queue_runs', { queue: 'default', status: 'failed' })).toBe(1);
    expect(sample(text, 'zapjobs_queue_runs', { queue: 'default', status: 'running' })).toBe(1);
    expect(sample(text, 'zapjobs_queue_runs', { queue: 'default', status: 'pending' })).toBe(0);
    expect(sample(text, 'zapjobs_queue_oldest_pending_age_seconds', { queue: 'nobody' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'zapjobs_worker_slots_busy')).toBe(1);
    expect(sample(text, 'zapjobs_worker_slots_total')).toBe(3);

    // The same through a /metrics endpoint, as Prometheus scrapes it.
    const response = await app.get('/metrics');
    expect(response.status).toBe(200);
    expect(sample(response.text, 'zapjobs_runs_completed_total', echo)).toBe(3);
    expect(sample(response.text, 'zapjobs_queue_runs', { queue: 'nobody', status: 'pending' })).toBe(1);
  });

  it('reads the queue gauges once per gaugeCacheTtl', async () => {
    const registry = new Registry();
    const app = await boot({}, [ZapJobsMetricsModule.forRoot({ registry, gaugeCacheTtl: '1h' })]);
    await app.jobs.enqueue(EchoJob, { n: 1 }, { queue: 'nobody' });
    const pending = async () => sample(await registry.metrics(), 'zapjobs_queue_runs', { queue: 'nobody', status: 'pending' });
    expect(await pending()).toBe(1);

    await app.jobs.enqueue(EchoJob, { n: 2 }, { queue: 'nobody' });

    expect(await pending()).toBe(1);
    expect((await app.storage.countRuns({ queue: 'nobody' }))[JobRunStatus.Pending]).toBe(2);
  });

  it('skips events relayed from other processes (remote), which those count', async () => {
    const registry = new Registry();
    const app = await boot({}, [ZapJobsMetricsModule.forRoot({ registry })]);
    const id = await app.jobs.enqueue(EchoJob, { n: 1 });
    await runIn(app.storage, id, [JobRunStatus.Completed]);
    await waitFor(async () => sample(await registry.metrics(), 'zapjobs_runs_completed_total', { job: 'echo', queue: 'default' }) === 1, {
      what: 'the local completion counted',
    });

    const relayed = { runId: id, jobTypeId: 'echo', queue: 'default', attempt: 1, output: null, durationMs: 5, remote: true };
    app.events.emit('completed', relayed as Parameters<typeof app.events.emit<'completed'>>[1]);

    expect(sample(await registry.metrics(), 'zapjobs_runs_completed_total', { job: 'echo', queue: 'default' })).toBe(1);
  });
});

describe('ZapJobsMetricsModule and the default registry', () => {
  it('registers in prom-client\'s default registry, with the prefix, and unregisters on close', async () => {
    const db = sqliteBackend.create();
    const app = await bootHttpApp(db.options, { handlers: RUNTIME_JOBS, imports: [ZapJobsMetricsModule.forRoot({ prefix: 'jobs_' })] });
    try {
      expect(register.getSingleMetric('jobs_runs_enqueued_total')).toBeDefined();
      expect(register.getSingleMetric('jobs_queue_runs')).toBeDefined();
      expect(register.getSingleMetric('zapjobs_runs_enqueued_total')).toBeUndefined();
    } finally {
      await app.close();
      await db.drop();
    }
    expect(register.getSingleMetric('jobs_runs_enqueued_total')).toBeUndefined();
  });

  it('refuses a bad prefix, naming the option', () => {
    expect(() => ZapJobsMetricsModule.forRoot({ prefix: '1-bad' })).toThrow(/Invalid ZapJobsMetricsModule.forRoot\(\) options:\n {2}- prefix: expected/);
  });
});
