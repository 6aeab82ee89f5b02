import { JobRunStatus } from '../../../lib/index.js';
import { runIn } from '../../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../../helpers/backends.js';
import { basic, bootDashboardApp, type DashboardApp } from '../../helpers/dashboard-app.js';
import { waitFor } from '../../helpers/wait-for.js';
import { AlwaysFailsJob, ChargeCardJob, DASHBOARD_JOBS } from '../../fixtures/dashboard-jobs.fixture.js';

const AUTH = basic('ops', 's3cret');

describeEachBackend('dashboard REST API', (backend) => {
  let db: TestDatabase;
  let d: DashboardApp;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${d.origin}/zapjobs/api${path}`, { ...init, headers: { authorization: AUTH, 'content-type': 'application/json', ...init.headers } });
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    api(path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), headers });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

  beforeAll(async () => {
    db = backend.create();
    d = await bootDashboardApp(db.options, { path: '/zapjobs', auth: { username: 'ops', password: 's3cret' } }, DASHBOARD_JOBS);
  });
  afterAll(async () => {
    await d?.close();
    await db?.drop();
  });
  beforeEach(() => {
    ChargeCardJob.failing = true;
    AlwaysFailsJob.failing = true;
  });

  it('refuses anonymous requests and wrong credentials with 401 and a basic-auth challenge', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: basic('ops', 'wrong') }, { authorization: basic('other', 's3cret') }, { authorization: 'Bearer x' }]) {
      const res = await fetch(`${d.origin}/zapjobs/api/counts`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="ZapJobs"/);
      expect((await json(res)).statusCode).toBe(401);
    }
    expect((await fetch(`${d.origin}/zapjobs`)).status).toBe(401);
    expect((await api('/counts')).status).toBe(200);
  });

  it('retries a failed run (logs grouped by attempt), answers 409 for a run in the wrong state and 404 for an unknown one', async () => {
    const runId = await d.jobs.enqueue('charge-card', { order: 'A-1' });
    await runIn(d.storage, runId, ['failed']);
    const detail = await json(api(`/runs/${runId}`));
    expect(detail.run).toMatchObject({ id: runId, status: 'failed', attemptNumber: 2, errorMessage: 'card declined for A-1' });
    const logs = await json(api(`/runs/${runId}/logs`));
    expect(logs.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2]);
    expect(logs.attempts[0].lines.map((l: { message: string }) => l.message)).toContain('charging order A-1 (attempt 1)');

    ChargeCardJob.failing = false;
    const retried = await post(`/runs/${runId}/retry`);
    expect(retried.status).toBe(200);
    expect(['pending', 'running', 'completed']).toContain((await json(retried)).status);
    expect((await runIn(d.storage, runId, ['completed'])).output).toEqual({ charged: 'A-1' });

    const again = await post(`/runs/${runId}/retry`);
    expect(again.status).toBe(409);
    expect((await json(again)).message).toMatch(/only failed or cancelled/);
    expect((await post(`/runs/${runId}/cancel`)).status).toBe(409);
    for (const id of ['0190b4a0-0000-7000-8000-000000000000', 'not-a-run']) {
      expect((await api(`/runs/${id}`)).status).toBe(404);
      expect((await post(`/runs/${id}/retry`)).status).toBe(404);
    }
  });

  it('triggers a job with input validated by its input class, or its default input; enables and disables it', async () => {
    const created = await post('/jobs/greet/trigger', { input: { name: 'Ada' } });
    expect(created.status).toBe(201);
    const { runId } = await json(created);
    expect((await runIn(d.storage, runId, ['completed'])).output).toEqual({ greeting: 'hello Ada' });
    const byDefault = await json(post('/jobs/greet/trigger'));
    expect((await runIn(d.storage, byDefault.runId, ['completed'])).output).toEqual({ greeting: 'hello world' });

    const bad = await post('/jobs/greet/trigger', { input: { name: '' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).errors.join()).toMatch(/name/);
    expect((await post('/jobs/nope/trigger', { input: {} })).status).toBe(404);
    // The input given beside `input`, or under a misspelt key, is refused rather than replaced by the default.
    for (const body of [{ name: 'Ada' }, { inptu: { name: 'Ada' } }]) {
      const refused = await post('/jobs/greet/trigger', body);
      expect(refused.status).toBe(400);
      expect((await json(refused)).message).toMatch(/^body: (name|inptu): not a field/);
      expect((await post(`/runs/${runId}/rerun`, body)).status).toBe(400);
    }

    const rerun = await json(post(`/runs/${runId}/rerun`, { input: { name: 'Grace' } }));
    expect((await runIn(d.storage, rerun.runId, ['completed'])).output).toEqual({ greeting: 'hello Grace' });
    // A copy: the queue, priority, correlation id and maxRetries of the run it reruns.
    const original = await d.jobs.enqueue('greet', { name: 'Lin' }, { queue: 'payments', priority: 7, correlationId: 'order-9', maxRetries: 2 });
    await runIn(d.storage, original, ['completed']);
    const copy = await json(post(`/runs/${original}/rerun`));
    expect(await runIn(d.storage, copy.runId, ['completed'])).toMatchObject({
      input: { name: 'Lin' }, queue: 'payments', priority: 7, correlationId: 'order-9', maxRetries: 2,
    });

    expect((await json(post('/jobs/greet/disable'))).isEnabled).toBe(false);
    expect((await json(api('/jobs/greet'))).isEnabled).toBe(false);
    expect((await json(post('/jobs/greet/enable'))).isEnabled).toBe(true);
    const nightly = await json(api('/jobs/nightly-cleanup'));
    expect(nightly.nextTicks).toHaveLength(3);
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    for (const tick of nightly.nextTicks) expect(tick).toMatch(/T0[12]:00:00\.000Z$/);
  });

  it('lists runs by filter in keyset pages, counts them, and answers 400 for a bad filter', async () => {
    const correlationId = `list-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await d.jobs.enqueue('always-fails', undefined, { correlationId }));
    await waitFor(async () => (await json(api(`/runs/count?correlationId=${correlationId}&status=failed`))).count === 5, { what: '5 failed' });

    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await json(api(`/runs?correlationId=${correlationId}&status=failed&job=always-fails&queue=batch&limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r: { id: string }) => r.id));
      cursor = page.next ?? '';
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    expect((await json(api(`/runs?correlationId=${correlationId}&q=NOPE`))).runs).toHaveLength(5);
    expect((await json(api(`/runs?correlationId=${correlationId}&q=nothing-like-this`))).runs).toHaveLength(0);

    for (const [query, field] of [['status=bogus', 'status'], ['from=yesterday', 'from'], ['limit=0', 'limit'], ['cursor=zzz', 'cursor'], ['jobTypeId=always-fails', 'jobTypeId']]) {
      const res = await api(`/runs?${query}`);
      expect(res.status).toBe(400);
      expect((await json(res)).message).toMatch(new RegExp(`^${field}:`));
    }
  });

  it('bulk-retries every failed run of a filter across batches, then bulk-deletes them', async () => {
    const correlationId = `bulk-${Date.now()}`;
    const count = 130; // more than one batch of 100
    await d.storage.enqueueMany(Array.from({ length: count }, () => ({ jobTypeId: 'always-fails', correlationId })));
    await waitFor(async () => (await json(api(`/runs/count?correlationId=${correlationId}&status=failed`))).count === count, { what: 'all failed', timeoutMs: 20_000 });

    AlwaysFailsJob.failing = false;
    const retried = await post('/runs/bulk/retry', { correlationId });
    expect(retried.status).toBe(200);
    expect(await json(retried)).toEqual({ action: 'retry', done: count, skipped: 0 });
    await waitFor(async () => (await json(api(`/runs/count?correlationId=${correlationId}&status=completed`))).count === count, { what: 'all completed', timeoutMs: 20_000 });

    expect(await json(post('/runs/bulk/delete', { correlationId, status: ['completed'] }))).toEqual({ action: 'delete', done: count, skipped: 0 });
    expect((await json(api(`/runs/count?correlationId=${correlationId}`))).count).toBe(0);
    expect((await post('/runs/bulk/explode', {})).status).toBe(400);
    expect((await post('/runs/bulk/retry', { status: 'bogus' })).status).toBe(400);
    // A field the filter does not know (the storage's name for `job`, a typo) narrows nothing: refused, nothing done.
    const pending = await d.jobs.enqueue('greet', { name: 'stays' }, { delay: '1h' });
    const widened = await post('/runs/bulk/cancel', { jobTypeId: 'always-fails' });
    expect(widened.status).toBe(400);
    expect((await json(widened)).message).toMatch(/^jobTypeId: not a filter field \(expected status, job, queue, correlationId, from, to, q\)$/);
    expect((await api('/runs/count?jobTypeId=greet')).status).toBe(400);
    expect((await d.storage.getRun(pending))!.status).toBe('pending');
  });

  it('refuses mutating requests from another origin (CSRF), and accepts its own', async () => {
    const runId = await d.jobs.enqueue('greet', { name: 'x' }, { delay: '1h' });
    for (const headers of [{ origin: 'http://evil.example' } as Record<string, string>, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }]) {
      const res = await post(`/runs/${runId}/cancel`, undefined, headers);
      expect(res.status).toBe(403);
    }
    expect((await d.storage.getRun(runId))?.status).toBe(JobRunStatus.Pending);
    const ok = await post(`/runs/${runId}/cancel`, undefined, { origin: d.origin, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect((await json(ok)).status).toBe('cancelled');
  });

  it('shows counts, workers and the overview', async () => {
    const counts = await json(api('/counts'));
    expect(Object.keys(counts.totals).sort()).toEqual(Object.values(JobRunStatus).sort());
    const workers = await waitFor(async () => {
      const list = await json(api('/workers'));
      return list.length ? list : null;
    });
    expect(workers[0]).toMatchObject({ pid: process.pid, stale: false });
    const overview = await json(api('/overview'));
    expect(overview.lastHour).toHaveLength(60);
    expect(overview.lastDay).toHaveLength(24);
  });

  it('flags a queue whose pending runs no live worker takes, and marks a worker stale when its heartbeat stops', async () => {
    await d.jobs.enqueue('greet', { name: 'nobody home' }, { queue: 'orphans' });
    const overview = await json(api('/overview'));
    expect(overview.unattendedQueues).toEqual(['orphans']);
    expect(overview.backlogs.find((b: { queue: string }) => b.queue === 'orphans')).toMatchObject({ pending: 1 });
    expect(await (await fetch(`${d.origin}/zapjobs`, { headers: { authorization: AUTH } })).text()).toContain('No live worker takes these queues');
    // A live worker of that queue (another process, say) attends it...
    // A fresh beat and the overview read within staleAfter (1 s): beaten again if the machine stalled in between.
    await waitFor(async () => {
      await d.storage.updateHeartbeat('ghost-worker', { queues: ['orphans'], concurrency: 1 });
      return (await json(api('/overview'))).unattendedQueues.length === 0;
    }, { what: 'the queue attended by a live worker' });
    // ...until its heartbeat is older than staleAfter (1 s here).
    const ghost = await waitFor(async () => (await json(api('/workers'))).find((w: { workerId: string; stale: boolean }) => w.workerId === 'ghost-worker' && w.stale));
    expect(ghost.queues).toEqual(['orphans']);
    expect((await json(api('/overview'))).unattendedQueues).toEqual(['orphans']);
  });
});

describeEachBackend('dashboard REST API at scale: the bounded text search and the reused counts', (backend) => {
  let db: TestDatabase;
  let d: DashboardApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const api = async (path: string, init: RequestInit = {}): Promise<any> => {
    const res = await fetch(`${d.origin}/zapjobs/api${path}`, { ...init, headers: { authorization: AUTH, 'content-type': 'application/json', ...init.headers } });
    expect(res.status).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    db = backend.create();
    // Runs go to queues no worker takes, so that only these tests move them. Reused counts are kept
    // a minute here, so that the test sees them reused however slow the machine.
    d = await bootDashboardApp(
      db.options, { path: '/zapjobs', auth: { username: 'ops', password: 's3cret' }, textSearchRuns: 3, finishedCountsMaxAgeMs: 60_000 }, DASHBOARD_JOBS,
    );
  });
  afterAll(async () => {
    await d?.close();
    await db?.drop();
  });

  it('searches text in the newest textSearchRuns runs only, and says so in the API, the runs page and the bulk confirmation', async () => {
    const oldest = await d.jobs.enqueue('greet', { name: 'needle in the hay' }, { queue: 'parked' });
    for (const name of ['hay 1', 'hay 2', 'hay 3']) {
      await new Promise((r) => setTimeout(r, 5));
      await d.jobs.enqueue('greet', { name }, { queue: 'parked' });
    }
    const bounded = await api('/runs?q=needle');
    expect(bounded.runs).toEqual([]);
    expect(bounded.searched.runs).toBe(3);
    const since = new Date(bounded.searched.since);
    expect(since.getTime()).toBeGreaterThan((await d.storage.getRun(oldest))!.createdAt.getTime());
    expect(await api('/runs/count?q=needle')).toEqual({ count: 0, searched: bounded.searched });
    // An earlier `to` moves the window back; a search that reads fewer runs than the bound says nothing.
    const older = await api(`/runs?q=needle&to=${encodeURIComponent(since.toISOString())}`);
    expect(older.runs.map((r: { id: string }) => r.id)).toEqual([oldest]);
    expect(older.searched).toBeUndefined();
    expect((await api('/runs?q=hay')).runs).toHaveLength(3);
    expect((await api('/runs')).searched).toBeUndefined();

    const page = await (await fetch(`${d.origin}/zapjobs/runs?q=needle`, { headers: { authorization: AUTH } })).text();
    expect(page).toContain('Text searched in the latest 3 runs only');
    const confirm = await (await fetch(`${d.origin}/zapjobs/runs/bulk?action=cancel&q=needle`, { headers: { authorization: AUTH } })).text();
    expect(confirm).toContain('Text searched in the latest 3 runs only');
    // The bulk action walks the same runs the page shows: the needle, outside the window, stays pending.
    const cancelled = await api('/runs/bulk/cancel', { method: 'POST', body: JSON.stringify({ q: 'needle' }), headers: { origin: d.origin } });
    expect(cancelled).toMatchObject({ done: 0, skipped: 0, searched: { runs: 3 } });
    expect((await d.storage.getRun(oldest))?.status).toBe(JobRunStatus.Pending);
  });

  it('reuses the counts of finished runs (finishedCountsMaxAgeMs), keeps the live ones current, and counts again after an action of the dashboard', async () => {
    const runs = await Promise.all(['a', 'b', 'c'].map((name) => d.jobs.enqueue('greet', { name }, { queue: 'counted' })));
    const before = await api('/overview');
    const counted = (o: { counts: Array<{ queue: string; status: string; count: number }> }, status: string) =>
      o.counts.find((c) => c.queue === 'counted' && c.status === status)?.count ?? 0;
    expect([counted(before, 'pending'), counted(before, 'completed')]).toEqual([3, 0]);

    // Finished behind the dashboard's back: the pending count follows at once, the completed one is reused.
    const now = new Date();
    await d.storage.updateRun(runs[0], { status: JobRunStatus.Completed, startedAt: now, completedAt: now, durationMs: 0 });
    const reused = await api('/overview');
    expect([counted(reused, 'pending'), counted(reused, 'completed')]).toEqual([2, 0]);
    expect(reused.finishedAsOf).toBe(before.finishedAsOf);
    expect((await api('/counts')).finishedAsOf).toBe(before.finishedAsOf);

    // An action through the dashboard drops the reused figures: its user sees what it did.
    await api(`/runs/${runs[1]}/cancel`, { method: 'POST', headers: { origin: d.origin } });
    const after = await api('/overview');
    expect([counted(after, 'pending'), counted(after, 'completed'), counted(after, 'cancelled')]).toEqual([1, 1, 1]);
    expect(new Date(after.finishedAsOf).getTime()).toBeGreaterThan(new Date(before.finishedAsOf).getTime() - 1);
    expect(after.finishedAsOf).not.toBe(before.finishedAsOf);
    expect(after.lastHour.reduce((n: number, p: { completed: number }) => n + p.completed, 0)).toBe(1);
  });
});

describeEachBackend('dashboard REST API: the day chart', (backend) => {
  let db: TestDatabase;
  let d: DashboardApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const overview = async (): Promise<any> => (await fetch(`${d.origin}/zapjobs/api/overview`, { headers: { authorization: AUTH } })).json();
  const total = (points: Array<{ completed: number; failed: number }>) => points.reduce((n, p) => n + p.completed + p.failed, 0);

  beforeAll(async () => {
    db = backend.create();
    d = await bootDashboardApp(db.options, { path: '/zapjobs', auth: { username: 'ops', password: 's3cret' }, finishedCountsMaxAgeMs: 0 }, DASHBOARD_JOBS);
  });
  afterAll(async () => {
    await d?.close();
    await db?.drop();
  });

  it('counts the current hour from the minutes while it reuses the hours before', async () => {
    const runs = await Promise.all(['a', 'b'].map((name) => d.jobs.enqueue('greet', { name }, { queue: 'charted' })));
    const first = await overview();
    expect([total(first.lastHour), total(first.lastDay)]).toEqual([0, 0]);
    for (const [i, id] of runs.entries()) {
      const now = new Date();
      await d.storage.updateRun(id, { status: i ? JobRunStatus.Failed : JobRunStatus.Completed, startedAt: now, completedAt: now, durationMs: 0 });
      const o = await overview();
      expect(total(o.lastHour)).toBe(i + 1);
      expect(o.lastDay).toHaveLength(24);
      expect(o.lastDay[23]).toMatchObject({ completed: 1, failed: i });
      expect(total(o.lastDay)).toBe(i + 1);
    }
  });
});
