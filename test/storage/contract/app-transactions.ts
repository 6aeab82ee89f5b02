import { DataSource, type DataSourceOptions } from 'typeorm';
import { InvalidManagerError, InvalidPayloadError, InvalidRunStateError, JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, type ContractContext } from './harness.js';

const runIdsOf = (results: ReadonlyArray<{ runId: string }>) => results.map((result) => result.runId);

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
        ids = runIdsOf(await storage.enqueueInTransaction([{ jobTypeId: 'mail', input: { to: 'a' } }, { jobTypeId: 'mail', input: { to: 'b' }, priority: 9 }], queryRunner.manager));
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
          ids = runIdsOf(await storage.enqueueInTransaction([{ jobTypeId: 'mail', input: {} }], manager));
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

    describe('unique runs, keyed by the application\'s transaction', () => {
      const key = (k: string, extra: object = {}) => ({ jobTypeId: 'mail', input: { k }, unique: { key: k, ...extra } });

      it('a rollback frees the key it took; a commit holds it, and a later transaction gets the holder', async () => {
        if (inMemory) return;
        let taken: string[] = [];
        await expect(
          app.transaction(async (manager) => {
            const results = await storage.enqueueInTransaction([key('k')], manager);
            expect(results).toEqual([{ runId: expect.any(String), created: true, replaced: false }]);
            taken = runIdsOf(results);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect(await storage.getRun(taken[0])).toBeNull();

        const committed = await app.transaction((manager) => storage.enqueueInTransaction([key('k')], manager));
        expect(committed[0]).toMatchObject({ created: true });
        expect(committed[0].runId).not.toBe(taken[0]);
        const again = await app.transaction((manager) => storage.enqueueInTransaction([key('k'), { jobTypeId: 'mail', input: {} }], manager));
        expect(again[0]).toEqual({ runId: committed[0].runId, created: false, replaced: false });
        expect(again[1]).toMatchObject({ created: true });
        expect(await storage.enqueueDetailed(key('k'))).toEqual({ runId: committed[0].runId, created: false, replaced: false });
        expect(await totalRuns()).toBe(2);
      });

      it('items of one call meet each other in order, as in enqueueManyDetailed', async () => {
        if (inMemory) return;
        const results = await app.transaction((manager) =>
          storage.enqueueInTransaction([key('a'), key('a', { onConflict: 'replace' }), key('b')], manager),
        );
        expect(results.map((r) => [r.created, r.replaced])).toEqual([[true, false], [false, true], [true, false]]);
        expect(results[1].runId).toBe(results[0].runId);
        expect(await totalRuns()).toBe(2);
      });

      it("'replace' gives the pending holder the new input at commit, and a rollback leaves it as it was", async () => {
        if (inMemory) return;
        const holder = await storage.enqueue({ jobTypeId: 'mail', input: { n: 1 }, unique: { key: 'r' } });
        const replace = { jobTypeId: 'mail', input: { n: 2 }, unique: { key: 'r', onConflict: 'replace' as const } };
        await expect(
          app.transaction(async (manager) => {
            expect(await storage.enqueueInTransaction([replace], manager)).toEqual([{ runId: holder, created: false, replaced: true }]);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect((await storage.getRun(holder))!.input).toEqual({ n: 1 });
        expect(await app.transaction((manager) => storage.enqueueInTransaction([replace], manager))).toEqual([{ runId: holder, created: false, replaced: true }]);
        expect((await storage.getRun(holder))!.input).toEqual({ n: 2 });
      });

      it("an enqueue of the key outside waits for the application's transaction, and then gets its run", async () => {
        if (inMemory) return;
        const queryRunner = app.createQueryRunner();
        await queryRunner.startTransaction();
        let inside: string;
        let outside: Promise<unknown>;
        let settled = false;
        try {
          [{ runId: inside }] = await storage.enqueueInTransaction([key('w')], queryRunner.manager);
          outside = storage.enqueueDetailed(key('w')).finally(() => (settled = true));
          // It cannot decide before the commit: the key is taken by a row nobody else sees yet.
          const deadline = Date.now() + 300;
          while (Date.now() < deadline) {
            expect(settled).toBe(false);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await queryRunner.commitTransaction();
        } finally {
          await queryRunner.release();
        }
        expect(await outside!).toEqual({ runId: inside!, created: false, replaced: false });
        expect(await totalRuns()).toBe(1);
      });

      it('PostgreSQL, REPEATABLE READ: a key committed since the snapshot is a serialization failure, never a second holder', async () => {
        if (ctx.dataSource.options.type !== 'postgres') return;
        const queryRunner = app.createQueryRunner();
        await queryRunner.startTransaction('REPEATABLE READ');
        try {
          await queryRunner.query('SELECT 1');
          const holder = await storage.enqueue(key('rr'));
          await expect(storage.enqueueInTransaction([key('rr')], queryRunner.manager)).rejects.toMatchObject({ code: '40001' });
          await queryRunner.rollbackTransaction();
          expect(await storage.enqueueDetailed(key('rr'))).toEqual({ runId: holder, created: false, replaced: false });
        } finally {
          await queryRunner.release();
        }
        expect(await totalRuns()).toBe(1);
      });

      it('refuses bad unique options, and a unique continuation, before anything is run', async () => {
        if (inMemory) return;
        await app.transaction(async (manager) => {
          await expect(storage.enqueueInTransaction([{ jobTypeId: 'mail', unique: { key: '' } }], manager)).rejects.toThrow(InvalidPayloadError);
          await expect(
            storage.enqueueInTransaction([{ jobTypeId: 'mail', status: JobRunStatus.Awaiting, unique: { key: 'c' } }], manager),
          ).rejects.toThrow(InvalidPayloadError);
        });
        expect(await totalRuns()).toBe(0);
      });
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
