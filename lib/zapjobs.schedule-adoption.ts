import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { JobExplorer } from './discovery/job-explorer.js';
import { JobRegistry } from './discovery/job-registry.js';
import { ZapJobsError } from './errors/zapjobs.error.js';
import { InvalidOptionsError } from './errors/errors.js';
import { messages } from './errors/messages.js';
import type { ResolvedZapJobsOptions } from './options/resolved-options.js';
import { ADOPT_SCHEDULE_METADATA, ZAPJOBS_OPTIONS } from './zapjobs.constants.js';

/**
 * Adopts @nestjs/schedule methods when asked: `schedule: { adopt: true }`, or a method marked
 * @AdoptSchedule(). Only then is '@nestjs/schedule' loaded (an optional peer: an app without it,
 * or not adopting, never imports it). It runs in onModuleInit, before @nestjs/schedule's explorer
 * (see schedule-adoption/schedule-adopter.ts), and touches no database: registering the jobs is
 * enough, their definitions are stored with every other job's at bootstrap.
 */
@Injectable()
export class ScheduleAdoptionHook implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly modules: ModulesContainer,
    private readonly explorer: JobExplorer,
    private readonly registry: JobRegistry,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.schedule.adopt && !this.anyMarked()) return;
    let adopter: typeof import('./schedule-adoption/schedule-adopter.js');
    try {
      adopter = await import('./schedule-adoption/schedule-adopter.js');
    } catch (error) {
      if (error instanceof ZapJobsError) throw error;
      throw new InvalidOptionsError([messages.scheduleNotInstalled((error as Error).message)], { cause: error });
    }
    adopter.adoptSchedules({
      discovery: this.discovery,
      scanner: this.scanner,
      modules: this.modules,
      explorer: this.explorer,
      registry: this.registry,
      adoptAll: this.options.schedule.adopt,
      hookToken: ScheduleAdoptionHook,
    });
  }

  /** Whether any method carries @AdoptSchedule(): ZapJobs' own metadata, read without @nestjs/schedule. */
  private anyMarked(): boolean {
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      const prototype = instance ? (Object.getPrototypeOf(instance) as object | null) : null;
      if (!instance || !prototype) continue;
      for (const key of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[key];
        if (typeof method === 'function' && Reflect.hasMetadata(ADOPT_SCHEDULE_METADATA, method)) return true;
      }
    }
    return false;
  }
}
