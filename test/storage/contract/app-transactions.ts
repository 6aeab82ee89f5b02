import { DataSource, type DataSourceOptions } from 'typeorm';
import { InvalidManagerError, InvalidPayloadError, InvalidRunStateError, JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, type ContractContext } from './harness.js';

/**
 * enqueueInTransaction: runs inserted through an application's open TypeORM transaction. Its input
 * is the application's EntityManager, so this area opens an application DataSource on the
 * backend's database (the options of the backend's own DataSource, without ZapJobs' entities):
 * the one place the contract reaches past the storage API. On SQLite in memory no other
 * connection can share the database: there the contract is that it refuses.
 */
export function describeAppTransactions(ctx: ContractContext): void {
  const { define, totalRuns } = contractHelpers(ctx);

  describe('enqueueInTransaction (through the application\'s transaction)', () => {
    let storage: EngineStorage;
    let app: DataSource;
    let inMemory: boolean;

    beforeEach(async () => {
      storage = ctx.storage;
      const own = ctx.dataSource.options as DataSourceOptions & { database?: string };
      inMemory = own.type === 'better-sqlite3' && (own.database === ':memory:' || own.database === '');
      const { entities, prepareDatabase, entityPrefix, ...rest } = own as DataSourceOptions & Record<string, unknown>;
      void entities, void prepareDatabase, void entityPrefix;
      app = new DataSource({ ...(rest as DataSourceOptions), entities: [], synchronize: false, migrationsRun: false } as DataSourceOptions);
      await app.initialize();
      await define('mail', { queue: 'critical', priority: 3 });
    });

    afterEach(async () => {
      if (app.isInitialized) await app.destroy();
    });

    it('commit: the runs exist, as enqueue stores them; before it, no other connection sees them', async () => {
      if (inMemory) {
        await app.transaction(async (manager) => {
          await expect(storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {} }], manager)).rejects.toThrow(InvalidManagerError);
        });
        expect(await totalRuns()).toBe(0);
        return;
      }
      const queryRunner = app.createQueryRunner();
      await queryRunner.startTransaction();
      let ids: string[];
      try {
        ids = await storage.enqueueInTransaction([{ jobTypeId: 'mail', input: { to: 'a' } }, { jobTypeId: 'mail', input: { to: 'b' }, priority: 9 }], queryRunner.manager);
        expect(ids).toHaveLength(2);
        for (const id of ids) expect(await storage.getRun(id)).toBeNull();
        await queryRunner.commitTransaction();
      } finally {
        await queryRunner.release();
      }
      const [a, b] = await Promise.all(ids.map((id) => storage.getRun(id)));
      expect(a).toMatchObject({ status: JobRunStatus.Pending, queue: 'critical', priority: 3, attemptNumber: 0, input: { to: 'a' } });
      expect(b).toMatchObject({ status: JobRunStatus.Pending, queue: 'critical', priority: 9, input: { to: 'b' } });
    });

    it('rollback: nothing is stored', async () => {
      if (inMemory) return;
      let ids: string[] = [];
      await expect(
        app.transaction(async (manager) => {
          ids = await storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {} }], manager);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(ids).toHaveLength(1);
      expect(await storage.getRun(ids[0])).toBeNull();
      expect(await totalRuns()).toBe(0);
    });

    it('refuses a manager not in a transaction, and bad runs, before anything is run', async () => {
      await expect(storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {} }], app.manager)).rejects.toThrow(InvalidManagerError);
      await expect(storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {} }], null)).rejects.toThrow(/^manager: expected the EntityManager/);
      if (!inMemory) {
        await app.transaction(async (manager) => {
          await expect(storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {}, priority: 1.5 }], manager)).rejects.toThrow(InvalidPayloadError);
          expect(await storage.enqueueInTransaction([], manager)).toEqual([]);
        });
      }
      expect(await totalRuns()).toBe(0);
    });

    it('a caller-given id that exists already: InvalidRunStateError', async () => {
      if (inMemory) return;
      const id = await storage.enqueue({ jobTypeId: 'mail', input: {} });
      await expect(
        app.transaction((manager) => storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {}, id }], manager)),
      ).rejects.toThrow(InvalidRunStateError);
      expect(await totalRuns()).toBe(1);
    });
  });
}
