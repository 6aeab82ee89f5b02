import { CronTime } from 'cron';
import { InvalidScheduleError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';

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
      throw new InvalidScheduleError(messages.invalidCron(what, reason), { cause: error });
    }
    // '0 0 30 2 *' parses but never fires: `cron` only says so when asked for a date, as a raw
    // CronError, at the scheduler's first tick. Ask once now, so it fails where it was written.
    this.nextAfter(new Date());
  }

  /** The first tick strictly after `after`. */
  nextAfter(after: Date): Date {
    try {
      return this.time.getNextDateFrom(after, this.timezone).toJSDate();
    } catch (error) {
      throw new InvalidScheduleError(messages.cronNeverFires(this.expression, this.timezone), { cause: error });
    }
  }
}
