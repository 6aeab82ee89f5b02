import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { postgresBackend } from '../helpers/backends.js';
import { openStorage } from '../helpers/open-storage.js';
import { describeStorageContract, type StorageHarness } from './contract/index.js';

Logger.overrideLogger(false);

/** A fresh schema, migrated, and a storage on it, as the module builds them; close() drops the schema. */
async function openPostgres(maxPayloadBytes?: number): Promise<StorageHarness> {
  const db = postgresBackend.create();
  const opened = await openStorage({ ...db.options, maxPayloadBytes });
  return {
    storage: opened.storage,
    dataSource: opened.dataSource,
    close: async () => {
      await opened.close();
      await db.drop();
    },
  };
}

// The storage passes the process's clock (Date.now()) as "now", like SQLite: the frozen-clock tests apply.
if (postgresBackend.available) {
  describeStorageContract('PostgreSQL', ({ maxPayloadBytes }) => openPostgres(maxPayloadBytes), { clock: 'process' });
} else {
  describe.skip('JobStorage contract: PostgreSQL (set ZAPJOBS_TEST_PG_URL to run)', () => {
    it('needs a PostgreSQL server', () => undefined);
  });
}
