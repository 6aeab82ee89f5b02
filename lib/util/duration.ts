import { InvalidDurationError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';

/**
 * A duration: milliseconds as a number, or a string such as '500ms', '30s', '10m', '2h', '1d'.
 * Strings may combine units: '1h30m'.
 */
export type Duration = number | string;

/**
 * The longest duration accepted anywhere: 100 years. Every duration ends up added to or taken from
 * "now" (a next tick, a deadline, a retention cut-off), and nothing a job engine waits for is longer;
 * past this a typo ('1000000d') is likelier than intent. Timers of any length below it work
 * (util/timers.ts chains Node's 24.8-day maximum).
 */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/** The milliseconds a value spells, unbounded (undefined: not a duration). Whole ms: the columns are integers. */
function readDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return readDuration(Number(text));
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = PART.exec(text)) !== null) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = PART.lastIndex;
    while (text[consumed] === ' ') consumed++;
    PART.lastIndex = consumed;
  }
  return consumed === text.length && Number.isFinite(total) ? Math.round(total) : undefined;
}

/** Bounds of a duration beyond the general ones (>= 0, <= MAX_DURATION_MS), with the reason an error gives. */
export interface DurationBounds {
  min?: number;
  max?: number;
  why: string;
}

/** What a duration was expected to be, when `value` is not a valid one within `bounds`; undefined when it is. */
export function durationExpectation(value: unknown, bounds?: DurationBounds): string | undefined {
  const ms = readDuration(value);
  if (ms === undefined) return messages.durationExpected;
  if (ms > MAX_DURATION_MS) return messages.durationOverMax(MAX_DURATION_MS);
  if (bounds?.min !== undefined && ms < bounds.min) return messages.durationTooShort(bounds.min, bounds.why);
  if (bounds?.max !== undefined && ms > bounds.max) return messages.durationTooLong(bounds.max, bounds.why);
  return undefined;
}

/** Parses a duration to milliseconds, or returns undefined when it is not one (or is over MAX_DURATION_MS). */
export function tryParseDuration(value: unknown): number | undefined {
  return durationExpectation(value) === undefined ? readDuration(value) : undefined;
}

/** Parses a duration to milliseconds; `field` names the option in the InvalidDurationError. */
export function parseDuration(value: Duration, field = 'duration', bounds?: DurationBounds): number {
  const expectation = durationExpectation(value, bounds);
  if (expectation !== undefined) throw new InvalidDurationError(field, value, messages.invalidDuration(field, expectation, value));
  return readDuration(value) as number;
}
