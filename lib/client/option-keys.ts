import { InvalidPayloadError } from '../errors/errors.js';
import { unknownKeys } from '../util/unknown-keys.js';

/** The fields of EnqueueOptions: what enqueue() and an item of enqueueMany() or batch() take. */
export const ENQUEUE_OPTION_KEYS = ['queue', 'delay', 'runAt', 'priority', 'correlationId', 'maxRetries', 'unique'] as const;
/** ContinuationOptions: EnqueueOptions without the times (a continuation is due when its parent ends) and unique. */
export const CONTINUATION_OPTION_KEYS = ['queue', 'priority', 'correlationId', 'maxRetries', 'condition', 'passParentOutput'] as const;
export const BATCH_OPTION_KEYS = ['onSuccess', 'onFailure', 'onComplete', 'description', 'includeOutputs'] as const;
export const CONTINUE_CONDITIONS = ['success', 'failure', 'always'] as const;

/**
 * `options` checked to be an object (or undefined) of `allowed` fields only: a misspelt option
 * (`dealy`, `onSucess`) would otherwise be dropped in silence, and the run stored without it.
 * `manager` is left to the callers, which name where it does belong.
 */
export function checkOptionKeys<T extends object>(options: T | undefined | null, allowed: readonly string[], where: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidPayloadError(`${where}: expected an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const [unknown] = unknownKeys(options, [...allowed, 'manager']);
  if (unknown !== undefined) throw new InvalidPayloadError(`${where}: ${unknown}: not an option here (expected ${allowed.join(', ')})`);
  return options;
}
