import type { INestApplication, Type } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { ResolvedDashboardOptions } from '../dashboard-options.js';
import { GENERATOR, openApiDocument } from './openapi.js';
import { hasSwagger, swaggerDocument } from './swagger.js';

/** One mount's API: the module that holds only its controller (what @nestjs/swagger scans), and the controller. */
export interface DashboardApiMount {
  module: Type<unknown>;
  controller: Type<unknown>;
}

/**
 * The document served at `<path>/api/openapi.json`: made by @nestjs/swagger when the app has it,
 * else by openapi.ts; made on the first request (the app's routes are all known then) and kept.
 */
export class DashboardOpenApi {
  private document: object | undefined;

  constructor(
    private readonly mount: DashboardApiMount,
    private readonly options: ResolvedDashboardOptions,
    private readonly modules: ModulesContainer,
    private readonly config: ApplicationConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get(): object {
    return (this.document ??= this.make());
  }

  private make(): object {
    const readOnly = this.options.readOnly;
    const basic = this.options.auth !== 'none' && !Array.isArray(this.options.auth);
    if (!hasSwagger) return openApiDocument(this.mount.controller, { globalPrefix: this.config.getGlobalPrefix(), readOnly, basic });
    // SwaggerModule.createDocument takes the INestApplication, which no provider can inject; of it, it
    // reads the module container, the application config (global prefix, versioning) and the HTTP
    // adapter's type, which are injectable: this is that much of the app. The e2e tests of both
    // adapters fail should a version of @nestjs/swagger read more.
    const app = {
      container: { getModules: () => this.modules },
      config: this.config,
      getHttpAdapter: () => this.adapterHost.httpAdapter,
    } as unknown as INestApplication;
    const document = swaggerDocument(app, [this.mount.module], basic) as { paths: Record<string, Record<string, unknown>> };
    if (readOnly) {
      // The routes exist (they answer 403), but a read-only dashboard documents none of its actions.
      for (const [path, item] of Object.entries(document.paths)) {
        for (const method of Object.keys(item)) if (method !== 'get') delete item[method];
        if (Object.keys(item).length === 0) delete document.paths[path];
      }
    }
    return { ...document, 'x-generator': GENERATOR.swagger };
  }
}
