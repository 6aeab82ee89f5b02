import 'reflect-metadata';
import { Controller, Headers, Logger, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { JobScheduler, ZapJobsModule, type ZapJobsModuleOptions } from '../../lib/index.js';
import { ZapJobsTracingModule } from '../../lib/tracing/index.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { registerTracing, spanRecord, type SpanRecord } from '../helpers/tracing.js';
import { waitFor } from '../helpers/wait-for.js';
import { TracedBrokenJob, TracedFlakyJob, TracedOkJob, TRACED_JOBS } from '../fixtures/traced-jobs.fixture.js';

Logger.overrideLogger(false);

const exporter = new InMemorySpanExporter();
const { tracer } = registerTracing(exporter);
const finished = () => exporter.getFinishedSpans().map(spanRecord);

const JOBS = { ok: TracedOkJob, flaky: TracedFlakyJob, broken: TracedBrokenJob } as const;

/**
 * The application side: an HTTP endpoint whose request span (continuing the caller's traceparent,
 * as an HTTP instrumentation would) is active while it enqueues. This process runs no worker.
 */
@Controller('orders')
class OrdersController {
  constructor(private readonly jobs: JobScheduler) {}

  @Post(':job')
  create(@Param('job') job: keyof typeof JOBS, @Headers() headers: Record<string, string>) {
    const incoming = propagation.extract(context.active(), headers);
    return tracer.startActiveSpan('POST /orders/:job', { kind: SpanKind.SERVER }, incoming, async (span) => {
      try {
        return { runId: await this.jobs.enqueue(JOBS[job] as typeof TracedOkJob, { order: 'A-1' }) };
      } finally {
        span.end();
      }
    });
  }
}

async function httpApp(options: ZapJobsModuleOptions): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [ZapJobsModule.forRoot({ ...options, enableWorkers: false, enableScheduler: false }), ZapJobsTracingModule.forRoot()],
    controllers: [OrdersController],
    providers: TRACED_JOBS,
  })
  class HttpAppModule {}
  const app = await NestFactory.create(HttpAppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

/** The spans a child printed, parsed. */
const childSpans = (child: Child): SpanRecord[] =>
  child.lines.filter((line) => line.startsWith('{"event":"span"')).map((line) => (JSON.parse(line) as { span: SpanRecord }).span);

const consumerSpansOf = (spans: SpanRecord[], runId: string) =>
  spans.filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === runId).sort((a, b) => Number(a.attributes['zapjobs.run.attempt']) - Number(b.attributes['zapjobs.run.attempt']));

describeEachBackend('tracing: an HTTP request enqueues, another process runs the job', (backend) => {
  let db: TestDatabase;
  let worker: Child;
  let http: { app: INestApplication; url: string };

  beforeAll(async () => {
    db = backend.create();
    // The HTTP app first: it migrates and stores the definitions; the worker then starts on them.
    http = await httpApp(db.options);
    worker = startChild('tracing-worker.ts', [JSON.stringify(db.options)]);
    await worker.waitForLine((line) => line.includes('"event":"ready"'));
  });

  afterAll(async () => {
    if (worker?.process.exitCode === null) {
      worker.process.kill('SIGTERM');
      await worker.exited;
    }
    await http?.app.close();
    await db?.drop();
  });

  beforeEach(() => exporter.reset());

  /** POSTs with the traceparent of a client span of this test; returns the run id and that span's context. */
  async function post(job: keyof typeof JOBS) {
    const client = tracer.startSpan('client', { kind: SpanKind.CLIENT });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), client), headers);
    const response = await fetch(`${http.url}/orders/${job}`, { method: 'POST', headers });
    client.end();
    expect(response.status).toBe(201);
    const { runId } = (await response.json()) as { runId: string };
    return { runId, client: client.spanContext() };
  }

  it('the job\'s spans in the worker process are of the request\'s trace: consumer span child of the producer span, the handler\'s work under it', async () => {
    const { runId, client } = await post('ok');

    const spans = await waitFor(() => {
      const found = childSpans(worker);
      return consumerSpansOf(found, runId).length === 1 && found.some((s) => s.name === 'send-receipt') ? found : null;
    }, { what: 'the worker\'s spans of the run' });
    const [consumer] = consumerSpansOf(spans, runId);
    const server = finished().find((s) => s.kind === SpanKind.SERVER)!;
    const producer = finished().find((s) => s.kind === SpanKind.PRODUCER)!;
    const work = spans.find((s) => s.name === 'send-receipt' && s.parentSpanId === consumer.spanId);

    expect(server).toMatchObject({ traceId: client.traceId, parentSpanId: client.spanId });
    expect(producer).toMatchObject({
      name: 'create default',
      traceId: client.traceId,
      parentSpanId: server.spanId,
      attributes: {
        'messaging.system': 'zapjobs',
        'messaging.operation.type': 'create',
        'messaging.operation.name': 'create',
        'messaging.destination.name': 'default',
        'messaging.message.id': runId,
        'zapjobs.job.id': 'traced.ok',
      },
      status: { code: SpanStatusCode.UNSET },
    });
    expect(consumer).toMatchObject({
      name: 'process default',
      traceId: client.traceId,
      parentSpanId: producer.spanId,
      attributes: {
        'messaging.system': 'zapjobs',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'default',
        'messaging.message.id': runId,
        'zapjobs.job.id': 'traced.ok',
        'zapjobs.run.attempt': 1,
        'zapjobs.run.outcome': 'completed',
      },
      status: { code: SpanStatusCode.UNSET },
      events: [],
    });
    expect(work).toMatchObject({ traceId: client.traceId });
  });

  it('a retried run makes one consumer span per attempt, each a child of the one producer span; failed attempts record their exception', async () => {
    const { runId, client } = await post('flaky');

    const attempts = await waitFor(() => {
      const found = consumerSpansOf(childSpans(worker), runId);
      return found.length === 3 ? found : null;
    }, { what: 'three attempts' });
    const producer = finished().find((s) => s.kind === SpanKind.PRODUCER)!;

    expect(attempts.map((s) => [s.attributes['zapjobs.run.attempt'], s.attributes['zapjobs.run.outcome'], s.status.code])).toEqual([
      [1, 'retrying', SpanStatusCode.ERROR],
      [2, 'retrying', SpanStatusCode.ERROR],
      [3, 'completed', SpanStatusCode.UNSET],
    ]);
    for (const span of attempts) expect(span).toMatchObject({ traceId: client.traceId, parentSpanId: producer.spanId });
    expect(attempts[0].status.message).toBe('flaky attempt 1');
    expect(attempts[0].events).toEqual([
      { name: 'exception', attributes: expect.objectContaining({ 'exception.type': 'Error', 'exception.message': 'flaky attempt 1', 'exception.stacktrace': expect.stringContaining('flaky attempt 1') }) },
    ]);
    expect(attempts[2].events).toEqual([]);
  });

  it('a run that fails for good: its attempt span has status ERROR, outcome failed and the exception', async () => {
    const { runId, client } = await post('broken');

    const [span] = await waitFor(() => {
      const found = consumerSpansOf(childSpans(worker), runId);
      return found.length === 1 ? found : null;
    }, { what: 'the failed attempt' });

    expect(span).toMatchObject({
      traceId: client.traceId,
      status: { code: SpanStatusCode.ERROR, message: 'card declined' },
      attributes: { 'zapjobs.run.outcome': 'failed', 'zapjobs.run.attempt': 1, 'error.type': 'TypeError' },
    });
    expect(span.events).toEqual([
      { name: 'exception', attributes: expect.objectContaining({ 'exception.type': 'TypeError', 'exception.message': 'card declined' }) },
    ]);
  });
});
