import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { JobCancelledError, LeaseLostError } from '../errors/errors.js';
import { JobRunStatus } from '../model/statuses.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import type { AttemptLease, HeartbeatInfo } from '../storage/job-storage.types.js';
import { Clock } from '../util/clock.js';
import { Loop } from '../util/loop.js';
import { errorMessage } from '../worker/to-error.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';

/**
 * The one owner of this worker's heartbeat row: it recovers what a previous incarnation under the
 * same workerId held, writes the row before the first claim, keeps it fresh (noticing attempts
 * whose lease is gone), and removes it last at shutdown. The row is what tells other workers that
 * this one's runs are alive, so nothing else writes or removes it.
 */
@Injectable()
export class HeartbeatService {
  private readonly logger = new Logger('ZapJobs');
  private readonly loop: Loop;
  private started = false;

  constructor(
    private readonly storage: EngineStorage,
    private readonly workers: WorkerPool,
    private readonly clock: Clock,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {
    this.loop = new Loop('Heartbeat', () => options.heartbeatInterval, () => this.beat(), this.logger);
  }

  private get workerId(): string {
    return this.options.workerId;
  }

  /**
   * Call before the workers start. A process restarted under a fixed workerId (a pod name, say)
   * first recovers the runs its dead predecessor still held: the new heartbeat would otherwise
   * make them look alive for ever. Then the first heartbeat, as a new incarnation.
   */
  async start(): Promise<void> {
    if (this.started) return;
    const recovered = await this.storage.recoverWorkerRuns(this.workerId, this.options.defaultMaxRetries);
    if (recovered > 0) {
      this.logger.warn(`Recovered ${recovered} run(s) left Running by a previous process with worker id ${this.workerId}`);
    }
    await this.storage.updateHeartbeat(this.workerId, this.info([], this.clock.date()));
    this.started = true;
    this.loop.start();
  }

  /** Writes the heartbeat; aborts attempts whose lease is gone (cancelled, or recovered after a stall). */
  async beat(): Promise<void> {
    const leases = this.workers.heldLeases();
    await this.storage.updateHeartbeat(this.workerId, this.info(leases.map((lease) => lease.runId)));
    if (leases.length === 0) return;
    const held = new Set((await this.storage.stillHeld(leases)).map(leaseKey));
    for (const lease of leases) {
      if (!held.has(leaseKey(lease))) this.workers.abortAttempt(lease, await this.whyLost(lease));
    }
  }

  /** Stops the beat (after the workers drained) and removes the row: this worker is gone. */
  async stop(): Promise<void> {
    await this.loop.stop();
    if (!this.started) return;
    this.started = false;
    try {
      await this.storage.removeHeartbeat(this.workerId);
    } catch (error) {
      // The row then ages out: other workers treat it as a dead worker's, which it is.
      this.logger.warn(`Removing the heartbeat of worker ${this.workerId} failed: ${errorMessage(error)}`);
    }
  }

  /** A cancelled run reports as cancelled (its 'cancelled' event); any other loss as a lost lease. */
  private async whyLost(lease: AttemptLease): Promise<Error> {
    const run = await this.storage.getRun(lease.runId).catch(() => null);
    return run?.status === JobRunStatus.Cancelled ? new JobCancelledError() : new LeaseLostError(lease.runId, lease.attempt);
  }

  private info(runningRunIds: string[], startedAt?: Date): HeartbeatInfo {
    return {
      hostname: hostname(),
      pid: process.pid,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      runningRunIds,
      ...(startedAt ? { startedAt } : {}),
    };
  }
}

const leaseKey = (lease: AttemptLease): string => `${lease.runId}\u0000${lease.attempt}\u0000${lease.workerId}`;
