import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType } from '../../model/statuses.js';

/**
 * What the OpenAPI documents say about the dashboard's API, in one place: the schemas, and the
 * description of each route (given to @ApiRoute on the controller). openapi.ts writes a document from
 * it without @nestjs/swagger; swagger.ts hands the same to @nestjs/swagger's decorators.
 */

/** Where @ApiRoute records a route's description. */
export const ROUTE_DOC = 'zapjobs:dashboard-route-doc';
/** The tag of every route of the API (one heading in Swagger UI). */
export const DASHBOARD_TAG = 'ZapJobs dashboard';
export const INFO = { title: 'ZapJobs dashboard API', version: '1', description: 'Runs, jobs and workers of ZapJobs, and the actions on them.' };

/** A path or query parameter, as OpenAPI 3.0 writes it. */
export interface Param {
  name: string;
  in: 'path' | 'query';
  description?: string;
  schema: object;
}

export interface RouteDoc {
  summary: string;
  /** The success response (its status is the route's: @HttpCode, else Nest's 201 for POST, 200 otherwise). */
  ok: { description: string; schema: object };
  params?: Param[];
  /** The JSON body's schema; a body is always optional here. */
  body?: object;
  /** Error statuses besides 401 (every route) and 403 (every action). */
  errors?: number[];
}

export const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const strN = { type: 'string', nullable: true };
const time = { type: 'string', format: 'date-time' };
const timeN = { type: 'string', format: 'date-time', nullable: true };
export const int = { type: 'integer' };
const intN = { type: 'integer', nullable: true };
const bool = { type: 'boolean' };
const any = {};
export const arr = (items: object) => ({ type: 'array', items });
// OpenAPI 3.0 refuses an empty `required` list: it is left out when nothing is required.
export const obj = (properties: Record<string, object>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});

export const filterParams: Param[] = [
  { name: 'status', in: 'query', description: 'One or more statuses, comma-separated', schema: str },
  { name: 'job', in: 'query', description: 'Job id', schema: str },
  { name: 'queue', in: 'query', schema: str },
  { name: 'correlationId', in: 'query', schema: str },
  { name: 'from', in: 'query', description: 'Created at or after (ISO 8601)', schema: time },
  { name: 'to', in: 'query', description: 'Created before (ISO 8601)', schema: time },
  { name: 'q', in: 'query', description: 'Case-insensitive text in input, output, error message or stack', schema: str },
];
export const pageParams: Param[] = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  { name: 'cursor', in: 'query', schema: str },
];
export const idParam = (what: string): Param => ({ name: 'id', in: 'path', description: what, schema: str });
export const bulkActionParam: Param = { name: 'action', in: 'path', schema: { type: 'string', enum: ['retry', 'cancel', 'delete'] } };

export const schemas = {
  Status: { type: 'string', enum: Object.values(JobRunStatus) },
  Run: obj({
    id: str, jobTypeId: str, status: { $ref: '#/components/schemas/Status' }, triggerType: { type: 'string', enum: Object.values(JobTriggerType) }, queue: str,
    priority: int, input: any, output: any, progress: any, scheduledAt: time, createdAt: time, startedAt: timeN, completedAt: timeN, durationMs: intN,
    errorMessage: strN, errorDetails: strN, workerId: strN, attemptNumber: int, maxRetries: intN, correlationId: strN, parentRunId: strN,
    nextRetryAt: timeN, continueOn: { type: 'string', enum: ['success', 'failure', 'always'], nullable: true }, passParentOutput: bool,
    concurrencyKey: strN, rateKey: strN, uniqueKey: strN, uniqueStates: { type: 'array', items: { $ref: '#/components/schemas/Status' }, nullable: true },
  }, ['id', 'jobTypeId', 'status', 'queue', 'createdAt', 'scheduledAt', 'attemptNumber']),
  RunPage: obj({
    runs: arr({ $ref: '#/components/schemas/Run' }), next: { type: 'string', nullable: true, description: 'Cursor of the next page; null on the last' },
    searched: { $ref: '#/components/schemas/Searched' },
  }, ['runs', 'next']),
  Searched: {
    ...obj({ runs: int, since: time }),
    description: 'Present when the text filter q was applied to the newest runs only: this many, created since this time (give an earlier `to` to search older runs)',
  },
  RunDetail: obj({ run: { $ref: '#/components/schemas/Run' }, children: arr({ $ref: '#/components/schemas/Run' }) }),
  LogLine: obj({
    id: int, runId: str, level: { type: 'string', enum: Object.values(JobLogLevel) }, message: str, timestamp: time, category: strN, exception: strN, attemptNumber: intN,
  }),
  AttemptLogs: obj({ attempts: arr(obj({ attempt: intN, lines: arr({ $ref: '#/components/schemas/LogLine' }) })) }),
  Definition: obj({
    jobTypeId: str, displayName: str, description: strN, queue: str, priority: int, scheduleType: { type: 'string', enum: Object.values(ScheduleType) },
    cronExpression: strN, intervalMs: intN, timezone: strN, isEnabled: bool, defaultInput: any, tags: arr(str), lastRunAt: timeN, nextRunAt: timeN,
    lastRunStatus: { allOf: [{ $ref: '#/components/schemas/Status' }], nullable: true }, nextTicks: arr(time),
  }, ['jobTypeId', 'displayName', 'queue', 'scheduleType', 'isEnabled']),
  Worker: obj({
    workerId: str, hostname: strN, pid: intN, queues: arr(str), concurrency: intN, startedAt: time, lastHeartbeat: time, runningRunIds: arr(str), stale: bool,
  }, ['workerId', 'queues', 'lastHeartbeat', 'stale']),
  Counts: obj({
    totals: { type: 'object', additionalProperties: int },
    byQueue: arr(obj({ queue: str, status: { $ref: '#/components/schemas/Status' }, count: int })),
    finishedAsOf: { ...time, description: 'When the completed, failed and cancelled counts were counted (they are reused for a few seconds); the others are current' },
  }),
  SeriesPoint: obj({ at: { ...time, description: 'Start of the minute or hour' }, completed: int, failed: int }),
  Overview: obj({
    totals: { type: 'object', additionalProperties: int },
    counts: arr(obj({ queue: str, status: { $ref: '#/components/schemas/Status' }, count: int })),
    lastHour: arr({ $ref: '#/components/schemas/SeriesPoint' }),
    lastDay: arr({ $ref: '#/components/schemas/SeriesPoint' }),
    backlogs: arr(obj({ queue: str, pending: int, oldestScheduledAt: time, oldestAgeMs: int })),
    workers: arr({ $ref: '#/components/schemas/Worker' }),
    unattendedQueues: { ...arr(str), description: 'Queues holding due pending runs that no live worker takes' },
    finishedAsOf: { ...time, description: 'When the finished counts and the charts were counted (they are reused for a few seconds); the others are current' },
  }),
  Filter: obj({
    status: { oneOf: [str, arr({ $ref: '#/components/schemas/Status' })] }, job: str, queue: str, correlationId: str, from: time, to: time, q: str,
  }, []),
  BulkResult: obj(
    { action: { type: 'string', enum: ['retry', 'cancel', 'delete'] }, done: int, skipped: int, searched: { $ref: '#/components/schemas/Searched' } },
    ['action', 'done', 'skipped'],
  ),
  InputBody: obj({ input: { description: 'Input of the new run (validated by the job\'s input class); absent: the default input' } }, []),
  RunId: obj({ runId: str }),
  Error: obj({ statusCode: int, message: { oneOf: [str, arr(str)] }, error: str }, ['statusCode', 'message']),
};

/** What each error status means here (one shared response per status in openapi.ts's document). */
export const ERRORS: Record<number, string> = {
  400: 'A filter, cursor or input that is not valid',
  401: 'Not authenticated',
  403: 'Read-only dashboard, or a cross-site request',
  404: 'No such run or job',
  409: 'The run is not in a state that allows this action',
};

/** The route's success status, as Nest answers it. */
export function okStatus(handler: object): number {
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
  return (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === RequestMethod.POST ? 201 : 200);
}

/** Whether a route changes something: refused when read-only, and left out of the document then. */
export const isAction = (handler: object): boolean => Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET;

/** 401 for every route (all pass the dashboard's auth), 403 for every action (readOnly, CSRF), then the route's own. */
export function errorCodes(doc: RouteDoc, handler: object): number[] {
  return [401, ...(isAction(handler) ? [403] : []), ...(doc.errors ?? [])];
}

/**
 * A schema with every $ref to the schemas above replaced by its target: @nestjs/swagger has no way to
 * add plain schemas to components (only classes), so the routes it describes carry them whole, and
 * stay whole in an app's own document that includes them.
 */
export function inline(schema: object): object {
  if (Array.isArray(schema)) return schema.map((s: object) => inline(s));
  if (schema === null || typeof schema !== 'object') return schema;
  const target = (schema as { $ref?: string }).$ref;
  if (typeof target === 'string') return inline(schemas[target.slice('#/components/schemas/'.length) as keyof typeof schemas]);
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, value !== null && typeof value === 'object' ? inline(value as object) : value]));
}
