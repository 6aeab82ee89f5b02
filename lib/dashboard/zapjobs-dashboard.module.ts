import { Controller, Module, UseGuards, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/errors.js';
import { DashboardApiController } from './api/dashboard-api.controller.js';
import { DashboardGuard } from './auth/dashboard.guard.js';
import {
  DASHBOARD_OPTIONS, normalisePath, resolveDashboardOptions, type ResolvedDashboardOptions, type ZapJobsDashboardAsyncOptions,
  type ZapJobsDashboardOptions, type ZapJobsDashboardRuntimeOptions,
} from './dashboard-options.js';
import { DashboardService } from './dashboard.service.js';
import { DashboardPagesController } from './pages/dashboard-pages.controller.js';

/**
 * The controllers, mounted at `path`: a subclass per mount, since a Nest controller's path is fixed
 * when its class is decorated. Every route passes DashboardGuard.
 */
function controllersAt(path: string): Type<unknown>[] {
  @Controller(`${path}/api`)
  @UseGuards(DashboardGuard)
  class ZapJobsDashboardApiController extends DashboardApiController {}

  @Controller(path)
  @UseGuards(DashboardGuard)
  class ZapJobsDashboardPagesController extends DashboardPagesController {}

  return [ZapJobsDashboardApiController, ZapJobsDashboardPagesController];
}

const resolved = (path: string, raw: ZapJobsDashboardRuntimeOptions): ResolvedDashboardOptions => resolveDashboardOptions(path, raw);

const providers: Provider[] = [DashboardService, DashboardGuard];

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
    const value = resolved(path, options);
    return {
      module: ZapJobsDashboardModule,
      controllers: controllersAt(path),
      providers: [{ provide: DASHBOARD_OPTIONS, useValue: value }, ...providers],
    };
  }

  static forRootAsync(options: ZapJobsDashboardAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
      throw new InvalidOptionsError(['ZapJobsDashboardModule.forRootAsync(options): expected an object with a useFactory function']);
    }
    const path = normalisePath(options.path);
    return {
      module: ZapJobsDashboardModule,
      imports: options.imports ?? [],
      controllers: controllersAt(path),
      providers: [
        {
          provide: DASHBOARD_OPTIONS,
          useFactory: async (...args: unknown[]) => resolved(path, await options.useFactory(...args)),
          inject: options.inject ?? [],
        },
        ...providers,
      ],
    };
  }
}
