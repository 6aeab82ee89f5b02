import { propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/**
 * Past this many characters of JSON, a run keeps only `traceparent` and `tracestate`: a propagator
 * that also writes baggage could otherwise put any amount of text into every run's row.
 */
export const MAX_TRACE_CONTEXT_LENGTH = 4096;

/**
 * The propagation fields of `context` (the registered propagator's: W3C `traceparent` and
 * `tracestate` with the usual setup) as JSON text, or null when it writes none (no propagator
 * registered, or no valid span in the context).
 */
export function injectTraceContext(context: Context): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier);
  const keys = Object.keys(carrier);
  if (keys.length === 0) return null;
  const text = JSON.stringify(carrier);
  if (text.length <= MAX_TRACE_CONTEXT_LENGTH) return text;
  const { traceparent, tracestate } = carrier;
  return traceparent === undefined ? null : JSON.stringify(tracestate === undefined ? { traceparent } : { traceparent, tracestate });
}

/**
 * The context that `text` (see injectTraceContext) carries, on top of ROOT_CONTEXT: a run's attempt
 * continues its enqueuer's trace and nothing of the worker's own async context. Text that is not a
 * carrier (written by another program) gives ROOT_CONTEXT: the attempt starts a trace of its own.
 */
export function extractTraceContext(text: string | null): Context {
  if (text === null) return ROOT_CONTEXT;
  let carrier: unknown;
  try {
    carrier = JSON.parse(text);
  } catch {
    return ROOT_CONTEXT;
  }
  if (carrier === null || typeof carrier !== 'object' || Array.isArray(carrier)) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier as Record<string, unknown>);
}
