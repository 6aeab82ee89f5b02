import type { Pool } from 'pg';
import { PostgresMigrationRunner } from '../../migrations/postgres/postgres-migration-runner.js';
import type { StorageBackend } from '../backend.js';
import { createPostgresDataSource, pgConnectionConfig } from './postgres-connection.js';
import { PostgresJobStorage } from './postgres-job-storage.js';

export const postgresBackend: StorageBackend = {
  name: 'postgres',
  createDataSource: createPostgresDataSource,
  migrationRunner: (dataSource, options) => new PostgresMigrationRunner(dataSource, options.schema, options.tablePrefix),
  createStorage: (dataSource, options, clock) => {
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const q = (name: string) => `"${options.schema}"."${options.tablePrefix}${name}"`;
    return new PostgresJobStorage(pool, {
      tables: { definitions: q('definitions'), runs: q('runs'), logs: q('logs'), heartbeats: q('heartbeats'), schedules: q('schedules'), batches: q('batches'),
        batchParents: q('batch_parents') },
      clock,
      maxPayloadBytes: options.maxPayloadBytes,
      channel: `zapjobs_${options.schema}_${options.tablePrefix}`.slice(0, 63),
      eventsChannel: `zapjobs_events_${options.schema}_${options.tablePrefix}`.slice(0, 63),
      listenConfig: pgConnectionConfig(options),
    });
  },
};
