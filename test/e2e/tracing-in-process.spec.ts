import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { InvalidOptionsError, InvalidPayloadError, JobRunStatus, JobScheduler, JobStorage, ZapJobsEvents, ZapJobsModule, type ZapJobsModuleOptions } from '../../lib/index.js';
import { EngineStorage } from '../../lib/storage/engine-storage.js';
import { ZapJobsTracingModule } from '../../lib/tracing/index.js';
import { describeEachBackend, PG_URL, type TestDatabase } from '../helpers/backends.js';
import { runIn } from '../helpers/boot.js';
import { registerTracing, spanRecord, type SpanRecord } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait-for.js';
import { TracedHangJob, TracedOkJob, TRACED_JOBS } from '../fixtures/traced-jobs.fixture.js';

Logger.overrideLogger(false);

const exporter = new InMemorySpanExporter();
const { tracer } = registerTracing(exporter);
const spans = () => exporter.getFinishedSpans().map(spanRecord);
const ofRun = (kind: SpanKind, runId: string) => spans().filter((s) => s.kind === kind && s.attributes['messaging.message.id'] === runId);

/** The one span of `kind` of this run, once it ended. */
const spanOf = (kind: SpanKind, runId: string) =>
  waitFor(() => (ofRun(kind, runId).length === 1 ? ofRun(kind, runId)[0] : null), { what: `the ${SpanKind[kind]} span of ${runId}` });

/**
 * What the tracing does in one process (the cross-process trace is in tracing.spec.ts): the enqueue
 * paths other than enqueue(), cancellation, and nothing at all without the module.
 */
describeEachBackend('tracing in one process', (backend) => {
  let db: TestDatabase;
  let close: (() => Promise<void>) | undefined;

  beforeEach(() => {
    db = backend.create();
    exporter.reset();
  });

  afterEach(async () => {
    await close?.();
    close = undefined;
    await db.drop();
  });

  async function boot(options: ZapJobsModuleOptions = {}, traced = true) {
    @Module({
      imports: [
        ZapJobsModule.forRoot({ pollInterval: 50, heartbeatInterval: 100, staleAfter: 1000, shutdownTimeout: 2000, ...db.options, ...options }),
        ...(traced ? [ZapJobsTracingModule.forRoot({ tracerName: 'zapjobs-under-test' })] : []),
      ],
      providers: TRACED_JOBS,
    })
    class TracedAppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [TracedAppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    close = () => app.close();
    return { jobs: app.get(JobScheduler), storage: app.get(JobStorage), engine: app.get(EngineStorage), events: app.get(ZapJobsEvents) };
  }

  it('enqueueMany: one producer span per item, each run\'s attempt a child of its own', async () => {
    const { jobs } = await boot();
    const ids = await tracer.startActiveSpan('batch', async (batch) => {
      const stored = await jobs.enqueueMany([
        { job: TracedOkJob, input: { order: 'a' } },
        { job: TracedOkJob, input: { order: 'b' }, options: { queue: 'default' } },
      ]);
      batch.end();
      return stored;
    });
    const batch = spans().find((s) => s.name === 'batch')!;

    for (const id of ids) {
      const producer = await spanOf(SpanKind.PRODUCER, id);
      const consumer = await spanOf(SpanKind.CONSUMER, id);
      expect(producer).toMatchObject({ parentSpanId: batch.spanId, traceId: batch.traceId, name: 'create default' });
      expect(consumer).toMatchObject({ parentSpanId: producer.spanId, traceId: batch.traceId });
    }
    expect(exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!.instrumentationScope.name).toBe('zapjobs-under-test');
  });

  it('continueWith: the continuation\'s producer span is taken when it is enqueued, and its attempt is a child of it', async () => {
    const { jobs, storage } = await boot();
    const parent = await jobs.enqueue(TracedOkJob, { order: 'p' });
    // Whether the parent has finished by now or not, the continuation runs after it.
    const child = await tracer.startActiveSpan('checkout', async (span) => {
      const id = await jobs.continueWith(parent, TracedOkJob, { order: 'c' });
      span.end();
      return id;
    });
    await runIn(storage, child, [JobRunStatus.Completed]);
    const checkout = spans().find((s) => s.name === 'checkout')!;
    const producer = await spanOf(SpanKind.PRODUCER, child);
    const consumer = await spanOf(SpanKind.CONSUMER, child);

    expect(producer).toMatchObject({ parentSpanId: checkout.spanId, attributes: { 'zapjobs.run.parent_id': parent } });
    expect(consumer).toMatchObject({ parentSpanId: producer.spanId, traceId: checkout.traceId, attributes: { 'zapjobs.run.outcome': 'completed' } });
  });

  it('enqueue({ manager }): the run inserted through the application\'s transaction carries the context too', async () => {
    const { jobs } = await boot();
    const app = new DataSource(
      backend.name === 'sqlite'
        ? { type: 'better-sqlite3', database: db.options.database as string }
        : { type: 'postgres', url: PG_URL, schema: db.options.schema },
    );
    await app.initialize();
    try {
      const id = await tracer.startActiveSpan('place-order', async (span) => {
        const stored = await app.transaction((manager) => jobs.enqueue(TracedOkJob, { order: 't' }, { manager }));
        span.end();
        return stored;
      });
      const order = spans().find((s) => s.name === 'place-order')!;
      const producer = await spanOf(SpanKind.PRODUCER, id);
      const consumer = await spanOf(SpanKind.CONSUMER, id);

      expect(producer).toMatchObject({ parentSpanId: order.spanId, traceId: order.traceId });
      expect(consumer).toMatchObject({ parentSpanId: producer.spanId, traceId: order.traceId, attributes: { 'zapjobs.run.outcome': 'completed' } });
    } finally {
      await app.destroy();
    }
  });

  it('a unique run whose key is held: its producer span names the holder and says nothing was created', async () => {
    const { jobs } = await boot({ enableWorkers: false });
    const first = await jobs.enqueueDetailed(TracedOkJob, { order: 'u' }, { unique: true });
    const second = await jobs.enqueueDetailed(TracedOkJob, { order: 'u' }, { unique: true });
    const third = await jobs.enqueue(TracedOkJob, { order: 'u' }, { unique: true });
    const [fourth] = await jobs.enqueueMany([{ job: TracedOkJob, input: { order: 'u' }, options: { unique: true } }]);

    expect(second).toEqual({ runId: first.runId, created: false, replaced: false });
    expect([third, fourth]).toEqual([first.runId, first.runId]);
    const producers = ofRun(SpanKind.PRODUCER, first.runId);
    expect(producers.map((s) => s.attributes['zapjobs.run.created'])).toEqual([undefined, false, false, false]);
  });

  it('an enqueue the storage refuses: its producer span records the error', async () => {
    const { jobs } = await boot({ enableWorkers: false });
    await expect(jobs.enqueue(TracedOkJob, { order: 'x' }, { priority: 1.5 })).rejects.toThrow(InvalidPayloadError);

    const [producer] = spans().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(producer).toMatchObject({
      status: { code: SpanStatusCode.ERROR, message: expect.stringMatching(/^priority: expected an integer/) },
      attributes: { 'error.type': 'InvalidPayloadError', 'zapjobs.job.id': 'traced.ok' },
      events: [{ name: 'exception', attributes: expect.objectContaining({ 'exception.type': 'InvalidPayloadError' }) }],
    });
    expect(producer.attributes['messaging.message.id']).toBeUndefined();
  });

  it('a cancelled attempt ends with outcome cancelled and no error status', async () => {
    const { jobs, events } = await boot();
    const started = new Promise<string>((resolve) => events.on('started', ({ runId }) => resolve(runId)));
    const id = await jobs.enqueue(TracedHangJob, undefined);
    expect(await started).toBe(id);
    expect(await jobs.cancel(id)).toBe(true);

    const consumer = await spanOf(SpanKind.CONSUMER, id);
    expect(consumer).toMatchObject({ attributes: { 'zapjobs.run.outcome': 'cancelled' }, status: { code: SpanStatusCode.UNSET }, events: [] });
  });

  it('without ZapJobsTracingModule: no span, and no trace context stored, even inside an active span', async () => {
    const { jobs, engine } = await boot({ enableWorkers: false }, false);
    const id = await tracer.startActiveSpan('request', async (span) => {
      const stored = await jobs.enqueue(TracedOkJob, { order: 'x' });
      span.end();
      return stored;
    });

    const [claimed] = await engine.claim({ queues: ['default'], workerId: 'probe', limit: 1 });
    expect(claimed).toMatchObject({ id, traceContext: null });
    expect(spans().map((s: SpanRecord) => s.name)).toEqual(['request']);
  });
});

describe('ZapJobsTracingModule.forRoot options', () => {
  it('refuses bad options, naming each field', () => {
    expect(() => ZapJobsTracingModule.forRoot({ tracerName: '' })).toThrow(InvalidOptionsError);
    expect(() => ZapJobsTracingModule.forRoot({ tracerName: '', tracerProvider: {} as never, tracername: 'x' } as never)).toThrow(
      expect.objectContaining({
        problems: [
          `ZapJobsTracingModule.forRoot: unknown option 'tracername' (known: tracerName, tracerProvider)`,
          'ZapJobsTracingModule.forRoot: tracerName must be a non-empty string; got ""',
          'ZapJobsTracingModule.forRoot: tracerProvider must be a TracerProvider (an object with getTracer()); got {}',
        ],
      }),
    );
    expect(ZapJobsTracingModule.forRoot()).toMatchObject({ module: ZapJobsTracingModule, global: true });
  });
});
