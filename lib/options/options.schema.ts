import { durationExpectation, type DurationBounds } from '../util/duration.js';

/**
 * The rules of ZapJobsModuleOptions, checked by hand rather than by class-validator decorators:
 * importing class-validator takes longer than the whole boot of the module (issue 15, W7), and
 * these few kinds of rule are all the options need. The wording is class-validator's, which the
 * messages have always used. Every field is optional (undefined and null skip its rules, as
 * class-validator's @IsOptional did); defaults are applied after, in resolve-options.ts.
 */

/** One rule: the message (`$property` standing for the option's path) when `value` breaks it, else undefined. */
type Rule = (value: unknown) => string | undefined;
/** A field's rules, or the rules of the fields of a nested object. */
type FieldRules = readonly Rule[] | { readonly nested: Readonly<Record<string, FieldRules>> };

const rule = (ok: (value: unknown) => boolean, message: string): Rule => (value) => (ok(value) ? undefined : message);
const isNumber = (value: unknown): value is number => typeof value === 'number';

const string = rule((v) => typeof v === 'string', '$property must be a string');
const minLength = (n: number) => rule((v) => typeof v === 'string' && [...v].length >= n, `$property must be longer than or equal to ${n} characters`);
const integer = rule((v) => Number.isInteger(v), '$property must be an integer number');
const number = rule((v) => isNumber(v) && Number.isFinite(v), '$property must be a number conforming to the specified constraints');
const min = (n: number) => rule((v) => isNumber(v) && v >= n, `$property must not be less than ${n}`);
const max = (n: number) => rule((v) => isNumber(v) && v <= n, `$property must not be greater than ${n}`);
const boolean = rule((v) => typeof v === 'boolean', '$property must be a boolean value');
const array = rule((v) => Array.isArray(v), '$property must be an array');
const nonEmpty = rule((v) => Array.isArray(v) && v.length > 0, '$property should not be empty');
const oneOf = (values: readonly string[], message = `$property must be one of the following values: ${values.join(', ')}`) =>
  rule((v) => values.includes(v as string), message);
const matches = (pattern: RegExp, message: string) => rule((v) => typeof v === 'string' && pattern.test(v), message);

/** A number of milliseconds >= 0, or a duration string, within `bounds` when given. */
const duration = (bounds?: DurationBounds): Rule => (value) => {
  const expectation = durationExpectation(value, bounds);
  return expectation === undefined ? undefined : `$property ${expectation}`;
};

/** A postgres:// or postgresql:// URL that parses. The message never echoes a password. */
const postgresUrl = rule((value) => {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}, `$property must be a URL such as 'postgres://user:password@host:5432/database'`);

/**
 * Minimums (and SQLite's one maximum) of the duration options, each with its reason. The values the
 * test suites use (pollInterval 50, heartbeatInterval 100, staleAfter 1000) are well inside them.
 */
export const DURATION_BOUNDS = {
  busyTimeout: { max: 2 ** 31 - 1, why: "SQLite's busy_timeout is a 32-bit count of milliseconds" },
  pollInterval: { min: 10, why: 'an idle worker queries the database every pollInterval; runs enqueued in this process wake it at once anyway' },
  heartbeatInterval: { min: 100, why: 'every heartbeat is a database write' },
  staleAfter: { min: 1000, why: 'a shorter silence is a busy event loop or a GC pause, not a dead worker' },
  cleanupInterval: { min: 1000, why: 'every cleanup scans the runs and logs tables' },
} satisfies Record<string, DurationBounds>;

/** The rules of each option. `queues` and `webhooks` entries are checked one by one in resolve-options.ts. */
const OPTION_RULES: Readonly<Record<string, FieldRules>> = {
  storage: [oneOf(['sqlite', 'postgres'], `storage must be 'sqlite' or 'postgres'`)],
  database: [string, minLength(1)],
  url: [postgresUrl],
  host: [string, minLength(1)],
  port: [integer, min(1), max(65535)],
  username: [string],
  password: [string],
  schema: [string, matches(/^[a-z_][a-z0-9_]*$/, 'schema may contain only [a-z0-9_] and not start with a digit')],
  poolSize: [integer, min(1), max(1000)],
  tablePrefix: [string, matches(/^[a-z0-9_]*$/, 'tablePrefix may contain only [a-z0-9_]')],
  autoMigrate: [boolean],
  journalMode: [oneOf(['WAL', 'DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY'])],
  busyTimeout: [duration(DURATION_BOUNDS.busyTimeout)],
  logging: [boolean],
  queues: [array, nonEmpty],
  concurrency: [integer, min(1), max(1000)],
  pollInterval: [duration(DURATION_BOUNDS.pollInterval)],
  heartbeatInterval: [duration(DURATION_BOUNDS.heartbeatInterval)],
  staleAfter: [duration(DURATION_BOUNDS.staleAfter)],
  shutdownTimeout: [duration()],
  enableScheduler: [boolean],
  enableWorkers: [boolean],
  schedule: { nested: { adopt: [boolean] } },
  workerId: [string, minLength(1)],
  defaultTimeout: [duration()],
  defaultMaxRetries: [integer, min(0)],
  retryPolicy: { nested: { initialDelay: [duration()], multiplier: [number, min(1)], maxDelay: [duration()], jitter: [number, min(0), max(1)] } },
  retention: [duration()],
  failedRetention: [duration()],
  logRetention: [duration()],
  cleanupInterval: [duration(DURATION_BOUNDS.cleanupInterval)],
  cleanupBatchSize: [integer, min(1)],
  maxPayloadBytes: [integer, min(1)],
  events: { nested: { crossProcess: [boolean] } },
  webhooks: [array],
};

/** A broken rule: the option's path ('retryPolicy.jitter'), the message naming it, the value. */
export interface OptionProblem {
  path: string;
  message: string;
  value: unknown;
}

/** Every rule `input` breaks, in the order of the rules; unknown keys are left to the caller. */
export function checkOptions(input: Readonly<Record<string, unknown>>, rules: Readonly<Record<string, FieldRules>> = OPTION_RULES, parent = ''): OptionProblem[] {
  const problems: OptionProblem[] = [];
  for (const [key, fieldRules] of Object.entries(rules)) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    const path = parent ? `${parent}.${key}` : key;
    if ('nested' in fieldRules) {
      if (typeof value !== 'object' || Array.isArray(value)) problems.push({ path, message: `${path} must be an object`, value });
      else problems.push(...checkOptions(value as Record<string, unknown>, fieldRules.nested, path));
      continue;
    }
    for (const check of fieldRules) {
      const message = check(value);
      if (message !== undefined) problems.push({ path, message: message.replace('$property', path), value });
    }
  }
  return problems;
}

/** The keys of `schedule`. */
export const SCHEDULE_ADOPTION_KEYS: readonly string[] = ['adopt'];

/** Every key the options object may hold (typos are reported rather than silently ignored). */
export const OPTION_KEYS: readonly string[] = [
  'storage', 'database', 'url', 'host', 'port', 'username', 'password', 'schema', 'poolSize', 'tablePrefix', 'autoMigrate', 'journalMode', 'busyTimeout', 'logging',
  'queues', 'concurrency', 'pollInterval', 'heartbeatInterval', 'staleAfter', 'shutdownTimeout',
  'enableScheduler', 'enableWorkers', 'schedule', 'workerId', 'defaultTimeout', 'defaultMaxRetries', 'retryPolicy',
  'retention', 'failedRetention', 'logRetention', 'cleanupInterval', 'cleanupBatchSize', 'maxPayloadBytes', 'events', 'webhooks',
  // added by ConfigurableModuleBuilder's extras
  'isGlobal',
];
