import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import type { QueueStats } from '../storage/job-storage.types.js';
import { errorMessage } from '../worker/to-error.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { resolveHealthCheck, type ResolvedHealthCheck, type ZapJobsHealthCheckOptions } from './health-check-options.js';

/**
 * A terminus health indicator for ZapJobs: up when the database answers within the timeout and,
 * where this process runs workers, its worker loop runs and its heartbeat is fresh (within
 * staleAfter: older, other workers would take its runs for a dead worker's). The options add
 * thresholds on the queues; each one crossed is a problem in the down result.
 *
 * @example
 * this.health.check([() => this.zapjobs.isHealthy('zapjobs', { maxPendingAge: '5m' })])
 */
@Injectable()
export class ZapJobsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly storage: EngineStorage,
    private readonly workers: WorkerPool,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
  ) {}

  async isHealthy<const Key extends string>(key: Key, options?: ZapJobsHealthCheckOptions): Promise<HealthIndicatorResult<Key>> {
    const check = resolveHealthCheck(options);
    const indicator = this.health.check(key);
    let details: Record<string, unknown>;
    try {
      details = await withTimeout(this.inspect(check), check.timeoutMs);
    } catch (error) {
      return indicator.down({ message: `The database did not answer: ${errorMessage(error)}` });
    }
    const problems = details.problems as string[];
    if (problems.length === 0) return indicator.up(withoutProblems(details));
    return indicator.down({ message: problems.join('; '), ...details });
  }

  /** Every read of the check; it rejects only when the database fails (or the caller's timeout passes). */
  private async inspect(check: ResolvedHealthCheck): Promise<Record<string, unknown>> {
    const problems: string[] = [];
    const details: Record<string, unknown> = { problems };
    const lastBeat = await this.storage.probeHeartbeat(this.options.workerId);
    if (this.options.enableWorkers) {
      const ageMs = lastBeat ? Date.now() - lastBeat.getTime() : null;
      Object.assign(details, { workerId: this.options.workerId, heartbeatAgeMs: ageMs });
      if (!this.workers.isRunning) problems.push(`the worker loop of ${this.options.workerId} is not running`);
      else if (ageMs === null) problems.push(`worker ${this.options.workerId} has no heartbeat row`);
      else if (ageMs > this.options.staleAfter) {
        problems.push(`the heartbeat of worker ${this.options.workerId} is ${ageMs} ms old (staleAfter ${this.options.staleAfter} ms)`);
      }
    }
    if (check.maxPendingAgeMs || check.requireLiveWorkers) {
      const stats = await this.storage.queueStats();
      if (check.maxPendingAgeMs) this.pendingAge(stats, check.maxPendingAgeMs, problems, details);
      if (check.requireLiveWorkers) await this.liveWorkers(stats, problems, details);
    }
    if (check.maxFailures) {
      const { count, windowMs } = check.maxFailures;
      const byQueue = await this.storage.countFailuresSince(new Date(Date.now() - windowMs));
      const total = [...byQueue.values()].reduce((sum, n) => sum + n, 0);
      details.failures = { total, windowMs, byQueue: Object.fromEntries(byQueue) };
      if (total > count) problems.push(`${total} runs failed in the last ${windowMs} ms (more than ${count})`);
    }
    return details;
  }

  private pendingAge(stats: QueueStats[], limits: Map<string, number>, problems: string[], details: Record<string, unknown>): void {
    const now = Date.now();
    const ages: Record<string, number> = {};
    for (const { queue, oldestDueAt } of stats) {
      if (!oldestDueAt) continue;
      const age = Math.max(0, now - oldestDueAt.getTime());
      ages[queue] = age;
      const limit = limits.get(queue) ?? limits.get('*');
      if (limit !== undefined && age > limit) problems.push(`queue '${queue}': the oldest pending run has waited ${age} ms (limit ${limit} ms)`);
    }
    details.oldestPendingAgeMs = ages;
  }

  private async liveWorkers(stats: QueueStats[], problems: string[], details: Record<string, unknown>): Promise<void> {
    const workers = await this.storage.getActiveWorkers(this.options.staleAfter);
    const served = new Set(workers.flatMap((worker) => worker.queues));
    const unserved = stats.filter((s) => s.oldestDueAt !== null && !served.has(s.queue)).map((s) => s.queue);
    details.liveWorkers = workers.length;
    for (const queue of unserved) problems.push(`queue '${queue}' has due pending runs and no live worker`);
  }
}

function withoutProblems({ problems, ...rest }: Record<string, unknown>): Record<string, unknown> {
  void problems;
  return rest;
}

/** The promise, or a rejection after `ms`: a database that hangs (a stopped server's dead socket) is down too. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
