/**
 * Turning whatever a handler threw into something the engine can store and log. A handler may
 * throw anything: an Error whose `message` or `stack` getter throws, a Symbol or an object as the
 * message, a Proxy whose every trap throws, a null-prototype object whose toJSON throws, undefined.
 * Everything here reads the thrown value only inside try/catch, so the engine's error path can
 * never throw in turn (a throw there used to leave the run Running, its slot held, for ever).
 */

/** Longest error message kept: a message is one line in a table, not a dump. */
export const MAX_MESSAGE_LENGTH = 4_000;
/** Longest stack kept: deep enough for any real trace, bounded for the column and the log. */
export const MAX_STACK_LENGTH = 16_000;

/** `text` cut to `max` characters, saying how much was cut. */
export function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** True when `value instanceof type`, false when asking throws (a Proxy's getPrototypeOf trap). */
export function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/**
 * An Error, from this realm or another (an error made in a vm context, as under Jest, or by a native
 * module there, is not `instanceof` this realm's Error, but its tag says what it is).
 */
export function isError(value: unknown): value is Error {
  return isInstance(value, Error) || attempt(() => Object.prototype.toString.call(value)) === '[object Error]';
}

/**
 * A readable text for any value, never throwing: strings as they are, other primitives (Symbols
 * included) through String(), objects as JSON, else their `[object Tag]`, else a placeholder.
 */
export function safeText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'undefined':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      // String(symbol) is the descriptive string, and never looks anything up on the value.
      return String(value);
    case 'function':
      return `[function ${attempt(() => String((value as { name?: unknown }).name || 'anonymous')) ?? 'anonymous'}]`;
    default:
      break;
  }
  if (value === null) return 'null';
  if (isError(value)) {
    const message = readString(value, 'message');
    if (message !== undefined) return `${readString(value, 'name') ?? 'Error'}: ${message}`;
  }
  const json = attempt(() => JSON.stringify(value));
  if (typeof json === 'string') return json;
  return attempt(() => Object.prototype.toString.call(value)) ?? '[an object that cannot be read]';
}

/** The message of an Error, or a text for anything else: for log lines about caught errors. */
export function errorMessage(value: unknown): string {
  // Any object with a string message: better-sqlite3's SqliteError is built without Error's
  // constructor, so an instance from another realm passes neither instanceof nor the Error tag.
  if (isError(value) || (typeof value === 'object' && value !== null)) {
    const message = readString(value, 'message');
    if (message !== undefined) return message;
  }
  return safeText(value);
}

/** Whatever a handler threw, as a plain Error whose name, message and stack are strings it owns. */
export function toError(thrown: unknown): Error {
  let name = 'Error';
  let message: string;
  let stack: string | undefined;
  if (isError(thrown)) {
    name = readString(thrown, 'name') ?? 'Error';
    message = describeField(thrown, 'message');
    stack = readString(thrown, 'stack');
  } else {
    name = 'NonErrorThrown';
    message = `handler threw a non-Error value: ${safeText(thrown)}`;
  }
  message = capText(message, MAX_MESSAGE_LENGTH);
  const error = new Error(message);
  // Own data properties: nothing read later goes through a getter of the thrown value.
  Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  error.stack = capText(stack ?? `${name}: ${message}`, MAX_STACK_LENGTH);
  // Kept for listeners of the 'failed' and 'retrying' events, and for nextAttempt's
  // UnrecoverableJobError check; the engine itself never reads it.
  Object.defineProperty(error, 'cause', { value: thrown, writable: true, configurable: true });
  return error;
}

/** The field as text: a string as it is, another value described, a throwing getter said so. */
function describeField(target: object, key: 'message'): string {
  let value: unknown;
  try {
    value = (target as Record<string, unknown>)[key];
  } catch (error) {
    return `(reading the error's ${key} threw: ${safeTextOfThrow(error)})`;
  }
  return safeText(value);
}

/** A text for what a getter threw, one level deep only: a getter's error may be hostile too. */
function safeTextOfThrow(error: unknown): string {
  if (isError(error)) {
    const message = readString(error, 'message');
    if (message !== undefined) return message;
  }
  return typeof error === 'object' && error !== null ? '[an object]' : safeText(error);
}

/** The field when it reads as a string; undefined when it is missing, not a string, or its getter throws. */
function readString(target: object, key: string): string | undefined {
  const value = attempt(() => (target as Record<string, unknown>)[key]);
  return typeof value === 'string' ? value : undefined;
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
