import { Job } from '../decorators/job.decorator.js';
import { UnrecoverableJobError } from '../errors/errors.js';
import type { JobContext, JobHandler } from '../interfaces/job-context.interface.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { signWebhook } from './webhook-signature.js';

export const WEBHOOK_JOB_ID = 'zapjobs.webhook';

/** A delivery's input: the URL and the body. The secret is never stored: it is looked up by URL in the options. */
export interface WebhookDeliveryInput {
  url: string;
  body: string;
}

/**
 * POSTs one event to one webhook. A response other than 2xx, or no response, throws: the run is
 * retried with the module's retryPolicy (exponential backoff), up to maxRetries times. Each attempt
 * is signed afresh with its own timestamp.
 */
@Job({ id: WEBHOOK_JOB_ID, displayName: 'ZapJobs webhook delivery', maxRetries: 10, timeout: '30s' })
export class WebhookDeliveryJob implements JobHandler<WebhookDeliveryInput> {
  constructor(private readonly webhooks: ResolvedZapJobsOptions['webhooks']) {}

  async handle(ctx: JobContext<WebhookDeliveryInput>): Promise<{ status: number }> {
    const { url, body } = ctx.input;
    const hook = this.webhooks.find((candidate) => candidate.url === url);
    if (!hook) throw new UnrecoverableJobError(`webhook ${url}: not among this process's webhooks option, so its secret is unknown`);
    const timestamp = String(Date.now());
    const response = await fetch(url, {
      method: 'POST',
      body,
      signal: ctx.signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'zapjobs-webhook',
        'x-zapjobs-timestamp': timestamp,
        'x-zapjobs-signature': signWebhook(hook.secret, timestamp, body),
      },
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`webhook ${url} answered ${response.status}`);
    return { status: response.status };
  }
}
