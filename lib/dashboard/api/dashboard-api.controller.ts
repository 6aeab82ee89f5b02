import { BadRequestException, Body, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { JobDefinition, JobRun } from '../../model/job-run.js';
import { DashboardService, type BulkAction, type BulkResult, type SearchedWindow, type WorkerView } from '../dashboard.service.js';
import { parseLimit, parseRunFilter, type RunFilterParams } from '../run-filter.js';
import { unknownKeys } from '../../util/unknown-keys.js';
import { upcomingTicks } from '../pages/schedule-words.js';
import { DashboardOpenApi } from './dashboard-openapi.js';
import { arr, bulkActionParam, filterParams, idParam, int, obj, pageParams, ref } from './route-doc.js';
import { ApiDashboardController, ApiHidden, ApiRoute } from './swagger.js';

type RunsQuery = RunFilterParams & { limit?: string; cursor?: string };
const PAGE_KEYS = ['limit', 'cursor'];

/**
 * `{ input }` from a JSON body: absent (or no body) means the default input. Any other key is
 * refused: `{ "to": ... }` or a misspelt `inptu` would otherwise run the job with its default input.
 */
function inputOf(body: unknown): unknown {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('body: expected a JSON object such as { "input": { ... } }');
  const [other] = unknownKeys(body, ['input']);
  if (other !== undefined) throw new BadRequestException(`body: ${other}: not a field (expected { "input": { ... } }, the job's input under "input")`);
  return (body as { input?: unknown }).input;
}

const json = (schema: object, description: string) => ({ schema, description });

/**
 * The JSON API under `<path>/api`: the reads and actions the pages use. Routes are mounted at the
 * configured path by a subclass made in ZapJobsDashboardModule. Static segments are declared before
 * `:id` ones: Express matches in declaration order. Each route's @ApiRoute (above its @Get/@Post)
 * is what both OpenAPI documents say of it.
 */
@ApiDashboardController()
export class DashboardApiController {
  // Explicit: this class is not decorated by Nest itself (its mounted subclass is), so no parameter types are emitted for it.
  constructor(
    @Inject(DashboardService) protected readonly dashboard: DashboardService,
    @Inject(DashboardOpenApi) protected readonly openApi: DashboardOpenApi,
  ) {}

  @ApiHidden()
  @Get('openapi.json')
  openapi(): object {
    return this.openApi.get();
  }

  @ApiRoute({ summary: 'Runs per status, in total and per queue', ok: json(ref('Counts'), 'Counts') })
  @Get('counts')
  counts() {
    return this.dashboard.counts();
  }

  @ApiRoute({ summary: 'What the overview page shows: counts, completed and failed per minute and per hour, backlogs, workers', ok: json(ref('Overview'), 'The overview') })
  @Get('overview')
  overview() {
    return this.dashboard.overview();
  }

  @ApiRoute({
    summary: 'Runs matching a filter, newest first, a page at a time', ok: json(ref('RunPage'), 'A page of runs'), params: [...filterParams, ...pageParams], errors: [400],
  })
  @Get('runs')
  runs(@Query() query: RunsQuery) {
    return this.dashboard.runs(parseRunFilter(query, PAGE_KEYS), parseLimit(query.limit), query.cursor || undefined);
  }

  @ApiRoute({
    summary: 'How many runs match a filter', ok: json(obj({ count: int, searched: ref('Searched') }, ['count']), 'The count'), params: filterParams, errors: [400],
  })
  @Get('runs/count')
  count(@Query() query: RunFilterParams): Promise<{ count: number; searched?: SearchedWindow }> {
    return this.dashboard.countMatching(parseRunFilter(query));
  }

  @ApiRoute({
    summary: 'Retries, cancels or deletes every run matching the filter, in bounded batches', ok: json(ref('BulkResult'), 'What was done'),
    params: [bulkActionParam], body: ref('Filter'), errors: [400],
  })
  @Post('runs/bulk/:action')
  @HttpCode(200)
  bulk(@Param('action') action: string, @Body() body: RunFilterParams | undefined): Promise<BulkResult> {
    return this.dashboard.bulk(action as BulkAction, parseRunFilter(body ?? {}));
  }

  @ApiRoute({ summary: 'One run, with its continuations', ok: json(ref('RunDetail'), 'The run'), params: [idParam('Run id')], errors: [404] })
  @Get('runs/:id')
  async run(@Param('id') id: string): Promise<{ run: JobRun; children: JobRun[] }> {
    const { run, children } = await this.dashboard.run(id);
    return { run, children };
  }

  @ApiRoute({ summary: 'A run\'s log lines, grouped by attempt', ok: json(ref('AttemptLogs'), 'Log lines'), params: [idParam('Run id')], errors: [404] })
  @Get('runs/:id/logs')
  async logs(@Param('id') id: string) {
    return { attempts: (await this.dashboard.run(id)).logs };
  }

  @ApiRoute({ summary: 'Puts a failed or cancelled run back in the queue', ok: json(ref('Run'), 'The run'), params: [idParam('Run id')], errors: [404, 409] })
  @Post('runs/:id/retry')
  @HttpCode(200)
  retry(@Param('id') id: string): Promise<JobRun> {
    return this.dashboard.retry(id);
  }

  @ApiRoute({ summary: 'Cancels a pending, awaiting or running run', ok: json(ref('Run'), 'The run'), params: [idParam('Run id')], errors: [404, 409] })
  @Post('runs/:id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<JobRun> {
    return this.dashboard.cancel(id);
  }

  @ApiRoute({
    summary: 'A new run of the same job, with the same or the given input', ok: json(ref('RunId'), 'The new run'),
    params: [idParam('Run id')], body: ref('InputBody'), errors: [400, 404],
  })
  @Post('runs/:id/rerun')
  async rerun(@Param('id') id: string, @Body() body: unknown): Promise<{ runId: string }> {
    return { runId: await this.dashboard.rerun(id, inputOf(body)) };
  }

  @ApiRoute({ summary: 'Every job definition', ok: json(arr(ref('Definition')), 'Definitions') })
  @Get('jobs')
  async jobs(): Promise<Array<JobDefinition & { nextTicks: string[] }>> {
    return (await this.dashboard.definitions()).map((d) => ({ ...d, nextTicks: upcomingTicks(d, 3).map((t) => t.toISOString()) }));
  }

  @ApiRoute({ summary: 'One job definition', ok: json(ref('Definition'), 'The definition'), params: [idParam('Job id')], errors: [404] })
  @Get('jobs/:id')
  async job(@Param('id') id: string): Promise<JobDefinition & { nextTicks: string[] }> {
    const d = await this.dashboard.definition(id);
    return { ...d, nextTicks: upcomingTicks(d, 3).map((t) => t.toISOString()) };
  }

  @ApiRoute({
    summary: 'Runs a job now, with its default input or the given one', ok: json(ref('RunId'), 'The new run'),
    params: [idParam('Job id')], body: ref('InputBody'), errors: [400, 404],
  })
  @Post('jobs/:id/trigger')
  async trigger(@Param('id') id: string, @Body() body: unknown): Promise<{ runId: string }> {
    return { runId: await this.dashboard.trigger(id, inputOf(body)) };
  }

  @ApiRoute({ summary: 'Enables a job', ok: json(ref('Definition'), 'The definition'), params: [idParam('Job id')], errors: [404] })
  @Post('jobs/:id/enable')
  @HttpCode(200)
  enable(@Param('id') id: string): Promise<JobDefinition> {
    return this.dashboard.setEnabled(id, true);
  }

  @ApiRoute({ summary: 'Disables a job: neither fired nor claimed', ok: json(ref('Definition'), 'The definition'), params: [idParam('Job id')], errors: [404] })
  @Post('jobs/:id/disable')
  @HttpCode(200)
  disable(@Param('id') id: string): Promise<JobDefinition> {
    return this.dashboard.setEnabled(id, false);
  }

  @ApiRoute({ summary: 'Every worker that sent a heartbeat, stale ones marked', ok: json(arr(ref('Worker')), 'Workers') })
  @Get('workers')
  workers(): Promise<WorkerView[]> {
    return this.dashboard.workers();
  }
}
