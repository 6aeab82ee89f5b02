// @zapjobs/nestjs/testing: run, time and assert on jobs in an application's tests.
export { ZapJobsTestingModule, type ZapJobsTestingOptions } from './zapjobs-testing.module.js';
export { ZapJobsTesting, type DrainOptions, type DrainCounts, type DrainSummary } from './zapjobs-testing.js';
export { FakeClock } from './fake-clock.js';
export { DrainLimitError, NotEnqueuedError, TestingClosedError } from './testing.errors.js';
