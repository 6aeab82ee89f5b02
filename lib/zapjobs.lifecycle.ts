import {
  Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { JobScheduler } from './client/job-scheduler.js';
import { JobEventExplorer } from './discovery/job-event-explorer.js';
import { JobExplorer } from './discovery/job-explorer.js';
import { EventRelay } from './event-relay/event-relay.js';
import { ZapJobsEvents } from './events/zapjobs-events.js';
import type { RegisteredJob } from './discovery/job-registry.js';
import { HeartbeatService } from './maintenance/heartbeat.service.js';
import { MaintenanceService } from './maintenance/maintenance.service.js';
import { ScheduleType } from './model/statuses.js';
import type { ResolvedZapJobsOptions } from './options/resolved-options.js';
import { nextTick } from './scheduler/next-tick.js';
import { RecurringScheduler } from './scheduler/recurring-scheduler.js';
import { EngineStorage } from './storage/engine-storage.js';
import type { JobDefinitionInput } from './storage/job-storage.types.js';
import { Clock } from './util/clock.js';
import { toJson } from './util/json.js';
import { WebhookDeliveryJob } from './webhooks/webhook-delivery.job.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WorkerPool } from './worker/worker-pool.js';
import { ZAPJOBS_DATA_SOURCE, ZAPJOBS_OPTIONS } from './zapjobs.constants.js';

/**
 * Starts and stops the runtime in the order Nest's hooks allow: the schema is migrated in
 * onModuleInit (ZapJobsMigrations); handlers are discovered, definitions stored and the loops
 * started in onApplicationBootstrap, after every module's init; on close, workers drain in
 * beforeApplicationShutdown while the database is still open, and the DataSource is destroyed last.
 */
@Injectable()
export class ZapJobsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ZapJobs');
  private webhooks: WebhookDispatcher | undefined;

  constructor(
    private readonly explorer: JobExplorer,
    private readonly eventExplorer: JobEventExplorer,
    private readonly relay: EventRelay,
    private readonly events: ZapJobsEvents,
    private readonly jobs: JobScheduler,
    private readonly storage: EngineStorage,
    private readonly workers: WorkerPool,
    private readonly scheduler: RecurringScheduler,
    private readonly maintenance: MaintenanceService,
    private readonly heartbeat: HeartbeatService,
    private readonly clock: Clock,
    @Inject(ZAPJOBS_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const hooks = this.options.webhooks;
    const jobs = this.explorer.explore(hooks.length ? [new WebhookDeliveryJob(hooks)] : []);
    this.eventExplorer.explore();
    for (const job of jobs) await this.storage.upsertDefinition(this.definitionOf(job));
    // Runs the flow rules cancel (a continuation whose condition failed) are announced like any cancel.
    this.storage.onRulesCancelled = (runs) => {
      if (!this.events.listening('cancelled')) return;
      for (const run of runs) this.events.emit('cancelled', { runId: run.runId, jobTypeId: run.jobTypeId, queue: run.queue });
    };
    // Before the workers start, so that no event of theirs goes unheard by other processes or webhooks.
    await this.relay.start();
    if (hooks.length) (this.webhooks = new WebhookDispatcher(hooks, this.events, this.jobs)).start();
    this.scheduler.onEnqueued = () => this.workers.notify();
    if (this.options.enableWorkers) {
      // Recovers what a previous process under this workerId held, and writes the heartbeat row,
      // before the first claim: no run this worker holds ever looks orphaned.
      await this.heartbeat.start();
      await this.workers.start();
      this.maintenance.start();
    }
    if (this.options.enableScheduler) this.scheduler.start();
    this.logger.log(
      `Started: worker ${this.options.workerId}` +
        (this.options.enableWorkers ? `, queues ${this.options.queues.join(' > ')}, concurrency ${this.options.concurrency}` : ', workers off') +
        (this.options.enableScheduler ? ', scheduler on' : ', scheduler off'),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduler.stop();
    // The heartbeat goes on while running jobs drain, so no other worker takes them for dead.
    await this.workers.stop();
    await this.maintenance.stop();
    await this.heartbeat.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    // After the workers drained (beforeApplicationShutdown): their last events still go out.
    this.webhooks?.stop();
    this.eventExplorer.clear();
    await this.relay.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private definitionOf(job: RegisteredJob): JobDefinitionInput {
    const o = job.options;
    const definition: JobDefinitionInput = {
      jobTypeId: job.id,
      displayName: o.displayName ?? job.id,
      description: o.description ?? null,
      queue: job.queue,
      priority: job.priority,
      timeoutMs: job.timeoutMs,
      maxRetries: job.maxRetries,
      retryDelayMs: job.retryPolicy.initialDelay,
      // Bounded as every enqueue is: a default too large for a run would fail each of its schedule's ticks.
      defaultInputJson: toJson(o.defaultInput, `defaultInput of job '${job.id}'`, this.options.maxPayloadBytes),
      tags: o.tags ?? [],
      misfirePolicy: job.schedule.misfire,
      preventOverlap: job.schedule.preventOverlap,
      // Declared in code: applied at every start. Not declared: a setEnabled() made at run time stands.
      isEnabled: o.enabled,
      // Limits declared in code apply at every start; none declared clears a stored one.
      concurrencyLimit: job.limits.concurrency?.limit ?? null,
      rateLimit: job.limits.rateLimit?.limit ?? null,
      ratePeriodMs: job.limits.rateLimit?.periodMs ?? null,
    };
    // A schedule declared in code wins at every start; a job declaring none keeps one set at run
    // time with JobScheduler.schedule().
    if (job.schedule.type !== ScheduleType.None) {
      Object.assign(definition, {
        scheduleType: job.schedule.type,
        cronExpression: job.schedule.cron ?? null,
        intervalMs: job.schedule.intervalMs ?? null,
        timezone: job.schedule.timezone ?? null,
        nextRunAt: nextTick(job.schedule, this.clock.date()),
      });
    }
    return definition;
  }
}
