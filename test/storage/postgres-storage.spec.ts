import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { PostgresJobStorage, ZapJobsMigrations } from '../../lib/index.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';
import { createPostgresDataSource, pgConnectionConfig } from '../../lib/storage/postgres/postgres-connection.js';
import { postgresBackend } from '../helpers/backends.js';
import { describeStorageContract, type StorageHarness } from './contract/index.js';

Logger.overrideLogger(false);

/** A fresh schema, migrated, and a storage on it, as the module builds them; close() drops the schema. */
async function openPostgres(maxPayloadBytes?: number): Promise<StorageHarness> {
  const db = postgresBackend.create();
  const resolved = resolveOptions({ ...db.options, maxPayloadBytes });
  const dataSource = await createPostgresDataSource(resolved);
  await new ZapJobsMigrations(dataSource, resolved).migrate();
  const storage = new PostgresJobStorage(dataSource, {
    tablePrefix: resolved.tablePrefix,
    schema: resolved.schema,
    maxPayloadBytes: resolved.maxPayloadBytes,
    listenConfig: pgConnectionConfig(resolved),
  });
  return {
    storage,
    dataSource,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
  };
}

// PostgresJobStorage passes the process's Date.now() as "now", like SQLite: the frozen-clock tests apply.
if (postgresBackend.available) {
  describeStorageContract('PostgreSQL', ({ maxPayloadBytes }) => openPostgres(maxPayloadBytes), { clock: 'process' });
} else {
  describe.skip('JobStorage contract: PostgreSQL (set ZAPJOBS_TEST_PG_URL to run)', () => {
    it('needs a PostgreSQL server', () => undefined);
  });
}
