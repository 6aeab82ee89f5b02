import { Module, type DynamicModule } from '@nestjs/common';
import { resolveMetricsOptions, ZAPJOBS_METRICS_OPTIONS, type ZapJobsMetricsOptions } from './metrics-options.js';
import { ZapJobsMetrics } from './zapjobs-metrics.service.js';

/**
 * Prometheus series of ZapJobs (prom-client), next to ZapJobsModule.forRoot(). Serve them with the
 * registry's metrics() from a controller of yours (see the README).
 *
 * @example ZapJobsMetricsModule.forRoot({ prefix: 'zapjobs_' })
 */
@Module({})
export class ZapJobsMetricsModule {
  static forRoot(options: ZapJobsMetricsOptions = {}): DynamicModule {
    const resolved = resolveMetricsOptions(options);
    return {
      module: ZapJobsMetricsModule,
      providers: [{ provide: ZAPJOBS_METRICS_OPTIONS, useValue: resolved }, ZapJobsMetrics],
    };
  }
}
