import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ZapJobsDashboardModule } from '../../dashboard/index.js';
import { ZapJobsModule } from '../../zapjobs.module.js';
import { CliError, ExitCode } from '../exit-codes.js';

/** Where the dashboard is served: its default path, so that links copied from an app's dashboard still work. */
export const INSPECT_PATH = '/zapjobs';

export interface InspectServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A Nest HTTP app on 127.0.0.1 with ZapJobs on `database` (no workers, no scheduler: nothing runs,
 * nothing is cleaned up) and the dashboard read-only, with no sign-in: only this machine can reach it.
 */
export async function serveDashboard(database: string, tablePrefix: string | undefined, port: number): Promise<InspectServer> {
  let ExpressAdapter;
  try {
    ({ ExpressAdapter } = await import('@nestjs/platform-express'));
  } catch (error) {
    throw new CliError(
      ExitCode.CannotConnect,
      `zapjobs inspect serves the dashboard with @nestjs/platform-express, which is not installed: npm install @nestjs/platform-express`,
      { cause: error },
    );
  }

  @Module({
    imports: [
      ZapJobsModule.forRoot({ storage: 'sqlite', database, tablePrefix, enableWorkers: false, enableScheduler: false }),
      // A snapshot never changes: the pages need not refresh.
      ZapJobsDashboardModule.forRoot({ path: INSPECT_PATH, auth: 'none', readOnly: true, refreshMs: 0 }),
    ],
  })
  class ZapJobsInspectModule {}

  // Errors only: the dashboard's auth:'none' warning is for an app on a network; the command says what applies here.
  const app: INestApplication = await NestFactory.create(ZapJobsInspectModule, new ExpressAdapter(), { logger: ['error'], abortOnError: false });
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw new CliError(ExitCode.Failed, `could not listen on 127.0.0.1:${port}: ${(error as Error).message}`, { cause: error });
  }
  const address = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}${INSPECT_PATH}`, close: () => app.close() };
}
