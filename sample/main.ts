import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { dashboardAccount } from './dashboard-account.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // Without this, Ctrl+C or a SIGTERM ends the process at once: ZapJobs would get no chance to let
  // running jobs finish and to return unfinished runs to the queue.
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);

  const url = `http://localhost:${port}`;
  new Logger('Sample').log(
    [
      `Listening on ${url}.`,
      `Dashboard: ${url}/zapjobs  (user '${dashboardAccount.username}', password '${dashboardAccount.password}'; set DASHBOARD_USER / DASHBOARD_PASSWORD)`,
      `Try:`,
      `  curl -X POST ${url}/emails -H 'content-type: application/json' -d '{"to":"ada@example.com","subject":"Hello"}'`,
      `  curl -X POST ${url}/emails -H 'content-type: application/json' -d '{"to":"not-an-email"}'   # 400`,
      `  curl -X POST ${url}/flaky                  # fails twice, then succeeds`,
      `  curl ${url}/emails/<id>                    # a send-email run, typed: status, to, messageId`,
      `  curl ${url}/runs/<id>                      # the run: status, attempts, input, output, error`,
      `  curl ${url}/runs/<id>/logs                 # its log lines, with each failed attempt`,
      `  curl '${url}/runs?status=completed&job=send-email'`,
      `  curl -X POST ${url}/runs/<id>/cancel       # an email takes 3 s: cancel it while it runs`,
      `  curl -X POST ${url}/runs/<id>/retry        # a failed or cancelled run goes back to the queue`,
    ].join('\n'),
  );
}

void bootstrap();
