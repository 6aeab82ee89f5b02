import { Inject, Injectable, Logger, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InvalidJobHandlerError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';
import type { JobHandler } from '../interfaces/job-context.interface.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { parseDuration } from '../util/duration.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { JobMetadataAccessor } from './job-metadata.accessor.js';
import { JobRegistry, type RegisteredJob } from './job-registry.js';
import { resolveScheduleSpec } from './schedule-spec.js';

/** Finds `@Job()` providers at bootstrap, checks them, and fills the registry. */
@Injectable()
export class JobExplorer {
  private readonly logger = new Logger('ZapJobs');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: JobMetadataAccessor,
    private readonly registry: JobRegistry,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  explore(): RegisteredJob[] {
    const seen = new Map<string, string>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as Type<unknown> | undefined;
      if (!metatype || typeof metatype !== 'function') continue;
      const jobOptions = this.accessor.getJobOptions(metatype);
      if (!jobOptions) continue;
      const className = metatype.name;
      if (typeof jobOptions.id !== 'string' || jobOptions.id.trim() === '') {
        throw new InvalidJobHandlerError(`@Job() on ${className} needs a non-empty string id.`);
      }
      const previous = seen.get(jobOptions.id);
      if (previous !== undefined) {
        if (previous === className && this.registry.get(jobOptions.id)?.metatype === metatype) continue;
        throw new InvalidJobHandlerError(messages.duplicateJobId(jobOptions.id, previous, className));
      }
      if (!wrapper.isDependencyTreeStatic()) {
        // A request-scoped handler has no instance outside an HTTP request; a job runs outside any.
        throw new InvalidJobHandlerError(
          `@Job class ${className} is request-scoped (or depends on a request-scoped provider). ` +
            `Job handlers run outside any request: make it a singleton (the default scope).`,
        );
      }
      const instance = wrapper.instance as JobHandler | undefined;
      if (!instance || typeof instance.handle !== 'function') {
        throw new InvalidJobHandlerError(messages.missingHandle(className));
      }
      seen.set(jobOptions.id, className);
      this.registry.add(this.resolve(jobOptions, className, metatype, instance));
    }
    const jobs = this.registry.all();
    this.logger.log(`Discovered ${jobs.length} job handler(s): ${jobs.map((job) => job.id).join(', ') || 'none'}`);
    return jobs;
  }

  private resolve(options: JobOptions, className: string, metatype: Type<unknown>, instance: JobHandler): RegisteredJob {
    const field = (name: string) => `@Job({ id: '${options.id}' }) on ${className}: ${name}`;
    const defaults = this.options.retryPolicy;
    const policy = options.retryPolicy ?? {};
    const schedule: RegisteredJob['schedule'] = {
      ...resolveScheduleSpec(options, `@Job({ id: '${options.id}' }) on ${className}`, false),
      misfire: options.misfire ?? 'once',
      preventOverlap: options.preventOverlap ?? false,
    };
    if (options.maxRetries !== undefined && (!Number.isInteger(options.maxRetries) || options.maxRetries < 0)) {
      throw new InvalidJobHandlerError(`${field('maxRetries')} must be an integer >= 0, got ${options.maxRetries}.`);
    }
    return {
      id: options.id,
      options,
      className,
      metatype,
      instance,
      queue: options.queue ?? 'default',
      priority: options.priority ?? 0,
      timeoutMs: options.timeout === undefined ? this.options.defaultTimeout : parseDuration(options.timeout, field('timeout')),
      maxRetries: options.maxRetries ?? this.options.defaultMaxRetries,
      retryPolicy: {
        initialDelay: policy.initialDelay === undefined ? defaults.initialDelay : parseDuration(policy.initialDelay, field('retryPolicy.initialDelay')),
        multiplier: policy.multiplier ?? defaults.multiplier,
        maxDelay: policy.maxDelay === undefined ? defaults.maxDelay : parseDuration(policy.maxDelay, field('retryPolicy.maxDelay')),
        jitter: policy.jitter ?? defaults.jitter,
      },
      schedule,
    };
  }
}
