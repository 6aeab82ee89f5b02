import { InvalidDurationError, InvalidJobHandlerError, InvalidPayloadError, type JobOptions } from '../../lib/index.js';
import { limitKeys, resolveJobLimits } from '../../lib/discovery/job-limits.js';

/** Issue 10: @Job({ concurrency, rateLimit }) checked at start-up; key functions checked at enqueue. */
const where = "@Job({ id: 'j' }) on J";
const resolve = (extra: Record<string, unknown>) => resolveJobLimits({ id: 'j', ...extra } as JobOptions, where);
const failure = (extra: Record<string, unknown>): Error => {
  try {
    resolve(extra);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
};

describe('resolveJobLimits', () => {
  it('resolves a number, { limit, key } and { limit, per, key }', () => {
    const key = (input: unknown) => String((input as { t: string }).t);
    expect(resolve({})).toEqual({ concurrency: null, rateLimit: null });
    expect(resolve({ concurrency: 2 })).toEqual({ concurrency: { limit: 2 }, rateLimit: null });
    expect(resolve({ concurrency: { limit: 1, key } }).concurrency).toEqual({ limit: 1, key });
    expect(resolve({ rateLimit: { limit: 100, per: '1m' } }).rateLimit).toEqual({ limit: 100, periodMs: 60_000, key: undefined });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['zero concurrency', { concurrency: 0 }, /concurrency must be an integer from 1 to 2147483647, got 0/],
    ['negative concurrency', { concurrency: -1 }, /concurrency must be an integer from 1/],
    ['fractional concurrency', { concurrency: 1.5 }, /concurrency must be an integer from 1/],
    ['a string concurrency', { concurrency: '2' }, /concurrency must be a number \(e\.g\. 2\) or \{ limit, key\? \}/],
    ['zero concurrency.limit', { concurrency: { limit: 0 } }, /concurrency\.limit must be an integer from 1/],
    ['a key that is not a function', { concurrency: { limit: 1, key: 'tenantId' } }, /concurrency\.key must be a function of the run's input/],
    ['an unknown concurrency key', { concurrency: { limit: 1, group: 'x' } }, /concurrency.*group/],
    ['zero rateLimit.limit', { rateLimit: { limit: 0, per: '1s' } }, /rateLimit\.limit must be an integer from 1/],
    ['rateLimit without per', { rateLimit: { limit: 10 } }, /rateLimit\.per is required/],
    ['rateLimit per 0', { rateLimit: { limit: 10, per: 0 } }, /rateLimit\.per must be/],
    ['a rate key that is not a function', { rateLimit: { limit: 10, per: '1s', key: 3 } }, /rateLimit\.key must be a function/],
    ['an unknown rateLimit key', { rateLimit: { limit: 10, per: '1s', duration: 5 } }, /rateLimit.*duration/],
    ['a rateLimit that is a number', { rateLimit: 10 }, /rateLimit must be \{ limit, per, key\? \}/],
  ])('refuses %s, naming the field', (_, extra, message) => {
    const error = failure(extra);
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toContain(where);
    expect(error.message).toMatch(message);
  });

  it('refuses a per that is not a duration with InvalidDurationError naming the field', () => {
    const error = failure({ rateLimit: { limit: 10, per: 'soon' } });
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error.message).toContain('rateLimit.per');
  });
});

describe('limitKeys', () => {
  const limits = resolve({ concurrency: { limit: 1, key: (i: { t?: unknown }) => i.t }, rateLimit: { limit: 1, per: '1s' } });

  it("gives the key function's value, and nothing for a limit without key (the storage stores '')", () => {
    expect(limitKeys('j', limits, { t: 'acme' })).toEqual({ concurrencyKey: 'acme', rateKey: undefined });
    expect(limitKeys('j', undefined, { t: 'acme' })).toEqual({ concurrencyKey: undefined, rateKey: undefined });
  });

  it('refuses a key function that throws or returns no non-empty string', () => {
    expect(() => limitKeys('j', limits, { t: 5 })).toThrow(InvalidPayloadError);
    expect(() => limitKeys('j', limits, { t: 5 })).toThrow(/The concurrency\.key function of job 'j' must return a non-empty string, got 5; nothing was stored/);
    expect(() => limitKeys('j', limits, { t: '' })).toThrow(/must return a non-empty string, got ""/);
    expect(() => limitKeys('j', limits, null)).toThrow(/The concurrency\.key function of job 'j' threw at enqueue: .*; nothing was stored/);
  });
});
