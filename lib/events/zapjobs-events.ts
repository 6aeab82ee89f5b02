import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface RunEvent {
  runId: string;
  jobTypeId: string;
  queue?: string;
  attempt?: number;
}

/** The lifecycle events an app can subscribe to, and what each carries. */
export interface ZapJobsEventMap {
  enqueued: RunEvent;
  /** `waitMs`: how long the run waited in its queue, from when it was due (scheduled) to this start. */
  started: RunEvent & { workerId: string; waitMs: number };
  completed: RunEvent & { output: unknown; durationMs: number };
  failed: RunEvent & { error: Error; durationMs: number };
  /** `durationMs`: how long the attempt that failed ran. */
  retrying: RunEvent & { error: Error; retryAt: Date; durationMs: number };
  cancelled: RunEvent;
}

export type ZapJobsEventName = keyof ZapJobsEventMap;

/**
 * Lifecycle events of runs handled or enqueued by this process. A listener that throws is logged
 * and never reaches the engine.
 *
 * @example events.on('failed', ({ runId, error }) => alert(runId, error))
 */
@Injectable()
export class ZapJobsEvents {
  private readonly emitter = new EventEmitter();
  private readonly logger = new Logger('ZapJobs');

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<E extends ZapJobsEventName>(event: E, listener: (payload: ZapJobsEventMap[E]) => unknown): () => void {
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

  /** Whether anyone listens: the hot path skips building payloads nobody reads. */
  listening(event: ZapJobsEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  emit<E extends ZapJobsEventName>(event: E, payload: ZapJobsEventMap[E]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, payload);
  }

  private report(event: string, error: unknown): void {
    this.logger.error(`A '${event}' listener threw: ${(error as Error)?.message ?? String(error)}`);
  }
}
