import 'reflect-metadata';
import { Injectable, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Module } from '@nestjs/common';
import {
  InvalidJobHandlerError, Job, JobRunStatus, OnJobEvent, ZapJobsModule, type JobContext, type JobHandler, type ZapJobsEventMap,
} from '../../../lib/index.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { appPerTest } from '../../helpers/app-per-test.js';
import { bootApp } from '../../helpers/boot.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { waitFor } from '../../helpers/wait-for.js';

@Job({ id: 'listen.ok', maxRetries: 0 })
class OkJob implements JobHandler<{ n: number }> {
  handle(ctx: JobContext<{ n: number }>) {
    return { doubled: ctx.input.n * 2 };
  }
}

@Job({ id: 'listen.fail', maxRetries: 0 })
class FailingJob implements JobHandler {
  handle(): never {
    throw new Error('boom');
  }
}

/** Listens through @OnJobEvent: filtered by job, and a method that throws, sync and async. */
@Injectable()
class Alerts {
  readonly failedOk: string[] = [];
  readonly failedAny: string[] = [];
  readonly completed: ZapJobsEventMap['completed'][] = [];

  @OnJobEvent('failed', { job: FailingJob })
  onFailed({ runId }: ZapJobsEventMap['failed']) {
    this.failedOk.push(runId);
  }

  @OnJobEvent('failed')
  @OnJobEvent('completed', { job: 'listen.ok' })
  onAny(payload: ZapJobsEventMap['failed'] | ZapJobsEventMap['completed']) {
    if ('output' in payload) this.completed.push(payload);
    else this.failedAny.push(payload.runId);
  }

  @OnJobEvent('completed')
  throwsSync(): never {
    throw new Error('listener exploded');
  }

  @OnJobEvent('started')
  async rejects(): Promise<never> {
    throw new Error('listener rejected');
  }
}

describeEachBackend('event listeners', (backend) => {
  const t = appPerTest(backend);

  it('@OnJobEvent methods are discovered and called, filtered by job', async () => {
    t.booted = await bootApp(t.db.options, [OkJob, FailingJob, Alerts]);
    const alerts = t.booted.app.get(Alerts);
    const ok = await t.booted.jobs.enqueue(OkJob, { n: 21 });
    const failing = await t.booted.jobs.enqueue(FailingJob, undefined);
    await waitFor(() => alerts.completed.length === 1 && alerts.failedOk.length === 1, { what: 'both listeners called' });
    expect(alerts.failedOk).toEqual([failing]);
    expect(alerts.failedAny).toEqual([failing]);
    expect(alerts.completed).toEqual([expect.objectContaining({ runId: ok, jobTypeId: 'listen.ok', output: { doubled: 42 } })]);
    // Local events keep their shape: no remote flag.
    expect(alerts.completed[0]).not.toHaveProperty('remote');
  });

  it('a listener that throws (or rejects) is logged and does not affect the run or the worker', async () => {
    const logger = new RecordingLogger();
    t.booted = await bootApp(t.db.options, [OkJob, Alerts], { logger });
    t.booted.events.on('completed', () => {
      throw new Error('plain listener exploded');
    });
    const first = await t.booted.jobs.enqueue(OkJob, { n: 1 });
    const second = await t.booted.jobs.enqueue(OkJob, { n: 2 });
    const runs = await Promise.all([first, second].map((id) => t.booted!.jobs.waitFor(id, { timeout: '20s' })));
    expect(runs.map((run) => [run.status, run.output])).toEqual([
      [JobRunStatus.Completed, { doubled: 2 }],
      [JobRunStatus.Completed, { doubled: 4 }],
    ]);
    // The stored run can be read as completed a moment before this process's completer emits the event.
    const logged = [`A 'started' listener threw: listener rejected`, `A 'completed' listener threw: listener exploded`, `A 'completed' listener threw: plain listener exploded`];
    await waitFor(() => logged.every((line) => logger.errors.includes(line)), { what: 'the three listener errors logged', timeoutMs: 20_000 });
  });

  it('@OnJobEvent naming an unknown event, a class that is not a job or an unknown option, or on a request-scoped provider, fails start-up with a named error', async () => {
    class NotAJob {}
    @Injectable()
    class Wrong {
      @OnJobEvent('finished' as never)
      a() {}
    }
    @Injectable()
    class WrongJob {
      @OnJobEvent('failed', { job: NotAJob })
      b() {}
    }
    @Injectable()
    class WrongOption {
      // { jobId } is no option: it would have listened to every job.
      @OnJobEvent('failed', { jobId: 'send-email' } as never)
      c() {}
    }
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @OnJobEvent('failed')
      d() {}
    }
    for (const [provider, message] of [
      [Wrong, `@OnJobEvent on Wrong.a: expected one of the events enqueued, started, progress, completed, failed, retrying, cancelled; got "finished"`],
      [WrongJob, `@OnJobEvent('failed') on WrongJob.b: job: expected a @Job class or a job id; got a function NotAJob`],
      [WrongOption, `@OnJobEvent('failed') on WrongOption.c: jobId: not an option (expected job)`],
      [PerRequest, `@OnJobEvent on PerRequest.d: the provider is request-scoped (or depends on one), so there is no instance to call; put the listener on a singleton provider`],
    ] as const) {
      @Module({ imports: [ZapJobsModule.forRoot({ ...t.db.options, enableWorkers: false, enableScheduler: false })], providers: [provider] })
      class AppModule {}
      const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
      const error = await app.init().catch((e: unknown) => e);
      await app.close().catch(() => undefined);
      expect(error).toBeInstanceOf(InvalidJobHandlerError);
      expect((error as Error).message).toBe(message);
    }
  });
});
