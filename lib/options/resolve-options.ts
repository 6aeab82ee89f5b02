import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { InvalidOptionsError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { parseDuration } from '../util/duration.js';
import type { ZapJobsModuleOptions } from './zapjobs-options.interface.js';
import type { ResolvedZapJobsOptions } from './resolved-options.js';
import { OPTION_KEYS, ZapJobsOptionsSchema } from './options.schema.js';

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

/**
 * Validates the options a user passed, then applies the defaults, once, for both forRoot and
 * forRootAsync. Every problem is reported at once, each naming the option, its value and what is allowed.
 */
const RETRY_POLICY_KEYS = ['initialDelay', 'multiplier', 'maxDelay', 'jitter'];

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
    queues: Object.freeze([...(raw.queues ?? ['critical', 'default', 'low'])]),
    concurrency: raw.concurrency ?? 10,
    pollInterval: ms(raw.pollInterval, '1s', 'pollInterval'),
    heartbeatInterval: ms(raw.heartbeatInterval, '10s', 'heartbeatInterval'),
    staleAfter: ms(raw.staleAfter, '1m', 'staleAfter'),
    shutdownTimeout: ms(raw.shutdownTimeout, '30s', 'shutdownTimeout'),
    enableScheduler: raw.enableScheduler ?? true,
    enableWorkers: raw.enableWorkers ?? true,
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
    logRetention: raw.logRetention === undefined ? retention : ms(raw.logRetention, retention, 'logRetention'),
    cleanupInterval: ms(raw.cleanupInterval, '10m', 'cleanupInterval'),
    cleanupBatchSize: raw.cleanupBatchSize ?? 500,
    maxPayloadBytes: raw.maxPayloadBytes ?? 1024 * 1024,
  };
  if (resolved.staleAfter <= resolved.heartbeatInterval) {
    throw new InvalidOptionsError([
      `staleAfter: must be longer than heartbeatInterval (${resolved.heartbeatInterval} ms), or live workers would be presumed dead (got ${JSON.stringify(raw.staleAfter ?? '1m')})`,
    ]);
  }
  return Object.freeze(resolved);
}
