import { shownValue } from '../errors/messages.js';
import type { JobRun } from '../model/job-run.js';

/**
 * Whether a stored input matches `expected`: objects match when every key given matches (keys left
 * out are anything), arrays and other values when equal. `expected` is compared as JSON would store
 * it, so a Date or an instance of the input class matches what enqueue() stored for it.
 */
export function inputMatches(actual: unknown, expected: unknown): boolean {
  return matches(actual, expected === undefined ? undefined : JSON.parse(JSON.stringify(expected)));
}

function matches(actual: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, i) => equal(actual[i], item));
  }
  if (isObject(expected)) {
    return isObject(actual) && Object.entries(expected).every(([key, value]) => key in actual && matches(actual[key], value));
  }
  return actual === expected;
}

function equal(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected) || isObject(expected)) {
    if (!matches(actual, expected)) return false;
    return Array.isArray(expected) || Object.keys(actual as object).length === Object.keys(expected).length;
  }
  return actual === expected;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One line of an expectation's message: the job, the id, the input, when it is due. */
export function describeRun(run: JobRun, now: number): string {
  const due = run.scheduledAt.getTime() <= now ? 'due now' : `scheduled for ${run.scheduledAt.toISOString()}`;
  return `${run.jobTypeId} ${shownValue(run.input)} (run ${run.id}, queue '${run.queue}', ${due})`;
}
