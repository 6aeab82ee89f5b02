import { Controller, Module, UseGuards, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { InvalidOptionsError } from '../errors/errors.js';
import { DashboardApiController } from './api/dashboard-api.controller.js';
import { DashboardOpenApi, type DashboardApiMount } from './api/dashboard-openapi.js';
import { DashboardGuard } from './auth/dashboard.guard.js';
import {
  DASHBOARD_OPTIONS, normalisePath, resolveDashboardOptions, type ResolvedDashboardOptions, type ZapJobsDashboardAsyncOptions,
  type ZapJobsDashboardOptions, type ZapJobsDashboardRuntimeOptions,
} from './dashboard-options.js';
import { DashboardService } from './dashboard.service.js';
import { DashboardPagesController } from './pages/dashboard-pages.controller.js';

/**
 * One mount of the dashboard at `path`. Classes are made per mount: a Nest controller's path is fixed
 * when its class is decorated, and the API's own module is what @nestjs/swagger is told to scan
 * (`include`), so that each mount's document holds its own API only. That module holds the options
 * and the services, and exports them to ZapJobsDashboardModule, which holds the pages. Every route
 * passes DashboardGuard.
 */
function mount(path: string, options: Provider, imports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
  @Controller(`${path}/api`)
  @UseGuards(DashboardGuard)
  class ZapJobsDashboardApiController extends DashboardApiController {}

  @Module({})
  class ZapJobsDashboardApiModule {}

  const api: DashboardApiMount = { module: ZapJobsDashboardApiModule, controller: ZapJobsDashboardApiController };
  const shared = [DASHBOARD_OPTIONS, DashboardService, DashboardGuard];
  return {
    module: ZapJobsDashboardApiModule,
    imports,
    controllers: [ZapJobsDashboardApiController],
    providers: [
      options,
      DashboardService,
      DashboardGuard,
      {
        provide: DashboardOpenApi,
        useFactory: (resolved: ResolvedDashboardOptions, modules: ModulesContainer, config: ApplicationConfig, host: HttpAdapterHost) =>
          new DashboardOpenApi(api, resolved, modules, config, host),
        inject: [DASHBOARD_OPTIONS, ModulesContainer, ApplicationConfig, HttpAdapterHost],
      },
    ],
    exports: shared,
  };
}

function pagesAt(path: string) {
  @Controller(path)
  @UseGuards(DashboardGuard)
  class ZapJobsDashboardPagesController extends DashboardPagesController {}
  return ZapJobsDashboardPagesController;
}

const resolved = (path: string, raw: ZapJobsDashboardRuntimeOptions, alsoAllowed: readonly string[] = []): ResolvedDashboardOptions =>
  resolveDashboardOptions(path, raw, alsoAllowed);

/**
 * Pages and a JSON API to look into ZapJobs and act on it, imported beside ZapJobsModule in an HTTP
 * app (Express or Fastify). Closed by default: without `auth` it refuses to start.
 *
 * @example
 * ZapJobsDashboardModule.forRoot({ path: '/zapjobs', auth: { username: 'ops', password: process.env.DASHBOARD_PASSWORD! } })
 */
@Module({})
export class ZapJobsDashboardModule {
  static forRoot(options: ZapJobsDashboardOptions): DynamicModule {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionsError([`ZapJobsDashboardModule.forRoot(options): expected an object with at least 'auth', got ${options === null ? 'null' : typeof options}`]);
    }
    const path = normalisePath(options.path);
    // Checked here too, so that a missing auth fails where forRoot() is written, before the app boots.
    const value = resolved(path, options, ['path']);
    return {
      module: ZapJobsDashboardModule,
      imports: [mount(path, { provide: DASHBOARD_OPTIONS, useValue: value }, [])],
      controllers: [pagesAt(path)],
    };
  }

  static forRootAsync(options: ZapJobsDashboardAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
      throw new InvalidOptionsError(['ZapJobsDashboardModule.forRootAsync(options): expected an object with a useFactory function']);
    }
    const path = normalisePath(options.path);
    const provider: Provider = {
      provide: DASHBOARD_OPTIONS,
      useFactory: async (...args: unknown[]) => resolved(path, await options.useFactory(...args)),
      inject: options.inject ?? [],
    };
    return {
      module: ZapJobsDashboardModule,
      imports: [mount(path, provider, options.imports ?? [])],
      controllers: [pagesAt(path)],
    };
  }
}
