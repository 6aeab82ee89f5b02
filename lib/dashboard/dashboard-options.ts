import type { CanActivate, ModuleMetadata, Type } from '@nestjs/common';
import { unknownKeys } from '../util/unknown-keys.js';
import { InvalidOptionsError } from '../errors/errors.js';

/** HTTP basic auth with one account, compared in constant time. */
export interface DashboardBasicAuth {
  username: string;
  password: string;
}

/**
 * Who may open the dashboard: Nest guards (classes, resolved from the app's providers or created with
 * its injector, or instances), one basic-auth account, or `'none'` written out (local development
 * only: logged as a warning at start-up).
 */
export type DashboardAuth = 'none' | DashboardBasicAuth | ReadonlyArray<Type<CanActivate> | CanActivate>;

/** What may change at run time (forRootAsync's factory returns it). */
export interface ZapJobsDashboardRuntimeOptions {
  /** Required: the module refuses to start without it. */
  auth: DashboardAuth;
  /**
   * Hides every action (retry, cancel, trigger, enable, bulk) and refuses them with 403.
   * @default false
   */
  readOnly?: boolean;
  /**
   * How often the pages refresh their data, in milliseconds (0: never).
   * @default 5000
   */
  refreshMs?: number;
  /**
   * Workers whose last heartbeat is older than this are shown as stale, in milliseconds.
   * @default the ZapJobsModule's staleAfter
   */
  staleAfterMs?: number;
  /**
   * How many of the newest runs a text filter (`q`: a substring of input, output or error) reads at
   * most, within the filter's time range. Such a search can use no index, so it reads every run it
   * is given: this bounds it (about 0.1 s per 100,000 runs on SQLite), and the answer says when it
   * applied. An earlier `to` searches older runs.
   * @default 100000
   */
  textSearchRuns?: number;
  /**
   * How long the overview and `api/counts` reuse their figures of finished runs (the counts of
   * completed, failed and cancelled runs, and the charts), in milliseconds; 0 counts them at every
   * request. Counting them reads an index entry per finished run (about 0.25 s at a million runs on
   * SQLite); reused, any number of open pages and API pollers count them once per this long. Pending,
   * running and awaiting counts, backlogs and workers are never reused, and an action taken through
   * the dashboard drops the reused figures. (The day chart's hours before the current one are reused
   * for a minute whatever this is: they change only when old runs are deleted or retried.)
   * @default 2000
   */
  finishedCountsMaxAgeMs?: number;
}

export interface ZapJobsDashboardOptions extends ZapJobsDashboardRuntimeOptions {
  /**
   * Where the pages are served; the JSON API is under `<path>/api`.
   * @default '/zapjobs'
   */
  path?: string;
}

export interface ZapJobsDashboardAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Known when the module is built (routes are registered before any factory runs). @default '/zapjobs' */
  path?: string;
  inject?: Array<Type<unknown> | string | symbol>;
  useFactory: (...args: any[]) => ZapJobsDashboardRuntimeOptions | Promise<ZapJobsDashboardRuntimeOptions>;
}

export interface ResolvedDashboardOptions {
  path: string;
  auth: DashboardAuth;
  readOnly: boolean;
  refreshMs: number;
  staleAfterMs: number | null;
  textSearchRuns: number;
  finishedCountsMaxAgeMs: number;
}

export const DASHBOARD_OPTIONS = Symbol('zapjobs:dashboard-options');

/** '/zapjobs', 'zapjobs/', '/ops/jobs' -> '/zapjobs', '/ops/jobs'. */
export function normalisePath(path: unknown = '/zapjobs'): string {
  if (typeof path !== 'string' || !/^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$/.test(path)) {
    throw new InvalidOptionsError([`path: expected a URL path such as '/zapjobs' (letters, digits, '-', '_', '.', '~' between slashes), got ${JSON.stringify(path)}`]);
  }
  return `/${path.replace(/^\/|\/$/g, '')}`;
}

function checkAuth(auth: unknown): string | null {
  if (auth === undefined || auth === null) {
    return `auth: required. The dashboard can retry, cancel and delete runs, so it is closed by default: give Nest guards, { username, password } for basic auth, or 'none' (local development only)`;
  }
  if (auth === 'none') return null;
  if (Array.isArray(auth)) {
    if (auth.length === 0) return 'auth: expected at least one guard, got an empty array';
    const bad = auth.findIndex((g) => typeof g !== 'function' && !(g && typeof (g as CanActivate).canActivate === 'function'));
    return bad === -1 ? null : `auth[${bad}]: expected a guard class or an object with canActivate(), got ${typeof auth[bad]}`;
  }
  if (typeof auth === 'object') {
    const { username, password } = auth as Partial<DashboardBasicAuth>;
    if (typeof username !== 'string' || username === '' || username.includes(':')) return 'auth.username: expected a non-empty string without \':\'';
    if (typeof password !== 'string' || password === '') return 'auth.password: expected a non-empty string';
    return null;
  }
  return `auth: expected guards, { username, password } or 'none', got ${JSON.stringify(auth)}`;
}

const RUNTIME_KEYS = ['auth', 'readOnly', 'refreshMs', 'staleAfterMs', 'textSearchRuns', 'finishedCountsMaxAgeMs'];

/**
 * Defaults once, then validation; every error names the field. An unknown field is one too: a
 * misspelt `readonly` would otherwise leave a dashboard writable that its author meant read-only.
 * `alsoAllowed`: `path`, which forRoot() takes beside these (forRootAsync() takes it outside the factory).
 */
export function resolveDashboardOptions(path: string, raw: ZapJobsDashboardRuntimeOptions, alsoAllowed: readonly string[] = []): ResolvedDashboardOptions {
  if (raw === null || typeof raw !== 'object') throw new InvalidOptionsError([`ZapJobsDashboardModule options: expected an object, got ${raw === null ? 'null' : typeof raw}`]);
  const errors: string[] = [];
  const known = [...RUNTIME_KEYS, ...alsoAllowed];
  for (const key of unknownKeys(raw, known)) errors.push(`${key}: not an option (expected ${known.join(', ')})`);
  const auth = checkAuth(raw.auth);
  if (auth) errors.push(auth);
  if (raw.readOnly !== undefined && typeof raw.readOnly !== 'boolean') errors.push(`readOnly: expected a boolean, got ${typeof raw.readOnly}`);
  const refreshMs = raw.refreshMs ?? 5000;
  if (!Number.isInteger(refreshMs) || refreshMs < 0) errors.push(`refreshMs: expected an integer >= 0 (milliseconds), got ${String(raw.refreshMs)}`);
  const stale = raw.staleAfterMs;
  if (stale !== undefined && (!Number.isInteger(stale) || stale <= 0)) errors.push(`staleAfterMs: expected an integer > 0 (milliseconds), got ${String(stale)}`);
  const textSearchRuns = raw.textSearchRuns ?? 100_000;
  if (!Number.isSafeInteger(textSearchRuns) || textSearchRuns <= 0) errors.push(`textSearchRuns: expected an integer > 0 (runs), got ${String(raw.textSearchRuns)}`);
  const finishedCountsMaxAgeMs = raw.finishedCountsMaxAgeMs ?? 2000;
  if (!Number.isInteger(finishedCountsMaxAgeMs) || finishedCountsMaxAgeMs < 0) {
    errors.push(`finishedCountsMaxAgeMs: expected an integer >= 0 (milliseconds), got ${String(raw.finishedCountsMaxAgeMs)}`);
  }
  if (errors.length) throw new InvalidOptionsError(errors);
  return Object.freeze({
    path, auth: raw.auth, readOnly: raw.readOnly ?? false, refreshMs, staleAfterMs: stale ?? null, textSearchRuns, finishedCountsMaxAgeMs,
  });
}
