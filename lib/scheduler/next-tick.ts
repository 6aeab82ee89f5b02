import { ScheduleType } from '../model/statuses.js';
import { CronSchedule } from './cron-schedule.js';

export interface ScheduleSpec {
  type: ScheduleType;
  cron?: string | null;
  intervalMs?: number | null;
  timezone?: string | null;
}

/** The first tick of a schedule strictly after `after` (null: no schedule). */
export function nextTick(spec: ScheduleSpec, after: Date): Date | null {
  switch (spec.type) {
    case ScheduleType.Cron:
      return new CronSchedule(spec.cron as string, spec.timezone ?? 'UTC').nextAfter(after);
    case ScheduleType.Interval:
      return new Date(after.getTime() + (spec.intervalMs as number));
    default:
      return null;
  }
}
