import 'reflect-metadata';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Job, JobRunStatus, verifyWebhookSignature, type JobHandler } from '../../../lib/index.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { appPerTest } from '../../helpers/app-per-test.js';
import { bootApp } from '../../helpers/boot.js';
import { waitFor } from '../../helpers/wait-for.js';

@Job({ id: 'hooked.job', maxRetries: 0 })
class HookedJob implements JobHandler {
  handle() {
    return { answer: 42 };
  }
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local receiver that answers 500 to the first `failFirst` requests, then 204. */
async function receiver(failFirst: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = received.length <= failFirst ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received, server };
}

describeEachBackend('webhooks', (backend) => {
  const t = appPerTest(backend);
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('POSTs the event signed with HMAC-SHA256 over timestamp.body, retried by its job after a 500', async () => {
    const hook = await receiver(1);
    server = hook.server;
    const secret = 's3cret';
    t.booted = await bootApp(
      { ...t.db.options, webhooks: [{ url: hook.url, secret, events: ['completed'] }], retryPolicy: { initialDelay: 50, jitter: 0 } },
      [HookedJob],
    );
    const runId = await t.booted.jobs.enqueue(HookedJob, undefined);
    await waitFor(() => hook.received.length >= 2, { what: 'the webhook delivered again after the 500', timeoutMs: 15_000 });
    for (const { headers, body } of hook.received) {
      const timestamp = headers['x-zapjobs-timestamp'] as string;
      expect(Math.abs(Date.now() - Number(timestamp))).toBeLessThan(60_000);
      expect(verifyWebhookSignature(secret, timestamp, body, headers['x-zapjobs-signature'] as string)).toBe(true);
      expect(verifyWebhookSignature('wrong', timestamp, body, headers['x-zapjobs-signature'] as string)).toBe(false);
      expect(verifyWebhookSignature(secret, Number(timestamp) + 1, body, headers['x-zapjobs-signature'] as string)).toBe(false);
      expect(headers['content-type']).toBe('application/json');
      expect(JSON.parse(body)).toMatchObject({ event: 'completed', runId, jobId: 'hooked.job', attempt: 1, output: { answer: 42 } });
    }
    // Only 'completed' was asked for, and the delivery job's own events send nothing.
    expect(hook.received).toHaveLength(2);
    const [delivery] = await t.booted.storage.listRuns({ jobTypeId: 'zapjobs.webhook' });
    const done = await t.booted.jobs.waitFor(delivery.id, { timeout: '20s' });
    expect(done.status).toBe(JobRunStatus.Completed);
    expect(done.attemptNumber).toBe(2);
    // The secret is never stored with the delivery.
    expect(JSON.stringify(done.input)).not.toContain(secret);
  });

  it('refuses a webhook without a secret or with a bad URL, naming the field', async () => {
    await expect(bootApp({ ...t.db.options, webhooks: [{ url: 'ftp://x', secret: '' }] }, [])).rejects.toThrow(
      /webhooks\[0\]\.url: expected an http:\/\/ or https:\/\/ URL \(got "ftp:\/\/x"\)[\s\S]*webhooks\[0\]\.secret: expected a non-empty string/,
    );
  });
});
