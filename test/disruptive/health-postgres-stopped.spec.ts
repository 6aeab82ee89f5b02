import 'reflect-metadata';
import { execSync } from 'node:child_process';
import { postgresBackend, type TestDatabase } from '../helpers/backends.js';
import { bootHttpApp, type HttpApp } from '../helpers/http-app.js';
import { waitFor } from '../helpers/wait-for.js';
import { HEALTH_IMPORTS, healthCheck, HealthController } from '../fixtures/health-app.fixture.js';
import { RUNTIME_JOBS } from '../fixtures/runtime-jobs.fixture.js';

/** `pg_ctl -D <data dir>` of the throwaway server (.ci/postgres.sh): this test stops and starts it. */
const PG_CTL = process.env.ZAPJOBS_TEST_PG_CTL;

/**
 * Starts the stopped server as it ran before: `restart` takes the options of its last start from
 * postmaster.opts (port, socket dir), where a bare `start` would come up on the default port.
 */
const startAgain = () => execSync(`${PG_CTL} restart -w`, { stdio: 'ignore' });

(postgresBackend.available && PG_CTL ? describe : describe.skip)('GET /health while PostgreSQL is stopped', () => {
  let db: TestDatabase;
  let app: HttpApp | undefined;
  let stopped = false;

  beforeEach(() => {
    healthCheck.options = { timeout: 2000 };
    db = postgresBackend.create();
  });
  afterEach(async () => {
    if (stopped) startAgain();
    stopped = false;
    await app?.close();
    await db.drop();
  });

  it('is down, within the timeout, while the server is stopped, and up again once it is back', async () => {
    app = await bootHttpApp(db.options, { handlers: RUNTIME_JOBS, imports: HEALTH_IMPORTS, controllers: [HealthController] });
    expect((await app.get('/health')).status).toBe(200);

    execSync(`${PG_CTL} stop -m fast -w`, { stdio: 'ignore' });
    stopped = true;
    const from = performance.now();
    const down = await app.get('/health');
    const tookMs = performance.now() - from;

    expect(down.status).toBe(503);
    const body = down.json() as { details: { zapjobs: { status: string; message: string } } };
    expect(body.details.zapjobs.status).toBe('down');
    expect(body.details.zapjobs.message).toMatch(/^The database did not answer: /);
    expect(tookMs).toBeLessThan(2000 + 1000);
    console.log(`down answered in ${Math.round(tookMs)} ms: ${body.details.zapjobs.message}`);

    startAgain();
    stopped = false;
    // Up once the pool has fresh connections and the heartbeat has been written again.
    await waitFor(async () => (await app!.get('/health')).status === 200, { timeoutMs: 20_000, intervalMs: 200, what: 'health up again' });
  });
});
