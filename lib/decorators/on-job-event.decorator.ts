import type { ZapJobsEventName } from '../events/zapjobs-events.js';
import { JOB_EVENT_LISTENER_METADATA } from '../zapjobs.constants.js';
import { unknownKeys } from '../util/unknown-keys.js';

export interface OnJobEventOptions {
  /** Only the events of this job's runs (its @Job class or its id). @default every job */
  job?: Function | string;
}

/** What `@OnJobEvent()` records on a method. */
export interface JobEventListenerMetadata {
  event: ZapJobsEventName;
  job?: Function | string;
  /** Keys of the options that are none (checked at start-up: `{ jobId }` would listen to every job). */
  unknownKeys: string[];
}

/**
 * Calls the decorated method of a provider with each event of that name (see ZapJobsEvents for
 * what each carries; heard from other processes too with `events: { crossProcess: true }`, then
 * `remote: true`). Discovered at bootstrap like @Job. What the method throws (or rejects with) is
 * logged and never reaches the run or the worker.
 *
 * @example
 * @OnJobEvent('failed', { job: SendEmailJob })
 * alert({ runId, error }: ZapJobsEventMap['failed']) { ... }
 */
export function OnJobEvent(event: ZapJobsEventName, options: OnJobEventOptions = {}): MethodDecorator {
  return (target, key) => {
    const method = (target as Record<string | symbol, unknown>)[key];
    const listeners = (Reflect.getMetadata(JOB_EVENT_LISTENER_METADATA, method as object) as JobEventListenerMetadata[] | undefined) ?? [];
    const unknown = options !== null && typeof options === 'object' ? unknownKeys(options, ['job']) : [];
    Reflect.defineMetadata(JOB_EVENT_LISTENER_METADATA, [...listeners, { event, job: options?.job, unknownKeys: unknown }], method as object);
  };
}
