import 'reflect-metadata';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jest } from '@jest/globals';
import { Injectable, Module, type DynamicModule, type INestApplication, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import Database from 'better-sqlite3';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type Repository } from 'typeorm';
import {
  InvalidJobHandlerError, InvalidOptionsError, InvalidScheduleError, JobRunStatus, JobScheduler, JobStorage, ScheduleType,
  ZAPJOBS_DATA_SOURCE, ZapJobsMigrations, ZapJobsModule, type ZapJobsModuleOptions,
} from '../../lib/index.js';
// Internals, not part of the package's surface: the module's wiring is what these tests check.
import type { ResolvedZapJobsOptions } from '../../lib/options/resolved-options.js';
import { SqliteJobStorage } from '../../lib/storage/sqlite/sqlite-job-storage.js';
import { ZAPJOBS_OPTIONS } from '../../lib/zapjobs.constants.js';
import { ZapJobsInitialSchema1732838400000 } from '../../lib/migrations/sqlite/1732838400000-initial-schema.js';
import { SQLITE_MIGRATIONS } from '../../lib/migrations/sqlite/sqlite-migration-runner.js';
import { tempDir } from '../helpers/temp-db.js';
import {
  AnotherSendEmailJob, BadCronJob, NightlyReportJob, NoHandleJob, SendEmailJob,
} from '../fixtures/jobs.fixture.js';

/** These tests are about the module's wiring: the worker and scheduler loops stay off. */
const RUNTIME_OFF = { enableWorkers: false, enableScheduler: false } satisfies ZapJobsModuleOptions;

/** Injects JobStorage without importing ZapJobsModule: only works if the module is global. */
@Injectable()
class UsesStorage {
  constructor(readonly storage: JobStorage) {}
}

/** A feature module of the application, holding the job classes and a consumer of JobStorage. */
@Module({ providers: [SendEmailJob, NightlyReportJob, UsesStorage] })
class JobsFeatureModule {}

let tmp: ReturnType<typeof tempDir>;
const apps: INestApplication[] = [];

beforeEach(() => {
  tmp = tempDir();
});

afterEach(async () => {
  // Closed even when a test failed half-way, so that no DataSource stays open on a removed file.
  for (const app of apps.splice(0)) await app.close();
  tmp.remove();
});

/** Compiles and initialises an app from `imports` (closed after the test). */
async function boot(imports: Array<DynamicModule | Function>, providers: Provider[] = []): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: imports as DynamicModule[], providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app;
}

/** The error with which start-up (compile or init) fails. */
async function startUpFailure(imports: Array<DynamicModule | Function>, providers: Provider[] = []): Promise<Error> {
  try {
    await boot(imports, providers);
  } catch (error) {
    return error as Error;
  }
  throw new Error('start-up did not fail');
}

/** Names of the tables in a SQLite file, read with a connection of its own. */
function tablesIn(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>)
      .map((row) => row.name)
      .filter((name) => !name.startsWith('sqlite_'));
  } finally {
    db.close();
  }
}

function query<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const ZAPJOBS_TABLES = ['zj_batch_parents', 'zj_batches', 'zj_definitions', 'zj_events', 'zj_heartbeats', 'zj_logs', 'zj_migrations', 'zj_runs', 'zj_schedules'];

describe('ZapJobsModule.forRoot', () => {
  it('creates the folder and the file, is global, and stores the definitions of the @Job classes', async () => {
    const database = join(tmp.dir, 'not', 'there', 'yet', 'jobs.db');
    expect(existsSync(dirname(database))).toBe(false);

    const app = await boot([ZapJobsModule.forRoot({ database, ...RUNTIME_OFF }), JobsFeatureModule]);

    expect(existsSync(database)).toBe(true);
    const storage = app.get(UsesStorage).storage;
    expect(storage).toBeInstanceOf(SqliteJobStorage);
    expect(storage).toBe(app.get(JobStorage));
    expect(app.get(ZAPJOBS_DATA_SOURCE).options.database).toBe(database);

    const definitions = (await storage.getAllDefinitions()).sort((a, b) => a.jobTypeId.localeCompare(b.jobTypeId));
    expect(definitions.map((d) => d.jobTypeId)).toEqual(['nightly-report', 'send-email']);
    const [nightly, sendEmail] = definitions;
    expect(sendEmail).toMatchObject({
      displayName: 'Send e-mail',
      description: 'Sends one e-mail',
      queue: 'critical',
      priority: 5,
      tags: ['mail', 'customer'],
      timeoutMs: 30_000,
      maxRetries: 5,
      retryDelayMs: 2_000,
      isEnabled: true,
      scheduleType: ScheduleType.None,
      cronExpression: null,
      nextRunAt: null,
    });
    expect(nightly).toMatchObject({
      displayName: 'nightly-report',
      description: null,
      queue: 'low',
      priority: 0,
      tags: ['report'],
      timeoutMs: 3_600_000,
      maxRetries: 3,
      retryDelayMs: 5_000,
      scheduleType: ScheduleType.Cron,
      cronExpression: '0 2 * * *',
      timezone: 'America/Sao_Paulo',
    });
    // 02:00 in São Paulo (UTC-3) is 05:00 UTC, within the coming day.
    expect(nightly.nextRunAt!.toISOString()).toMatch(/T05:00:00\.000Z$/);
    expect(nightly.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect(nightly.nextRunAt!.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);

    expect(tablesIn(database)).toEqual(ZAPJOBS_TABLES);
  });

  it("runs on ':memory:' without creating any file", async () => {
    const before = readdirSync(process.cwd());
    const app = await boot([ZapJobsModule.forRoot({ database: ':memory:', ...RUNTIME_OFF }), JobsFeatureModule]);

    expect(app.get<ResolvedZapJobsOptions>(ZAPJOBS_OPTIONS).database).toBe(':memory:');
    const storage = app.get(JobStorage);
    expect((await storage.getAllDefinitions()).map((d) => d.jobTypeId).sort()).toEqual(['nightly-report', 'send-email']);
    const runId = await app.get(JobScheduler).enqueue(SendEmailJob, { to: 'a@example.com' });
    expect((await storage.getRun(runId))?.status).toBe(JobRunStatus.Pending);
    // Compared with before, as a zapjobs.db may already lie there from something else.
    expect(readdirSync(process.cwd())).toEqual(before);
  });

  it('with isGlobal: false is injectable only where imported', async () => {
    const error = await startUpFailure([
      // ':memory:': compile() fails after the module's DataSource may have opened, with no app to close.
      ZapJobsModule.forRoot({ database: ':memory:', isGlobal: false, ...RUNTIME_OFF }),
      JobsFeatureModule,
    ]);
    expect(error.message).toMatch(/resolve dependencies of the UsesStorage .*JobStorage at index \[0\] is available in the JobsFeatureModule/);
  });
});

describe('ZapJobsModule.forRootAsync', () => {
  const JOBS_CONFIG = Symbol('JOBS_CONFIG');
  interface JobsConfig {
    file: string;
    prefix: string;
  }

  /** Stands in for @nestjs/config's ConfigModule: a module that exports a config provider. */
  @Module({})
  class FakeConfigModule {
    static register(config: JobsConfig): DynamicModule {
      return { module: FakeConfigModule, providers: [{ provide: JOBS_CONFIG, useValue: config }], exports: [JOBS_CONFIG] };
    }
  }

  it('builds its options from an injected provider of an imported module', async () => {
    const file = tmp.file('async.db');
    const factory = jest.fn(async (config: JobsConfig): Promise<ZapJobsModuleOptions> => ({
      database: config.file,
      tablePrefix: config.prefix,
      ...RUNTIME_OFF,
    }));
    const app = await boot([
      ZapJobsModule.forRootAsync({
        imports: [FakeConfigModule.register({ file, prefix: 'jobs_' })],
        inject: [JOBS_CONFIG],
        useFactory: factory,
      }),
      JobsFeatureModule,
    ]);

    expect(factory).toHaveBeenCalledTimes(1);
    expect(factory).toHaveBeenCalledWith({ file, prefix: 'jobs_' });
    expect(app.get<ResolvedZapJobsOptions>(ZAPJOBS_OPTIONS)).toMatchObject({ database: file, tablePrefix: 'jobs_' });
    // Global too: the feature module got JobStorage without importing ZapJobsModule.
    const storage = app.get(UsesStorage).storage;
    expect((await storage.getAllDefinitions()).map((d) => d.jobTypeId).sort()).toEqual(['nightly-report', 'send-email']);
    expect(tablesIn(file)).toEqual(['jobs_batch_parents', 'jobs_batches', 'jobs_definitions', 'jobs_events', 'jobs_heartbeats', 'jobs_logs', 'jobs_migrations', 'jobs_runs', 'jobs_schedules']);
  });

  it('fails start-up when the factory returns a bad option, naming it and its value', async () => {
    const error = await startUpFailure([
      ZapJobsModule.forRootAsync({
        imports: [FakeConfigModule.register({ file: tmp.file(), prefix: 'Bad-Prefix' })],
        inject: [JOBS_CONFIG],
        useFactory: (config: JobsConfig) => ({ database: config.file, tablePrefix: config.prefix, ...RUNTIME_OFF }),
      }),
    ]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(/tablePrefix: .*\[a-z0-9_\].*got "Bad-Prefix"/);
  });
});

describe('start-up checks', () => {
  it('fails on a bad option, naming the option and the value', async () => {
    const error = await startUpFailure([ZapJobsModule.forRoot({ database: tmp.file(), concurrency: 0, ...RUNTIME_OFF })]);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(/concurrency: .*not be less than 1 \(got 0\)/);
  });

  it('fails on two @Job classes with one id, naming both classes', async () => {
    @Module({ providers: [AnotherSendEmailJob] })
    class OtherFeatureModule {}
    const error = await startUpFailure([
      ZapJobsModule.forRoot({ database: tmp.file(), ...RUNTIME_OFF }),
      JobsFeatureModule,
      OtherFeatureModule,
    ]);
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toMatch(/'send-email'/);
    expect(error.message).toContain('SendEmailJob');
    expect(error.message).toContain('AnotherSendEmailJob');
  });

  it('fails on a @Job class without handle(), naming the class', async () => {
    const error = await startUpFailure([ZapJobsModule.forRoot({ database: tmp.file(), ...RUNTIME_OFF })], [NoHandleJob]);
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect(error.message).toMatch(/NoHandleJob has no handle\(ctx\) method/);
  });

  it('fails on an invalid cron in @Job with InvalidScheduleError', async () => {
    const error = await startUpFailure([ZapJobsModule.forRoot({ database: tmp.file(), ...RUNTIME_OFF })], [BadCronJob]);
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(/BadCronJob: cron: Invalid cron expression '61 \* \* \* \*'/);
  });
});

describe("beside the application's own TypeORM DataSource", () => {
  @Entity('app_notes')
  class Note {
    @PrimaryGeneratedColumn() id!: number;
    @Column({ type: 'text' }) text!: string;
  }

  @Injectable()
  class NotesService {
    constructor(@InjectRepository(Note) readonly notes: Repository<Note>) {}
  }

  it('keeps its tables in its own file, out of the app DataSource, and closes with the app', async () => {
    const appFile = tmp.file('app.db');
    const jobsFile = tmp.file('jobs.db');
    const app = await boot(
      [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: appFile, entities: [Note], synchronize: true }),
        TypeOrmModule.forFeature([Note]),
        ZapJobsModule.forRoot({ database: jobsFile, ...RUNTIME_OFF }),
        JobsFeatureModule,
      ],
      [NotesService],
    );

    const appDataSource = app.get(DataSource);
    const jobsDataSource = app.get<DataSource>(ZAPJOBS_DATA_SOURCE);
    expect(app.get(getDataSourceToken())).toBe(appDataSource);
    expect(jobsDataSource).not.toBe(appDataSource);
    expect(appDataSource.options.database).toBe(appFile);
    expect(jobsDataSource.options.database).toBe(jobsFile);
    // TypeORM's metadata registry is process-wide: the app's DataSource must not have picked up ZapJobs' entities.
    expect(appDataSource.entityMetadatas.map((m) => m.tableName)).toEqual(['app_notes']);

    // Both work.
    await app.get(NotesService).notes.save({ text: 'hello' });
    const runId = await app.get(JobScheduler).enqueue(SendEmailJob, { to: 'a@example.com' });
    expect((await app.get(JobStorage).getRun(runId))?.jobTypeId).toBe('send-email');
    const appTables = (await appDataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)) as Array<{ name: string }>;
    expect(appTables.map((t) => t.name)).toContain('app_notes');
    expect(appTables.filter((t) => t.name.startsWith('zj_'))).toEqual([]);

    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(appDataSource.isInitialized).toBe(false);
    expect(jobsDataSource.isInitialized).toBe(false);

    expect(tablesIn(appFile)).toEqual(['app_notes']);
    expect(tablesIn(jobsFile)).toEqual(ZAPJOBS_TABLES);
    expect(query<{ text: string }>(appFile, 'SELECT text FROM app_notes')).toEqual([{ text: 'hello' }]);
    expect(query<{ id: string }>(jobsFile, 'SELECT id FROM zj_runs')).toEqual([{ id: runId }]);
  });
});

describe('restart on the same file', () => {
  it('keeps the data and applies no migration twice', async () => {
    const database = tmp.file();
    const up = jest.spyOn(ZapJobsInitialSchema1732838400000.prototype, 'up');
    try {
      const first = await boot([ZapJobsModule.forRoot({ database, ...RUNTIME_OFF }), JobsFeatureModule]);
      expect(up).toHaveBeenCalledTimes(1);
      const runId = await first.get(JobScheduler).enqueue(SendEmailJob, { to: 'a@example.com' });
      const nightlyBefore = await first.get(JobStorage).getJobDefinition('nightly-report');
      await first.close();
      apps.splice(apps.indexOf(first), 1);
      const migrationsBefore = query(database, 'SELECT * FROM zj_migrations');
      expect(migrationsBefore).toHaveLength(SQLITE_MIGRATIONS.length);

      const second = await boot([ZapJobsModule.forRoot({ database, ...RUNTIME_OFF }), JobsFeatureModule]);
      expect(up).toHaveBeenCalledTimes(1);
      const migrations = second.get(ZapJobsMigrations);
      expect(await migrations.pending()).toEqual([]);
      expect(await migrations.migrate()).toEqual([]);
      const storage = second.get(JobStorage);
      const run = await storage.getRun(runId);
      expect(run).toMatchObject({ jobTypeId: 'send-email', status: JobRunStatus.Pending, attemptNumber: 0 });
      expect(run!.input).toEqual({ to: 'a@example.com' });
      expect((await storage.listRuns()).map((r) => r.id)).toEqual([runId]);
      // The stored tick stands: a restart neither skips nor repeats one.
      expect((await storage.getJobDefinition('nightly-report'))?.nextRunAt).toEqual(nightlyBefore?.nextRunAt);
      expect((await storage.getAllDefinitions()).map((d) => d.jobTypeId).sort()).toEqual(['nightly-report', 'send-email']);
      await second.close();
      apps.splice(apps.indexOf(second), 1);

      expect(query(database, 'SELECT * FROM zj_migrations')).toEqual(migrationsBefore);
    } finally {
      up.mockRestore();
    }
  });
});
