import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { JobScheduler } from './client/job-scheduler.js';
import { ZapJobsEvents } from './events/zapjobs-events.js';
import { JobExplorer } from './discovery/job-explorer.js';
import { JobMetadataAccessor } from './discovery/job-metadata.accessor.js';
import { JobRegistry } from './discovery/job-registry.js';
import { MaintenanceService } from './maintenance/maintenance.service.js';
import { ZapJobsMigrations } from './migrations/zapjobs-migrations.js';
import { resolveOptions } from './options/resolve-options.js';
import type { ResolvedZapJobsOptions } from './options/resolved-options.js';
import type { ZapJobsModuleOptions } from './options/zapjobs-options.interface.js';
import { RecurringScheduler } from './scheduler/recurring-scheduler.js';
import { JobStorage } from './storage/job-storage.js';
import { createSqliteDataSource } from './storage/sqlite/sqlite-connection.js';
import { SqliteJobStorage } from './storage/sqlite/sqlite-job-storage.js';
import { createPostgresDataSource, pgConnectionConfig } from './storage/postgres/postgres-connection.js';
import { PostgresJobStorage } from './storage/postgres/postgres-job-storage.js';
import { WorkerPool } from './worker/worker-pool.js';
import { ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS } from './zapjobs.constants.js';
import { ZapJobsLifecycle } from './zapjobs.lifecycle.js';
import { ZapJobsConfigurableModule, ZAPJOBS_MODULE_OPTIONS } from './zapjobs.module-definition.js';

/**
 * Background jobs stored in a database.
 *
 * @example
 * ZapJobsModule.forRoot({ database: 'data/jobs.db' })
 * ZapJobsModule.forRootAsync({ inject: [ConfigService], useFactory: (c) => ({ database: c.get('JOBS_DB') }) })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: ZAPJOBS_OPTIONS,
      useFactory: (raw: ZapJobsModuleOptions) => resolveOptions(raw),
      inject: [ZAPJOBS_MODULE_OPTIONS],
    },
    {
      provide: ZAPJOBS_DATA_SOURCE,
      useFactory: (options: ResolvedZapJobsOptions) =>
        options.storage === 'postgres' ? createPostgresDataSource(options) : createSqliteDataSource(options),
      inject: [ZAPJOBS_OPTIONS],
    },
    {
      provide: JobStorage,
      useFactory: (dataSource: DataSource, options: ResolvedZapJobsOptions) =>
        options.storage === 'postgres'
          ? new PostgresJobStorage(dataSource, {
              tablePrefix: options.tablePrefix,
              schema: options.schema,
              maxPayloadBytes: options.maxPayloadBytes,
              listenConfig: pgConnectionConfig(options),
            })
          : new SqliteJobStorage(dataSource, { tablePrefix: options.tablePrefix, maxPayloadBytes: options.maxPayloadBytes }),
      inject: [ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS],
    },
    ZapJobsMigrations,
    JobMetadataAccessor,
    JobRegistry,
    JobExplorer,
    ZapJobsEvents,
    WorkerPool,
    RecurringScheduler,
    MaintenanceService,
    JobScheduler,
    ZapJobsLifecycle,
  ],
  exports: [JobStorage, JobScheduler, ZapJobsEvents, ZapJobsMigrations, ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS],
})
export class ZapJobsModule extends ZapJobsConfigurableModule {}
