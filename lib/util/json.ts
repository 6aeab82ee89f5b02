import { InvalidPayloadError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';

/**
 * Serialises a value for a JSON column, refusing what JSON would silently change or drop
 * (functions, symbols, BigInt, cycles) and anything over `maxBytes`.
 */
export function toJson(value: unknown, what: string, maxBytes = Infinity): string | null {
  if (value === undefined) return null;
  let json: string | undefined;
  try {
    // JSON.stringify would drop a nested function or symbol without a word: refuse it instead.
    json = JSON.stringify(value, (key, item: unknown) => {
      const type = typeof item;
      if (type === 'function' || type === 'symbol') {
        throw new InvalidPayloadError(messages.notJson(what, `${key === '' ? 'the value' : `'${key}'`} is a ${type}`));
      }
      return item;
    });
  } catch (error) {
    if (error instanceof InvalidPayloadError) throw error;
    throw new InvalidPayloadError(messages.notJson(what, (error as Error).message));
  }
  if (json === undefined) {
    throw new InvalidPayloadError(messages.notJson(what, `a ${typeof value} has no JSON form`));
  }
  if (maxBytes !== Infinity) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxBytes) throw new InvalidPayloadError(messages.tooLarge(what, bytes, maxBytes));
  }
  return json;
}

/** Parses a JSON column; undefined for null. */
export function fromJson<T = unknown>(json: string | null | undefined): T | undefined {
  return json == null ? undefined : (JSON.parse(json) as T);
}
