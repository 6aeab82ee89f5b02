import {
  ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min,
  MinLength, ValidateNested, registerDecorator, type ValidationArguments, type ValidationOptions,
} from 'class-validator';
import { Type } from 'class-transformer';
import { durationExpectation, type DurationBounds } from '../util/duration.js';

/** A number of milliseconds >= 0, or a duration string, within `bounds` when given. */
export function IsDuration(bounds?: DurationBounds, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDuration',
      target: target.constructor,
      propertyName,
      options: {
        message: (args: ValidationArguments) => `$property ${durationExpectation(args.value, bounds)}`,
        ...options,
      },
      validator: { validate: (value: unknown) => durationExpectation(value, bounds) === undefined },
    });
}

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

/** A postgres:// or postgresql:// URL that parses. The message never echoes a password. */
export function IsPostgresUrl(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPostgresUrl',
      target: target.constructor,
      propertyName,
      options: { message: `$property must be a URL such as 'postgres://user:password@host:5432/database'`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
          } catch {
            return false;
          }
        },
      },
    });
}

export class RetryPolicySchema {
  @IsOptional() @IsDuration() initialDelay?: unknown;
  @IsOptional() @IsNumber() @Min(1) multiplier?: number;
  @IsOptional() @IsDuration() maxDelay?: unknown;
  @IsOptional() @IsNumber() @Min(0) @Max(1) jitter?: number;
}

export class EventsOptionsSchema {
  @IsOptional() @IsBoolean() crossProcess?: boolean;
}

export class ScheduleAdoptionSchema {
  @IsOptional() @IsBoolean() adopt?: boolean;
}

/** class-validator rules of ZapJobsModuleOptions; every field optional, defaults applied after. */
export class ZapJobsOptionsSchema {
  @IsOptional() @IsIn(['sqlite', 'postgres'], { message: `storage must be 'sqlite' or 'postgres'` })
  storage?: string;

  @IsOptional() @IsString() @MinLength(1) database?: string;

  @IsOptional() @IsPostgresUrl() url?: string;
  @IsOptional() @IsString() @MinLength(1) host?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65535) port?: number;
  @IsOptional() @IsString() username?: string;
  @IsOptional() @IsString() password?: string;

  @IsOptional() @IsString() @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'schema may contain only [a-z0-9_] and not start with a digit' })
  schema?: string;

  @IsOptional() @IsInt() @Min(1) @Max(1000) poolSize?: number;

  @IsOptional() @IsString() @Matches(/^[a-z0-9_]*$/, { message: 'tablePrefix may contain only [a-z0-9_]' })
  tablePrefix?: string;

  @IsOptional() @IsBoolean() autoMigrate?: boolean;
  @IsOptional() @IsIn(['WAL', 'DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY']) journalMode?: string;
  @IsOptional() @IsDuration(DURATION_BOUNDS.busyTimeout) busyTimeout?: unknown;
  @IsOptional() @IsBoolean() logging?: boolean;

  // Each entry (a name, or { name, concurrency }) is checked in resolve-options.ts (queueEntries).
  @IsOptional() @IsArray() @ArrayNotEmpty()
  queues?: unknown[];

  @IsOptional() @IsInt() @Min(1) @Max(1000) concurrency?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1000) prefetch?: number;
  @IsOptional() @IsDuration(DURATION_BOUNDS.pollInterval) pollInterval?: unknown;
  @IsOptional() @IsDuration(DURATION_BOUNDS.heartbeatInterval) heartbeatInterval?: unknown;
  @IsOptional() @IsDuration(DURATION_BOUNDS.staleAfter) staleAfter?: unknown;
  @IsOptional() @IsDuration() shutdownTimeout?: unknown;
  @IsOptional() @IsBoolean() enableScheduler?: boolean;
  @IsOptional() @IsBoolean() enableWorkers?: boolean;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ScheduleAdoptionSchema)
  schedule?: ScheduleAdoptionSchema;
  @IsOptional() @IsString() @MinLength(1) workerId?: string;
  @IsOptional() @IsDuration() defaultTimeout?: unknown;
  @IsOptional() @IsInt() @Min(0) defaultMaxRetries?: number;

  @IsOptional() @ValidateNested() @Type(() => RetryPolicySchema)
  retryPolicy?: RetryPolicySchema;

  @IsOptional() @IsDuration() retention?: unknown;
  @IsOptional() @IsDuration() failedRetention?: unknown;
  @IsOptional() @IsDuration() logRetention?: unknown;
  @IsOptional() @IsDuration(DURATION_BOUNDS.cleanupInterval) cleanupInterval?: unknown;
  @IsOptional() @IsInt() @Min(1) cleanupBatchSize?: number;
  @IsOptional() @IsInt() @Min(1) maxPayloadBytes?: number;

  @IsOptional() @ValidateNested() @Type(() => EventsOptionsSchema)
  events?: EventsOptionsSchema;

  // Each entry is checked in resolve-options.ts (webhookEntries).
  @IsOptional() @IsArray()
  webhooks?: unknown[];
}

/** The keys of `schedule`. */
export const SCHEDULE_ADOPTION_KEYS: readonly string[] = ['adopt'];

/** Every key the options object may hold (typos are reported rather than silently ignored). */
export const OPTION_KEYS: readonly string[] = [
  'storage', 'database', 'url', 'host', 'port', 'username', 'password', 'schema', 'poolSize', 'tablePrefix', 'autoMigrate', 'journalMode', 'busyTimeout', 'logging',
  'queues', 'concurrency', 'prefetch', 'pollInterval', 'heartbeatInterval', 'staleAfter', 'shutdownTimeout',
  'enableScheduler', 'enableWorkers', 'schedule', 'workerId', 'defaultTimeout', 'defaultMaxRetries', 'retryPolicy',
  'retention', 'failedRetention', 'logRetention', 'cleanupInterval', 'cleanupBatchSize', 'maxPayloadBytes', 'events', 'webhooks',
  // added by ConfigurableModuleBuilder's extras
  'isGlobal',
];
