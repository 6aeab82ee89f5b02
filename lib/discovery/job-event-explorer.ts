import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { JobEventListenerMetadata } from '../decorators/on-job-event.decorator.js';
import { InvalidJobHandlerError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { ZAPJOBS_EVENT_NAMES, ZapJobsEvents } from '../events/zapjobs-events.js';
import { JOB_EVENT_LISTENER_METADATA } from '../zapjobs.constants.js';
import { jobIdOf } from './job-metadata.accessor.js';

/**
 * Finds the `@OnJobEvent()` methods of providers and controllers at bootstrap and subscribes each
 * to ZapJobsEvents (whose wrapper logs what a listener throws). A wrong event name or job fails
 * start-up with a named error, as a wrong @Job class does.
 */
@Injectable()
export class JobEventExplorer {
  private readonly logger = new Logger('ZapJobs');
  private readonly unsubscribes: Array<() => void> = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly events: ZapJobsEvents,
  ) {}

  /** Subscribes every listener found; returns how many. Idempotent: a second call subscribes nothing more. */
  explore(): number {
    if (this.unsubscribes.length > 0) return this.unsubscribes.length;
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      if (!wrapper.isDependencyTreeStatic()) {
        this.refusePerRequest(wrapper.metatype);
        continue;
      }
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name];
        if (typeof method !== 'function') continue;
        const found = this.reflector.get<JobEventListenerMetadata[] | undefined>(JOB_EVENT_LISTENER_METADATA, method);
        for (const listener of found ?? []) this.subscribe(`${prototype.constructor.name}.${name}`, listener, (payload) => method.call(instance, payload));
      }
    }
    if (this.unsubscribes.length) this.logger.log(`Subscribed ${this.unsubscribes.length} @OnJobEvent listener(s)`);
    return this.unsubscribes.length;
  }

  /** Unsubscribes them all (on shutdown). */
  clear(): void {
    for (const off of this.unsubscribes.splice(0)) off();
  }

  /** A listener on a provider built per request has no instance to call: refused, not skipped in silence. */
  private refusePerRequest(metatype: unknown): void {
    const prototype = typeof metatype === 'function' ? (metatype.prototype as object | undefined) : undefined;
    if (!prototype) return;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method === 'function' && this.reflector.get(JOB_EVENT_LISTENER_METADATA, method)) {
        throw new InvalidJobHandlerError(
          `@OnJobEvent on ${(metatype as Function).name}.${name}: the provider is request-scoped (or depends on one), so there is no instance to call; put the listener on a singleton provider`,
        );
      }
    }
  }

  private subscribe(where: string, { event, job, unknownKeys }: JobEventListenerMetadata, call: (payload: unknown) => unknown): void {
    if (unknownKeys?.length) {
      throw new InvalidJobHandlerError(`@OnJobEvent('${event}') on ${where}: ${unknownKeys.join(', ')}: not an option (expected job)`);
    }
    if (!ZAPJOBS_EVENT_NAMES.includes(event)) throw new InvalidJobHandlerError(messages.unknownEventName(`@OnJobEvent on ${where}`, event, ZAPJOBS_EVENT_NAMES));
    let jobId: string | undefined;
    if (job !== undefined) {
      jobId = typeof job === 'string' ? job : typeof job === 'function' ? jobIdOf(job) : undefined;
      if (!jobId) throw new InvalidJobHandlerError(messages.notAJob(`@OnJobEvent('${event}') on ${where}: job`, job));
    }
    this.unsubscribes.push(
      this.events.on(event, (payload) => (jobId === undefined || payload.jobTypeId === jobId ? call(payload) : undefined)),
    );
  }
}
