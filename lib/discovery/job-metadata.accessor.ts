import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JOB_METADATA } from '../zapjobs.constants.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';

/** The one place that reads `@Job()` metadata. */
@Injectable()
export class JobMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getJobOptions(target: Type<unknown> | Function): JobOptions | undefined {
    return this.reflector.get<JobOptions | undefined>(JOB_METADATA, target);
  }
}

/** The job id of a handler class, without Nest: for `enqueue(SendEmailJob, ...)`. */
export function jobIdOf(target: Function): string | undefined {
  return (Reflect.getMetadata(JOB_METADATA, target) as JobOptions | undefined)?.id;
}
