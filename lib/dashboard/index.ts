// @zapjobs/nestjs/dashboard: the dashboard's pages and JSON API, an entry of its own so that apps
// without an HTTP dashboard never load it.
export { ZapJobsDashboardModule } from './zapjobs-dashboard.module.js';
export type {
  DashboardAuth, DashboardBasicAuth, ZapJobsDashboardAsyncOptions, ZapJobsDashboardOptions, ZapJobsDashboardRuntimeOptions,
} from './dashboard-options.js';
