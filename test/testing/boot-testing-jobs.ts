import type { ZapJobsTestingOptions } from '../../lib/testing/index.js';
import { Calls, TESTING_JOBS } from '../fixtures/testing-jobs.fixture.js';
import { bootTestingApp } from '../helpers/boot.js';

/** Where the fake clock of these tests starts: half past, so the hourly tick is 30 minutes off. */
export const START = new Date('2026-03-01T10:30:00Z');

/** An app on the testing module with the testing fixture's jobs, and the record of what they ran. */
export async function bootTestingJobs(options: ZapJobsTestingOptions = {}) {
  const booted = await bootTestingApp({ now: START, ...options }, TESTING_JOBS);
  return { ...booted, calls: booted.app.get(Calls) };
}

export type TestingJobsApp = Awaited<ReturnType<typeof bootTestingJobs>>;
