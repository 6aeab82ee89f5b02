import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import playwright, { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { JobRunStatus } from '../../../lib/index.js';
import { sqliteBackend, type TestDatabase } from '../../helpers/backends.js';
import { runIn } from '../../helpers/boot.js';
import { bootDashboardApp, type DashboardApp } from '../../helpers/dashboard-app.js';
import { waitFor } from '../../helpers/wait-for.js';
import { AlwaysFailsJob, ChargeCardJob, DASHBOARD_JOBS } from '../../fixtures/dashboard-jobs.fixture.js';

/**
 * The dashboard in a real browser: Debian's Chromium (`.ci/run` installs it) driven by
 * playwright-core. Without /usr/bin/chromium the suite is reported as skipped, never passed.
 * Screenshots go to $ZAPJOBS_SCREENSHOTS (docs/images for the README) or a temp folder.
 */
const CHROMIUM = process.env.ZAPJOBS_CHROMIUM ?? '/usr/bin/chromium';
const ACCOUNT = { username: 'ops', password: 'correct horse' };

(existsSync(CHROMIUM) ? describe : describe.skip)('dashboard in Chromium', () => {
  let db: TestDatabase;
  let d: DashboardApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const shots = process.env.ZAPJOBS_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'zapjobs-shots-'));
  const dialogs: string[] = [];
  const url = (path = '') => `${d.origin}/zapjobs${path}`;
  const shoot = (name: string) => page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });
  const count = async (filter: string) => ((await (await fetch(`${url('/api/runs/count')}?${filter}`, { headers: auth })).json()) as { count: number }).count;
  const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT.username}:${ACCOUNT.password}`).toString('base64')}` };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    db = sqliteBackend.create();
    d = await bootDashboardApp(db.options, { auth: ACCOUNT, refreshMs: 300 }, DASHBOARD_JOBS);
    browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    context = await browser.newContext({ httpCredentials: ACCOUNT, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    ChargeCardJob.failing = true;
    AlwaysFailsJob.failing = true;
  });
  afterAll(async () => {
    await browser?.close();
    await d?.close();
    await db?.drop();
  });

  it('refuses anonymous visitors and wrong credentials with 401', async () => {
    // Chromium reports a refused challenge as a navigation error; the response it got is the 401.
    const anonymous = await browser.newContext();
    try {
      const tab = await anonymous.newPage();
      const [response] = await Promise.all([tab.waitForResponse((r) => r.url() === url()), tab.goto(url()).catch(() => null)]);
      expect(response.status()).toBe(401);
      expect(await response.headerValue('www-authenticate')).toMatch(/^Basic realm="ZapJobs"/);
    } finally {
      await anonymous.close();
    }
    // Wrong credentials, sent by the browser itself (the page's own cached ones left out).
    await page.goto(url('/workers'));
    const statuses = await page.evaluate(
      async (targets) => Promise.all(targets.map(async ([target, authorization]) => (await fetch(target, { credentials: 'omit', headers: { authorization } })).status)),
      [[url('/runs'), `Basic ${btoa('ops:wrong')}`], [url('/api/counts'), `Basic ${btoa('nobody:correct horse')}`], [url('/api/counts'), `Basic ${btoa('ops:correct horse')}`]],
    );
    expect(statuses).toEqual([401, 401, 200]);
  });

  it('shows the counts of the runs made on the overview', async () => {
    const greet = await Promise.all(['Ada', 'Grace', 'Edsger'].map((name) => d.jobs.enqueue('greet', { name })));
    const charges = await Promise.all(['A-1', 'A-2'].map((order) => d.jobs.enqueue('charge-card', { order })));
    await d.jobs.enqueue('always-fails');
    for (const id of greet) await runIn(d.storage, id, ['completed']);
    for (const id of charges) await runIn(d.storage, id, ['failed']);
    await waitFor(async () => (await count('status=failed')) === 3);

    await page.goto(url());
    await page.locator('.card[data-status="completed"] .n', { hasText: '3' }).waitFor();
    expect(await page.locator('.card[data-status="failed"] .n').textContent()).toBe('3');
    expect(await page.locator('tr[data-queue="payments"]').textContent()).toContain('payments');
    expect(await page.locator('#charts svg').count()).toBe(2);
    await shoot('overview');
  });

  it('filters the failed runs of one job, opens one with its logs per attempt, and retries it to completion', async () => {
    await page.goto(url('/runs'));
    await page.selectOption('select[name="status"]', 'failed');
    await page.selectOption('select[name="job"]', 'charge-card');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/status=failed/);
    const rows = page.locator('table.runs tbody tr');
    expect(await rows.count()).toBe(2);
    for (const row of await rows.all()) {
      expect(await row.textContent()).toContain('charge-card');
      expect(await row.locator('.badge').textContent()).toBe('failed');
    }
    await shoot('runs');

    await rows.first().locator('a').first().click();
    await page.waitForURL(/\/zapjobs\/runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split('/').pop() as string;
    expect(await page.locator('section.attempt').count()).toBe(2);
    expect(await page.locator('section.attempt[data-attempt="1"]').textContent()).toContain('(attempt 1)');
    expect(await page.locator('section.attempt[data-attempt="2"]').textContent()).toContain('(attempt 2)');
    expect(await page.locator('#run-error').textContent()).toContain('card declined');
    await shoot('run');

    ChargeCardJob.failing = false;
    await page.click('#retry');
    await page.locator('#run-status .badge', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    expect((await d.storage.getRun(runId))?.status).toBe(JobRunStatus.Completed);
    expect(await page.locator('#run-output').textContent()).toContain('"charged"');
  });

  it('triggers a job with input from the Jobs page', async () => {
    await page.goto(url('/jobs'));
    expect(await page.locator('tr[data-job="nightly-cleanup"]').textContent()).toContain('every day at 03:00 (Europe/Paris)');
    await shoot('jobs');
    const row = page.locator('tr[data-job="greet"]');
    await row.locator('summary').click();
    await row.locator('textarea[name="input"]').fill('{ "name": "Lovelace" }');
    await row.locator('button[data-trigger="greet"]').click();
    await page.waitForURL(/\/zapjobs\/runs\/[0-9a-f-]{36}$/);
    await page.locator('#run-status .badge', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#run-output').textContent()).toContain('hello Lovelace');
  });

  it('retries 500 failed runs in bulk, after showing their count', async () => {
    const correlationId = 'bulk-500';
    await d.storage.enqueueMany(Array.from({ length: 500 }, () => ({ jobTypeId: 'always-fails', correlationId })));
    await waitFor(async () => (await count(`correlationId=${correlationId}&status=failed`)) === 500, { timeoutMs: 30_000, what: '500 failed' });

    AlwaysFailsJob.failing = false;
    await page.goto(url(`/runs?correlationId=${correlationId}&status=failed`));
    await page.click('a[data-bulk="retry"]');
    expect(await page.locator('#bulk-count').textContent()).toBe('500');
    await shoot('bulk-confirm');
    const started = Date.now();
    await page.click('#bulk-confirm');
    await page.waitForURL(/\/zapjobs\/runs\?/);
    await page.locator('#flash', { hasText: 'retry: 500 done, 0 skipped' }).waitFor();
    await waitFor(async () => (await count(`correlationId=${correlationId}&status=completed`)) === 500, { timeoutMs: 30_000, what: '500 completed' });
    console.log(`bulk retry of 500 runs through the page, to all completed: ${Date.now() - started} ms`);
  });

  it('shows a run whose input is a script as text, and no dialog opens', async () => {
    const evil = '<script>alert(1)</script>';
    const runId = await d.jobs.enqueue('greet', { name: evil });
    await runIn(d.storage, runId, ['completed']);
    await page.goto(url(`/runs/${runId}`));
    expect(await page.locator('#run-input').textContent()).toContain(evil);
    expect(await page.locator('#run-output').textContent()).toContain(`hello ${evil}`);
    await page.goto(url(`/runs?q=${encodeURIComponent('<script>')}`));
    expect(await page.locator('table.runs tbody tr').count()).toBe(1);
    expect(await page.locator('main script').count()).toBe(0);
    // Let a refresh cycle replace the live regions too.
    await page.locator('body[data-refreshed]').waitFor({ state: 'attached' });
    expect(dialogs).toEqual([]);
  });

  it('lists the workers', async () => {
    await page.goto(url('/workers'));
    expect(await page.locator('table.workers tbody tr').first().textContent()).toContain(String(process.pid));
    await shoot('workers');
  });
});
