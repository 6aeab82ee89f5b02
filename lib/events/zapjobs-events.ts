import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { InvalidPayloadError } from '../errors/errors.js';

export interface RunEvent {
  runId: string;
  jobTypeId: string;
  queue?: string;
  attempt?: number;
  /**
   * Set on events heard from another process (options `events: { crossProcess: true }`); absent on
   * the events of this process's own runs.
   */
  remote?: true;
}

/** The lifecycle events an app can subscribe to, and what each carries. */
export interface ZapJobsEventMap {
  enqueued: RunEvent;
  /** `waitMs`: how long the run waited in its queue, from when it was due (scheduled) to this start. */
  started: RunEvent & { workerId: string; waitMs: number };
  progress: RunEvent & { progress: unknown };
  completed: RunEvent & { output: unknown; durationMs: number };
  failed: RunEvent & { error: Error; durationMs: number };
  /** `durationMs`: how long the attempt that failed ran. */
  retrying: RunEvent & { error: Error; retryAt: Date; durationMs: number };
  cancelled: RunEvent;
}

export type ZapJobsEventName = keyof ZapJobsEventMap;

export const ZAPJOBS_EVENT_NAMES: readonly ZapJobsEventName[] = ['enqueued', 'started', 'progress', 'completed', 'failed', 'retrying', 'cancelled'];

/** Where this process's own events also go (the relay to other processes): told of every emit. */
export type EventForwarder = <E extends ZapJobsEventName>(event: E, payload: ZapJobsEventMap[E]) => void;

/**
 * Lifecycle events of runs. Without `events: { crossProcess: true }`: those handled or enqueued by
 * this process; with it, also those of every other process on the same database (`remote: true`).
 * Delivery is at-most-once: an event can be missed (a crash, a dropped connection), the stored run
 * never is. A listener that throws is logged and never reaches the engine.
 *
 * @example events.on('failed', ({ runId, error }) => alert(runId, error))
 */
@Injectable()
export class ZapJobsEvents {
  private readonly emitter = new EventEmitter();
  private readonly logger = new Logger('ZapJobs');
  private forwarder: EventForwarder | undefined;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<E extends ZapJobsEventName>(event: E, listener: (payload: ZapJobsEventMap[E]) => unknown): () => void {
    // A misspelt name ('complete') would be a listener that never hears anything.
    if (!ZAPJOBS_EVENT_NAMES.includes(event)) throw new InvalidPayloadError(`event: expected one of ${ZAPJOBS_EVENT_NAMES.join(', ')}, got ${JSON.stringify(event)}`);
    if (typeof listener !== 'function') throw new InvalidPayloadError(`listener: expected a function, got ${typeof listener}`);
    const wrapped = (payload: ZapJobsEventMap[E]) => {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch((error) => this.report(event, error));
      } catch (error) {
        this.report(event, error);
      }
    };
    this.emitter.on(event, wrapped);
    return () => this.emitter.off(event, wrapped);
  }

  once<E extends ZapJobsEventName>(event: E, listener: (payload: ZapJobsEventMap[E]) => unknown): void {
    const off = this.on(event, (payload) => {
      off();
      return listener(payload);
    });
  }

  /** Whether anyone listens (here, or elsewhere through the relay): the hot path skips building payloads nobody reads. */
  listening(event: ZapJobsEventName): boolean {
    return this.forwarder !== undefined || this.emitter.listenerCount(event) > 0;
  }

  /** Whether a listener of this process listens: remote events are only read from the database for those. */
  listenedHere(event: ZapJobsEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  /** An event of this process's own run: to this process's listeners, and forwarded when relayed. */
  emit<E extends ZapJobsEventName>(event: E, payload: ZapJobsEventMap[E]): void {
    if (this.forwarder) {
      try {
        this.forwarder(event, payload);
      } catch (error) {
        this.logger.error(`Relaying a '${event}' event failed: ${(error as Error)?.message ?? String(error)}`);
      }
    }
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  /** An event heard from another process: to this process's listeners only, never forwarded again. */
  deliverRemote<E extends ZapJobsEventName>(event: E, payload: ZapJobsEventMap[E]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  /** Set by the relay when events cross processes; undefined to stop. */
  forwardTo(forwarder: EventForwarder | undefined): void {
    this.forwarder = forwarder;
  }

  private report(event: string, error: unknown): void {
    this.logger.error(`A '${event}' listener threw: ${(error as Error)?.message ?? String(error)}`);
  }
}
