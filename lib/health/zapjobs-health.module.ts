import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ZapJobsHealthIndicator } from './zapjobs-health.indicator.js';

/**
 * Provides ZapJobsHealthIndicator, next to ZapJobsModule.forRoot() (which it reads from) and
 * TerminusModule. Import it in the module of your health controller.
 */
@Module({
  imports: [TerminusModule],
  providers: [ZapJobsHealthIndicator],
  exports: [ZapJobsHealthIndicator],
})
export class ZapJobsHealthModule {}
