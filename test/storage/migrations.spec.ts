import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { JobLogLevel, SchemaNotMigratedError } from '../../lib/index.js';
import { tablePrefixOf } from '../../lib/migrations/migration-helpers.js';
import { SQLITE_MIGRATIONS } from '../../lib/migrations/sqlite/sqlite-migration-runner.js';
import { POSTGRES_MIGRATIONS } from '../../lib/migrations/postgres/postgres-migration-runner.js';
import type { ZapJobsModuleOptions } from '../../lib/options/zapjobs-options.interface.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { postgresBackend, type TestDatabase } from '../helpers/backends.js';
import { openStorage, rawSqlite, type OpenedStorage } from '../helpers/open-storage.js';
import { tempDir } from '../helpers/temp-db.js';

Logger.overrideLogger(false);

/** Processes racing to migrate one new file. */
const PROCESSES = 2;

/** Every migration this release ships, by name, in order. */
const ALL = SQLITE_MIGRATIONS.map((Migration) => new Migration().name as string);

describe('ZapJobsMigrations on SQLite', () => {
  let dir: ReturnType<typeof tempDir>;
  const open: OpenedStorage[] = [];
  const children: Child[] = [];

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill();
    for (const opened of open.splice(0)) await opened.close();
    dir.remove();
  });

  /** Opens the file as the module does, without migrating it. */
  async function connect(options: ZapJobsModuleOptions = {}): Promise<OpenedStorage> {
    const opened = await openStorage({ database: dir.file(), ...options }, { migrate: false });
    open.push(opened);
    return opened;
  }

  const tableNames = (dataSource: DataSource) =>
    (rawSqlite(dataSource).prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>)
      .map((row) => row.name)
      .filter((name) => !name.startsWith('sqlite_'));

  const migrationRows = (dataSource: DataSource, prefix = 'zj_') =>
    rawSqlite(dataSource).prepare(`SELECT name, timestamp FROM "${prefix}migrations" ORDER BY id`).all() as Array<{ name: string; timestamp: number }>;

  it('migrate() creates the tables under a custom prefix, and a storage with that prefix works on them', async () => {
    const { dataSource, storage, migrations } = await connect({ tablePrefix: 'acme_' });

    expect(await migrations.migrate()).toEqual(ALL);

    expect(tableNames(dataSource)).toEqual(['acme_batch_parents', 'acme_batches', 'acme_definitions', 'acme_events', 'acme_heartbeats', 'acme_logs', 'acme_migrations', 'acme_runs', 'acme_schedules']);
    const indexes = rawSqlite(dataSource).prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`).all() as Array<{ name: string }>;
    expect(indexes.length).toBeGreaterThan(0);
    expect(indexes.filter((index) => !index.name.startsWith('acme_'))).toEqual([]);
    expect(migrationRows(dataSource, 'acme_')).toEqual(ALL.map((name) => ({ name, timestamp: Number(name.slice(-13)) })));

    // Every statement of the storage finds the prefixed tables.
    await storage.upsertDefinition({ jobTypeId: 'job' });
    const id = await storage.enqueue({ jobTypeId: 'job' });
    await storage.addLog({ runId: id, level: JobLogLevel.Info, message: 'hello' });
    await storage.updateHeartbeat('w');
    expect((await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 })).map((run) => run.id)).toEqual([id]);
    expect((await storage.getAllDefinitions()).map((d) => d.jobTypeId)).toEqual(['job']);
    expect((await storage.getLogs(id)).map((l) => l.message)).toEqual(['hello']);
    expect((await storage.getActiveWorkers(60_000)).map((w) => w.workerId)).toEqual(['w']);
  });

  it('running migrate() twice applies nothing the second time', async () => {
    const { dataSource, migrations } = await connect();

    expect(await migrations.migrate()).toEqual(ALL);
    expect(await migrations.migrate()).toEqual([]);

    expect(migrationRows(dataSource).map((row) => row.name)).toEqual(ALL);
  });

  it('pending() lists every migration before migrate() and none after', async () => {
    const { migrations } = await connect();

    expect(await migrations.pending()).toEqual(ALL);
    await migrations.migrate();
    expect(await migrations.pending()).toEqual([]);
  });

  it('a restart on an existing file applies nothing and keeps the data', async () => {
    const first = await connect();
    await first.migrations.migrate();
    await first.storage.upsertDefinition({ jobTypeId: 'job' });
    const id = await first.storage.enqueue({ jobTypeId: 'job', input: { kept: true } });
    await first.close();

    const second = await connect();
    expect(await second.migrations.pending()).toEqual([]);
    expect(await second.migrations.migrate()).toEqual([]);

    expect(migrationRows(second.dataSource).map((row) => row.name)).toEqual(ALL);
    expect((await second.storage.getRun(id))?.input).toEqual({ kept: true });
  });

  it('a migration that fails rolls back every migration of that run', async () => {
    class BrokenMigration9999999999999 implements MigrationInterface {
      name = 'BrokenMigration9999999999999';
      async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "${tablePrefixOf(queryRunner)}half_done" (x INTEGER)`);
        throw new Error('broken on purpose');
      }
      async down(): Promise<void> {}
    }
    // A runner takes the list of migrations as it is built: the broken one goes in first.
    SQLITE_MIGRATIONS.push(BrokenMigration9999999999999);
    try {
      const { dataSource, migrations } = await connect();
      await expect(migrations.migrate()).rejects.toThrow('broken on purpose');

      expect(tableNames(dataSource)).toEqual([]);
      expect(await migrations.pending()).toEqual([...ALL, 'BrokenMigration9999999999999']);
    } finally {
      SQLITE_MIGRATIONS.pop();
    }
    expect(await (await connect()).migrations.migrate()).toEqual(ALL);
  });

  it(`${PROCESSES} OS processes migrating one new file at the same moment all succeed, each migration recorded once`, async () => {
    const database = dir.file('race.db');
    children.push(...Array.from({ length: PROCESSES }, () => startChild('migrate-process.ts', [database])));
    // Both are loaded before either opens the file: they race from the first statement.
    await Promise.all(children.map((child) => child.waitForLine((line) => line === 'ready')));
    for (const child of children) child.process.kill('SIGUSR2');

    const results = await Promise.all(
      children.map(async (child) => JSON.parse(await child.waitForLine((line) => line.startsWith('{'))) as { applied: string[] }),
    );
    const exits = await Promise.all(children.map((child) => child.exited));

    expect(exits).toEqual(children.map(() => ({ code: 0, signal: null })));
    // One process applied everything, the others found it done.
    expect(results.map((r) => r.applied).sort((x, y) => x.length - y.length)).toEqual([...children.slice(1).map(() => []), ALL]);
    const { dataSource, migrations } = await connect({ database });
    expect(migrationRows(dataSource).map((row) => row.name)).toEqual(ALL);
    expect(await migrations.pending()).toEqual([]);
  });

  it('with autoMigrate: false, onModuleInit on an empty file rejects with SchemaNotMigratedError saying how to migrate', async () => {
    const { dataSource, migrations } = await connect({ autoMigrate: false });

    const error = await migrations.onModuleInit().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaNotMigratedError);
    expect((error as SchemaNotMigratedError).pending).toEqual(ALL);
    const message = (error as Error).message;
    expect(message).toContain(ALL[0]);
    expect(message).toContain('autoMigrate: true');
    expect(message).toContain('ZapJobsMigrations).migrate()');
    // It only checked: nothing was created.
    expect(tableNames(dataSource)).toEqual([]);
  });

  it('with autoMigrate: false, onModuleInit on a migrated file resolves; with autoMigrate on, it migrates', async () => {
    const auto = await connect({ autoMigrate: true });
    await auto.migrations.onModuleInit();
    expect(await auto.migrations.pending()).toEqual([]);

    const manual = await connect({ autoMigrate: false });
    await expect(manual.migrations.onModuleInit()).resolves.toBeUndefined();
  });
});

(postgresBackend.available ? describe : describe.skip)('ZapJobsMigrations on PostgreSQL', () => {
  let db: TestDatabase;
  const sources: OpenedStorage[] = [];

  beforeEach(() => {
    db = postgresBackend.create();
  });
  afterEach(async () => {
    for (const opened of sources.splice(0)) await opened.close();
    await db.drop();
  });

  const open = async (options: ZapJobsModuleOptions = {}) => {
    const opened = await openStorage({ ...db.options, ...options }, { migrate: false });
    sources.push(opened);
    return { ds: opened.dataSource, migrations: opened.migrations, resolved: opened.options };
  };

  it('creates the schema and native-typed tables; a second migrate() applies nothing', async () => {
    const { ds, migrations, resolved } = await open({ tablePrefix: 'pgm_' });
    const all = POSTGRES_MIGRATIONS.map((Migration) => new Migration().name as string);
    expect(all[0]).toBe('ZapJobsPgInitialSchema1732838400000');
    expect(await migrations.pending()).toEqual(all);
    expect(await migrations.migrate()).toEqual(all);
    expect(await migrations.migrate()).toEqual([]);
    const columns = (await ds.query(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'pgm_runs' AND column_name IN ('id', 'input_json', 'scheduled_at')
        ORDER BY column_name`,
      [resolved.schema],
    )) as Array<{ column_name: string; data_type: string }>;
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'uuid' },
      { column_name: 'input_json', data_type: 'jsonb' },
      { column_name: 'scheduled_at', data_type: 'timestamp with time zone' },
    ]);
  });

  it('five connections migrating a new schema at the same moment all succeed, each migration recorded once', async () => {
    const opened = await Promise.all([1, 2, 3, 4, 5].map(() => open()));
    const applied = await Promise.all(opened.map(({ migrations }) => migrations.migrate()));
    // The advisory lock lets exactly one of them apply the migration; the others find it recorded.
    expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
    const [{ n }] = (await opened[0].ds.query(`SELECT COUNT(*)::int AS n FROM "${opened[0].resolved.schema}"."zj_migrations"`)) as Array<{ n: number }>;
    expect(n).toBe(POSTGRES_MIGRATIONS.length);
  });
});
