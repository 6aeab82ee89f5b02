import {
  InvalidDurationError, InvalidJobHandlerError, InvalidOptionsError, InvalidPayloadError, InvalidScheduleError,
} from '../../lib/errors/errors.js';
import { ZapJobsError } from '../../lib/errors/zapjobs.error.js';
import { CronSchedule } from '../../lib/scheduler/cron-schedule.js';
import { parseDuration } from '../../lib/util/duration.js';
import { toJson } from '../../lib/util/json.js';

function thrownBy(body: () => unknown): Error {
  try {
    body();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

describe('ZapJobsError', () => {
  it('keeps the error it wraps as cause (ES2022), and its own name', () => {
    const cause = new Error('socket closed');
    const error = new ZapJobsError('Could not connect', { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('ZapJobsError');
    expect(new ZapJobsError('plain').cause).toBeUndefined();
  });

  it('passes cause on through its subclasses, whatever their constructor', () => {
    const cause = new RangeError('x');
    for (const error of [
      new InvalidScheduleError('m', { cause }),
      new InvalidJobHandlerError('m', { cause }),
      new InvalidPayloadError('m', { cause }),
      new InvalidOptionsError(['a: b'], { cause }),
    ]) {
      expect(error).toBeInstanceOf(ZapJobsError);
      expect(error.cause).toBe(cause);
    }
  });
});

describe('errors a caller causes are ZapJobsErrors that name the field and keep the cause', () => {
  it('a bad duration: InvalidDurationError naming the field and the value (was a TypeError)', () => {
    const error = thrownBy(() => parseDuration('soon', 'delay')) as InvalidDurationError;
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error).toBeInstanceOf(ZapJobsError);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^delay: .*got "soon"$/);
    expect(error).toMatchObject({ field: 'delay', value: 'soon' });
  });

  it('a bad cron expression: InvalidScheduleError naming it, with the cron package error as cause', () => {
    const error = thrownBy(() => new CronSchedule('61 * * * *'));
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/^Invalid cron expression '61 \* \* \* \*': /);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).not.toBeInstanceOf(ZapJobsError);
  });

  it('a value JSON cannot hold: InvalidPayloadError naming the path, with the JSON error as cause', () => {
    const error = thrownBy(() => toJson({ n: 1n }, "input of job 'x'"));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toMatch(/^input of job 'x' cannot be stored as JSON: /);
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});
