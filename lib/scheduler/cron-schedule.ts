import { CronTime } from 'cron';
import { InvalidScheduleError } from '../errors/errors.js';

/**
 * Cron parsing and next-tick arithmetic, through the `cron` package that @nestjs/schedule uses.
 * The time zone is passed on every call: CronTime otherwise falls back to the machine's zone.
 */
export class CronSchedule {
  private readonly time: CronTime;

  constructor(readonly expression: string, readonly timezone = 'UTC') {
    try {
      this.time = new CronTime(expression, timezone);
    } catch (error) {
      const reason = (error as Error).message;
      const what = /timezone/i.test(reason) ? `time zone '${timezone}'` : `cron expression '${expression}'`;
      throw new InvalidScheduleError(`Invalid ${what}: ${reason}`);
    }
  }

  /** The first tick strictly after `after`. */
  nextAfter(after: Date): Date {
    return this.time.getNextDateFrom(after, this.timezone).toJSDate();
  }
}
