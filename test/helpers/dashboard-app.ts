import { Module, type DynamicModule, type INestApplication, type LoggerService, type NestApplicationOptions, type Type } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { JobScheduler, JobStorage, ZapJobsModule, type ZapJobsModuleOptions } from '../../lib/index.js';
import { ZapJobsDashboardModule, type ZapJobsDashboardOptions } from '../../lib/dashboard/index.js';

export interface DashboardApp {
  app: INestApplication;
  /** http://127.0.0.1:<port> */
  origin: string;
  jobs: JobScheduler;
  storage: JobStorage;
  close: () => Promise<void>;
}

/** An HTTP app (Express unless an adapter is given) with ZapJobs, the dashboard and these jobs, listening on a free port. */
export async function bootDashboardApp(
  options: ZapJobsModuleOptions,
  dashboard: ZapJobsDashboardOptions | DynamicModule,
  handlers: Type<unknown>[],
  { adapter, providers = [], logger }: { adapter?: AbstractHttpAdapter; providers?: Type<unknown>[]; logger?: LoggerService } = {},
): Promise<DashboardApp> {
  @Module({
    imports: [
      ZapJobsModule.forRoot({
        pollInterval: 50, heartbeatInterval: 100, staleAfter: 1000, shutdownTimeout: 2000, queues: ['default', 'payments', 'batch'], concurrency: 10, ...options,
      }),
      'module' in dashboard ? dashboard : ZapJobsDashboardModule.forRoot(dashboard),
    ],
    providers: [...handlers, ...providers],
  })
  class DashboardTestModule {}

  const moduleRef = await Test.createTestingModule({ imports: [DashboardTestModule] }).compile();
  const appOptions: NestApplicationOptions = { logger: logger ?? ['error'] };
  const app = adapter ? moduleRef.createNestApplication(adapter, appOptions) : moduleRef.createNestApplication(appOptions);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  let closed = false;
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    jobs: app.get(JobScheduler),
    storage: app.get(JobStorage),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

export const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
