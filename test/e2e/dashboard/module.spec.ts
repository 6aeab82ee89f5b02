import { ForbiddenException, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { InvalidOptionsError } from '../../../lib/index.js';
import { ZapJobsDashboardModule } from '../../../lib/dashboard/index.js';
import { sqliteBackend, type TestDatabase } from '../../helpers/backends.js';
import { runIn } from '../../helpers/boot.js';
import { basic, bootDashboardApp, type DashboardApp } from '../../helpers/dashboard-app.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { DASHBOARD_JOBS } from '../../fixtures/dashboard-jobs.fixture.js';

/** The app's own service a guard depends on (resolved through Nest's injector). */
@Injectable()
class TokenService {
  readonly token = 'let-me-in';
}

@Injectable()
class TokenGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-token'] === this.tokens.token;
  }
}

@Module({ providers: [{ provide: 'DASHBOARD_PASSWORD', useValue: 'from-config' }], exports: ['DASHBOARD_PASSWORD'] })
class ConfigModule {}

describe('ZapJobsDashboardModule', () => {
  let db: TestDatabase;
  let d: DashboardApp | undefined;
  beforeEach(() => {
    db = sqliteBackend.create();
  });
  afterEach(async () => {
    await d?.close();
    d = undefined;
    await db.drop();
  });

  it('refuses to start without auth, and names the field of any bad option', () => {
    const bad = (options: unknown) => () => ZapJobsDashboardModule.forRoot(options as never);
    expect(bad({})).toThrow(InvalidOptionsError);
    expect(bad({})).toThrow(/auth: required.*'none'/s);
    expect(bad({ auth: [] })).toThrow(/auth: expected at least one guard/);
    expect(bad({ auth: { username: 'a' } })).toThrow(/auth\.password/);
    expect(bad({ auth: { username: 'a:b', password: 'x' } })).toThrow(/auth\.username/);
    expect(bad({ auth: 'none', path: 'a b' })).toThrow(/path: expected a URL path/);
    expect(bad({ auth: 'none', readOnly: 'yes' })).toThrow(/readOnly: expected a boolean/);
    expect(bad(null)).toThrow(/expected an object/);
    // A misspelt readOnly would leave the dashboard writable: refused.
    expect(bad({ auth: 'none', readonly: true })).toThrow(/readonly: not an option \(expected auth, readOnly, refreshMs, staleAfterMs, textSearchRuns, finishedCountsMaxAgeMs, path\)/);
  });

  it("serves with auth: 'none' and warns at start-up", async () => {
    const logger = new RecordingLogger();
    d = await bootDashboardApp(db.options, { auth: 'none' }, DASHBOARD_JOBS, { logger });
    expect((await fetch(`${d.origin}/zapjobs/api/counts`)).status).toBe(200);
    expect(logger.warnings.join('\n')).toMatch(/open to anyone.*auth: 'none'/);
  });

  it('readOnly hides every action and refuses them with 403', async () => {
    d = await bootDashboardApp(db.options, { path: '/ops/jobs/', auth: 'none', readOnly: true }, DASHBOARD_JOBS);
    const runId = await d.jobs.enqueue('always-fails');
    await runIn(d.storage, runId, ['failed']);
    const res = await fetch(`${d.origin}/ops/jobs/api/runs/${runId}/retry`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/read-only/);
    expect((await fetch(`${d.origin}/ops/jobs/api/jobs/greet/trigger`, { method: 'POST' })).status).toBe(403);
    const page = await (await fetch(`${d.origin}/ops/jobs/runs/${runId}`)).text();
    expect(page).toContain('read-only');
    expect(page).not.toMatch(/data-action=/);
    expect(await (await fetch(`${d.origin}/ops/jobs/jobs`)).text()).not.toMatch(/data-action=/);
    const doc = (await (await fetch(`${d.origin}/ops/jobs/api/openapi.json`)).json()) as { paths: Record<string, object> };
    expect(Object.values(doc.paths).flatMap((ops) => Object.keys(ops as object))).not.toContain('post');
  });

  it("takes the app's guards: classes with their dependencies, and instances", async () => {
    const deny: CanActivate = {
      canActivate: (ctx) => {
        if (ctx.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-banned']) throw new ForbiddenException('banned');
        return true;
      },
    };
    d = await bootDashboardApp(db.options, { auth: [TokenGuard, deny] }, DASHBOARD_JOBS, { providers: [TokenService] });
    expect((await fetch(`${d.origin}/zapjobs/api/counts`)).status).toBe(403);
    expect((await fetch(`${d.origin}/zapjobs/api/counts`, { headers: { 'x-token': 'let-me-in' } })).status).toBe(200);
    expect((await fetch(`${d.origin}/zapjobs`, { headers: { 'x-token': 'let-me-in', 'x-banned': '1' } })).status).toBe(403);
  });

  it('forRootAsync takes its options from a factory with injected values', async () => {
    const module = ZapJobsDashboardModule.forRootAsync({
      path: '/admin/zapjobs',
      imports: [ConfigModule],
      inject: ['DASHBOARD_PASSWORD'],
      useFactory: (password: string) => ({ auth: { username: 'ops', password } }),
    });
    d = await bootDashboardApp(db.options, module, DASHBOARD_JOBS);
    expect((await fetch(`${d.origin}/admin/zapjobs/api/counts`)).status).toBe(401);
    expect((await fetch(`${d.origin}/admin/zapjobs/api/counts`, { headers: { authorization: basic('ops', 'from-config') } })).status).toBe(200);
  });

  it('forRootAsync refuses to start when the factory gives no auth, or a field that is not an option', async () => {
    const module = ZapJobsDashboardModule.forRootAsync({ useFactory: () => ({}) as never });
    await expect(bootDashboardApp(db.options, module, DASHBOARD_JOBS)).rejects.toThrow(/auth: required/);
    // path is given to forRootAsync itself, not by the factory: there it would be ignored.
    const misspelt = ZapJobsDashboardModule.forRootAsync({ useFactory: () => ({ auth: 'none', readonly: true, path: '/x' }) as never });
    await expect(bootDashboardApp(db.options, misspelt, DASHBOARD_JOBS)).rejects.toThrow(/readonly: not an option[^]*path: not an option/);
  });

  it('escapes every stored value on the pages and forbids inline scripts', async () => {
    d = await bootDashboardApp(db.options, { auth: 'none' }, DASHBOARD_JOBS);
    const evil = '<script>alert(1)</script>';
    const runId = await d.jobs.enqueue('charge-card', { order: evil }, { correlationId: `"><img src=x onerror=alert(2)>` });
    await runIn(d.storage, runId, ['failed']);
    for (const url of [`/zapjobs/runs/${runId}`, '/zapjobs/runs', `/zapjobs/runs?q=${encodeURIComponent(evil)}`]) {
      const res = await fetch(`${d.origin}${url}`);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const page = await res.text();
      expect(page).not.toContain(evil);
      expect(page).not.toContain('<img src=x');
    }
    const page = await (await fetch(`${d.origin}/zapjobs/runs/${runId}`)).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
