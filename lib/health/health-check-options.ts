import { InvalidOptionsError } from '../errors/errors.js';
import { unknownKeys } from '../util/unknown-keys.js';
import { parseDuration, type Duration } from '../util/duration.js';

/** What `ZapJobsHealthIndicator.isHealthy()` checks beyond "the database answers and this worker is alive". */
export interface ZapJobsHealthCheckOptions {
  /**
   * How long the database may take to answer the check's reads before it is down.
   * @default 1000 (milliseconds)
   */
  timeout?: Duration;
  /**
   * Down when the oldest due pending run of a queue has waited longer than this (since it became
   * due): one duration for every queue, or one per queue name (queues not named are not checked).
   */
  maxPendingAge?: Duration | Record<string, Duration>;
  /** Down when more than `count` runs failed for good (no retry left) within the last `window`. */
  maxFailures?: { count: number; window: Duration };
  /**
   * Down when a queue with due pending runs has no live worker serving it: no process, this one or
   * another, whose heartbeat is within `staleAfter` and whose queues include it.
   * @default false
   */
  requireLiveWorkers?: boolean;
}

export interface ResolvedHealthCheck {
  timeoutMs: number;
  /** Per queue ('*': every queue), the longest wait allowed. */
  maxPendingAgeMs: Map<string, number> | undefined;
  maxFailures: { count: number; windowMs: number } | undefined;
  requireLiveWorkers: boolean;
}

const OF = 'ZapJobsHealthIndicator.isHealthy()';
const HEALTH_CHECK_KEYS = ['timeout', 'maxPendingAge', 'maxFailures', 'requireLiveWorkers'];

/** Checked at each call: the options are usually a literal next to the call, and a typo should fail loudly. */
export function resolveHealthCheck(options: ZapJobsHealthCheckOptions | undefined): ResolvedHealthCheck {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError([`options: expected an object such as { timeout: 1000 }, got ${options === null ? 'null' : typeof options}`], { of: OF });
  }
  const [unknown] = unknownKeys(options, HEALTH_CHECK_KEYS);
  if (unknown !== undefined) throw new InvalidOptionsError([`${unknown}: not an option (expected ${HEALTH_CHECK_KEYS.join(', ')})`], { of: OF });
  const resolved: ResolvedHealthCheck = {
    timeoutMs: options.timeout === undefined ? 1000 : parseDuration(options.timeout, 'timeout'),
    maxPendingAgeMs: undefined,
    maxFailures: undefined,
    requireLiveWorkers: options.requireLiveWorkers ?? false,
  };
  if (typeof resolved.requireLiveWorkers !== 'boolean') {
    throw new InvalidOptionsError([`requireLiveWorkers: expected a boolean, got ${typeof resolved.requireLiveWorkers}`], { of: OF });
  }
  const age = options.maxPendingAge;
  if (age !== undefined) {
    resolved.maxPendingAgeMs = age !== null && typeof age === 'object'
      ? new Map(Object.entries(age).map(([queue, value]) => [queue, parseDuration(value, `maxPendingAge.${queue}`)]))
      : new Map([['*', parseDuration(age, 'maxPendingAge')]]);
  }
  const failures = options.maxFailures;
  if (failures !== undefined) {
    if (failures === null || typeof failures !== 'object' || !Number.isInteger(failures.count) || failures.count < 0) {
      throw new InvalidOptionsError(
        [`maxFailures: expected { count: an integer >= 0, window: a duration }, got ${JSON.stringify(failures)}`],
        { of: OF },
      );
    }
    resolved.maxFailures = { count: failures.count, windowMs: parseDuration(failures.window, 'maxFailures.window') };
  }
  return resolved;
}
