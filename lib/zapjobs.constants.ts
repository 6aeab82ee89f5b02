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
