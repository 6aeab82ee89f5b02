import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
// In your app: from '@zapjobs/nestjs/testing'
import { ZapJobsTesting, ZapJobsTestingModule } from '../../lib/testing/index.js';
import { JobsController } from '../jobs.controller.js';
import { SendEmailJob } from '../jobs/send-email.job.js';
import { Mailer } from '../mailer.js';

describe('POST /emails', () => {
  let app: INestApplication;
  let url: string;
  let zap: ZapJobsTesting;
  const mailer = { send: jest.fn<Mailer['send']>() };

  beforeEach(async () => {
    mailer.send.mockReset().mockResolvedValue({ messageId: '<1@test>' });
    const moduleRef = await Test.createTestingModule({
      // In memory, no workers, a fake clock: jobs run when the test drains them.
      imports: [ZapJobsTestingModule.forRoot()],
      controllers: [JobsController],
      providers: [SendEmailJob, Mailer],
    })
      .overrideProvider(Mailer)
      .useValue(mailer)
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0);
    url = await app.getUrl();
    zap = app.get(ZapJobsTesting);
  });

  afterEach(() => app.close());

  const post = (body: unknown) =>
    fetch(`${url}/emails`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('enqueues the email; the job sends it through the mailer', async () => {
    const response = await post({ to: 'ada@example.com', subject: 'Welcome' });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };

    const run = await zap.expectEnqueued(SendEmailJob, { to: 'ada@example.com' });
    expect(run.id).toBe(runId);
    expect(mailer.send).not.toHaveBeenCalled();

    expect(await zap.drain()).toMatchObject({ completed: 1, failed: 0 });
    expect(mailer.send).toHaveBeenCalledWith({ to: 'ada@example.com', subject: 'Welcome', body: undefined }, expect.any(AbortSignal));
    const email = await (await fetch(`${url}/emails/${runId}`)).json();
    expect(email).toEqual({ status: 'completed', to: 'ada@example.com', messageId: '<1@test>' });
  });

  it('retries a failed send after its backoff, on the fake clock', async () => {
    mailer.send.mockRejectedValueOnce(new Error('SMTP unavailable'));
    await post({ to: 'bob@example.com', subject: 'Hi' });

    expect(await zap.drain()).toMatchObject({ completed: 0, retried: 1 });
    // The first retry waits 5 s (give or take 20% jitter): no sleeping, the clock moves.
    zap.clock.advance('10s');
    expect(await zap.drain()).toMatchObject({ completed: 1 });
    expect(mailer.send).toHaveBeenCalledTimes(2);
  });

  it('refuses an invalid address with 400, and enqueues nothing', async () => {
    const response = await post({ to: 'not an address', subject: 'Hi' });
    expect(response.status).toBe(400);
    expect(await zap.enqueued(SendEmailJob)).toEqual([]);
  });
});
