import { InvalidPayloadError, JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { clockPast, contractHelpers, DAY, type ContractContext } from './harness.js';

export function describeDeadLetter(ctx: ContractContext): void {
  const { define, statusOf, seed } = contractHelpers(ctx);

  describe('dead letter: failedRetention, retryMany, cancelMany', () => {
    let storage: EngineStorage;
    beforeEach(async () => {
      storage = ctx.storage;
      await define('job');
      await define('other', { queue: 'slow' });
    });

    /** Enqueues `count` runs of `jobTypeId` and fails each for good at `at`; returns their ids. */
    async function failed(jobTypeId: string, count: number, at = new Date()): Promise<string[]> {
      const ids = await seed(jobTypeId, count);
      const queue = jobTypeId === 'other' ? 'slow' : 'default';
      for (;;) {
        const claimed = await storage.claim({ queues: [queue], workerId: 'w', limit: 200, jobTypeIds: [jobTypeId] });
        if (claimed.length === 0) break;
        for (const run of claimed) {
          await storage.failRun({
            runId: run.id, workerId: 'w', attempt: run.attemptNumber, errorMessage: 'boom', errorDetails: null, completedAt: at, durationMs: 1, retryAt: null,
          });
        }
      }
      return ids;
    }

    it('cleanupOldRuns keeps failed runs until failedRetentionMs, other finished runs until retentionMs', async () => {
      const now = Date.now();
      const [failed10] = await failed('job', 1, new Date(now - 10 * DAY));
      const [failed40] = await failed('job', 1, new Date(now - 40 * DAY));
      const cancelled10 = await storage.enqueue({ jobTypeId: 'job' });
      await storage.updateRun(cancelled10, { status: JobRunStatus.Cancelled, completedAt: new Date(now - 10 * DAY) });

      expect(await storage.cleanupOldRuns(7 * DAY, 100, 30 * DAY)).toBe(2);
      expect(await storage.getRun(cancelled10)).toBeNull();
      expect(await storage.getRun(failed40)).toBeNull();
      expect(await statusOf(failed10)).toBe(JobRunStatus.Failed);
      // Without failedRetentionMs, failed runs follow retentionMs as before.
      expect(await storage.cleanupOldRuns(7 * DAY)).toBe(1);
    });

    it('retryMany puts every failed run matching the filter back in the queue, in batches, and returns the count', async () => {
      const jobs = await failed('job', 250);
      const others = await failed('other', 3);
      const cancelled = await storage.enqueue({ jobTypeId: 'job' });
      await storage.cancelRun(cancelled);

      expect(await storage.retryMany({ jobTypeId: 'job' }, { batchSize: 100 })).toBe(250);
      const counts = await storage.countRuns({ jobTypeId: 'job' });
      expect(counts).toMatchObject({ pending: 250, failed: 0, cancelled: 1 });
      const run = await storage.getRun(jobs[17]);
      expect(run).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 0, completedAt: null, workerId: null });
      expect(await statusOf(others[0])).toBe(JobRunStatus.Failed);
      expect(await storage.retryMany({ jobTypeId: 'job' })).toBe(0);

      expect(await storage.retryMany({ queue: 'slow', status: [JobRunStatus.Failed, JobRunStatus.Cancelled] })).toBe(3);
      expect(await storage.retryMany({ status: JobRunStatus.Cancelled })).toBe(1);
      expect(await statusOf(cancelled)).toBe(JobRunStatus.Pending);
    });

    it('retryMany and cancelMany filter on the creation time', async () => {
      const early = await failed('job', 3);
      // The boundary is one ms past the last early creation time as stored: on a fast machine all
      // three can share the millisecond a `new Date()` taken after them would name.
      const lastEarly = Math.max(...(await Promise.all(early.map(async (id) => (await storage.getRun(id))!.createdAt.getTime()))));
      const boundary = new Date(lastEarly + 1);
      await clockPast(boundary.getTime());
      const late = await failed('job', 2);
      const middle = new Date((await storage.getRun(late[0]))!.createdAt.getTime());
      expect(await storage.retryMany({ createdAfter: middle })).toBe(2);
      for (const id of late) expect(await statusOf(id)).toBe(JobRunStatus.Pending);
      expect(await storage.retryMany({ createdBefore: boundary, createdAfter: new Date(0) })).toBe(3);
      for (const id of early) expect(await statusOf(id)).toBe(JobRunStatus.Pending);
    });

    it('cancelMany cancels the unfinished runs matching the filter, in batches, resolving their continuations', async () => {
      const [done] = await failed('job', 1);
      const pending = await seed('job', 120);
      const parent = pending[0];
      const child = await storage.enqueue({ jobTypeId: 'other', parentRunId: parent, status: JobRunStatus.Awaiting, continueOn: 'success' });
      const other = await seed('other', 2);

      expect(await storage.cancelMany({ jobTypeId: 'job' }, { batchSize: 50, reason: 'tenant deleted' })).toBe(120);
      expect(await storage.countRuns({ jobTypeId: 'job' })).toMatchObject({ pending: 0, cancelled: 120, failed: 1 });
      expect((await storage.getRun(parent))!.errorMessage).toBe('tenant deleted');
      expect(await statusOf(done)).toBe(JobRunStatus.Failed);
      // The continuation waited for a success that will never come.
      expect(await statusOf(child)).toBe(JobRunStatus.Cancelled);
      for (const id of other) expect(await statusOf(id)).toBe(JobRunStatus.Pending);
      expect(await storage.cancelMany({ status: JobRunStatus.Pending, queue: 'slow' })).toBe(2);
    });

    it('retryMany leaves a unique run whose key another run holds, and requeues the rest of its batch', async () => {
      const first = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      await storage.cancelRun(first);
      const holder = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      const plain = await seed('job', 3);
      for (const id of plain) await storage.cancelRun(id);

      expect(await storage.retryMany({ status: JobRunStatus.Cancelled })).toBe(3);
      expect(await statusOf(first)).toBe(JobRunStatus.Cancelled);
      expect(await statusOf(holder)).toBe(JobRunStatus.Pending);
      for (const id of plain) expect(await statusOf(id)).toBe(JobRunStatus.Pending);
    });

    it.each([
      ['retryMany', { status: JobRunStatus.Completed }, /retryMany: status: acts on failed, cancelled runs only, got 'completed'/],
      ['retryMany', { status: 'dead' }, /retryMany: status: 'dead' is not a run status/],
      ['retryMany', { status: [] }, /retryMany: status: expected at least one status/],
      ['cancelMany', { status: JobRunStatus.Failed }, /cancelMany: status: acts on pending, running, awaiting runs only, got 'failed'/],
      ['cancelMany', { createdAfter: new Date('nope') }, /cancelMany: createdAfter: expected a valid Date/],
      ['cancelMany', { jobTypeId: 5 }, /cancelMany: jobTypeId: expected a non-empty string/],
      ['cancelMany', null, /cancelMany: expected a filter object/],
      // A listRuns field, a typo: each would narrow nothing, and the operation act on every run.
      ['cancelMany', { correlationId: 'order-42' }, /cancelMany: correlationId: not a filter field \(expected status, jobTypeId, queue, createdAfter, createdBefore\)/],
      ['retryMany', { job: 'job' }, /retryMany: job: not a filter field/],
    ] as const)('%s refuses %j with a clear error and changes nothing', async (operation, filter, message) => {
      const [dead] = await failed('job', 1);
      const [pending] = await seed('job', 1);
      expect(await statusOf(pending)).toBe(JobRunStatus.Pending);
      const error = await storage[operation](filter as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toMatch(message);
      expect(await statusOf(dead)).toBe(JobRunStatus.Failed);
      expect(await statusOf(pending)).toBe(JobRunStatus.Pending);
    });

    it('refuses a batchSize that is not an integer from 1 to 10000', async () => {
      await expect(storage.retryMany({}, { batchSize: 0 })).rejects.toThrow(/retryMany: batchSize: expected an integer from 1 to 10000, got 0/);
      await expect(storage.cancelMany({}, { batchSize: 1.5 })).rejects.toThrow(/cancelMany: batchSize/);
    });
  });
}
