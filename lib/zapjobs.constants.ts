import { REQUEST } from '@nestjs/core';

/** Injection token of the resolved, frozen module options. */
export const ZAPJOBS_OPTIONS = Symbol('zapjobs:options');
/** Injection token of the module's own TypeORM DataSource (never the application's). */
export const ZAPJOBS_DATA_SOURCE = Symbol('zapjobs:data-source');
/** Metadata key written by `@Job()`. */
export const JOB_METADATA = 'zapjobs:job';
/** Injection token of the chosen backend's StorageBackend descriptor. */
export const ZAPJOBS_BACKEND = Symbol('zapjobs:backend');
/** Injection token of the chosen backend's MigrationRunner. */
export const ZAPJOBS_MIGRATION_RUNNER = Symbol('zapjobs:migration-runner');
/**
 * Injection token of the optional RunInstrumentation (lib/instrumentation/) that an integration's
 * global module provides; absent, the engine instruments nothing.
 */
export const ZAPJOBS_INSTRUMENTATION = Symbol('zapjobs:instrumentation');

/** Metadata key written by `@OnJobEvent()` on a method. */
export const JOB_EVENT_LISTENER_METADATA = 'zapjobs:job-event-listener';
/**
 * Injection token of the run's JobContext, for a handler (or a dependency of one) built per run:
 * `constructor(@Inject(JOB_CONTEXT) ctx: JobContext<Input>)`. It is Nest's REQUEST token, as
 * @nestjs/bullmq's JOB_REF is: injecting it makes the class request-scoped (Nest's scope bubbling),
 * so the handler gets a fresh instance per run, and each run is registered as its own "request".
 */
export const JOB_CONTEXT = REQUEST;
/** Metadata key written by `@AdoptSchedule()` (from '@zapjobs/nestjs/schedule') on a method. */
export const ADOPT_SCHEDULE_METADATA = 'zapjobs:adopt-schedule';
