import { InvalidArgumentError } from 'commander';
import { CANCELLABLE_STATUSES } from '../model/run-rules.js';
import { JobRunStatus } from '../model/statuses.js';
import { messages } from '../errors/messages.js';
import { durationExpectation, tryParseDuration } from '../util/duration.js';

/*
 * Parsers of flag values. Each throws commander's InvalidArgumentError, which commander reports as
 * "option '--limit <n>' argument 'x' is invalid. <why>": the flag is named, and the exit is 2.
 */

/** An integer from `min` to `max`. */
export const integer = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`Expected an integer from ${min} to ${max}.`);
  return n;
};

/** A duration such as '30s', '10m', '7d' (or milliseconds), in ms. */
export function duration(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`Expected a duration: it ${durationExpectation(value) ?? messages.durationExpected}.`);
  return ms;
}

const ALL_STATUSES = Object.values(JobRunStatus) as string[];

/** Run statuses, comma-separated ('failed,cancelled'), each one of `allowed`. */
export const statuses = (allowed: readonly string[] = ALL_STATUSES) => (value: string, previous?: JobRunStatus[]): JobRunStatus[] => {
  const list = value.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean);
  const wrong = list.filter((status) => !allowed.includes(status));
  if (list.length === 0 || wrong.length > 0) {
    throw new InvalidArgumentError(`Expected ${allowed.length === ALL_STATUSES.length ? 'run statuses' : 'statuses'} among ${allowed.join(', ')}, comma-separated.`);
  }
  return [...(previous ?? []), ...(list as JobRunStatus[])];
};

export const cancellableStatuses = statuses(CANCELLABLE_STATUSES);

/**
 * A point in time: an ISO date ('2026-12-01', '2026-12-01T08:00:00Z') or a duration back from now
 * ('2h' is two hours ago), the way operators ask ("failed in the last hour").
 */
export const pointInTime = (now: () => number = Date.now) => (value: string): Date => {
  const ago = tryParseDuration(value);
  if (ago !== undefined && /[a-z]/i.test(value)) return new Date(now() - ago);
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  let at = day ? Date.parse(value) : NaN;
  // Date.parse rolls a day that does not exist over (2026-02-30 is March 2nd): refused instead.
  if (day && !(Number(day[2]) >= 1 && Number(day[2]) <= 12 && Number(day[3]) >= 1 && Number(day[3]) <= new Date(Date.UTC(Number(day[1]), Number(day[2]), 0)).getUTCDate())) at = NaN;
  if (Number.isNaN(at)) throw new InvalidArgumentError(`Expected an ISO date such as 2026-12-01T08:00:00Z, or a duration back from now such as 2h.`);
  return new Date(at);
};

/** JSON text, parsed. */
export function json(value: string): { text: string; value: unknown } {
  try {
    return { text: JSON.stringify(JSON.parse(value)), value: JSON.parse(value) as unknown };
  } catch (error) {
    throw new InvalidArgumentError(`Expected JSON, such as '{"to":"a@b.c"}': ${(error as Error).message}.`);
  }
}

/** A name or id: non-empty (an empty one would reach the storage, which refuses it with exit 1 instead of 2). */
export const text = () => (value: string): string => {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a non-empty value.');
  return value;
};
