import {
  ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min,
  MinLength, ValidateNested, registerDecorator, type ValidationOptions,
} from 'class-validator';
import { Type } from 'class-transformer';
import { tryParseDuration } from '../util/duration.js';

/** A number of milliseconds >= 0, or a duration string. */
export function IsDuration(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDuration',
      target: target.constructor,
      propertyName,
      options: {
        message: `$property must be milliseconds (a number >= 0) or a duration string such as '30s', '10m', '2h'`,
        ...options,
      },
      validator: { validate: (value: unknown) => tryParseDuration(value) !== undefined },
    });
}

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
  @IsOptional() @IsDuration() busyTimeout?: unknown;
  @IsOptional() @IsBoolean() logging?: boolean;

  @IsOptional() @IsArray() @ArrayNotEmpty() @IsString({ each: true }) @MinLength(1, { each: true })
  queues?: string[];

  @IsOptional() @IsInt() @Min(1) @Max(1000) concurrency?: number;
  @IsOptional() @IsDuration() pollInterval?: unknown;
  @IsOptional() @IsDuration() heartbeatInterval?: unknown;
  @IsOptional() @IsDuration() staleAfter?: unknown;
  @IsOptional() @IsDuration() shutdownTimeout?: unknown;
  @IsOptional() @IsBoolean() enableScheduler?: boolean;
  @IsOptional() @IsBoolean() enableWorkers?: boolean;
  @IsOptional() @IsString() @MinLength(1) workerId?: string;
  @IsOptional() @IsDuration() defaultTimeout?: unknown;
  @IsOptional() @IsInt() @Min(0) defaultMaxRetries?: number;

  @IsOptional() @ValidateNested() @Type(() => RetryPolicySchema)
  retryPolicy?: RetryPolicySchema;

  @IsOptional() @IsDuration() retention?: unknown;
  @IsOptional() @IsDuration() logRetention?: unknown;
  @IsOptional() @IsDuration() cleanupInterval?: unknown;
  @IsOptional() @IsInt() @Min(1) cleanupBatchSize?: number;
  @IsOptional() @IsInt() @Min(1) maxPayloadBytes?: number;
}

/** Every key the options object may hold (typos are reported rather than silently ignored). */
export const OPTION_KEYS: readonly string[] = [
  'storage', 'database', 'url', 'host', 'port', 'username', 'password', 'schema', 'poolSize', 'tablePrefix', 'autoMigrate', 'journalMode', 'busyTimeout', 'logging',
  'queues', 'concurrency', 'pollInterval', 'heartbeatInterval', 'staleAfter', 'shutdownTimeout',
  'enableScheduler', 'enableWorkers', 'workerId', 'defaultTimeout', 'defaultMaxRetries', 'retryPolicy',
  'retention', 'logRetention', 'cleanupInterval', 'cleanupBatchSize', 'maxPayloadBytes',
  // added by ConfigurableModuleBuilder's extras
  'isGlobal',
];
