import { InvalidDurationError, InvalidOptionsError } from '../../lib/index.js';
import { resolveHealthCheck } from '../../lib/health/health-check-options.js';

describe('resolveHealthCheck (the options of isHealthy)', () => {
  it('defaults to a 1 s timeout and no thresholds', () => {
    expect(resolveHealthCheck(undefined)).toEqual({ timeoutMs: 1000, maxPendingAgeMs: undefined, maxFailures: undefined, requireLiveWorkers: false });
  });

  it('reads durations, one for every queue or one per queue', () => {
    expect(resolveHealthCheck({ maxPendingAge: '5m' }).maxPendingAgeMs).toEqual(new Map([['*', 300_000]]));
    expect(resolveHealthCheck({ maxPendingAge: { emails: '1m', reports: 3_600_000 } }).maxPendingAgeMs).toEqual(
      new Map([['emails', 60_000], ['reports', 3_600_000]]),
    );
    expect(resolveHealthCheck({ maxFailures: { count: 10, window: '15m' } }).maxFailures).toEqual({ count: 10, windowMs: 900_000 });
  });

  it('refuses bad values, naming the field and what was expected', () => {
    expect(() => resolveHealthCheck({ timeout: 'soon' })).toThrow(InvalidDurationError);
    expect(() => resolveHealthCheck({ timeout: 'soon' })).toThrow(/^timeout: /);
    expect(() => resolveHealthCheck({ maxPendingAge: { emails: 'later' } })).toThrow(/maxPendingAge\.emails: /);
    expect(() => resolveHealthCheck({ maxFailures: { count: -1, window: '1m' } })).toThrow(InvalidOptionsError);
    expect(() => resolveHealthCheck({ maxFailures: { count: 1.5, window: '1m' } })).toThrow(
      /Invalid ZapJobsHealthIndicator.isHealthy\(\) options:\n {2}- maxFailures: expected \{ count: an integer >= 0, window: a duration \}/,
    );
    expect(() => resolveHealthCheck({ maxFailures: { count: 1, window: 'x' } })).toThrow(/maxFailures\.window: /);
    expect(() => resolveHealthCheck({ requireLiveWorkers: 'yes' as unknown as boolean })).toThrow(/requireLiveWorkers: expected a boolean, got string/);
    // A misspelt threshold would check nothing: refused.
    expect(() => resolveHealthCheck({ maxPendingAges: '5m' } as never)).toThrow(/maxPendingAges: not an option \(expected timeout, maxPendingAge, maxFailures, requireLiveWorkers\)/);
  });
});
