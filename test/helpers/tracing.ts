import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** A finished span as plain JSON: what a child process prints and what the tests compare. */
export interface SpanRecord {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
}

export function spanRecord(span: ReadableSpan): SpanRecord {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    attributes: { ...span.attributes },
    status: { ...span.status },
    events: span.events.map((event) => ({ name: event.name, attributes: { ...(event.attributes ?? {}) } })),
  };
}

/**
 * Registers what an application's OpenTelemetry setup registers, globally for this process: a tracer
 * provider exporting to `exporter` as each span ends, the AsyncLocalStorage context manager (the
 * active span follows awaits), and the W3C Trace Context propagator.
 */
export function registerTracing(exporter: SpanExporter = new InMemorySpanExporter()): { tracer: Tracer; provider: BasicTracerProvider } {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { tracer: trace.getTracer('zapjobs-tests'), provider };
}

/** An exporter that writes each finished span as a JSON line ({"event":"span","span":...}) to stdout. */
export const stdoutSpanExporter: SpanExporter = {
  export(spans, done) {
    for (const span of spans) process.stdout.write(`${JSON.stringify({ event: 'span', span: spanRecord(span) })}\n`);
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => undefined,
};
