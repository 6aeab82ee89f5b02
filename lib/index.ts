// The public surface of @zapjobs/nestjs: what the README documents, no more. The storage
// implementations, the entities, the options token and the engine's own storage contract stay
// internal, so that they can change without breaking applications.
export { ZapJobsModule } from './zapjobs.module.js';
export { JOB_CONTEXT, ZAPJOBS_DATA_SOURCE } from './zapjobs.constants.js';
export type {
  ZapJobsModuleOptions, QueueOptions, RetryPolicy, EventsOptions, WebhookOptions, ScheduleAdoptionOptions,
} from './options/zapjobs-options.interface.js';
export { Job } from './decorators/job.decorator.js';
export { OnJobEvent, type OnJobEventOptions } from './decorators/on-job-event.decorator.js';
export { verifyWebhookSignature } from './webhooks/webhook-signature.js';
export type { JobOptions, ConcurrencyLimit, RateLimit, LimitKey } from './interfaces/job-options.interface.js';
export type { JobCheckpoint, JobContext, JobHandler, JobLogger, JobProgress } from './interfaces/job-context.interface.js';
export type {
  BatchOptions, BatchResult, BatchSummary, EnqueueOptions, ContinuationOptions, NamedScheduleOptions, ScheduleOptions, TransactionOptions, UniqueOptions, UniqueOnConflict, EnqueueResult,
} from './interfaces/enqueue-options.interface.js';
export type { EnqueueItem, JobClass, JobInput, JobOutput, JobRef, JobRunOf } from './interfaces/job-types.interface.js';
export { JobScheduler } from './client/job-scheduler.js';
export { ZapJobsEvents, type ZapJobsEventMap, type ZapJobsEventName, type RunEvent } from './events/zapjobs-events.js';
export { JobStorage } from './storage/job-storage.js';
export type {
  BulkOptions, CancelledRun, CancelManyOptions, CleanupProgress, HeartbeatInfo, JobDefinitionInput, JobScheduleInput, JobRunUpdate, NewJobLog, NewJobRun, RunBulkFilter, RunListFilter,
  ScheduleUpdate,
} from './storage/job-storage.types.js';
export type { JobBatch, JobDefinition, JobLog, JobRun, JobSchedule, WorkerHeartbeat } from './model/job-run.js';
export { JobLogLevel, JobRunStatus, JobTriggerType, ScheduleType, type ContinueCondition } from './model/statuses.js';
export { ZapJobsMigrations } from './migrations/zapjobs-migrations.js';
export * from './errors/errors.js';
export { ZapJobsError } from './errors/zapjobs.error.js';
export type { Duration } from './util/duration.js';
