import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JobScheduler, JobStorage, ZapJobsEvents, ZapJobsModule, type ZapJobsModuleOptions } from '../../lib/index.js';

export interface HttpApp {
  app: INestApplication;
  jobs: JobScheduler;
  storage: JobStorage;
  events: ZapJobsEvents;
  /** GETs a path of the app over real HTTP. */
  get: (path: string) => Promise<{ status: number; text: string; json: () => unknown }>;
  close: () => Promise<void>;
}

/**
 * An app as one serves it: ZapJobs, the given modules, controllers and handlers, on
 * @nestjs/platform-express listening on a free port, reached with fetch.
 */
export async function bootHttpApp(
  options: ZapJobsModuleOptions,
  { handlers = [], imports = [], controllers = [] }: { handlers?: Type<unknown>[]; imports?: Array<Type<unknown> | DynamicModule>; controllers?: Type<unknown>[] },
): Promise<HttpApp> {
  @Module({
    imports: [
      ZapJobsModule.forRoot({ pollInterval: 50, heartbeatInterval: 100, staleAfter: 1000, shutdownTimeout: 2000, ...options }),
      ...imports,
    ],
    controllers,
    providers: handlers,
  })
  class HttpTestModule {}

  const moduleRef = await Test.createTestingModule({ imports: [HttpTestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  let closed = false;
  return {
    app,
    jobs: app.get(JobScheduler),
    storage: app.get(JobStorage),
    events: app.get(ZapJobsEvents),
    get: async (path) => {
      const response = await fetch(base.replace('[::1]', '127.0.0.1') + path);
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
