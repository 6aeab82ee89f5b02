import {
  BadRequestException, Body, ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post, Query,
} from '@nestjs/common';
// In your app: from '@zapjobs/nestjs'
import {
  InvalidRunStateError, JobInputValidationError, JobRunStatus, JobScheduler, JobStorage, RunNotFoundError,
} from '../lib/index.js';
import { FlakyJob } from './jobs/flaky.job.js';
import { SendEmailJob, type SendEmailInput } from './jobs/send-email.job.js';

/** ZapJobs errors as HTTP answers; anything else stays a 500. */
function toHttp(error: unknown): never {
  if (error instanceof JobInputValidationError) throw new BadRequestException(error.errors);
  if (error instanceof RunNotFoundError) throw new NotFoundException(error.message);
  if (error instanceof InvalidRunStateError) throw new ConflictException(error.message);
  throw error;
}

const STATUSES = Object.values(JobRunStatus) as string[];

@Controller()
export class JobsController {
  constructor(
    private readonly jobs: JobScheduler,
    private readonly storage: JobStorage,
  ) {}

  /**
   * enqueue() takes its input type from SendEmailJob's handle(), so the compiler checks the body's
   * type, and at run time enqueue() validates it against the input class (no ValidationPipe needed).
   */
  @Post('emails')
  @HttpCode(202)
  async sendEmail(@Body() body: SendEmailInput): Promise<{ runId: string }> {
    const runId = await this.jobs.enqueue(SendEmailJob, body).catch(toHttp);
    return { runId };
  }

  /**
   * The same run read through the typed API: given the job class, getRun() types `input` and
   * `output` as SendEmailJob's, and returns null for a run of another job.
   */
  @Get('emails/:id')
  async getEmail(@Param('id') id: string): Promise<{ status: JobRunStatus; to: string | null; messageId: string | null }> {
    const run = await this.jobs.getRun(id, SendEmailJob);
    if (!run) throw new NotFoundException(`No send-email run '${id}'.`);
    return { status: run.status, to: run.input?.to ?? null, messageId: run.output?.messageId ?? null };
  }

  @Post('flaky')
  @HttpCode(202)
  async flaky(): Promise<{ runId: string }> {
    return { runId: await this.jobs.enqueue(FlakyJob) };
  }

  @Get('runs')
  async listRuns(@Query('status') status?: string, @Query('job') job?: string) {
    // An empty parameter (?status=&job=) means no filter.
    status ||= undefined;
    if (status !== undefined && !STATUSES.includes(status)) {
      throw new BadRequestException(`status must be one of: ${STATUSES.join(', ')}`);
    }
    return this.storage.listRuns({ status: status as JobRunStatus | undefined, jobTypeId: job || undefined, limit: 50 });
  }

  /** The run as storage gives it: input, output and progress as values, times as dates. */
  @Get('runs/:id')
  async getRun(@Param('id') id: string) {
    const run = await this.storage.getRun(id);
    if (!run) throw new NotFoundException(`Run '${id}' does not exist.`);
    return run;
  }

  @Get('runs/:id/logs')
  async getLogs(@Param('id') id: string) {
    await this.getRun(id);
    return this.storage.getLogs(id);
  }

  @Post('runs/:id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string): Promise<{ cancelled: boolean }> {
    // false: the run had already finished.
    return { cancelled: await this.jobs.cancel(id).catch(toHttp) };
  }

  @Post('runs/:id/retry')
  @HttpCode(200)
  async retry(@Param('id') id: string) {
    await this.jobs.retry(id).catch(toHttp);
    return this.storage.getRun(id);
  }
}
