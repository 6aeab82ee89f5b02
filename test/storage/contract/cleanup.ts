import { JobLogLevel, JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, idsOf, sorted, MINUTE, HOUR, DAY, completion, type ContractContext } from './harness.js';

export function describeCleanup(ctx: ContractContext): void {
  const { define, totalRuns, statusOf, seed, complete } = contractHelpers(ctx);

  // ----- cleanup -----

  describe('cleanup', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    beforeEach(() => define('job'));

    /** Enqueues `count` runs and completes them at `completedAt`, 100 at a time as a worker would; returns their ids. */
    async function finished(count: number, completedAt: Date): Promise<string[]> {
      const ids = await seed('job', count);
      for (;;) {
        const claimed = await storage.claim({ queues: ['default'], workerId: 'cleaner', limit: 100 });
        if (claimed.length === 0) break;
        await complete(claimed.map((run) => completion(run.id, 'cleaner', run.attemptNumber, completedAt)));
      }
      expect((await storage.countRuns()).completed).toBeGreaterThanOrEqual(count);
      return ids;
    }

    it('cleanupOldRuns deletes finished runs older than the retention, with their logs, and nothing else', async () => {
      const now = Date.now();
      const old = new Date(now - 10 * DAY);
      const [oldCompleted] = await finished(1, old);
      const [recentCompleted] = await finished(1, new Date(now - HOUR));
      const oldFailed = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      await storage.failRun({ runId: oldFailed, workerId: 'w', attempt: 1, errorMessage: 'x', errorDetails: null, completedAt: old, durationMs: 1, retryAt: null });
      const oldCancelled = await storage.enqueue({ jobTypeId: 'job' });
      await storage.updateRun(oldCancelled, { status: JobRunStatus.Cancelled, completedAt: old });
      const oldRunning = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(old.getTime() - 1) });
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 }))).toEqual([oldRunning]);
      const oldPending = await storage.enqueue({ jobTypeId: 'job', scheduledAt: old });
      await storage.addLogs([oldCompleted, recentCompleted, oldPending].map((id) => ({ runId: id, level: JobLogLevel.Info, message: id })));

      expect(await storage.cleanupOldRuns(7 * DAY)).toBe(3);

      for (const id of [oldCompleted, oldFailed, oldCancelled]) expect(await storage.getRun(id)).toBeNull();
      expect(await storage.getLogs(oldCompleted)).toEqual([]);
      expect(await statusOf(recentCompleted)).toBe(JobRunStatus.Completed);
      expect(await statusOf(oldPending)).toBe(JobRunStatus.Pending);
      expect(await statusOf(oldRunning)).toBe(JobRunStatus.Running);
      expect((await storage.getLogs(recentCompleted)).map((l) => l.message)).toEqual([recentCompleted]);
      expect((await storage.getLogs(oldPending)).map((l) => l.message)).toEqual([oldPending]);
      expect(await storage.cleanupOldRuns(7 * DAY)).toBe(0);
    });

    it('cleanupOldRuns works in batches: 1,234 old runs with batchSize 100 all go and the count is exact', async () => {
      const old = await finished(1234, new Date(Date.now() - 10 * DAY));
      const recent = await finished(5, new Date());
      await storage.addLogs(old.slice(0, 300).map((runId) => ({ runId, level: JobLogLevel.Info, message: 'old' })));

      expect(await storage.countCleanable(7 * DAY, 7 * DAY)).toEqual({ runs: 1234, logs: 0 });
      const progress: number[] = [];
      expect(await storage.cleanupOldRuns(7 * DAY, 100, undefined, (removed) => progress.push(removed))).toBe(1234);
      // A running total after each batch, ending at the count returned.
      expect(progress.length).toBeGreaterThanOrEqual(13);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
      expect(progress.at(-1)).toBe(1234);
      expect(await storage.countCleanable(7 * DAY, 7 * DAY)).toEqual({ runs: 0, logs: 0 });

      expect(await totalRuns()).toBe(5);
      expect(sorted(idsOf(await storage.listRuns({ limit: 10 })))).toEqual(sorted(recent));
      expect(await storage.getLogs(old[0])).toEqual([]);
      expect(await storage.getLogs(old[299])).toEqual([]);
    });

    it('cleanupOldRuns counts exactly when the total is a multiple of the batch size', async () => {
      await finished(6, new Date(Date.now() - 10 * DAY));

      expect(await storage.cleanupOldRuns(DAY, 3)).toBe(6);
      expect(await totalRuns()).toBe(0);
    });

    it('cleanupOldLogs deletes lines older than the retention, in batches, and keeps the runs', async () => {
      const runId = await storage.enqueue({ jobTypeId: 'job' });
      const now = Date.now();
      await storage.addLogs([
        ...Array.from({ length: 250 }, (_, i) => ({ runId, level: JobLogLevel.Info, message: `old ${i}`, timestamp: new Date(now - 10 * DAY + i) })),
        ...Array.from({ length: 5 }, (_, i) => ({ runId, level: JobLogLevel.Info, message: `new ${i}`, timestamp: new Date(now - MINUTE + i) })),
      ]);

      expect(await storage.cleanupOldLogs(DAY, 100)).toBe(250);

      expect((await storage.getLogs(runId)).map((l) => l.message)).toEqual(['new 0', 'new 1', 'new 2', 'new 3', 'new 4']);
      expect(await statusOf(runId)).toBe(JobRunStatus.Pending);
      expect(await storage.cleanupOldLogs(DAY, 100)).toBe(0);
    });
  });
}
