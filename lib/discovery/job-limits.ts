import { InvalidJobHandlerError, InvalidPayloadError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { JobOptions, LimitKey } from '../interfaces/job-options.interface.js';
import { parseDuration } from '../util/duration.js';
import { CONCURRENCY_KEYS, RATE_LIMIT_KEYS } from './job-option-keys.js';
import { unknownKeys } from '../util/unknown-keys.js';

/** A job's limits, checked at start-up. */
export interface JobLimits {
  concurrency: { limit: number; key?: LimitKey<unknown> } | null;
  rateLimit: { limit: number; periodMs: number; key?: LimitKey<unknown> } | null;
}

/** Limits are stored in 32-bit integer columns. */
const MAX_LIMIT = 2 ** 31 - 1;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `@Job({ concurrency, rateLimit })` resolved; every problem names the field (`where: concurrency.limit`). */
export function resolveJobLimits(options: JobOptions, where: string): JobLimits {
  const limitOf = (value: unknown, field: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
      throw new InvalidJobHandlerError(messages.badLimit(`${where}: ${field}`, value, MAX_LIMIT));
    }
    return value;
  };
  const keyOf = (value: unknown, field: string): LimitKey<unknown> | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw new InvalidJobHandlerError(messages.badLimitKey(`${where}: ${field}`, value));
    return value as LimitKey<unknown>;
  };
  const checkKeys = (value: Record<string, unknown>, known: readonly string[], field: string) => {
    const unknown = unknownKeys(value, known);
    if (unknown.length > 0) throw new InvalidJobHandlerError(messages.unknownKeys(`${where}: ${field}`, unknown, known));
  };

  let concurrency: JobLimits['concurrency'] = null;
  const c: unknown = options.concurrency;
  if (typeof c === 'number') concurrency = { limit: limitOf(c, 'concurrency') };
  else if (isObject(c)) {
    checkKeys(c, CONCURRENCY_KEYS, 'concurrency');
    concurrency = { limit: limitOf(c.limit, 'concurrency.limit'), key: keyOf(c.key, 'concurrency.key') };
  } else if (c !== undefined) throw new InvalidJobHandlerError(messages.badConcurrency(`${where}: concurrency`, c));

  let rateLimit: JobLimits['rateLimit'] = null;
  const r: unknown = options.rateLimit;
  if (isObject(r)) {
    checkKeys(r, RATE_LIMIT_KEYS, 'rateLimit');
    const limit = limitOf(r.limit, 'rateLimit.limit');
    if (r.per === undefined) throw new InvalidJobHandlerError(messages.rateLimitWithoutPer(`${where}: rateLimit.per`));
    const periodMs = parseDuration(r.per as number | string, `${where}: rateLimit.per`);
    if (periodMs < 1) throw new InvalidJobHandlerError(messages.badLimit(`${where}: rateLimit.per`, r.per, MAX_LIMIT));
    rateLimit = { limit, periodMs, key: keyOf(r.key, 'rateLimit.key') };
  } else if (r !== undefined) throw new InvalidJobHandlerError(messages.badRateLimit(`${where}: rateLimit`, r));
  return { concurrency, rateLimit };
}

/**
 * The keys the key functions give a new run (undefined without one: the storage stores '' for a
 * limit without a key, NULL for no limit). A key function that throws or gives no non-empty string
 * stops the enqueue: nothing is stored.
 */
export function limitKeys(jobTypeId: string, limits: JobLimits | undefined, input: unknown): { concurrencyKey?: string; rateKey?: string } {
  const keyOf = (limit: { key?: LimitKey<unknown> } | null | undefined, field: string): string | undefined => {
    if (!limit?.key) return undefined;
    let key: unknown;
    try {
      key = limit.key(input);
    } catch (error) {
      throw new InvalidPayloadError(messages.limitKeyThrew(jobTypeId, field, error instanceof Error ? error.message : String(error)));
    }
    if (typeof key !== 'string' || key === '' || key.includes('\u0000')) throw new InvalidPayloadError(messages.limitKeyNotString(jobTypeId, field, key));
    return key;
  };
  return { concurrencyKey: keyOf(limits?.concurrency, 'concurrency.key'), rateKey: keyOf(limits?.rateLimit, 'rateLimit.key') };
}
