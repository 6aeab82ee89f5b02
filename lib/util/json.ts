import { InvalidPayloadError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';

/**
 * Objects JSON.stringify turns into {} (or an index-keyed object) without a word: a Map's entries, a
 * Set's values, a typed array's shape, an Error's message are lost. Refused rather than stored changed.
 * (A class instance is fine: its own fields are what JSON keeps, and a toJSON() is honoured first.)
 */
function lossyKind(value: object): string | undefined {
  if (value instanceof Map) return 'a Map (use Object.fromEntries(map) or [...map])';
  if (value instanceof Set) return 'a Set (use [...set])';
  if (value instanceof WeakMap) return 'a WeakMap';
  if (value instanceof WeakSet) return 'a WeakSet';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor?.name ?? 'typed array'} (use Array.from(...) or a base64 string)`;
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return 'an ArrayBuffer (use a base64 string)';
  }
  if (value instanceof Error) return 'an Error (store its message)';
  if (value instanceof RegExp) return 'a RegExp (use its source)';
  if (value instanceof Promise) return 'a Promise (await it first)';
  return undefined;
}

/** The escape of a NUL character: \u0000 after an even number of backslashes (an escaped backslash is not one). */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/** Where `key` of `holder` is, from the path of `holder`: 'input.tags', 'input.items[2]'. */
function childPath(parent: string, holder: unknown, key: string): string {
  if (key === '') return parent;
  return Array.isArray(holder) ? `${parent}[${key}]` : `${parent}.${key}`;
}

/**
 * Serialises a value for a JSON column, refusing what JSON would silently change or drop
 * (functions, symbols, Map, Set, typed arrays and the like, BigInt, cycles) and anything over
 * `maxBytes`. Errors name the path of the bad value, from `what`'s first word ('input of job x'
 * -> 'input.tags is a Map').
 */
export function toJson(value: unknown, what: string, maxBytes = Infinity): string | null {
  if (value === undefined) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(value, screen);
  } catch (error) {
    // Something to refuse: serialise again, slowly, to say where it is.
    if (error === REFUSED) describeRefusal(value, what);
    throw new InvalidPayloadError(messages.notJson(what, (error as Error).message), { cause: error });
  }
  if (json === undefined) {
    throw new InvalidPayloadError(messages.notJson(what, `a ${typeof value} has no JSON form`));
  }
  // JSON escapes NUL as \u0000, and PostgreSQL's jsonb refuses that escape: one such value would fail
  // every statement it is written in. Refused on both backends alike, with a reason.
  if (json.includes('\\u0000') && NUL_ESCAPE.test(json)) {
    throw new InvalidPayloadError(messages.notJson(what, 'it contains a NUL character (\\u0000), which the database cannot store'));
  }
  if (maxBytes !== Infinity) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxBytes) throw new InvalidPayloadError(messages.tooLarge(what, bytes, maxBytes));
  }
  return json;
}

/** Thrown by the fast screen; never leaves this file. */
const REFUSED = Symbol('refused');

/**
 * The replacer of every serialisation, on the hot path (each input and output): a typeof per
 * value, and the checks for lossy objects only on objects that are not plain ones or arrays.
 */
function screen(_key: string, item: unknown): unknown {
  const type = typeof item;
  if (type === 'function' || type === 'symbol') throw REFUSED;
  if (type === 'object' && item !== null) {
    const proto = Object.getPrototypeOf(item);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null && lossyKind(item as object) !== undefined) throw REFUSED;
  }
  return item;
}

/** Throws the InvalidPayloadError that names the path of the first refused value (`input.tags is a Map`). */
function describeRefusal(value: unknown, what: string): never {
  const root = what.split(' ')[0] || 'value';
  const paths = new WeakMap<object, string>();
  JSON.stringify(value, function (this: unknown, key: string, item: unknown) {
    const path = childPath(key === '' ? root : (paths.get(this as object) ?? root), this, key);
    const type = typeof item;
    if (type === 'function' || type === 'symbol') {
      throw new InvalidPayloadError(messages.notJson(what, `${path} is a ${type}`));
    }
    if (item !== null && type === 'object') {
      const lossy = lossyKind(item as object);
      if (lossy !== undefined) throw new InvalidPayloadError(messages.notJson(what, `${path} is ${lossy}`));
      paths.set(item as object, path);
    }
    return item;
  });
  throw new InvalidPayloadError(messages.notJson(what, 'a value JSON cannot hold'));
}

/** Parses a JSON column; undefined for null. */
export function fromJson<T = unknown>(json: string | null | undefined): T | undefined {
  return json == null ? undefined : (JSON.parse(json) as T);
}
