import { BadRequestException } from '@nestjs/common';
import { JobRunStatus } from '../model/statuses.js';
import type { RunSearch } from '../storage/dashboard-queries.js';
import { unknownKeys } from '../util/unknown-keys.js';

const STATUSES = Object.values(JobRunStatus) as string[];

/** The query parameters (or JSON body fields) that select runs, as the API and the pages take them. */
export interface RunFilterParams {
  status?: string | string[];
  job?: string;
  queue?: string;
  correlationId?: string;
  from?: string;
  to?: string;
  q?: string;
}

export const FILTER_KEYS = ['status', 'job', 'queue', 'correlationId', 'from', 'to', 'q'] as const;

const text = (value: unknown, field: string): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`${field}: expected a string, got ${typeof value}`);
  if (value.length > 500) throw new BadRequestException(`${field}: expected at most 500 characters, got ${value.length}`);
  return value;
};

function time(value: unknown, field: string): Date | undefined {
  const given = text(value, field);
  if (given === undefined) return undefined;
  const at = new Date(given);
  if (Number.isNaN(at.getTime())) throw new BadRequestException(`${field}: expected an ISO 8601 time such as 2026-01-31T12:00:00Z, got '${given}'`);
  return at;
}

/**
 * Parameters to a RunSearch; an empty parameter means no filter, anything malformed is a 400 naming
 * the field. A key that is neither a filter field nor one of `alsoAllowed` (the route's own, such as
 * `limit`) is refused: a misspelt field would otherwise select every run, and a bulk action act on them.
 */
export function parseRunFilter(params: RunFilterParams = {}, alsoAllowed: readonly string[] = []): RunSearch {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new BadRequestException('filter: expected an object');
  const [unknown] = unknownKeys(params, [...FILTER_KEYS, ...alsoAllowed]);
  if (unknown !== undefined) {
    throw new BadRequestException(`${unknown}: not a filter field (expected ${[...FILTER_KEYS, ...alsoAllowed].join(', ')})`);
  }
  const search: RunSearch = {};
  const raw = params.status;
  const statuses = (Array.isArray(raw) ? raw : raw === undefined || raw === '' ? [] : String(raw).split(','))
    .map((s) => String(s).trim())
    .filter(Boolean);
  const bad = statuses.find((s) => !STATUSES.includes(s));
  if (bad !== undefined) throw new BadRequestException(`status: expected one or more of ${STATUSES.join(', ')} (comma-separated), got '${bad}'`);
  if (statuses.length) search.status = statuses as JobRunStatus[];
  const job = text(params.job, 'job');
  if (job !== undefined) search.jobTypeId = job;
  const queue = text(params.queue, 'queue');
  if (queue !== undefined) search.queue = queue;
  const correlationId = text(params.correlationId, 'correlationId');
  if (correlationId !== undefined) search.correlationId = correlationId;
  const from = time(params.from, 'from');
  if (from) search.from = from;
  const to = time(params.to, 'to');
  if (to) search.to = to;
  if (from && to && from >= to) throw new BadRequestException(`to: expected a time after from (${from.toISOString()}), got ${to.toISOString()}`);
  const q = text(params.q, 'q');
  if (q !== undefined) search.text = q;
  return search;
}

/** A page size: 1..200, default 50. */
export function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return 50;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new BadRequestException(`limit: expected an integer from 1 to 200, got '${String(value)}'`);
  return n;
}

/** The filter back as query parameters (for links: next page, bulk confirmation). */
export function filterQuery(params: RunFilterParams, extra: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = params[key];
    const flat = Array.isArray(value) ? value.join(',') : value;
    if (flat) query.set(key, flat);
  }
  for (const [key, value] of Object.entries(extra)) if (value) query.set(key, value);
  const s = query.toString();
  return s ? `?${s}` : '';
}
