import 'reflect-metadata';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { JobRunStatus, type ZapJobsModuleOptions } from '../../lib/index.js';
import { WorkerPool } from '../../lib/worker/worker-pool.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { describeEachBackend, sqliteBackend } from '../helpers/backends.js';
import { bootHttpApp, type HttpApp } from '../helpers/http-app.js';
import { runIn } from '../helpers/boot.js';
import { waitFor } from '../helpers/wait-for.js';
import { HEALTH_IMPORTS, healthCheck, HealthController } from '../fixtures/health-app.fixture.js';
import { AlwaysFailsJob, EchoJob, probe, RUNTIME_JOBS } from '../fixtures/runtime-jobs.fixture.js';

interface HealthBody {
  status: 'ok' | 'error';
  details: { zapjobs: { status: 'up' | 'down'; message?: string; problems?: string[]; [key: string]: unknown } };
}

async function health(app: HttpApp): Promise<{ status: number; body: HealthBody }> {
  const response = await app.get('/health');
  return { status: response.status, body: response.json() as HealthBody };
}

// staleAfter far above the heartbeat interval: a loaded machine's stall of a second must not make this worker look dead.
const bootServed = (options: ZapJobsModuleOptions) =>
  bootHttpApp({ staleAfter: 10_000, ...options }, { handlers: RUNTIME_JOBS, imports: HEALTH_IMPORTS, controllers: [HealthController] });

describeEachBackend('GET /health through terminus', (backend) => {
  const t = appPerTest(backend);
  let app: HttpApp;
  beforeEach(() => {
    probe.reset();
    healthCheck.options = {};
  });
  const boot = async () => (t.booted = app = await bootServed(t.db.options));

  it('is up with the database answering and this worker beating', async () => {
    await boot();

    const { status, body } = await health(app);

    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.zapjobs.status).toBe('up');
    expect(body.details.zapjobs.workerId).toEqual(expect.any(String));
    expect(body.details.zapjobs.heartbeatAgeMs).toBeLessThan(5000);
  });

  it('is down once the worker loop of this process has stopped', async () => {
    await boot();
    await app.app.get(WorkerPool).stop();

    const { status, body } = await health(app);

    expect(status).toBe(503);
    expect(body.details.zapjobs.message).toMatch(/^the worker loop of .+ is not running$/);
  });

  it('is down when a queue waits longer than maxPendingAge, up under a looser limit', async () => {
    await boot();
    // A queue no worker of this app serves, with a run due a minute ago.
    await app.jobs.enqueue(EchoJob, { n: 1 }, { queue: 'nobody', runAt: new Date(Date.now() - 60_000) });

    healthCheck.options = { maxPendingAge: { nobody: '5m' } };
    expect((await health(app)).status).toBe(200);

    healthCheck.options = { maxPendingAge: '30s' };
    const { status, body } = await health(app);
    expect(status).toBe(503);
    expect(body.details.zapjobs.status).toBe('down');
    expect(body.details.zapjobs.message).toMatch(/queue 'nobody': the oldest pending run has waited \d+ ms \(limit 30000 ms\)/);
    expect((body.details.zapjobs.oldestPendingAgeMs as Record<string, number>).nobody).toBeGreaterThanOrEqual(60_000);
  });

  it('is down when a queue with due runs has no live worker (requireLiveWorkers)', async () => {
    await boot();
    healthCheck.options = { requireLiveWorkers: true };
    await app.jobs.enqueue(EchoJob, { n: 1 });
    await waitFor(() => probe.calls.length === 1, { what: 'the run on the served queue' });
    expect((await health(app)).status).toBe(200);

    await app.jobs.enqueue(EchoJob, { n: 2 }, { queue: 'nobody' });
    const { status, body } = await health(app);

    expect(status).toBe(503);
    expect(body.details.zapjobs.problems).toEqual(["queue 'nobody' has due pending runs and no live worker"]);
  });

  it('is down when more than maxFailures.count runs failed within the window', async () => {
    await boot();
    healthCheck.options = { maxFailures: { count: 0, window: '1m' } };
    expect((await health(app)).status).toBe(200);

    const runId = await app.jobs.enqueue(AlwaysFailsJob, null, { maxRetries: 0 });
    await runIn(app.storage, runId, [JobRunStatus.Failed]);
    const { status, body } = await health(app);

    expect(status).toBe(503);
    expect(body.details.zapjobs.message).toMatch(/1 runs failed in the last 60000 ms \(more than 0\)/);
    healthCheck.options = { maxFailures: { count: 1, window: '1m' } };
    expect((await health(app)).status).toBe(200);
  });
});

describe('GET /health when the SQLite file stops being the database', () => {
  const t = appPerTest(sqliteBackend);
  let app: HttpApp;
  beforeEach(async () => {
    healthCheck.options = {};
    t.booted = app = await bootServed(t.db.options);
    expect((await health(app)).status).toBe(200);
  });

  // chmod 000 cannot break this: modes are checked when a file is opened, and the connection opened
  // it at start (for every user; root, which these tests may run as, is not checked at all). What
  // does take the database away from a running app is the file deleted, or replaced by another
  // (a restore renamed over it): reads through the open connection still succeed on the old inode,
  // so the check looks at the path, as writes do (DatabaseFileGoneError).
  it('is down once the file is replaced by another', async () => {
    const file = t.db.options.database as string;
    writeFileSync(`${file}.new`, '');
    renameSync(`${file}.new`, file);

    const { status, body } = await health(app);

    expect(status).toBe(503);
    expect(body.details.zapjobs.message).toMatch(/The database did not answer: .*was deleted or replaced/);
  });

  it('is down once the file is deleted', async () => {
    const file = t.db.options.database as string;
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });

    const { status, body } = await health(app);

    expect(status).toBe(503);
    expect(body.details.zapjobs.status).toBe('down');
  });
});
