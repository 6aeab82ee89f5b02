import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import { ZapJobsEvents, type RunEvent, type ZapJobsEventMap, type ZapJobsEventName } from '../events/zapjobs-events.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import type { QueueStats } from '../storage/job-storage.types.js';
import { errorMessage } from '../worker/to-error.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { ZAPJOBS_METRICS_OPTIONS, type ResolvedMetricsOptions } from './metrics-options.js';

/** Seconds: from a few milliseconds (a quick job) to an hour (a report, a backlog drained). */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const GAUGED_STATUSES = ['pending', 'running', 'failed'] as const;

type Labels = 'job' | 'queue';

/**
 * The Prometheus series of ZapJobs. Counters and histograms count what this process did, from its
 * ZapJobsEvents (events another process relayed are skipped: that process counts them); the
 * queue gauges read the database at scrape time (shared by every process: any one instance shows
 * the whole table), cached for gaugeCacheTtl.
 */
@Injectable()
export class ZapJobsMetrics implements OnModuleDestroy {
  private readonly logger = new Logger('ZapJobs');
  private readonly registry: Registry;
  private readonly names: string[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private cached: { at: number; stats: Promise<QueueStats[] | null> } | undefined;
  /** Queues seen in a scrape (or served here): an emptied queue then shows 0, not a vanished series. */
  private readonly queues: Set<string>;

  constructor(
    private readonly events: ZapJobsEvents,
    private readonly storage: EngineStorage,
    private readonly workers: WorkerPool,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
    @Inject(ZAPJOBS_METRICS_OPTIONS) private readonly metrics: ResolvedMetricsOptions,
  ) {
    this.registry = metrics.registry ?? defaultRegistry;
    this.queues = new Set(options.enableWorkers ? options.queues : []);
    this.countRuns();
    this.gaugeQueues();
    this.gaugeSlots();
  }

  /** Removes the series (a test, or an app closed and created again in one process, registers them anew). */
  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const name of this.names.splice(0)) this.registry.removeSingleMetric(name);
  }

  private name(suffix: string): string {
    const name = this.metrics.prefix + suffix;
    this.names.push(name);
    return name;
  }

  private countRuns(): void {
    const registers = [this.registry];
    const counter = (suffix: string, help: string) =>
      new Counter<Labels>({ name: this.name(`runs_${suffix}_total`), help, labelNames: ['job', 'queue'], registers });
    const enqueued = counter('enqueued', 'Runs enqueued by this process');
    const started = counter('started', 'Attempts started by this process');
    const completed = counter('completed', 'Runs completed by this process');
    const failed = counter('failed', 'Runs failed for good (no retry left) in this process');
    const retried = counter('retried', 'Failed attempts in this process that will be retried');
    const cancelled = counter('cancelled', 'Runs cancelled through this process, or aborted here by a cancel');
    const duration = new Histogram<Labels | 'outcome'>({
      name: this.name('run_duration_seconds'),
      help: 'Duration of attempts run by this process, by outcome (completed, failed, retried)',
      labelNames: ['job', 'queue', 'outcome'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    const wait = new Histogram<Labels>({
      name: this.name('queue_wait_seconds'),
      help: 'Time from when a run was due (scheduled) to the start of its attempt in this process',
      labelNames: ['job', 'queue'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.on('enqueued', (event) => enqueued.inc(labels(event)));
    this.on('started', (event) => {
      started.inc(labels(event));
      wait.observe(labels(event), event.waitMs / 1000);
    });
    this.on('completed', (event) => {
      completed.inc(labels(event));
      duration.observe({ ...labels(event), outcome: 'completed' }, event.durationMs / 1000);
    });
    this.on('failed', (event) => {
      failed.inc(labels(event));
      duration.observe({ ...labels(event), outcome: 'failed' }, event.durationMs / 1000);
    });
    this.on('retrying', (event) => {
      retried.inc(labels(event));
      duration.observe({ ...labels(event), outcome: 'retried' }, event.durationMs / 1000);
    });
    this.on('cancelled', (event) => cancelled.inc(labels(event)));
  }

  private on<E extends ZapJobsEventName>(event: E, count: (payload: ZapJobsEventMap[E]) => void): void {
    this.unsubscribe.push(
      this.events.on(event, (payload) => {
        // Relayed from another process, which counts it itself.
        if ('remote' in payload) return;
        count(payload);
      }),
    );
  }

  private gaugeQueues(): void {
    const self = this;
    new Gauge<'queue' | 'status'>({
      name: this.name('queue_runs'),
      help: 'Runs in the database per queue and status (pending, running, failed), all processes',
      labelNames: ['queue', 'status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const stats = await self.queueStats();
        if (!stats) return;
        for (const queue of self.queues) for (const status of GAUGED_STATUSES) this.set({ queue, status }, 0);
        for (const s of stats) for (const status of GAUGED_STATUSES) this.set({ queue: s.queue, status }, s[status]);
      },
    });
    new Gauge<'queue'>({
      name: this.name('queue_oldest_pending_age_seconds'),
      help: 'How long the oldest due pending run of each queue has waited (0: none due)',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const stats = await self.queueStats();
        if (!stats) return;
        const now = Date.now();
        for (const queue of self.queues) this.set({ queue }, 0);
        for (const s of stats) this.set({ queue: s.queue }, s.oldestDueAt ? Math.max(0, now - s.oldestDueAt.getTime()) / 1000 : 0);
      },
    });
  }

  /** One read per gaugeCacheTtl, shared by the gauges of a scrape; a failed read leaves the gauges empty (and is logged). */
  private queueStats(): Promise<QueueStats[] | null> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.metrics.gaugeCacheTtlMs) {
      const stats = this.storage.queueStats().then(
        (found) => {
          for (const s of found) this.queues.add(s.queue);
          return found;
        },
        (error: unknown) => {
          this.logger.warn(`Metrics: reading the queues failed: ${errorMessage(error)}`);
          // Not cached: the next scrape asks again.
          this.cached = undefined;
          return null;
        },
      );
      this.cached = { at: now, stats };
    }
    return this.cached.stats;
  }

  private gaugeSlots(): void {
    const workers = this.workers;
    const total = this.options.enableWorkers ? this.options.concurrency : 0;
    new Gauge({
      name: this.name('worker_slots_busy'),
      help: 'Slots of this process running an attempt now',
      registers: [this.registry],
      collect() {
        this.set(workers.heldRunIds().length);
      },
    });
    new Gauge({
      name: this.name('worker_slots_total'),
      help: 'Slots of this process (its concurrency; 0 with workers off)',
      registers: [this.registry],
      collect() {
        this.set(total);
      },
    });
  }
}

const labels = (event: RunEvent) => ({ job: event.jobTypeId, queue: event.queue ?? '' });
