// typeorm's own module, not its index: see sqlite-connection.ts.
import { DataSource } from 'typeorm/data-source/DataSource.js';
import { ZapJobsError } from '../../errors/zapjobs.error.js';
import type { ResolvedZapJobsOptions } from '../../options/resolved-options.js';
import { redactUrl } from '../../options/resolve-options.js';
import { zapjobsEntities } from '../entities/entity-schemas.js';

/** The connection settings of the `pg` driver, from the module options (for the LISTEN client too). */
export function pgConnectionConfig(options: ResolvedZapJobsOptions): Record<string, unknown> {
  return options.url
    ? { connectionString: options.url }
    : { host: options.host, port: options.port, user: options.username, password: options.password, database: options.database };
}

/** Where we tried to connect, for error messages: never the password. */
export function describeTarget(options: ResolvedZapJobsOptions): string {
  return options.url ? redactUrl(options.url) : `postgres://${options.username ?? ''}@${options.host}:${options.port}/${options.database}`;
}

/** The module's own DataSource on a PostgreSQL pool (TypeORM's postgres driver over `pg`). */
export async function createPostgresDataSource(options: ResolvedZapJobsOptions): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    ...(options.url
      ? { url: options.url }
      : { host: options.host, port: options.port, username: options.username, password: options.password, database: options.database }),
    schema: options.schema,
    entities: zapjobsEntities('postgres'),
    entityPrefix: options.tablePrefix,
    synchronize: false,
    migrationsRun: false,
    logging: options.logging,
    poolSize: options.poolSize,
    applicationName: 'zapjobs',
    // Fail fast rather than hang when the server is unreachable.
    connectTimeoutMS: 10_000,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new ZapJobsError(
      `Could not connect to PostgreSQL at ${describeTarget(options)}: ${(error as Error).message}. ` +
        `Check the url (or host, port, username, password, database) option and that the server is running.`,
      { cause: error },
    );
  }
  return dataSource;
}
