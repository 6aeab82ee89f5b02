// @zapjobs/nestjs/health: the terminus health indicator. Its own entry, so that an application
// without @nestjs/terminus never loads it through the main one.
export { ZapJobsHealthModule } from './zapjobs-health.module.js';
export { ZapJobsHealthIndicator } from './zapjobs-health.indicator.js';
export type { ZapJobsHealthCheckOptions } from './health-check-options.js';
