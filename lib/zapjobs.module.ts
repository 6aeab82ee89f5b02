import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { JobScheduler } from './client/job-scheduler.js';
import { ZapJobsEvents } from './events/zapjobs-events.js';
import { JobEventExplorer } from './discovery/job-event-explorer.js';
import { JobExplorer } from './discovery/job-explorer.js';
import { EventRelay } from './event-relay/event-relay.js';
import { JobMetadataAccessor } from './discovery/job-metadata.accessor.js';
import { JobRegistry } from './discovery/job-registry.js';
import { HeartbeatService } from './maintenance/heartbeat.service.js';
import { MaintenanceService } from './maintenance/maintenance.service.js';
import { ZapJobsMigrations } from './migrations/zapjobs-migrations.js';
import { resolveOptions } from './options/resolve-options.js';
import type { ResolvedZapJobsOptions } from './options/resolved-options.js';
import type { ZapJobsModuleOptions } from './options/zapjobs-options.interface.js';
import { RecurringScheduler } from './scheduler/recurring-scheduler.js';
import { backendFor, type StorageBackend } from './storage/backend.js';
import { EngineStorage } from './storage/engine-storage.js';
import { JobStorage } from './storage/job-storage.js';
import { Clock, SystemClock } from './util/clock.js';
import { WorkerPool } from './worker/worker-pool.js';
import { ZAPJOBS_BACKEND, ZAPJOBS_DATA_SOURCE, ZAPJOBS_MIGRATION_RUNNER, ZAPJOBS_OPTIONS } from './zapjobs.constants.js';
import { ZapJobsLifecycle } from './zapjobs.lifecycle.js';
import { ScheduleAdoptionHook } from './zapjobs.schedule-adoption.js';
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
    // The backend is chosen here, once; everything below asks it.
    { provide: ZAPJOBS_BACKEND, useFactory: (options: ResolvedZapJobsOptions) => backendFor(options.storage), inject: [ZAPJOBS_OPTIONS] },
    {
      provide: ZAPJOBS_DATA_SOURCE,
      useFactory: (backend: StorageBackend, options: ResolvedZapJobsOptions) => backend.createDataSource(options),
      inject: [ZAPJOBS_BACKEND, ZAPJOBS_OPTIONS],
    },
    {
      provide: ZAPJOBS_MIGRATION_RUNNER,
      useFactory: (backend: StorageBackend, dataSource: DataSource, options: ResolvedZapJobsOptions) => backend.migrationRunner(dataSource, options),
      inject: [ZAPJOBS_BACKEND, ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS],
    },
    { provide: Clock, useClass: SystemClock },
    {
      provide: EngineStorage,
      useFactory: (backend: StorageBackend, dataSource: DataSource, options: ResolvedZapJobsOptions, clock: Clock) =>
        backend.createStorage(dataSource, options, clock),
      inject: [ZAPJOBS_BACKEND, ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS, Clock],
    },
    // Applications inject the public contract; it is the same object, typed without the engine's operations.
    { provide: JobStorage, useExisting: EngineStorage },
    ZapJobsMigrations,
    JobMetadataAccessor,
    JobRegistry,
    JobExplorer,
    JobEventExplorer,
    ZapJobsEvents,
    EventRelay,
    WorkerPool,
    RecurringScheduler,
    MaintenanceService,
    HeartbeatService,
    JobScheduler,
    ZapJobsLifecycle,
    ScheduleAdoptionHook,
  ],
  // EngineStorage and WorkerPool are for the integrations of this package (health, metrics):
  // applications cannot name them, lib/index.ts does not export them.
  exports: [JobStorage, JobScheduler, ZapJobsEvents, ZapJobsMigrations, ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS, EngineStorage, WorkerPool],
})
export class ZapJobsModule extends ZapJobsConfigurableModule {}
