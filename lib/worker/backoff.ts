import type { ResolvedRetryPolicy } from '../options/resolved-options.js';

/**
 * Delay before the retry that follows failed attempt number `attempt` (from 1):
 * initialDelay * multiplier^(attempt - 1), capped at maxDelay, then spread by +-jitter so that
 * runs failing together do not all come back at the same instant. Pure: `random` is injectable.
 */
export function retryDelay(policy: ResolvedRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = policy.initialDelay * Math.pow(policy.multiplier, Math.max(0, attempt - 1));
  const capped = Math.min(policy.maxDelay, exponential);
  const spread = capped * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(policy.maxDelay, Math.round(capped + spread)));
}
