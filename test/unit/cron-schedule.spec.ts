import { createRequire } from 'node:module';
import { CronTime } from 'cron';
import { InvalidScheduleError } from '../../lib/errors/errors.js';
import { CronSchedule } from '../../lib/scheduler/cron-schedule.js';

const at = (iso: string) => new Date(iso);
const next = (expression: string, timezone: string | undefined, from: string) =>
  new CronSchedule(expression, timezone).nextAfter(at(from)).toISOString();

// The luxon instance the `cron` package requires (an ES import would load luxon's separate ESM build).
const { Settings: cronLuxonSettings } = createRequire(import.meta.url)('luxon') as typeof import('luxon');

/**
 * Runs `body` as if the machine were in `zone`: `cron` reads a Date given without a zone in luxon's
 * default zone, the machine's. (Jest sandboxes process.env, so TZ cannot be changed from a test.)
 */
function onMachineInZone<T>(zone: string, body: () => T): T {
  const saved = cronLuxonSettings.defaultZone;
  cronLuxonSettings.defaultZone = zone;
  try {
    return body();
  } finally {
    cronLuxonSettings.defaultZone = saved;
  }
}

describe('CronSchedule', () => {
  it("reads '0 2 * * *' in America/Sao_Paulo as 02:00 there (05:00 UTC)", () => {
    expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T05:00:00.000Z');
  });

  it('honours the time zone it is given, not the machine one', () => {
    onMachineInZone('Asia/Tokyo', () => {
      // Left to itself, `cron` reads '0 2 * * *' as 02:00 on the machine: in Tokyo, 17:00 UTC the day before.
      const machine = new CronTime('0 2 * * *').getNextDateFrom(at('2025-12-31T00:00:00.000Z'));
      expect(machine.toJSDate().toISOString()).toBe('2025-12-31T17:00:00.000Z');
      expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T05:00:00.000Z');
    });
  });

  it('defaults to UTC, whatever the machine zone', () => {
    onMachineInZone('Asia/Tokyo', () => {
      const schedule = new CronSchedule('0 2 * * *');
      expect(schedule.timezone).toBe('UTC');
      expect(schedule.nextAfter(at('2026-01-01T00:00:00.000Z')).toISOString()).toBe('2026-01-01T02:00:00.000Z');
    });
  });

  it("follows the zone's daylight saving time", () => {
    // Berlin is UTC+1 in winter and UTC+2 in summer.
    expect(next('0 2 * * *', 'Europe/Berlin', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T01:00:00.000Z');
    expect(next('0 2 * * *', 'Europe/Berlin', '2026-06-30T12:00:00.000Z')).toBe('2026-07-01T00:00:00.000Z');
  });

  it('reads 6-field expressions with a seconds field', () => {
    expect(next('*/15 * * * * *', 'UTC', '2026-01-01T10:00:00.000Z')).toBe('2026-01-01T10:00:15.000Z');
    expect(next('30 0 2 * * *', 'UTC', '2026-01-01T00:00:00.000Z')).toBe('2026-01-01T02:00:30.000Z');
  });

  it('returns the first tick strictly after the given instant', () => {
    expect(next('*/5 * * * *', 'UTC', '2026-01-01T10:04:59.999Z')).toBe('2026-01-01T10:05:00.000Z');
    // On a tick: the next one, not the same.
    expect(next('*/5 * * * *', 'UTC', '2026-01-01T10:05:00.000Z')).toBe('2026-01-01T10:10:00.000Z');
    expect(next('*/5 * * * *', 'UTC', '2026-01-01T10:05:00.500Z')).toBe('2026-01-01T10:10:00.000Z');
    expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-01T05:00:00.000Z')).toBe('2026-01-02T05:00:00.000Z');
  });

  it('steps through ticks when fed its own results', () => {
    const schedule = new CronSchedule('0 */6 * * *', 'UTC');
    const ticks: string[] = [];
    let cursor = at('2026-03-01T00:00:00.000Z');
    for (let i = 0; i < 4; i++) {
      cursor = schedule.nextAfter(cursor);
      ticks.push(cursor.toISOString());
    }
    expect(ticks).toEqual([
      '2026-03-01T06:00:00.000Z', '2026-03-01T12:00:00.000Z', '2026-03-01T18:00:00.000Z', '2026-03-02T00:00:00.000Z',
    ]);
  });

  it.each([
    ['a word', 'not a cron'],
    ['a minute out of range', '61 * * * *'],
    ['too few fields', '* * * *'],
  ])('rejects an invalid expression (%s) with InvalidScheduleError naming it', (_, expression) => {
    const create = () => new CronSchedule(expression, 'UTC');
    expect(create).toThrow(InvalidScheduleError);
    expect(create).toThrow(`Invalid cron expression '${expression}': `);
  });

  it('says why an expression is invalid', () => {
    expect(() => new CronSchedule('61 * * * *')).toThrow(/Invalid cron expression '61 \* \* \* \*': .*61.*out of range/i);
  });

  it('rejects an unknown time zone with InvalidScheduleError naming the zone, not the expression', () => {
    const create = () => new CronSchedule('0 2 * * *', 'Mars/Olympus_Mons');
    expect(create).toThrow(InvalidScheduleError);
    expect(create).toThrow("Invalid time zone 'Mars/Olympus_Mons': ");
  });

  it.each(['0 0 30 2 *', '0 0 31 4 *'])('rejects %j, which never fires, with InvalidScheduleError keeping the cron error as cause', (expression) => {
    let error: InvalidScheduleError | undefined;
    try {
      new CronSchedule(expression, 'Europe/Lisbon');
    } catch (thrown) {
      error = thrown as InvalidScheduleError;
    }
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error?.message).toBe(
      `Invalid cron expression '${expression}': it never fires (no date matches it in the next 8 years, time zone Europe/Lisbon); check the day of month against the month.`,
    );
    expect((error?.cause as Error)?.message).toMatch(/No execution date was found/);
  });

  it('accepts a rare but real date (29 February)', () => {
    expect(next('0 0 29 2 *', 'UTC', '2026-03-01T00:00:00.000Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('keeps the cron error as cause when an expression does not parse', () => {
    let error: Error | undefined;
    try {
      new CronSchedule('61 * * * *');
    } catch (thrown) {
      error = thrown as Error;
    }
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error?.cause).toBeInstanceOf(Error);
  });
});
