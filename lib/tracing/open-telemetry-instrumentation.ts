import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { AttemptEnding, AttemptScope, EnqueueScope, RunInstrumentation } from '../instrumentation/run-instrumentation.js';
import type { ClaimedRun, NewJobRun } from '../storage/job-storage.types.js';
import {
  ERROR_TYPE, MESSAGING_CLIENT_ID, MESSAGING_DESTINATION_NAME, MESSAGING_MESSAGE_ID, MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE,
  MESSAGING_SYSTEM, SYSTEM, ZAPJOBS_JOB_ID, ZAPJOBS_RUN_ATTEMPT, ZAPJOBS_RUN_CREATED, ZAPJOBS_RUN_OUTCOME, ZAPJOBS_RUN_PARENT_ID,
} from './trace-attributes.js';
import { extractTraceContext, injectTraceContext } from './trace-carrier.js';

/**
 * The RunInstrumentation of ZapJobsTracingModule: a PRODUCER span `create <queue>` per run stored,
 * whose context goes into the run's row, and a CONSUMER span `process <queue>` per attempt, a child
 * of that producer span (the run is one message processed alone, so the messaging conventions allow
 * the parent-child form: the trace that enqueued the run shows its attempts), active while the
 * handler runs.
 */
export class OpenTelemetryInstrumentation implements RunInstrumentation {
  constructor(private readonly tracer: Tracer) {}

  enqueuing(run: NewJobRun, queue: string | undefined): EnqueueScope {
    const caller = context.active();
    const attributes: Attributes = {
      [MESSAGING_SYSTEM]: SYSTEM,
      [MESSAGING_OPERATION_TYPE]: 'create',
      [MESSAGING_OPERATION_NAME]: 'create',
      [ZAPJOBS_JOB_ID]: run.jobTypeId,
    };
    if (queue !== undefined) attributes[MESSAGING_DESTINATION_NAME] = queue;
    if (run.parentRunId) attributes[ZAPJOBS_RUN_PARENT_ID] = run.parentRunId;
    const span = this.tracer.startSpan(queue === undefined ? 'create' : `create ${queue}`, { kind: SpanKind.PRODUCER, attributes }, caller);
    run.traceContext = injectTraceContext(trace.setSpan(caller, span));
    return {
      stored(runId, created) {
        span.setAttribute(MESSAGING_MESSAGE_ID, runId);
        if (!created) span.setAttribute(ZAPJOBS_RUN_CREATED, false);
        span.end();
      },
      failed(error) {
        fail(span, error instanceof Error ? error : new Error(String(error)));
        span.end();
      },
    };
  }

  attempt(run: ClaimedRun, workerId: string): AttemptScope {
    const enqueuer = extractTraceContext(run.traceContext);
    const span = this.tracer.startSpan(
      `process ${run.queue}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [MESSAGING_SYSTEM]: SYSTEM,
          [MESSAGING_OPERATION_TYPE]: 'process',
          [MESSAGING_OPERATION_NAME]: 'process',
          [MESSAGING_DESTINATION_NAME]: run.queue,
          [MESSAGING_MESSAGE_ID]: run.id,
          [MESSAGING_CLIENT_ID]: workerId,
          [ZAPJOBS_JOB_ID]: run.jobTypeId,
          [ZAPJOBS_RUN_ATTEMPT]: run.attemptNumber,
        },
      },
      enqueuer,
    );
    const active = trace.setSpan(enqueuer, span);
    let open = true;
    return {
      within: (execute) => context.with(active, execute),
      ended(ending: AttemptEnding, error?: Error) {
        if (!open) return;
        open = false;
        span.setAttribute(ZAPJOBS_RUN_OUTCOME, ending);
        // A cancellation is what someone asked for, not a fault of the attempt.
        if (error !== undefined && ending !== 'cancelled') fail(span, error);
        span.end();
      },
    };
  }
}

function fail(span: Span, error: Error): void {
  span.recordException(error);
  span.setAttribute(ERROR_TYPE, error.name || 'Error');
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}
