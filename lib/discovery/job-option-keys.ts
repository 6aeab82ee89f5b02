/**
 * Every key `@Job()` takes (lib/interfaces/job-options.interface.ts) and every key of its retryPolicy:
 * a key not listed is a typo or another library's spelling, reported at start-up. Keep in step with
 * the JobOptions interface when adding an option.
 */
export const JOB_OPTION_KEYS: readonly string[] = [
  'id', 'queue', 'displayName', 'description', 'tags', 'priority', 'input', 'defaultInput', 'timeout', 'maxRetries',
  'retryPolicy', 'cron', 'timezone', 'interval', 'misfire', 'preventOverlap', 'enabled',
  'concurrency', 'rateLimit', 'unique',
];

export const CONCURRENCY_KEYS: readonly string[] = ['limit', 'key'];
export const RATE_LIMIT_KEYS: readonly string[] = ['limit', 'per', 'key'];

export const RETRY_POLICY_KEYS: readonly string[] = ['initialDelay', 'multiplier', 'maxDelay', 'jitter'];
