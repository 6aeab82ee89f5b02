import { InvalidDurationError, InvalidScheduleError } from '../errors/errors.js';
import { unknownKeys } from '../util/unknown-keys.js';
import { messages, shownValue } from '../errors/messages.js';
import { ScheduleType } from '../model/statuses.js';
import { CronSchedule } from '../scheduler/cron-schedule.js';
import type { ScheduleSpec } from '../scheduler/next-tick.js';
import { parseDuration, type Duration } from '../util/duration.js';

/**
 * The shortest interval schedule: 100 ms, ten runs a second. Each tick is a claimed database
 * transaction and a stored run; below this a schedule outruns its own bookkeeping, and work that must
 * run continuously belongs in one long-running job. (interval: 0 enqueued ~600 runs a second.)
 */
export const MIN_SCHEDULE_INTERVAL_MS = 100;

/** The schedule keys of `@Job()` and of `JobScheduler.schedule()`. */
export interface ScheduleFields {
  cron?: unknown;
  timezone?: unknown;
  interval?: unknown;
}

/**
 * Checks a schedule and returns it as stored: one rule for `@Job()` at discovery and for
 * `JobScheduler.schedule()` at run time. `where` starts every message ("@Job({ id: 'x' }) on X",
 * "schedule('x')"); `required`: one of cron and interval must be given. Throws InvalidScheduleError.
 */
export function resolveScheduleSpec(fields: ScheduleFields, where: string, required: boolean): ScheduleSpec {
  const { cron, timezone, interval } = fields;
  if (cron !== undefined && interval !== undefined) throw new InvalidScheduleError(messages.scheduleBoth(where));
  if (cron === undefined && interval === undefined) {
    if (required) throw new InvalidScheduleError(messages.scheduleNeither(where));
    if (timezone !== undefined) throw new InvalidScheduleError(messages.timezoneWithoutCron(where));
    return { type: ScheduleType.None };
  }
  if (interval !== undefined) {
    if (timezone !== undefined) throw new InvalidScheduleError(messages.timezoneWithoutCron(where));
    let intervalMs: number;
    try {
      intervalMs = parseDuration(interval as Duration, `${where}: interval`, {
        min: MIN_SCHEDULE_INTERVAL_MS,
        why: 'each tick stores a run; work that runs continuously belongs in one long-running job',
      });
    } catch (error) {
      if (!(error instanceof InvalidDurationError)) throw error;
      throw new InvalidScheduleError(error.message, { cause: error });
    }
    return { type: ScheduleType.Interval, intervalMs };
  }
  if (typeof cron !== 'string') throw new InvalidScheduleError(messages.scheduleNotString(where, 'cron', cron));
  if (timezone !== undefined && typeof timezone !== 'string') {
    throw new InvalidScheduleError(messages.scheduleNotString(where, 'timezone', timezone));
  }
  const zone = timezone ?? 'UTC';
  try {
    new CronSchedule(cron, zone);
  } catch (error) {
    throw new InvalidScheduleError(`${where}: cron: ${(error as Error).message}`, { cause: error });
  }
  return { type: ScheduleType.Cron, cron, timezone: zone };
}

/** The keys `JobScheduler.schedule()` takes. */
export const SCHEDULE_OPTION_KEYS: readonly string[] = ['cron', 'interval', 'timezone'];

/** `JobScheduler.schedule(job, options)`: an object with exactly one of cron and interval, no other key. */
export function resolveRuntimeSchedule(options: unknown, where: string): ScheduleSpec {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidScheduleError(messages.scheduleNotObject(where, options));
  }
  const unknown = unknownKeys(options, SCHEDULE_OPTION_KEYS);
  if (unknown.length > 0) throw new InvalidScheduleError(messages.unknownKeys(where, unknown, SCHEDULE_OPTION_KEYS));
  return resolveScheduleSpec(options as ScheduleFields, where, true);
}

/** The keys a named schedule takes: `schedule(job, { key, cron | interval, timezone, input, misfire, enabled })`. */
export const NAMED_SCHEDULE_OPTION_KEYS: readonly string[] = ['key', ...SCHEDULE_OPTION_KEYS, 'input', 'misfire', 'enabled'];

export interface NamedScheduleSpec extends ScheduleSpec {
  key: string;
  misfire: 'once' | 'skip';
  enabled: boolean;
}

/** Longest schedule key: it is a primary key, shown in listings and errors. */
export const MAX_SCHEDULE_KEY_LENGTH = 200;

/**
 * `JobScheduler.schedule(job, { key, ... })`: the timing checked as a default schedule's is, plus
 * the key (a non-empty string), misfire ('once' or 'skip') and enabled (a boolean). The input is the
 * caller's to check (as an enqueue's). Throws InvalidScheduleError naming the field.
 */
export function resolveNamedSchedule(options: Record<string, unknown>, jobTypeId: string): NamedScheduleSpec {
  const { key, misfire, enabled } = options;
  if (typeof key !== 'string' || key === '' || key.length > MAX_SCHEDULE_KEY_LENGTH || key.includes('\u0000')) {
    throw new InvalidScheduleError(messages.badScheduleKey(jobTypeId, key, MAX_SCHEDULE_KEY_LENGTH));
  }
  const where = `schedule('${jobTypeId}', { key: '${key}' })`;
  const unknown = unknownKeys(options, NAMED_SCHEDULE_OPTION_KEYS);
  if (unknown.length > 0) throw new InvalidScheduleError(messages.unknownKeys(where, unknown, NAMED_SCHEDULE_OPTION_KEYS));
  if (misfire !== undefined && misfire !== 'once' && misfire !== 'skip') {
    throw new InvalidScheduleError(`${where}: misfire: expected 'once' or 'skip', got ${shownValue(misfire)}`);
  }
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new InvalidScheduleError(`${where}: enabled: expected a boolean, got ${shownValue(enabled)}`);
  }
  const spec = resolveScheduleSpec(options as ScheduleFields, where, true);
  return { ...spec, key, misfire: misfire ?? 'once', enabled: enabled ?? true };
}
