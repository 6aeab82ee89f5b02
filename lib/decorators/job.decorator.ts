import { Injectable, SetMetadata } from '@nestjs/common';
import { JOB_METADATA } from '../zapjobs.constants.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';

/** Where Nest keeps `@Injectable({ scope })` (SCOPE_OPTIONS_METADATA in @nestjs/common). */
const SCOPE_OPTIONS = 'scope:options';

/**
 * Marks a provider class as the handler of a job type: ZapJobs discovers it at bootstrap, stores
 * its definition, and calls its `handle(ctx)` for each attempt. List the class in a module's providers.
 */
export function Job<Input = unknown>(options: JobOptions<Input>): ClassDecorator {
  return (target) => {
    // Keep a scope set by an @Injectable() below this decorator, so that the explorer can refuse a
    // request-scoped handler instead of silently turning it into a singleton.
    Injectable(Reflect.getMetadata(SCOPE_OPTIONS, target))(target);
    SetMetadata(JOB_METADATA, options)(target);
  };
}
