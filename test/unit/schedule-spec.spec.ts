import { InvalidScheduleError } from '../../lib/errors/errors.js';
import { ZapJobsError } from '../../lib/errors/zapjobs.error.js';
import { ScheduleType } from '../../lib/model/statuses.js';
import { MIN_SCHEDULE_INTERVAL_MS, resolveRuntimeSchedule, resolveScheduleSpec } from '../../lib/discovery/schedule-spec.js';

const WHERE = "schedule('tick')";

function failure(body: () => unknown): InvalidScheduleError {
  try {
    body();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error).toBeInstanceOf(ZapJobsError);
    return error as InvalidScheduleError;
  }
  throw new Error('did not throw');
}

describe('resolveScheduleSpec (one rule for @Job and schedule())', () => {
  it('reads a cron schedule, UTC by default', () => {
    expect(resolveScheduleSpec({ cron: '0 2 * * *' }, WHERE, true)).toEqual({ type: ScheduleType.Cron, cron: '0 2 * * *', timezone: 'UTC' });
    expect(resolveScheduleSpec({ cron: '0 2 * * *', timezone: 'Europe/Lisbon' }, WHERE, true))
      .toEqual({ type: ScheduleType.Cron, cron: '0 2 * * *', timezone: 'Europe/Lisbon' });
  });

  it('reads an interval schedule, down to its minimum of 100 ms', () => {
    expect(resolveScheduleSpec({ interval: '15s' }, WHERE, true)).toEqual({ type: ScheduleType.Interval, intervalMs: 15_000 });
    expect(resolveScheduleSpec({ interval: MIN_SCHEDULE_INTERVAL_MS }, WHERE, true).intervalMs).toBe(100);
    expect(resolveScheduleSpec({ interval: 300 }, WHERE, true).intervalMs).toBe(300);
  });

  it('gives no schedule when neither is given and none is required (a @Job without one)', () => {
    expect(resolveScheduleSpec({}, WHERE, false)).toEqual({ type: ScheduleType.None });
  });

  it.each<[string, Record<string, unknown>, string | RegExp]>([
    ['interval: 0', { interval: 0 }, /^schedule\('tick'\): interval: must be at least 100 ms \(each tick stores a run.*; got 0$/],
    ['interval: 99', { interval: 99 }, /interval: must be at least 100 ms.*got 99$/],
    ['a bad interval', { interval: 'soon' }, /^schedule\('tick'\): interval: must be milliseconds.*got "soon"$/],
    ['a negative interval', { interval: -1 }, /interval: must be milliseconds .*got -1$/],
    ['both', { cron: '* * * * *', interval: '1m' }, "schedule('tick'): cron and interval are exclusive: give one."],
    ['a cron that is not a string', { cron: 5 }, "schedule('tick'): cron must be a string; got 5"],
    ['a time zone that is not a string', { cron: '* * * * *', timezone: 1 }, "schedule('tick'): timezone must be a string; got 1"],
    ['a time zone with an interval', { interval: '1m', timezone: 'UTC' }, /timezone applies to a cron schedule only/],
    ['a bad cron', { cron: '61 * * * *' }, /^schedule\('tick'\): cron: Invalid cron expression '61 \* \* \* \*'/],
    ['a cron that never fires', { cron: '0 0 30 2 *' }, /^schedule\('tick'\): cron: Invalid cron expression '0 0 30 2 \*': it never fires/],
    ['an unknown time zone', { cron: '* * * * *', timezone: 'Mars/Olympus_Mons' }, /Invalid time zone 'Mars\/Olympus_Mons'/],
  ])('refuses %s with InvalidScheduleError naming where and the field', (_, fields, message) => {
    const error = failure(() => resolveScheduleSpec(fields, WHERE, false));
    expect(error.message).toMatch(message);
  });

  it('keeps the error it wraps as cause', () => {
    expect(failure(() => resolveScheduleSpec({ interval: 0 }, WHERE, true)).cause).toBeInstanceOf(ZapJobsError);
    expect(failure(() => resolveScheduleSpec({ cron: '0 0 30 2 *' }, WHERE, true)).cause).toBeInstanceOf(InvalidScheduleError);
  });
});

describe('resolveRuntimeSchedule (JobScheduler.schedule)', () => {
  it('needs exactly one of cron and interval', () => {
    expect(failure(() => resolveRuntimeSchedule({}, WHERE)).message).toBe("schedule('tick'): give exactly one of cron and interval.");
  });

  it.each([null, undefined, 'every minute', ['* * * * *']])('refuses %j instead of an options object', (value) => {
    expect(failure(() => resolveRuntimeSchedule(value, WHERE)).message).toMatch(/^schedule\('tick'\): expected an object such as/);
  });

  it("refuses an unknown key, suggesting 'timezone' for 'timeZone'", () => {
    const error = failure(() => resolveRuntimeSchedule({ cron: '0 2 * * *', timeZone: 'Europe/Lisbon' }, WHERE));
    expect(error.message).toBe("schedule('tick'): unknown key 'timeZone' (did you mean 'timezone'?); known keys: cron, interval, timezone");
  });
});
