/**
 * A duration: milliseconds as a number, or a string such as '500ms', '30s', '10m', '2h', '1d'.
 * Strings may combine units: '1h30m'.
 */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/** Parses a duration to milliseconds, or returns undefined when it is not one. */
export function tryParseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
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
  return consumed === text.length ? Math.round(total) : undefined;
}

/** Parses a duration to milliseconds; `field` names the option in the error. */
export function parseDuration(value: Duration, field = 'duration'): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    throw new TypeError(
      `${field}: expected milliseconds (a number >= 0) or a duration string such as '500ms', '30s', '10m', '2h', '1d'; got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`,
    );
  }
  return ms;
}
