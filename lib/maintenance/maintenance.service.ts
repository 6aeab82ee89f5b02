import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import { Loop } from '../util/loop.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';

/**
 * The shared chores of a worker process: recovery of runs held by dead workers, and cleanup of
 * old runs and logs. (This worker's own heartbeat is HeartbeatService's.) Tests call recoverStale()
 * and clean() directly rather than waiting for the timers.
 */
@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger('ZapJobs');
  private readonly rescue: Loop;
  private readonly cleanup: Loop;

  constructor(
    private readonly storage: EngineStorage,
    private readonly workers: WorkerPool,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {
    this.rescue = new Loop('Stale-run recovery', () => Math.max(options.heartbeatInterval, options.staleAfter / 2), () => this.recoverStale(), this.logger);
    this.cleanup = new Loop('Cleanup', () => options.cleanupInterval, () => this.clean(), this.logger);
  }

  start(): void {
    this.rescue.start(true);
    this.cleanup.start(true);
  }

  async stop(): Promise<void> {
    await Promise.all([this.rescue.stop(), this.cleanup.stop()]);
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
    const runs = await this.storage.cleanupOldRuns(this.options.retention, this.options.cleanupBatchSize, this.options.failedRetention);
    const logs = await this.storage.cleanupOldLogs(this.options.logRetention, this.options.cleanupBatchSize);
    if (runs + logs > 0) this.logger.log(`Cleanup removed ${runs} finished run(s) and ${logs} log line(s)`);
    return { runs, logs };
  }
}
