import { Logger } from '@nestjs/common';
import type { JobScheduler } from '../client/job-scheduler.js';
import { ZAPJOBS_EVENT_NAMES, type ZapJobsEvents, type ZapJobsEventName } from '../events/zapjobs-events.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { errorMessage } from '../worker/to-error.js';
import { WEBHOOK_JOB_ID, type WebhookDeliveryInput } from './webhook-delivery.job.js';

/** Every event but 'progress' (a run may report it thousands of times) when a webhook names none. */
const DEFAULT_EVENTS = ZAPJOBS_EVENT_NAMES.filter((event) => event !== 'progress');

/**
 * Turns this process's run events into webhook deliveries: one run of the job 'zapjobs.webhook'
 * per (event, webhook). Events heard from other processes are left to their own process, so each
 * event is sent once; the delivery runs' own events send nothing (or each would beget another).
 */
export class WebhookDispatcher {
  private readonly logger = new Logger('ZapJobs');
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly webhooks: ResolvedZapJobsOptions['webhooks'],
    private readonly events: ZapJobsEvents,
    private readonly jobs: JobScheduler,
  ) {}

  start(): void {
    if (this.offs.length > 0) return;
    const wanted = new Set(this.webhooks.flatMap((hook) => hook.events ?? DEFAULT_EVENTS)) as Set<ZapJobsEventName>;
    for (const event of wanted) this.offs.push(this.events.on(event, (payload) => this.dispatch(event, payload)));
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private async dispatch(event: ZapJobsEventName, payload: object): Promise<void> {
    const p = payload as Record<string, unknown> & { runId: string; jobTypeId: string };
    if (p.remote || p.jobTypeId === WEBHOOK_JOB_ID) return;
    const body = JSON.stringify({
      event,
      runId: p.runId,
      jobId: p.jobTypeId,
      queue: p.queue,
      attempt: p.attempt,
      ...(p.output !== undefined ? { output: p.output } : {}),
      ...(p.error instanceof Error ? { error: { name: p.error.name, message: p.error.message } } : {}),
      ...(p.retryAt instanceof Date ? { retryAt: p.retryAt.toISOString() } : {}),
      ...(p.durationMs !== undefined ? { durationMs: p.durationMs } : {}),
      ...(p.progress !== undefined ? { progress: p.progress } : {}),
      at: new Date().toISOString(),
    });
    for (const hook of this.webhooks) {
      if (!(hook.events ?? DEFAULT_EVENTS).includes(event)) continue;
      const input: WebhookDeliveryInput = { url: hook.url, body };
      try {
        await this.jobs.enqueue(WEBHOOK_JOB_ID, input);
      } catch (error) {
        this.logger.error(`Enqueuing the '${event}' webhook of run ${p.runId} to ${hook.url} failed: ${errorMessage(error)}`);
      }
    }
  }
}
