import { FastifyAdapter } from '@nestjs/platform-fastify';
import { sqliteBackend, type TestDatabase } from '../../helpers/backends.js';
import { runIn } from '../../helpers/boot.js';
import { basic, bootDashboardApp, type DashboardApp } from '../../helpers/dashboard-app.js';
import { AlwaysFailsJob, DASHBOARD_JOBS } from '../../fixtures/dashboard-jobs.fixture.js';

describe('dashboard on Fastify', () => {
  let db: TestDatabase;
  let d: DashboardApp | undefined;
  afterEach(async () => {
    await d?.close();
    await db.drop();
    AlwaysFailsJob.failing = true;
  });

  it('serves pages, assets and the API, with basic auth, the same-origin check and actions', async () => {
    db = sqliteBackend.create();
    d = await bootDashboardApp(db.options, { auth: { username: 'ops', password: 'pw' } }, DASHBOARD_JOBS, { adapter: new FastifyAdapter() });
    const auth = { authorization: basic('ops', 'pw') };
    const anonymous = await fetch(`${d.origin}/zapjobs/api/counts`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const runId = await d.jobs.enqueue('always-fails');
    await runIn(d.storage, runId, ['failed']);

    const page = await fetch(`${d.origin}/zapjobs/runs/${runId}`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(runId);
    expect((await fetch(`${d.origin}/zapjobs/assets/dashboard.js`, { headers: auth })).headers.get('content-type')).toMatch(/javascript/);
    expect(((await (await fetch(`${d.origin}/zapjobs/api/openapi.json`, { headers: auth })).json()) as { openapi: string }).openapi).toMatch(/^3\.0/);

    const post = (headers: Record<string, string>) =>
      fetch(`${d!.origin}/zapjobs/api/runs/${runId}/retry`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...headers }, body: '{}' });
    expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    AlwaysFailsJob.failing = false;
    expect((await post({ origin: d.origin })).status).toBe(200);
    await runIn(d.storage, runId, ['completed']);
    expect((await fetch(`${d.origin}/zapjobs/api/runs/0190b4a0-0000-7000-8000-000000000000`, { headers: auth })).status).toBe(404);
  });
});
