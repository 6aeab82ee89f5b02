import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ZAPJOBS_EVENT_NAMES, ZapJobsEvents, type RunEvent, type ZapJobsEventMap, type ZapJobsEventName } from '../events/zapjobs-events.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import { errorMessage } from '../worker/to-error.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';

/**
 * An event as it crosses processes: ids and small fields only. PostgreSQL's NOTIFY takes at most
 * 8000 bytes, and an output or an error can be far larger, so those are read from the run's row by
 * the receiving process, and only when one of its listeners wants that event.
 */
interface WireEvent {
  /** The publishing process: a process skips what it published itself (its listeners had it already). */
  o: string;
  e: ZapJobsEventName;
  r: string;
  j: string;
  q?: string;
  a?: number;
  /** started: the worker. */
  w?: string;
  /** started: how long the run waited from due to start. */
  m?: number;
  /** completed, failed, retrying: the attempt's duration. */
  d?: number;
  /** retrying: when, in Unix ms. */
  t?: number;
}

/** Below NOTIFY's 8000 bytes with room to spare; a longer event (a job id of kilobytes) is not relayed. */
const MAX_WIRE_BYTES = 7900;

/**
 * Carries run events between processes on one database when `events: { crossProcess: true }`:
 * every event this process emits is published (batched per turn of the event loop: one statement
 * for all the events of a flush of completions), and every event another process published is
 * delivered to this process's listeners with `remote: true`. At-most-once: an event published
 * while a process is down, or lost with a dropped connection, is not replayed.
 */
@Injectable()
export class EventRelay {
  private readonly logger = new Logger('ZapJobs');
  private readonly origin = randomUUID();
  private outbox: string[] = [];
  private flushScheduled = false;
  private publishing: Promise<void> = Promise.resolve();
  /** Remote events are delivered one after another, in the order heard, though some need a read first. */
  private delivering: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | undefined;
  private started = false;

  constructor(
    private readonly storage: EngineStorage,
    private readonly events: ZapJobsEvents,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  get enabled(): boolean {
    return this.options.events.crossProcess;
  }

  async start(): Promise<void> {
    if (!this.enabled || this.started) return;
    this.started = true;
    this.events.forwardTo((event, payload) => this.publish(event, payload));
    try {
      this.unsubscribe = await this.storage.subscribeEvents((payload) => this.receive(payload), this.options.pollInterval);
    } catch (error) {
      this.logger.warn(`Listening for events of other processes failed: ${errorMessage(error)}`);
    }
  }

  /** Publishes what is buffered, then stops hearing. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.events.forwardTo(undefined);
    await this.flush();
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.delivering;
  }

  private publish<E extends ZapJobsEventName>(event: E, payload: ZapJobsEventMap[E]): void {
    const p = payload as RunEvent & { workerId?: string; waitMs?: number; durationMs?: number; retryAt?: Date };
    const wire: WireEvent = { o: this.origin, e: event, r: p.runId, j: p.jobTypeId };
    if (p.queue !== undefined) wire.q = p.queue;
    if (p.attempt !== undefined) wire.a = p.attempt;
    if (p.workerId !== undefined) wire.w = p.workerId;
    if (p.waitMs !== undefined) wire.m = p.waitMs;
    if (p.durationMs !== undefined) wire.d = p.durationMs;
    if (p.retryAt !== undefined) wire.t = p.retryAt.getTime();
    const text = JSON.stringify(wire);
    if (Buffer.byteLength(text) > MAX_WIRE_BYTES) {
      this.logger.warn(`The '${event}' event of run ${p.runId} is too large to reach other processes (${Buffer.byteLength(text)} bytes)`);
      return;
    }
    this.outbox.push(text);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    this.publishing = this.publishing.then(async () => {
      const batch = this.outbox;
      this.outbox = [];
      if (batch.length === 0) return;
      try {
        await this.storage.publishEvents(batch);
      } catch (error) {
        // At-most-once: a lost publish is not retried (listeners read the stored runs for the truth).
        this.logger.warn(`Publishing ${batch.length} event(s) to other processes failed: ${errorMessage(error)}`);
      }
    });
    return this.publishing;
  }

  private receive(text: string): void {
    let wire: WireEvent;
    try {
      wire = JSON.parse(text) as WireEvent;
    } catch {
      return;
    }
    if (wire.o === this.origin || !ZAPJOBS_EVENT_NAMES.includes(wire.e) || !this.events.listenedHere(wire.e)) return;
    this.delivering = this.delivering.then(() => this.deliver(wire)).catch((error: unknown) => {
      this.logger.warn(`Delivering a '${wire.e}' event of run ${wire.r} from another process failed: ${errorMessage(error)}`);
    });
  }

  private async deliver(wire: WireEvent): Promise<void> {
    const base: RunEvent = { runId: wire.r, jobTypeId: wire.j, remote: true };
    if (wire.q !== undefined) base.queue = wire.q;
    if (wire.a !== undefined) base.attempt = wire.a;
    const e = this.events;
    switch (wire.e) {
      case 'started':
        return e.deliverRemote('started', { ...base, workerId: wire.w ?? '', waitMs: wire.m ?? 0 });
      case 'enqueued':
      case 'cancelled':
        return e.deliverRemote(wire.e, base);
    }
    // The large parts are read from the row: what was stored is what the listener gets.
    const run = await this.storage.getRun(wire.r);
    const error = new Error(run?.errorMessage ?? 'the run failed');
    if (wire.e === 'completed') e.deliverRemote('completed', { ...base, output: run?.output, durationMs: wire.d ?? 0 });
    else if (wire.e === 'failed') e.deliverRemote('failed', { ...base, error, durationMs: wire.d ?? 0 });
    else if (wire.e === 'retrying') e.deliverRemote('retrying', { ...base, error, retryAt: new Date(wire.t ?? Date.now()), durationMs: wire.d ?? 0 });
    else if (wire.e === 'progress') e.deliverRemote('progress', { ...base, progress: run?.progress });
  }
}
