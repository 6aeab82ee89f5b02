import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { JobCancelledError } from '../errors/errors.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { JobStorage } from '../storage/job-storage.js';
import { Loop } from '../util/loop.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';

/**
 * The chores of a worker process: its heartbeat (and noticing runs it no longer holds), recovery
 * of runs held by dead workers, and cleanup of old runs and logs.
 */
@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger('ZapJobs');
  private readonly heartbeat: Loop;
  private readonly rescue: Loop;
  private readonly cleanup: Loop;

  constructor(
    private readonly storage: JobStorage,
    private readonly workers: WorkerPool,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {
    this.heartbeat = new Loop('Heartbeat', () => options.heartbeatInterval, () => this.beat(), this.logger);
    this.rescue = new Loop('Stale-run recovery', () => Math.max(options.heartbeatInterval, options.staleAfter / 2), () => this.recoverStale(), this.logger);
    this.cleanup = new Loop('Cleanup', () => options.cleanupInterval, () => this.clean(), this.logger);
  }

  start(): void {
    this.heartbeat.start();
    this.rescue.start(true);
    this.cleanup.start(true);
  }

  async stop(): Promise<void> {
    await Promise.all([this.heartbeat.stop(), this.rescue.stop(), this.cleanup.stop()]);
  }

  /** Writes the heartbeat; aborts runs this worker no longer holds (cancelled, or recovered elsewhere). */
  async beat(): Promise<void> {
    const running = this.workers.heldRunIds();
    await this.storage.updateHeartbeat(this.workers.workerId, {
      hostname: hostname(),
      pid: process.pid,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      runningRunIds: running,
    });
    if (running.length === 0) return;
    const held = new Set(await this.storage.stillHeld(this.workers.workerId, running));
    for (const runId of running) {
      if (!held.has(runId)) this.workers.abort(runId, new JobCancelledError());
    }
  }

  async recoverStale(): Promise<number> {
    const recovered = await this.storage.recoverStaleRuns(this.options.staleAfter, this.options.defaultMaxRetries);
    if (recovered > 0) {
      this.logger.warn(`Recovered ${recovered} run(s) from workers silent for over ${this.options.staleAfter} ms`);
      this.workers.notify();
    }
    return recovered;
  }

  async clean(): Promise<{ runs: number; logs: number }> {
    const runs = await this.storage.cleanupOldRuns(this.options.retention, this.options.cleanupBatchSize);
    const logs = await this.storage.cleanupOldLogs(this.options.logRetention, this.options.cleanupBatchSize);
    if (runs + logs > 0) this.logger.log(`Cleanup removed ${runs} finished run(s) and ${logs} log line(s)`);
    return { runs, logs };
  }
}
