import { applyDecorators, BadRequestException, Get, Header, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiHidden } from '../api/swagger.js';
import { DASHBOARD_CSS } from '../assets/dashboard-css.js';
import { DASHBOARD_JS } from '../assets/dashboard-js.js';
import { BULK_ACTIONS, DashboardService, type BulkAction } from '../dashboard.service.js';
import { parseLimit, parseRunFilter, type RunFilterParams } from '../run-filter.js';
import { jobsPage, workersPage } from './jobs-workers-pages.js';
import type { PageContext } from './layout.js';
import { overviewPage } from './overview-page.js';
import { bulkConfirmPage, runPage, runsPage } from './runs-pages.js';

const HTML = 'text/html; charset=utf-8';
/** Scripts only from the dashboard itself: even a value that escaped escaping could not run. Inline styles are ours (bar widths). */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A page: HTML, never cached (it shows live data), under the CSP. */
const HtmlPage = () => applyDecorators(Header('Content-Type', HTML), Header('Content-Security-Policy', CSP), Header('Cache-Control', 'no-store'));

/** The server-rendered pages, and their two assets. Mounted at the configured path by ZapJobsDashboardModule. HTML: in no OpenAPI document. */
@ApiHidden()
export class DashboardPagesController {
  // Explicit: this class is not decorated itself (its mounted subclass is), so no parameter types are emitted for it.
  constructor(@Inject(DashboardService) protected readonly dashboard: DashboardService) {}

  private get ctx(): PageContext {
    const { path, readOnly, refreshMs } = this.dashboard.options;
    return { base: path, readOnly, refreshMs };
  }

  @Get()
  @HtmlPage()
  async overview(): Promise<string> {
    return overviewPage(this.ctx, await this.dashboard.overview());
  }

  @Get('runs')
  @HtmlPage()
  async runs(@Query() query: RunFilterParams & { cursor?: string; limit?: string }): Promise<string> {
    const definitions = await this.dashboard.definitions();
    try {
      const page = await this.dashboard.runs(parseRunFilter(query, ['limit', 'cursor']), parseLimit(query.limit), query.cursor || undefined);
      return runsPage(this.ctx, query, page, definitions);
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      return runsPage(this.ctx, query, { runs: [], next: null }, definitions, error.message);
    }
  }

  @Get('runs/bulk')
  @HtmlPage()
  async bulk(@Query() query: RunFilterParams & { action?: string }): Promise<string> {
    const action = query.action as BulkAction;
    if (!BULK_ACTIONS.includes(action)) throw new BadRequestException(`action: expected one of ${BULK_ACTIONS.join(', ')}, got '${String(query.action)}'`);
    if (this.dashboard.options.readOnly) throw new NotFoundException('The dashboard is read-only.');
    const search = parseRunFilter(query, ['action']);
    const { count, searched } = await this.dashboard.countMatching({ ...search, status: this.dashboard.bulkStatuses(action, search) });
    return bulkConfirmPage(this.ctx, action, query, count, searched);
  }

  @Get('runs/:id')
  @HtmlPage()
  async run(@Param('id') id: string): Promise<string> {
    return runPage(this.ctx, await this.dashboard.run(id));
  }

  @Get('jobs')
  @HtmlPage()
  async jobs(): Promise<string> {
    return jobsPage(this.ctx, await this.dashboard.definitions());
  }

  @Get('workers')
  @HtmlPage()
  async workers(): Promise<string> {
    return workersPage(this.ctx, await this.dashboard.workers());
  }

  @Get('assets/dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  css(): string {
    return DASHBOARD_CSS;
  }

  @Get('assets/dashboard.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  js(): string {
    return DASHBOARD_JS;
  }
}
