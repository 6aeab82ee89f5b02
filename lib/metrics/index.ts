// @zapjobs/nestjs/metrics: Prometheus series through prom-client. Its own entry, so that an
// application without prom-client never loads it through the main one.
export { ZapJobsMetricsModule } from './zapjobs-metrics.module.js';
export type { ZapJobsMetricsOptions } from './metrics-options.js';
