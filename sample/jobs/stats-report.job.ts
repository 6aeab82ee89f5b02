// In your app: from '@zapjobs/nestjs'
import { Job, JobStorage, type JobContext, type JobHandler } from '../../lib/index.js';

/**
 * Cron, six fields with seconds: at second 0 of every minute. The time zone decides which wall
 * clock the expression reads: it matters for expressions like '0 0 9 * * MON-FRI' (9 am there).
 * A job is a provider like any other: it can inject services, here ZapJobs' own storage.
 */
@Job({ id: 'stats-report', cron: '0 * * * * *', timezone: 'Europe/Lisbon', preventOverlap: true })
export class StatsReportJob implements JobHandler<void, Record<string, number>> {
  constructor(private readonly storage: JobStorage) {}

  async handle(ctx: JobContext<void>): Promise<Record<string, number>> {
    const counts = await this.storage.countRuns();
    ctx.logger.info(`runs by status: ${JSON.stringify(counts)}`);
    return counts;
  }
}
