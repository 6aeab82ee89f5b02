import 'reflect-metadata';
import { execSync } from 'node:child_process';
import { JobRunStatus } from '../../lib/index.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';
import { postgresBackend, type TestDatabase } from '../helpers/backends.js';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { waitFor } from '../helpers/wait-for.js';
import { probe, RecordJob, RUNTIME_JOBS } from '../fixtures/runtime-jobs.fixture.js';

/** `pg_ctl -D <data dir>` of the throwaway server (.ci/postgres.sh): this test restarts it. */
const PG_CTL = process.env.ZAPJOBS_TEST_PG_CTL;

(postgresBackend.available && PG_CTL ? describe : describe.skip)('PostgreSQL restarted under running workers', () => {
  let db: TestDatabase;
  let booted: BootedApp;

  beforeEach(() => {
    probe.reset();
    db = postgresBackend.create();
  });
  afterEach(async () => {
    await booted?.close();
    await db.drop();
  });

  it('logs the errors, backs off, resumes when the server is back, and leaves no run Running', async () => {
    const logger = new RecordingLogger();
    booted = await bootApp({ ...db.options, concurrency: 4, staleAfter: 3000, heartbeatInterval: 200 }, RUNTIME_JOBS, { logger });
    const before = [];
    for (let i = 0; i < 200; i++) before.push(await booted.jobs.enqueue(RecordJob, i));
    await waitFor(() => probe.calls.length >= 20, { what: 'work under way' });

    execSync(`${PG_CTL} restart -m fast -w`, { stdio: 'ignore' });

    // Enqueueing resumes once the pool has fresh connections (the first tries may meet dead ones).
    const after = await waitFor(async () => {
      try {
        return await booted.jobs.enqueue(RecordJob, 'after the restart');
      } catch {
        return null;
      }
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'an enqueue after the restart' });

    await waitFor(async () => {
      const counts = await booted.storage.countRuns().catch(() => null);
      return counts !== null && counts[JobRunStatus.Completed] === 201;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'all 201 runs completed' });
    const counts = await booted.storage.countRuns();
    console.log(`after the restart: ${JSON.stringify(counts)}; errors logged: ${logger.errors.length}`);
    expect(counts[JobRunStatus.Running]).toBe(0);
    expect(counts[JobRunStatus.Pending]).toBe(0);
    expect((await booted.storage.getRun(after))!.status).toBe(JobRunStatus.Completed);
    // The outage was noticed and said, not swallowed.
    expect(logger.errors.length + logger.warnings.length).toBeGreaterThan(0);
    expect(before).toHaveLength(200);
  });
});
