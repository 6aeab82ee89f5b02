import { Injectable } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import type { JobContext, JobHandler } from '../interfaces/job-context.interface.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';
import type { UniqueOptions } from '../interfaces/enqueue-options.interface.js';
import type { ResolvedRetryPolicy } from '../options/resolved-options.js';
import type { ScheduleSpec } from '../scheduler/next-tick.js';
import type { JobLimits } from './job-limits.js';

/** A discovered handler with its options resolved against the module defaults. */
export interface RegisteredJob {
  id: string;
  options: JobOptions;
  className: string;
  metatype: Type<unknown>;
  /** The singleton every run calls; for a per-run handler, its static placeholder (never called). */
  instance: JobHandler;
  /**
   * Set when the handler's DI tree is request- or transient-scoped: builds a fresh sub-tree for one
   * run, with `ctx` under JOB_CONTEXT. Unset for singletons, the default, which cost nothing per run.
   */
  perRun?: (ctx: JobContext<unknown>) => Promise<JobHandler>;
  queue: string;
  priority: number;
  timeoutMs: number;
  maxRetries: number;
  retryPolicy: ResolvedRetryPolicy;
  schedule: ScheduleSpec & { misfire: 'once' | 'skip'; preventOverlap: boolean };
  /** Concurrency and rate limits across processes (null: none). */
  limits: JobLimits;
  /** The job's default `unique` for enqueue() and trigger() (checked at discovery), or none. */
  unique?: UniqueOptions | true;
}

/** job id -> handler, filled once at bootstrap by the explorer. */
@Injectable()
export class JobRegistry {
  private readonly jobs = new Map<string, RegisteredJob>();

  add(job: RegisteredJob): void {
    this.jobs.set(job.id, job);
  }

  get(id: string): RegisteredJob | undefined {
    return this.jobs.get(id);
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  all(): RegisteredJob[] {
    return [...this.jobs.values()];
  }

  ids(): string[] {
    return [...this.jobs.keys()];
  }
}
