import { Module } from '@nestjs/common';
// In your app: import { ZapJobsModule } from '@zapjobs/nestjs';
import { ZapJobsModule } from '../lib/index.js';
// In your app: import { ZapJobsDashboardModule } from '@zapjobs/nestjs/dashboard';
import { ZapJobsDashboardModule } from '../lib/dashboard/index.js';
import { dashboardAccount } from './dashboard-account.js';
import { JobsController } from './jobs.controller.js';
import { FlakyJob } from './jobs/flaky.job.js';
import { SendEmailJob } from './jobs/send-email.job.js';
import { StatsReportJob } from './jobs/stats-report.job.js';
import { WarmCacheJob } from './jobs/warm-cache.job.js';
import { Mailer } from './mailer.js';

@Module({
  imports: [
    ZapJobsModule.forRoot({
      // One SQLite file (its folder is created). ':memory:' suits tests.
      database: process.env.ZAPJOBS_DB ?? 'data/sample.db',
      // Short, so that the demo feels instant; the defaults suit production better.
      pollInterval: '500ms',
      concurrency: 5,
      shutdownTimeout: '10s',
      retention: '1d',
    }),
    // Pages and a JSON API at /zapjobs, behind basic auth (see dashboard-account.ts).
    ZapJobsDashboardModule.forRoot({ path: '/zapjobs', auth: dashboardAccount }),
  ],
  controllers: [JobsController],
  // @Job classes are ordinary providers: ZapJobs finds them when the application starts.
  providers: [Mailer, SendEmailJob, FlakyJob, StatsReportJob, WarmCacheJob],
})
export class AppModule {}
