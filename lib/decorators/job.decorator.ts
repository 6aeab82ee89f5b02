import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { JOB_METADATA } from '../zapjobs.constants.js';
import type { JobOptions } from '../interfaces/job-options.interface.js';

/**
 * Marks a provider class as the handler of a job type: ZapJobs discovers it at bootstrap, stores
 * its definition, and calls its `handle(ctx)` for each attempt. List the class in a module's providers.
 */
export function Job<Input = unknown>(options: JobOptions<Input>): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(JOB_METADATA, options));
}
