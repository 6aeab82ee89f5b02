import { Module, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JobScheduler, JobStorage, ZapJobsEvents, ZapJobsModule, type ZapJobsModuleOptions } from '../../lib/index.js';
import { ZapJobsTesting, ZapJobsTestingModule, type ZapJobsTestingOptions } from '../../lib/testing/index.js';

export interface BootedApp {
  app: INestApplication;
  jobs: JobScheduler;
  storage: JobStorage;
  events: ZapJobsEvents;
  close: () => Promise<void>;
}

/** Boots a Nest app with ZapJobs and the given handler classes (and modules, controllers); fast timings unless overridden. */
export async function bootApp(
  options: ZapJobsModuleOptions,
  handlers: Type<unknown>[],
  { logger, imports = [], controllers = [] }: { logger?: LoggerService; imports?: Array<Type<unknown> | DynamicModule>; controllers?: Type<unknown>[] } = {},
): Promise<BootedApp> {
  const zapjobs = ZapJobsModule.forRoot({
    pollInterval: 50,
    heartbeatInterval: 100,
    staleAfter: 1000,
    shutdownTimeout: 2000,
    ...options,
  });
  return boot(zapjobs, handlers, { logger, imports, controllers });
}

/**
 * Boots a Nest app on ZapJobsTestingModule (no workers, a fake clock): the test runs what is due
 * with `zap.drain()` and moves time with `zap.clock`, where bootApp's tests wait on real time.
 */
export async function bootTestingApp(options: ZapJobsTestingOptions, handlers: Type<unknown>[]): Promise<BootedApp & { zap: ZapJobsTesting }> {
  const booted = await boot(ZapJobsTestingModule.forRoot(options), handlers, {});
  return { ...booted, zap: booted.app.get(ZapJobsTesting) };
}

async function boot(
  zapjobs: DynamicModule,
  handlers: Type<unknown>[],
  { logger, imports = [], controllers = [] }: { logger?: LoggerService; imports?: Array<Type<unknown> | DynamicModule>; controllers?: Type<unknown>[] },
): Promise<BootedApp> {
  @Module({ imports: [zapjobs, ...imports], controllers, providers: handlers })
  class TestAppModule {}

  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: logger ?? ['error'] });
  await app.init();
  let closed = false;
  return {
    app,
    jobs: app.get(JobScheduler),
    storage: app.get(JobStorage),
    events: app.get(ZapJobsEvents),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

/** Waits until the run reaches one of `statuses`; returns it. */
export async function runIn(storage: JobStorage, runId: string, statuses: string[], timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await storage.getRun(runId);
    if (run && statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${run?.status ?? 'missing'}, not ${statuses.join('/')} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
