import { Logger, type InjectionToken } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { ScheduleExplorer } from '@nestjs/schedule';
import type { JobExplorer } from '../discovery/job-explorer.js';
import type { JobRegistry, RegisteredJob } from '../discovery/job-registry.js';
import { unknownKeys } from '../util/unknown-keys.js';
import { InvalidJobHandlerError, InvalidOptionsError, InvalidScheduleError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { JobContext } from '../interfaces/job-context.interface.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';
import { ADOPT_SCHEDULE_METADATA } from '../zapjobs.constants.js';
import { ADOPTED_JOB_OPTION_KEYS, type AdoptedJobOptions } from './adopt-schedule.decorator.js';
import { scheduledMethodOf, type ScheduledMethod } from './schedule-metadata.js';

export interface ScheduleAdoptionDeps {
  discovery: DiscoveryService;
  scanner: MetadataScanner;
  modules: ModulesContainer;
  explorer: JobExplorer;
  registry: JobRegistry;
  /** Adopt every @Cron()/@Interval() method, not only the marked ones. */
  adoptAll: boolean;
  /** The provider that calls this, to find ZapJobs' module among the modules. */
  hookToken: InjectionToken;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Takes @nestjs/schedule's @Cron() and @Interval() methods (all, or those marked @AdoptSchedule())
 * and registers each as a ZapJobs job with that schedule; returns the jobs it registered.
 *
 * How the method is kept from @nestjs/schedule's own timers: its ScheduleExplorer registers, in its
 * onModuleInit, every method whose `instance[name]` carries @Cron()/@Interval() metadata. This runs
 * before it (checked below) and gives each adopted instance an own property of that name: a plain
 * function that calls the original method, with no metadata. The explorer then sees nothing to
 * schedule, so no timer is ever created and nothing needs removing from SchedulerRegistry afterwards
 * (which could not name an unnamed job, and would leave a window in which a tick fires locally). The
 * class and its metadata are untouched: another app in the process, and unadopted methods, keep
 * @nestjs/schedule's behaviour and SchedulerRegistry; calling the method directly still works.
 */
export function adoptSchedules(deps: ScheduleAdoptionDeps): RegisteredJob[] {
  assertRunsBeforeScheduleExplorer(deps.modules, deps.hookToken);
  const adopted: RegisteredJob[] = [];
  // The explorer scans controllers too, so a @Cron() on a controller is adoptable as well.
  for (const wrapper of [...deps.discovery.getControllers(), ...deps.discovery.getProviders()]) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (wrapper.isAlias || !instance || !Object.getPrototypeOf(instance)) continue;
    for (const key of deps.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
      const job = adoptMethod(deps, wrapper, instance, key);
      if (job) adopted.push(job);
    }
  }
  if (adopted.length > 0) {
    new Logger('ZapJobs').log(`Adopted ${adopted.length} @nestjs/schedule method(s): ${adopted.map((job) => job.id).join(', ')}`);
  }
  return adopted;
}

function adoptMethod(deps: ScheduleAdoptionDeps, wrapper: InstanceWrapper, instance: Record<string, unknown>, key: string): RegisteredJob | undefined {
  const method = instance[key] as Method;
  const marker = Reflect.getMetadata(ADOPT_SCHEDULE_METADATA, method) as AdoptedJobOptions | undefined;
  const scheduled = scheduledMethodOf(method);
  const className = (wrapper.metatype as { name?: string } | undefined)?.name || instance.constructor.name;
  const methodName = `${className}.${key}`;
  if (!scheduled) {
    if (marker) throw new InvalidJobHandlerError(messages.adoptionMarkerWithoutSchedule(`@AdoptSchedule() on ${methodName}`));
    return undefined;
  }
  if (!marker && !deps.adoptAll) return undefined;
  // A request-scoped provider has no instance to call outside a request: @nestjs/schedule only warns
  // about its methods and never runs them. Skipped likewise under adopt: true; refused when marked.
  if (!wrapper.isDependencyTreeStatic()) {
    if (marker) throw new InvalidJobHandlerError(messages.adoptedRequestScoped(`@AdoptSchedule() on ${methodName}`));
    return undefined;
  }
  const where = `${scheduled.type === 'cron' ? '@Cron()' : '@Interval()'} on ${methodName} (adopted by ZapJobs)`;
  const markerOptions = marker ?? {};
  const unknown = unknownKeys(markerOptions, ADOPTED_JOB_OPTION_KEYS);
  if (unknown.length > 0) {
    throw new InvalidJobHandlerError(messages.unknownKeys(`@AdoptSchedule() on ${methodName}`, unknown, ADOPTED_JOB_OPTION_KEYS));
  }
  if (markerOptions.id !== undefined && (typeof markerOptions.id !== 'string' || markerOptions.id.trim() === '')) {
    throw new InvalidJobHandlerError(messages.adoptedBlankId(`@AdoptSchedule() on ${methodName}`, markerOptions.id));
  }
  const options: JobOptions = {
    ...scheduleOptionsOf(scheduled, where),
    ...markerOptions,
    id: markerOptions.id ?? scheduled.name ?? methodName,
  };
  const existing = deps.registry.get(options.id);
  if (existing) throw new InvalidJobHandlerError(messages.duplicateJobId(options.id, existing.className, methodName));
  const handler = { handle: (ctx: JobContext<unknown>) => method.call(instance, ctx) };
  const job = deps.explorer.resolve(options, where, methodName, wrapper.metatype as RegisteredJob['metatype'], handler);
  deps.registry.add(job);
  Object.defineProperty(instance, key, {
    value: function adoptedByZapJobs(this: unknown, ...args: unknown[]) {
      return method.apply(this, args);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return job;
}

/** The @Job() schedule keys from what @Cron()/@Interval() recorded; the adopted run gets ctx as its argument. */
function scheduleOptionsOf(scheduled: ScheduledMethod, where: string): Omit<JobOptions, 'id'> {
  if (scheduled.type === 'interval') return { interval: scheduled.timeoutMs as number };
  const { cronTime, timeZone, utcOffset, disabled, waitForCompletion } = scheduled.options as {
    cronTime: unknown; timeZone?: unknown; utcOffset?: unknown; disabled?: boolean; waitForCompletion?: boolean;
  };
  if (typeof cronTime !== 'string') throw new InvalidScheduleError(messages.adoptedCronNotString(where, cronTime));
  if (utcOffset !== undefined) throw new InvalidScheduleError(messages.adoptedUtcOffset(where));
  return {
    cron: cronTime,
    timezone: timeZone as string | undefined,
    // As @Job({ enabled }): declared in code, applied at every start; not declared, setEnabled() stands.
    enabled: disabled === undefined ? undefined : !disabled,
    // waitForCompletion: "no new instance until the current onTick has completed", across all processes now.
    preventOverlap: waitForCompletion === true,
  };
}

/**
 * Nest runs each module's onModuleInit in turn, in the order of getModulesToTriggerHooksOn(): by
 * distance, global modules (the same distance) in the order they were imported. If @nestjs/schedule's
 * module came first, its explorer has already taken the methods: refuse to start rather than let
 * them fire in every process as well.
 */
function assertRunsBeforeScheduleExplorer(modules: ModulesContainer, hookToken: InjectionToken): void {
  const ordered = [...modules.values()].sort((a, b) => b.distance - a.distance);
  const ours = ordered.findIndex((module) => module.providers.has(hookToken));
  const theirs = ordered.findIndex((module) => module.providers.has(ScheduleExplorer));
  if (theirs !== -1 && theirs < ours) throw new InvalidOptionsError([messages.adoptionModuleOrder()]);
}
