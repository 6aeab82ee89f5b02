import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import pg from 'pg';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type DataSourceOptions } from 'typeorm';
import {
  InvalidManagerError, Job, JobRunStatus, JobScheduler, JobStorage, ZapJobsEvents, ZapJobsModule, type JobContext, type JobHandler,
  type ZapJobsModuleOptions,
} from '../../lib/index.js';
import { WorkerPool } from '../../lib/worker/worker-pool.js';
import { describeEachBackend, PG_URL, type Backend, type TestDatabase } from '../helpers/backends.js';
import { runIn } from '../helpers/boot.js';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { tempDir } from '../helpers/temp-db.js';
import { waitFor } from '../helpers/wait-for.js';

/** The application's own entity, saved in the same transaction as the job that confirms it. */
@Entity('tx_orders')
class Order {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'text' }) item!: string;
}

const executions: Array<{ orderId: number; attempt: number; at: number }> = [];

@Job({ id: 'tx.confirm-order', maxRetries: 0 })
class ConfirmOrderJob implements JobHandler<{ orderId: number }, { sent: true }> {
  handle(ctx: JobContext<{ orderId: number }>) {
    executions.push({ orderId: ctx.input.orderId, attempt: ctx.attempt, at: Date.now() });
    return { sent: true as const };
  }
}

/** Fails if `probe` turns truthy before `ms` have passed: a deadline, checked every 20 ms. */
async function neverWithin(ms: number, probe: () => unknown | Promise<unknown>, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (await probe()) throw new Error(`${what} within ${ms} ms`);
}

interface App {
  app: INestApplication;
  jobs: JobScheduler;
  storage: JobStorage;
  dataSource: DataSource;
  enqueued: string[];
  logger: RecordingLogger;
}

/** The application's DataSource options on the test's database (same file, or same database and schema). */
function appDataSourceOptions(backend: Backend, db: TestDatabase): DataSourceOptions {
  return backend.name === 'sqlite'
    ? { type: 'better-sqlite3', database: db.options.database as string, entities: [Order], synchronize: true }
    : { type: 'postgres', url: PG_URL, schema: db.options.schema, entities: [Order], synchronize: true };
}

async function pgQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describeEachBackend('enqueue in the application\'s transaction', (backend) => {
  let db: TestDatabase;
  const apps: INestApplication[] = [];
  const others: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    executions.length = 0;
    db = backend.create();
    // The application's tables live in the test's schema, which must exist before its DataSource synchronizes.
    if (backend.name === 'postgres') await pgQuery(`CREATE SCHEMA IF NOT EXISTS "${db.options.schema}"`);
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const close of others.splice(0).reverse()) await close();
    await db.drop();
  });

  async function boot(options: ZapJobsModuleOptions = {}): Promise<App> {
    @Module({
      imports: [
        TypeOrmModule.forRoot(appDataSourceOptions(backend, db) as TypeOrmModuleOptions),
        TypeOrmModule.forFeature([Order]),
        ZapJobsModule.forRoot({ ...db.options, pollInterval: 50, heartbeatInterval: 100, staleAfter: 5000, shutdownTimeout: 2000, ...options }),
      ],
      providers: [ConfirmOrderJob],
    })
    class ShopModule {}
    const logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({ imports: [ShopModule] }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    apps.push(app);
    const enqueued: string[] = [];
    app.get(ZapJobsEvents).on('enqueued', ({ runId }) => enqueued.push(runId));
    return { app, jobs: app.get(JobScheduler), storage: app.get(JobStorage), dataSource: app.get(DataSource), enqueued, logger };
  }

  /** A DataSource outside the app (closed after the test). */
  async function otherDataSource(options: DataSourceOptions): Promise<DataSource> {
    const dataSource = new DataSource(options);
    await dataSource.initialize();
    others.push(async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    });
    return dataSource;
  }

  async function nothingStored(storage: JobStorage): Promise<void> {
    const counts = await storage.countRuns();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  }

  it('commit: the order and its run are stored together; the run is neither seen nor started before the commit, and runs once', async () => {
    const shop = await boot({ pollInterval: 60_000 });
    const pool = shop.app.get(WorkerPool);
    const queryRunner = shop.dataSource.createQueryRunner();
    await queryRunner.connect();
    await queryRunner.startTransaction();
    let runId: string;
    let orderId: number;
    let committedAt = 0;
    try {
      const order = await queryRunner.manager.save(Order, { item: 'book' });
      orderId = order.id;
      runId = await shop.jobs.enqueue(ConfirmOrderJob, { orderId }, { manager: queryRunner.manager });

      // Held open: the worker is poked again and again (as enqueues in this process would) and
      // still does not start the run, which no other connection can see yet.
      await neverWithin(
        500,
        async () => {
          pool.notify();
          return executions.length > 0 || shop.enqueued.length > 0 || (await shop.storage.getRun(runId)) !== null;
        },
        'the run was seen, started or announced before the commit',
      );
      // Taken before COMMIT is sent: the worker may see the run before commitTransaction() returns here.
      committedAt = Date.now();
      await queryRunner.commitTransaction();
    } finally {
      await queryRunner.release();
    }

    const run = await runIn(shop.storage, runId, [JobRunStatus.Completed], 5_000);
    expect(executions).toEqual([{ orderId, attempt: 1, at: expect.any(Number) }]);
    expect(executions[0].at).toBeGreaterThanOrEqual(committedAt);
    // Far below the 60 s poll: the commit's wake-up started it (the margin is for a loaded machine).
    expect(executions[0].at - committedAt).toBeLessThan(10_000);
    expect([run.attemptNumber, run.output, run.input]).toEqual([1, { sent: true }, { orderId }]);
    expect(shop.enqueued).toEqual([runId]);
    expect(await shop.dataSource.getRepository(Order).findOneBy({ id: orderId })).toEqual({ id: orderId, item: 'book' });
    // ZapJobs' own writes meanwhile (heartbeats, claims) waited for the transaction instead of failing.
    expect(shop.logger.errors).toEqual([]);
  });

  it("the commit wakes this process's workers at once (no poll in between)", async () => {
    // A poll interval far longer than the test: only the wake-up after the commit can start the run
    // in time (on SQLite the commit hook on the application's DataSource; on PostgreSQL the insert's
    // NOTIFY, delivered at commit, as well).
    const shop = await boot({ pollInterval: 60_000 });
    const queryRunner = shop.dataSource.createQueryRunner();
    await queryRunner.startTransaction();
    let runId: string;
    try {
      runId = await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 7 }, { manager: queryRunner.manager });
      await neverWithin(300, () => executions.length > 0, 'the run started before the commit');
      await queryRunner.commitTransaction();
    } finally {
      await queryRunner.release();
    }
    const committedAt = Date.now();
    await runIn(shop.storage, runId, [JobRunStatus.Completed], 10_000);
    expect(executions).toHaveLength(1);
    expect(executions[0].at - committedAt).toBeLessThan(10_000);
    expect(shop.enqueued).toEqual([runId]);
  });

  it('rollback: neither the order nor the run exists, and nothing ever runs', async () => {
    const shop = await boot({ pollInterval: 50 });
    let runId: string | undefined;
    await expect(
      shop.dataSource.transaction(async (manager) => {
        const order = await manager.save(Order, { item: 'lamp' });
        runId = await shop.jobs.enqueue(ConfirmOrderJob, { orderId: order.id }, { manager });
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');
    expect(runId).toEqual(expect.any(String));

    expect(await shop.storage.getRun(runId!)).toBeNull();
    // Ten poll intervals: no run appears, none executes, no 'enqueued' event.
    await neverWithin(
      500,
      async () => executions.length > 0 || shop.enqueued.length > 0 || (await shop.storage.listRuns()).length > 0,
      'a rolled-back run appeared or ran',
    );
    await nothingStored(shop.storage);
    expect(await shop.dataSource.getRepository(Order).count()).toBe(0);
    expect(shop.logger.errors).toEqual([]);
  });

  it('enqueueMany(items, { manager }): every run commits with the transaction, and each runs once', async () => {
    const shop = await boot();
    const { ids, orders } = await shop.dataSource.transaction(async (manager) => {
      const saved = await manager.save(Order, [{ item: 'a' }, { item: 'b' }, { item: 'c' }]);
      const runIds = await shop.jobs.enqueueMany(
        saved.map((order) => ({ job: ConfirmOrderJob, input: { orderId: order.id } })),
        { manager },
      );
      return { ids: runIds, orders: saved };
    });
    for (const id of ids) await runIn(shop.storage, id, [JobRunStatus.Completed]);
    await waitFor(() => shop.enqueued.length === 3, { what: "three 'enqueued' events" });
    expect(executions.map((e) => e.orderId).sort()).toEqual(orders.map((o) => o.id).sort());
    expect(new Set(shop.enqueued)).toEqual(new Set(ids));
  });

  it('unique runs with { manager }: the transaction takes the key, a rollback frees it, a duplicate gets the holder and no event', async () => {
    const shop = await boot({ enableWorkers: false });
    const unique = (key: string) => ({ unique: { key } });

    let rolledBack: string | undefined;
    await expect(
      shop.dataSource.transaction(async (manager) => {
        const result = await shop.jobs.enqueueDetailed(ConfirmOrderJob, { orderId: 1 }, { manager, ...unique('order-1') });
        expect(result).toMatchObject({ created: true });
        rolledBack = result.runId;
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');
    expect(await shop.storage.getRun(rolledBack!)).toBeNull();

    const [first, second] = await shop.dataSource.transaction(async (manager) => [
      await shop.jobs.enqueueDetailed(ConfirmOrderJob, { orderId: 1 }, { manager, ...unique('order-1') }),
      await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager, ...unique('order-1') }),
    ]);
    expect(first).toMatchObject({ created: true, replaced: false });
    expect(first.runId).not.toBe(rolledBack);
    expect(second).toBe(first.runId);

    const [held, fresh] = await shop.dataSource.transaction((manager) =>
      shop.jobs.enqueueManyDetailed(
        [
          { job: ConfirmOrderJob, input: { orderId: 1 }, options: unique('order-1') },
          { job: ConfirmOrderJob, input: { orderId: 2 }, options: unique('order-2') },
        ],
        { manager },
      ),
    );
    expect(held).toEqual({ runId: first.runId, created: false, replaced: false });
    expect(fresh).toMatchObject({ created: true });

    await waitFor(() => shop.enqueued.length === 2, { what: "two 'enqueued' events" });
    expect(shop.enqueued).toEqual([first.runId, fresh.runId]);
    expect((await shop.storage.listRuns()).map((run) => run.id).sort()).toEqual([first.runId, fresh.runId].sort());
    expect(shop.logger.errors).toEqual([]);
  });

  it('a rolled-back savepoint takes its run with it; the enclosing transaction\'s run stays', async () => {
    const shop = await boot();
    const { kept, dropped } = await shop.dataSource.transaction(async (manager) => {
      const keptId = await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager });
      let droppedId = '';
      await manager
        .transaction(async (inner) => {
          droppedId = await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 2 }, { manager: inner });
          throw new Error('inner step failed');
        })
        .catch(() => undefined);
      return { kept: keptId, dropped: droppedId };
    });
    await runIn(shop.storage, kept, [JobRunStatus.Completed]);
    expect(await shop.storage.getRun(dropped)).toBeNull();
    expect(shop.enqueued).toEqual([kept]);
    expect(executions.map((e) => e.orderId)).toEqual([1]);
  });

  (backend.name === 'sqlite' ? it : it.skip)(
    "SQLite: ZapJobs' own writes wait for the application's open transaction, with the event loop turning, up to busyTimeout",
    async () => {
      const shop = await boot({ enableWorkers: false, busyTimeout: 300 });
      await shop.dataSource.transaction(async (manager) => {
        await manager.save(Order, { item: 'pen' });
        await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager });
        // A plain enqueue inside the transaction cannot commit before it: it waits, and then fails
        // as SQLite's own lock timeout would, but without blocking the event loop meanwhile.
        let ticks = 0;
        const timer = setInterval(() => ticks++, 20);
        const started = Date.now();
        try {
          await expect(shop.jobs.enqueue(ConfirmOrderJob, { orderId: 2 })).rejects.toThrow(
            /^database is locked: a transaction of your application on this SQLite file has been open in this process for over busyTimeout \(300 ms\)/,
          );
        } finally {
          clearInterval(timer);
        }
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        expect(ticks).toBeGreaterThanOrEqual(5);
      });
      // The same plain enqueue after the commit goes through at once.
      await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 3 });
      expect((await shop.storage.listRuns()).map((run) => run.input).sort((a, b) => (a as { orderId: number }).orderId - (b as { orderId: number }).orderId)).toEqual([
        { orderId: 1 },
        { orderId: 3 },
      ]);
    },
  );

  describe('a manager that cannot carry the run: a clear error, nothing stored', () => {
    it('not in a transaction', async () => {
      const shop = await boot({ enableWorkers: false });
      const attempt = shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager: shop.dataSource.manager });
      await expect(attempt).rejects.toThrow(InvalidManagerError);
      await expect(attempt).rejects.toThrow(/^manager: it is not in an open transaction/);
      // A query runner whose transaction has ended is not in one either.
      const queryRunner = shop.dataSource.createQueryRunner();
      await queryRunner.startTransaction();
      await queryRunner.commitTransaction();
      await expect(shop.jobs.enqueueMany([{ job: ConfirmOrderJob, input: { orderId: 2 } }], { manager: queryRunner.manager })).rejects.toThrow(
        /^manager: it is not in an open transaction/,
      );
      await queryRunner.release();
      await expect(shop.jobs.enqueue(ConfirmOrderJob, { orderId: 3 }, { manager: {} as never })).rejects.toThrow(/^manager: expected the EntityManager/);
      await nothingStored(shop.storage);
    });

    it(`on another ${backend.name === 'sqlite' ? 'file' : 'database'}`, async () => {
      const shop = await boot({ enableWorkers: false });
      let other: DataSource;
      if (backend.name === 'sqlite') {
        const tmp = tempDir();
        others.push(async () => tmp.remove());
        other = await otherDataSource({ type: 'better-sqlite3', database: tmp.file('other.db'), entities: [Order], synchronize: true });
      } else {
        const name = `zjt_other_${randomBytes(4).toString('hex')}`;
        await pgQuery(`CREATE DATABASE ${name}`);
        others.push(() => pgQuery(`DROP DATABASE IF EXISTS ${name}`));
        const url = new URL(PG_URL!);
        url.pathname = `/${name}`;
        other = await otherDataSource({ type: 'postgres', url: url.toString(), entities: [Order], synchronize: true });
      }
      // The application's transaction is left usable: its own write still commits.
      await other.transaction(async (manager) => {
        await manager.save(Order, { item: 'elsewhere' });
        await expect(shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager })).rejects.toThrow(
          backend.name === 'sqlite' ? /^manager: its DataSource is on the file '.*other\.db', ZapJobs on '.*'/ : /^manager: its DataSource is connected to database 'zjt_other_/,
        );
      });
      expect(await other.getRepository(Order).count()).toBe(1);
      await nothingStored(shop.storage);
    });

    it('of another driver, or (SQLite) in memory', async () => {
      const shop = await boot({ enableWorkers: false });
      const tmp = tempDir();
      others.push(async () => tmp.remove());
      const foreign: DataSourceOptions | undefined =
        backend.name === 'postgres'
          ? { type: 'better-sqlite3', database: tmp.file('app.db') }
          : PG_URL !== undefined
            ? { type: 'postgres', url: PG_URL }
            : undefined;
      if (foreign) {
        const other = await otherDataSource(foreign);
        await other.transaction(async (manager) => {
          await expect(shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager })).rejects.toThrow(
            new RegExp(`^manager: its DataSource uses the '${foreign.type}' driver, but ZapJobs stores runs in ${backend.name === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`),
          );
        });
      }
      if (backend.name === 'sqlite') {
        const memory = await otherDataSource({ type: 'better-sqlite3', database: ':memory:' });
        await memory.transaction(async (manager) => {
          await expect(shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 }, { manager })).rejects.toThrow(/^manager: your DataSource's SQLite database is in memory/);
        });
      }
      await nothingStored(shop.storage);
    });

    it('given where it would be ignored: an item of enqueueMany or enqueueManyDetailed, continueWith', async () => {
      const shop = await boot({ enableWorkers: false });
      const parent = await shop.jobs.enqueue(ConfirmOrderJob, { orderId: 1 });
      await shop.dataSource.transaction(async (manager) => {
        await expect(
          shop.jobs.enqueueMany([{ job: ConfirmOrderJob, input: { orderId: 1 }, options: { manager } as never }]),
        ).rejects.toThrow(/^enqueueMany: items\[0\]\.options: 'manager' is not an option here/);
        await expect(
          shop.jobs.enqueueManyDetailed([{ job: ConfirmOrderJob, input: { orderId: 1 }, options: { manager } as never }]),
        ).rejects.toThrow(/^enqueueManyDetailed: items\[0\]\.options: 'manager' is not an option here/);
        await expect(shop.jobs.continueWith(parent, ConfirmOrderJob, { orderId: 2 }, { manager } as never)).rejects.toThrow(
          /^continueWith: options: 'manager' is not an option here/,
        );
      });
      expect((await shop.storage.listRuns()).map((run) => run.id)).toEqual([parent]);
    });
  });
});
