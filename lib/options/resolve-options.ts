import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { InvalidOptionsError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { parseDuration } from '../util/duration.js';
import type { ZapJobsModuleOptions } from './zapjobs-options.interface.js';
import type { ResolvedZapJobsOptions } from './resolved-options.js';
import { OPTION_KEYS, SCHEDULE_ADOPTION_KEYS, ZapJobsOptionsSchema } from './options.schema.js';

/** A worker id that stays readable in the heartbeats table and differs between restarts. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** A value as an error message shows it: never a password, NaN as NaN. */
export function shown(path: string, value: unknown): string {
  if (path === 'password') return '(hidden)';
  if (path === 'url' && typeof value === 'string') return JSON.stringify(redactUrl(value));
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** 'postgres://me:secret@host/db' -> 'postgres://me:***@host/db'. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:).*@/, '$1***@');
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map(
      (message) => `${path}: ${message.replace(error.property, path)} (got ${shown(path, error.value)})`,
    );
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

const QUEUE_KEYS = ['name', 'concurrency'];

/** `queues` entries (names or { name, concurrency }) checked one by one; problems name each entry. */
function queueEntries(value: unknown, concurrency: unknown, problems: string[]): Array<{ name: string; concurrency: number | null }> {
  if (value === undefined) return ['critical', 'default', 'low'].map((name) => ({ name, concurrency: null }));
  if (!Array.isArray(value)) return [];
  const max = typeof concurrency === 'number' ? concurrency : 10;
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const field = `queues[${i}]`;
    const isObject = entry !== null && typeof entry === 'object' && !Array.isArray(entry);
    const name = isObject ? (entry as Record<string, unknown>).name : entry;
    if (typeof name !== 'string' || name === '') {
      problems.push(`${isObject ? `${field}.name` : field}: expected a non-empty queue name (got ${JSON.stringify(name) ?? String(name)})`);
    } else if (seen.has(name)) problems.push(`${field}: queue '${name}' is listed twice`);
    else seen.add(name);
    let limit: number | null = null;
    if (isObject) {
      const record = entry as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (!QUEUE_KEYS.includes(key)) problems.push(`${field}.${key}: unknown option; known: ${QUEUE_KEYS.join(', ')}`);
      }
      const c = record.concurrency;
      if (c !== undefined) {
        if (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > max) {
          problems.push(`${field}.concurrency: expected an integer from 1 to the global concurrency (${max}) (got ${JSON.stringify(c) ?? String(c)})`);
        } else limit = c;
      }
    }
    return { name: String(name), concurrency: limit };
  });
}

const WEBHOOK_KEYS = ['url', 'events', 'secret'];
const EVENT_NAMES = ['enqueued', 'started', 'progress', 'completed', 'failed', 'retrying', 'cancelled'];

/** `webhooks` entries checked one by one; problems name each entry's field. */
function webhookEntries(value: unknown, problems: string[]): ResolvedZapJobsOptions['webhooks'] {
  if (!Array.isArray(value)) return [];
  const firstOf = new Map<string, number>();
  return value.map((entry: unknown, i) => {
    const field = `webhooks[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${field}: expected { url, secret, events? } (got ${JSON.stringify(entry)})`);
      return { url: '', events: undefined, secret: '' };
    }
    const record = entry as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!WEBHOOK_KEYS.includes(key)) problems.push(`${field}.${key}: unknown option; known: ${WEBHOOK_KEYS.join(', ')}`);
    }
    const { url, secret, events } = record;
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      problems.push(`${field}.url: expected an http:// or https:// URL (got ${JSON.stringify(url)})`);
    } else if (firstOf.has(String(url))) {
      // A delivery finds its secret by URL: a second entry's deliveries would be signed with the first one's secret.
      problems.push(`${field}.url: the same URL as webhooks[${firstOf.get(String(url))}]; give one entry, with the events of both`);
    } else {
      firstOf.set(String(url), i);
    }
    if (typeof secret !== 'string' || secret === '') problems.push(`${field}.secret: expected a non-empty string (got ${secret === undefined ? 'nothing' : '(hidden)'})`);
    if (events !== undefined && (!Array.isArray(events) || events.some((e) => !EVENT_NAMES.includes(e as string)))) {
      problems.push(`${field}.events: expected a list of ${EVENT_NAMES.join(', ')} (got ${JSON.stringify(events)})`);
    }
    return Object.freeze({ url: String(url), secret: String(secret), events: Array.isArray(events) ? Object.freeze([...events] as string[]) : undefined });
  });
}

/**
 * Validates the options a user passed, then applies the defaults, once, for both forRoot and
 * forRootAsync. Every problem is reported at once, each naming the option, its value and what is allowed.
 */
const RETRY_POLICY_KEYS = ['initialDelay', 'multiplier', 'maxDelay', 'jitter'];
const POSTGRES_ONLY_KEYS = ['url', 'host', 'port', 'username', 'password', 'schema', 'poolSize'];

export function resolveOptions(raw: ZapJobsModuleOptions = {}): ResolvedZapJobsOptions {
  // null is never "no options": a config lookup that found nothing would start on the defaults unnoticed.
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidOptionsError([messages.optionsNotObject('ZapJobsModule options', raw)]);
  }
  const input = raw as Record<string, unknown>;
  const schema = plainToInstance(ZapJobsOptionsSchema, input);
  const problems = flatten(validateSync(schema, { forbidUnknownValues: false }));
  const known = new Set<string>(OPTION_KEYS);
  for (const key of Object.keys(input)) {
    if (!known.has(key) && input[key] !== undefined) {
      problems.push(`${key}: unknown option (got ${JSON.stringify(input[key])}); known options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const policy = input.retryPolicy;
  if (policy !== null && typeof policy === 'object') {
    for (const key of Object.keys(policy)) {
      if (!RETRY_POLICY_KEYS.includes(key)) {
        problems.push(`retryPolicy.${key}: unknown option; known: ${RETRY_POLICY_KEYS.join(', ')}`);
      }
    }
  }
  const schedule = input.schedule;
  if (schedule !== null && typeof schedule === 'object') {
    for (const key of Object.keys(schedule)) {
      if (!SCHEDULE_ADOPTION_KEYS.includes(key)) problems.push(`schedule.${key}: unknown option; known: ${SCHEDULE_ADOPTION_KEYS.join(', ')}`);
    }
  }
  const queues = queueEntries(input.queues, input.concurrency, problems);
  const webhooks = webhookEntries(input.webhooks, problems);
  // Connection options of PostgreSQL without storage: 'postgres' would start on a SQLite file in the
  // working directory, the application believing itself on its database server.
  if (input.isGlobal !== undefined && typeof input.isGlobal !== 'boolean') problems.push(`isGlobal: expected a boolean, got ${JSON.stringify(input.isGlobal)}`);
  if ((input.storage ?? 'sqlite') === 'sqlite') {
    for (const key of POSTGRES_ONLY_KEYS) {
      if (input[key] !== undefined) problems.push(`${key}: a PostgreSQL option, but storage is 'sqlite'${input.storage === undefined ? ' (the default)' : ''}: add storage: 'postgres'`);
    }
  }
  const events = input.events;
  if (events !== null && typeof events === 'object') {
    for (const key of Object.keys(events)) if (key !== 'crossProcess') problems.push(`events.${key}: unknown option; known: crossProcess`);
  }
  if (problems.length > 0) throw new InvalidOptionsError(problems);

  const ms = (value: unknown, fallback: number | string, field: string) =>
    parseDuration((value ?? fallback) as number | string, field);
  const retention = ms(raw.retention, '7d', 'retention');
  const resolved: ResolvedZapJobsOptions = {
    storage: raw.storage ?? 'sqlite',
    database: raw.database ?? ((raw.storage ?? 'sqlite') === 'sqlite' ? 'zapjobs.db' : 'postgres'),
    url: raw.url,
    host: raw.host ?? 'localhost',
    port: raw.port ?? 5432,
    username: raw.username,
    password: raw.password,
    schema: raw.schema ?? 'public',
    poolSize: raw.poolSize ?? 10,
    tablePrefix: raw.tablePrefix ?? 'zj_',
    autoMigrate: raw.autoMigrate ?? true,
    journalMode: raw.journalMode ?? 'WAL',
    busyTimeout: ms(raw.busyTimeout, '5s', 'busyTimeout'),
    logging: raw.logging ?? false,
    queues: Object.freeze(queues.map((q) => q.name)),
    queueConcurrency: queues.some((q) => q.concurrency !== null) ? Object.freeze(queues.map((q) => q.concurrency)) : undefined,
    concurrency: raw.concurrency ?? 10,
    prefetch: raw.prefetch ?? 0,
    pollInterval: ms(raw.pollInterval, '1s', 'pollInterval'),
    heartbeatInterval: ms(raw.heartbeatInterval, '10s', 'heartbeatInterval'),
    staleAfter: ms(raw.staleAfter, '1m', 'staleAfter'),
    shutdownTimeout: ms(raw.shutdownTimeout, '30s', 'shutdownTimeout'),
    enableScheduler: raw.enableScheduler ?? true,
    enableWorkers: raw.enableWorkers ?? true,
    schedule: Object.freeze({ adopt: raw.schedule?.adopt ?? false }),
    workerId: raw.workerId ?? defaultWorkerId(),
    defaultTimeout: ms(raw.defaultTimeout, '1h', 'defaultTimeout'),
    defaultMaxRetries: raw.defaultMaxRetries ?? 3,
    retryPolicy: Object.freeze({
      initialDelay: ms(raw.retryPolicy?.initialDelay, '5s', 'retryPolicy.initialDelay'),
      multiplier: raw.retryPolicy?.multiplier ?? 2,
      maxDelay: ms(raw.retryPolicy?.maxDelay, '1h', 'retryPolicy.maxDelay'),
      jitter: raw.retryPolicy?.jitter ?? 0.2,
    }),
    retention,
    failedRetention: ms(raw.failedRetention, Math.max(retention, 30 * 86_400_000), 'failedRetention'),
    logRetention: raw.logRetention === undefined ? retention : ms(raw.logRetention, retention, 'logRetention'),
    cleanupInterval: ms(raw.cleanupInterval, '10m', 'cleanupInterval'),
    cleanupBatchSize: raw.cleanupBatchSize ?? 500,
    maxPayloadBytes: raw.maxPayloadBytes ?? 1024 * 1024,
    events: Object.freeze({ crossProcess: raw.events?.crossProcess ?? false }),
    webhooks: Object.freeze(webhooks),
  };
  if (resolved.staleAfter <= resolved.heartbeatInterval) {
    throw new InvalidOptionsError([
      `staleAfter: must be longer than heartbeatInterval (${resolved.heartbeatInterval} ms), or live workers would be presumed dead (got ${JSON.stringify(raw.staleAfter ?? '1m')})`,
    ]);
  }
  return Object.freeze(resolved);
}
