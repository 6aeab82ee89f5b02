import { Inject, Injectable, Logger, type Type } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { InvalidJobHandlerError } from '../errors/errors.js';
import { messages, shownValue } from '../errors/messages.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';
import type { JobContext, JobHandler } from '../interfaces/job-context.interface.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { checkUnique } from '../storage/unique.js';
import { parseDuration } from '../util/duration.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { JobMetadataAccessor } from './job-metadata.accessor.js';
import { JobRegistry, type RegisteredJob } from './job-registry.js';
import { JOB_OPTION_KEYS, RETRY_POLICY_KEYS } from './job-option-keys.js';
import { resolveJobLimits } from './job-limits.js';
import { resolveScheduleSpec } from './schedule-spec.js';
import { unknownKeys } from '../util/unknown-keys.js';

/** Finds `@Job()` providers at bootstrap, checks them, and fills the registry. */
@Injectable()
export class JobExplorer {
  private readonly logger = new Logger('ZapJobs');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: JobMetadataAccessor,
    private readonly registry: JobRegistry,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * `internal`: handlers ZapJobs itself adds (the webhook delivery), registered as if discovered
   * but without being providers, so an application without them has no such definition.
   */
  explore(internal: JobHandler[] = []): RegisteredJob[] {
    const seen = new Map<string, string>();
    for (const instance of internal) {
      const metatype = instance.constructor as Type<unknown>;
      const options = this.accessor.getJobOptions(metatype) as JobOptions;
      seen.set(options.id, metatype.name);
      this.registry.add(this.resolve(options, `internal job '${options.id}'`, metatype.name, metatype, instance));
    }
    for (const wrapper of this.discovery.getProviders()) {
      const found = this.jobOf(wrapper);
      if (!found) continue;
      const { options: jobOptions, target: metatype } = found;
      const className = metatype.name;
      if (typeof jobOptions.id !== 'string' || jobOptions.id.trim() === '') {
        throw new InvalidJobHandlerError(messages.blankJobId(className));
      }
      const previous = seen.get(jobOptions.id) ?? this.registry.get(jobOptions.id)?.className;
      if (previous !== undefined) {
        if (previous === className && this.registry.get(jobOptions.id)?.metatype === metatype) continue;
        throw new InvalidJobHandlerError(messages.duplicateJobId(jobOptions.id, previous, className));
      }
      const perRun = !wrapper.isDependencyTreeStatic() || wrapper.isTransient || dependsOnTransient(wrapper);
      // A per-run class is not constructed yet: its prototype says whether it has handle().
      const instance = (wrapper.instance ?? (perRun ? metatype.prototype : undefined)) as JobHandler | undefined;
      if (!instance || typeof instance.handle !== 'function') {
        throw new InvalidJobHandlerError(messages.missingHandle(className, describeProvider(wrapper)));
      }
      const where = `@Job({ id: '${jobOptions.id}' }) on ${className}`;
      checkKeys(jobOptions, JOB_OPTION_KEYS, where);
      seen.set(jobOptions.id, className);
      const job = this.resolve(jobOptions, where, className, metatype, instance);
      if (perRun) job.perRun = this.perRunResolver(wrapper);
      this.registry.add(job);
    }
    const jobs = this.registry.all();
    this.logger.log(`Discovered ${jobs.length} job handler(s): ${jobs.map((job) => job.id).join(', ') || 'none'}`);
    return jobs;
  }

  /**
   * A request- or transient-scoped handler (or one that depends on such a provider: Nest bubbles the
   * scope up) is built per run, as @nestjs/bullmq builds a request-scoped processor per job: a new
   * context id, the run's JobContext registered as its "request" (JOB_CONTEXT is REQUEST), and
   * ModuleRef.resolve() in the module that declares the provider. Nest keeps per-context instances in
   * WeakMaps keyed by the context id, so once the attempt drops it the whole sub-tree can be collected.
   */
  private perRunResolver(wrapper: InstanceWrapper): (ctx: JobContext<unknown>) => Promise<JobHandler> {
    const host = wrapper.host?.getProviderByKey<ModuleRef>(ModuleRef)?.instance;
    const moduleRef = host ?? this.moduleRef;
    const token = wrapper.token;
    // A static (singleton) class whose tree holds a transient provider: Nest would give it one
    // transient instance for good, and resolve() would return the singleton. ModuleRef.create()
    // builds the class anew instead, with fresh transients; its singleton dependencies stay shared.
    const metatype = wrapper.metatype as Type<JobHandler> | undefined;
    const create = wrapper.isDependencyTreeStatic() && !wrapper.isTransient && !wrapper.isFactory && metatype !== undefined;
    return async (ctx) => {
      const contextId = ContextIdFactory.create();
      moduleRef.registerRequestByContextId(ctx, contextId);
      if (create) return moduleRef.create(metatype, contextId);
      return moduleRef.resolve<JobHandler>(token, contextId, { strict: host !== undefined });
    };
  }

  /**
   * The @Job metadata of a provider, and the class that carries it, however it is provided: the
   * class itself or useClass (metatype), useValue or useFactory (the instance's class; a factory's
   * metatype is the factory function), or a provider whose token is a @Job class (overrideProvider
   * in a test, say). Two different @Job classes behind one provider are refused, not guessed between.
   */
  private jobOf(wrapper: InstanceWrapper): { options: JobOptions; target: Type<unknown> } | undefined {
    const candidates = [
      wrapper.isFactory ? undefined : wrapper.metatype,
      (wrapper.instance as object | undefined)?.constructor,
      wrapper.token,
    ];
    let found: { options: JobOptions; target: Type<unknown> } | undefined;
    for (const candidate of candidates) {
      if (typeof candidate !== 'function' || candidate === Object) continue;
      const options = this.accessor.getJobOptions(candidate);
      if (!options || found?.target === candidate) continue;
      if (found && found.options.id !== options.id) {
        throw new InvalidJobHandlerError(messages.twoJobClassesInOneProvider(describeProvider(wrapper), found.target.name, candidate.name));
      }
      found ??= { options, target: candidate as Type<unknown> };
    }
    return found;
  }

  /**
   * A job's options resolved against the module's defaults, checked: also for the @nestjs/schedule
   * methods ZapJobs adopts. `where` starts every error ("@Job({ id: 'x' }) on X").
   */
  resolve(options: JobOptions, where: string, className: string, metatype: Type<unknown>, instance: JobHandler): RegisteredJob {
    const field = (name: string) => `${where}: ${name}`;
    const defaults = this.options.retryPolicy;
    const policy = checkRetryPolicy(options.retryPolicy, field('retryPolicy'));
    checkChoice(options.misfire, ['once', 'skip'], field('misfire'));
    for (const flag of ['preventOverlap', 'enabled'] as const) checkChoice(options[flag], [true, false], field(flag));
    const schedule: RegisteredJob['schedule'] = {
      ...resolveScheduleSpec(options, where, false),
      misfire: options.misfire ?? 'once',
      preventOverlap: options.preventOverlap ?? false,
    };
    if (options.maxRetries !== undefined && (!Number.isInteger(options.maxRetries) || options.maxRetries < 0)) {
      throw new InvalidJobHandlerError(messages.badMaxRetries(field('maxRetries'), options.maxRetries));
    }
    // Checked here so that a bad default fails start-up, not every enqueue of the job.
    const { queue, priority } = options;
    if (queue !== undefined && (typeof queue !== 'string' || queue === '' || queue.includes('\u0000'))) {
      throw new InvalidJobHandlerError(messages.badQueue(field('queue'), queue));
    }
    if (priority !== undefined && (!Number.isInteger(priority) || priority < -(2 ** 31) || priority > 2 ** 31 - 1)) {
      throw new InvalidJobHandlerError(messages.badPriority(field('priority'), priority));
    }
    checkUnique(options.unique, field('unique'), (message) => new InvalidJobHandlerError(message));
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
      limits: resolveJobLimits(options, where),
      unique: options.unique === false ? undefined : options.unique,
    };
  }
}

/** Whether a transient provider sits anywhere in the provider's dependency tree. */
function dependsOnTransient(wrapper: InstanceWrapper, registry: string[] = []): boolean {
  return wrapper.introspectDepsAttribute(
    (collection, seen) => collection.some((item) => item !== undefined && (item.isTransient || dependsOnTransient(item, seen))),
    registry,
  );
}

function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** @Job({ timeZone }) (the @nestjs/schedule spelling) would otherwise be ignored: cron in UTC, silently. */
/**
 * A job's retryPolicy, checked as the module's is (an object of known fields, multiplier >= 1,
 * jitter from 0 to 1): checked at start-up, a bad one would otherwise fail the run's first retry
 * while it is being recorded.
 */
function checkRetryPolicy(policy: unknown, where: string): NonNullable<JobOptions['retryPolicy']> {
  if (policy === undefined) return {};
  if (!isPlainObject(policy)) throw new InvalidJobHandlerError(`${where} must be an object such as { initialDelay: '5s', multiplier: 2 }, got ${shownValue(policy)}.`);
  checkKeys(policy, RETRY_POLICY_KEYS, where);
  const { multiplier, jitter } = policy as NonNullable<JobOptions['retryPolicy']>;
  if (multiplier !== undefined && (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1)) {
    throw new InvalidJobHandlerError(`${where}.multiplier must be a number >= 1, got ${shownValue(multiplier)}.`);
  }
  if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))) {
    throw new InvalidJobHandlerError(`${where}.jitter must be a number from 0 to 1, got ${shownValue(jitter)}.`);
  }
  return policy as NonNullable<JobOptions['retryPolicy']>;
}

/** An option of a few allowed values: anything else would be stored, or read, as the default. */
function checkChoice(value: unknown, allowed: readonly unknown[], where: string): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new InvalidJobHandlerError(`${where} must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${shownValue(value)}.`);
  }
}

function checkKeys(options: object, known: readonly string[], where: string): void {
  const unknown = unknownKeys(options, known);
  if (unknown.length > 0) throw new InvalidJobHandlerError(messages.unknownKeys(where, unknown, known));
}

/** How a provider is written, for errors: "SendEmailJob", "useFactory for 'EMAIL_JOB'". */
function describeProvider(wrapper: InstanceWrapper): string {
  const token = typeof wrapper.token === 'function' ? wrapper.token.name : String(wrapper.token);
  if (wrapper.isFactory) return `the useFactory provider of '${token}'`;
  if (wrapper.isNotMetatype) return `the useValue provider of '${token}'`;
  return wrapper.metatype && wrapper.metatype !== wrapper.token ? `the useClass provider of '${token}'` : `the provider ${token}`;
}
