import { BadRequestException, Body, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { JobDefinition, JobRun } from '../../model/job-run.js';
import { DashboardService, type BulkAction, type BulkResult, type SearchedWindow, type WorkerView } from '../dashboard.service.js';
import { parseLimit, parseRunFilter, type RunFilterParams } from '../run-filter.js';
import { upcomingTicks } from '../pages/schedule-words.js';
import { openApiDocument } from './openapi.js';

type RunsQuery = RunFilterParams & { limit?: string; cursor?: string };

/** `{ input }` from a JSON body: absent (or no body) means the default input. */
function inputOf(body: unknown): unknown {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('body: expected a JSON object such as { "input": { ... } }');
  return (body as { input?: unknown }).input;
}

/**
 * The JSON API under `<path>/api`: the reads and actions the pages use. Routes are mounted at the
 * configured path by a subclass made in ZapJobsDashboardModule (see dashboard-controllers.ts).
 * Static segments are declared before `:id` ones: Express matches in declaration order.
 */
export class DashboardApiController {
  // Explicit: this class is not decorated itself (its mounted subclass is), so no parameter types are emitted for it.
  constructor(@Inject(DashboardService) protected readonly dashboard: DashboardService) {}

  @Get('openapi.json')
  openapi(): object {
    return openApiDocument(this.dashboard.options.path, this.dashboard.options.readOnly);
  }

  @Get('counts')
  counts() {
    return this.dashboard.counts();
  }

  @Get('overview')
  overview() {
    return this.dashboard.overview();
  }

  @Get('runs')
  runs(@Query() query: RunsQuery) {
    return this.dashboard.runs(parseRunFilter(query), parseLimit(query.limit), query.cursor || undefined);
  }

  @Get('runs/count')
  count(@Query() query: RunFilterParams): Promise<{ count: number; searched?: SearchedWindow }> {
    return this.dashboard.countMatching(parseRunFilter(query));
  }

  @Post('runs/bulk/:action')
  @HttpCode(200)
  bulk(@Param('action') action: string, @Body() body: RunFilterParams | undefined): Promise<BulkResult> {
    return this.dashboard.bulk(action as BulkAction, parseRunFilter(body ?? {}));
  }

  @Get('runs/:id')
  async run(@Param('id') id: string): Promise<{ run: JobRun; children: JobRun[] }> {
    const { run, children } = await this.dashboard.run(id);
    return { run, children };
  }

  @Get('runs/:id/logs')
  async logs(@Param('id') id: string) {
    return { attempts: (await this.dashboard.run(id)).logs };
  }

  @Post('runs/:id/retry')
  @HttpCode(200)
  retry(@Param('id') id: string): Promise<JobRun> {
    return this.dashboard.retry(id);
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<JobRun> {
    return this.dashboard.cancel(id);
  }

  @Post('runs/:id/rerun')
  async rerun(@Param('id') id: string, @Body() body: unknown): Promise<{ runId: string }> {
    return { runId: await this.dashboard.rerun(id, inputOf(body)) };
  }

  @Get('jobs')
  async jobs(): Promise<Array<JobDefinition & { nextTicks: string[] }>> {
    return (await this.dashboard.definitions()).map((d) => ({ ...d, nextTicks: upcomingTicks(d, 3).map((t) => t.toISOString()) }));
  }

  @Get('jobs/:id')
  async job(@Param('id') id: string): Promise<JobDefinition & { nextTicks: string[] }> {
    const d = await this.dashboard.definition(id);
    return { ...d, nextTicks: upcomingTicks(d, 3).map((t) => t.toISOString()) };
  }

  @Post('jobs/:id/trigger')
  async trigger(@Param('id') id: string, @Body() body: unknown): Promise<{ runId: string }> {
    return { runId: await this.dashboard.trigger(id, inputOf(body)) };
  }

  @Post('jobs/:id/enable')
  @HttpCode(200)
  enable(@Param('id') id: string): Promise<JobDefinition> {
    return this.dashboard.setEnabled(id, true);
  }

  @Post('jobs/:id/disable')
  @HttpCode(200)
  disable(@Param('id') id: string): Promise<JobDefinition> {
    return this.dashboard.setEnabled(id, false);
  }

  @Get('workers')
  workers(): Promise<WorkerView[]> {
    return this.dashboard.workers();
  }
}
