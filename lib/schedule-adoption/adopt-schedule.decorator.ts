import { SetMetadata } from '@nestjs/common';
import type { JobOptions } from '../interfaces/job-options.interface.js';
import { ADOPT_SCHEDULE_METADATA } from '../zapjobs.constants.js';

/**
 * The @Job() options an adopted method may set. The schedule itself (cron expression, timeZone,
 * name, disabled, interval) comes from its @Cron() or @Interval(); `id` defaults to the @Cron() name,
 * else 'ClassName.method'.
 */
export type AdoptedJobOptions = Partial<
  Pick<
    JobOptions,
    | 'id' | 'queue' | 'displayName' | 'description' | 'tags' | 'priority' | 'timeout' | 'maxRetries' | 'retryPolicy'
    | 'misfire' | 'preventOverlap' | 'concurrency' | 'rateLimit'
  >
>;

export const ADOPTED_JOB_OPTION_KEYS: readonly string[] = [
  'id', 'queue', 'displayName', 'description', 'tags', 'priority', 'timeout', 'maxRetries', 'retryPolicy',
  'misfire', 'preventOverlap', 'concurrency', 'rateLimit',
];

/**
 * Runs this @Cron() or @Interval() method through ZapJobs instead of @nestjs/schedule's in-process
 * timer: one fire per tick across all processes, each fire a stored run (logs, retries, listRuns).
 * Above or below the @Cron(), either order. `ZapJobsModule.forRoot({ schedule: { adopt: true } })`
 * adopts every such method without this marker.
 *
 * @example
 * @AdoptSchedule({ maxRetries: 2 })
 * @Cron('0 3 * * *', { name: 'nightly-report', timeZone: 'Europe/Paris' })
 * async nightlyReport() { ... }
 */
export function AdoptSchedule(options: AdoptedJobOptions = {}): MethodDecorator {
  return SetMetadata(ADOPT_SCHEDULE_METADATA, options);
}
