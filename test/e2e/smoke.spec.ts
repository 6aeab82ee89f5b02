import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Job, JobScheduler, JobStorage, ZapJobsModule, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { waitFor } from '../helpers/wait-for.js';

@Job({ id: 'echo' })
class EchoJob implements JobHandler<{ n: number }, { doubled: number }> {
  async handle(ctx: JobContext<{ n: number }>) {
    ctx.logger.info('doubling', ctx.input.n);
    return { doubled: ctx.input.n * 2 };
  }
}

@Module({ imports: [ZapJobsModule.forRoot({ database: ':memory:' })], providers: [EchoJob] })
class AppModule {}

it('runs a job end to end', async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  const jobs = app.get(JobScheduler);
  const storage = app.get(JobStorage);
  const id = await jobs.enqueue(EchoJob, { n: 21 });
  const run = await waitFor(async () => {
    const r = await storage.getRun(id);
    return r?.status === JobRunStatus.Completed ? r : null;
  });
  expect(run.output).toEqual({ doubled: 42 });
  const logs = await storage.getLogs(id);
  expect(logs.map((l) => l.message)).toContain('doubling 21');
  await app.close();
});
