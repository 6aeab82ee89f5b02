// @zapjobs/nestjs/tracing: OpenTelemetry tracing. The only entry that loads @opentelemetry/api
// (an optional peer): the main entry never imports it.
export { ZapJobsTracingModule, type ZapJobsTracingOptions } from './zapjobs-tracing.module.js';
