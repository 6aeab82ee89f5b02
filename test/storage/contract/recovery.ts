import { JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, atTime, clockPast, completion, idsOf, MINUTE, type ContractContext } from './harness.js';

export function describeRecovery(ctx: ContractContext): void {
  const { define, statusOf, complete } = contractHelpers(ctx);
  const { itOnProcessClock } = ctx;

  // ----- stale workers -----

  describe('recoverStaleRuns', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    itOnProcessClock('returns runs of silent workers to the queue, fails those with no attempt left, leaves live workers alone', async () => {
      await define('job');
      await define('no-retries', { maxRetries: 0 });
      const now = Date.now();
      const tenMinutesAgo = now - 10 * MINUTE;
      const runs = await atTime(tenMinutesAgo, async () => {
        await storage.updateHeartbeat('dead');
        await storage.updateHeartbeat('live');
        const retryable = await storage.enqueue({ jobTypeId: 'job', maxRetries: 3 });
        const lastAttempt = await storage.enqueue({ jobTypeId: 'job', maxRetries: 0, priority: -1 });
        const byDefinition = await storage.enqueue({ jobTypeId: 'no-retries', priority: -2 });
        expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'dead', limit: 3 }))).toEqual([retryable, lastAttempt, byDefinition]);
        const livesOn = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim({ queues: ['default'], workerId: 'live', limit: 1 });
        const noHeartbeatEver = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim({ queues: ['default'], workerId: 'ghost', limit: 1 });
        return { retryable, lastAttempt, byDefinition, livesOn, noHeartbeatEver };
      });
      await storage.updateHeartbeat('live');

      expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(4);

      expect(await storage.getRun(runs.retryable)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 1 });
      expect((await storage.getRun(runs.retryable))!.errorMessage).toContain('dead');
      expect(await storage.getRun(runs.noHeartbeatEver)).toMatchObject({ status: JobRunStatus.Pending });
      for (const id of [runs.lastAttempt, runs.byDefinition]) {
        const run = await storage.getRun(id);
        expect(run).toMatchObject({ status: JobRunStatus.Failed });
        expect(run!.completedAt).toBeInstanceOf(Date);
      }
      expect(await storage.getRun(runs.livesOn)).toMatchObject({ status: JobRunStatus.Running, workerId: 'live' });
      expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(0);

      // Both recovered runs are due at the same instant with the same priority: either may come first.
      const again = await storage.claim({ queues: ['default'], workerId: 'new', limit: 10 });
      expect(again.find((run) => run.id === runs.retryable)).toMatchObject({ attemptNumber: 2 });
    });

    itOnProcessClock('uses defaultMaxRetries when neither the run nor its definition sets one', async () => {
      await define('job');
      const now = Date.now();
      const id = await atTime(now - 10 * MINUTE, async () => {
        const runId = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim({ queues: ['default'], workerId: 'dead', limit: 1 });
        return runId;
      });

      expect(await storage.recoverStaleRuns(MINUTE, 0)).toBe(1);
      expect(await statusOf(id)).toBe(JobRunStatus.Failed);
    });

    it('on the real clock: a worker silent for longer than staleAfter loses its run, a live one keeps its own', async () => {
      // Short enough to wait for, long enough that the live worker's beat below stays within it
      // even when a loaded machine stalls between that beat and the recovery.
      const staleAfter = 1000;
      await define('job');
      await storage.updateHeartbeat('dead');
      await storage.updateHeartbeat('live');
      const deadRun = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
      await storage.claim({ queues: ['default'], workerId: 'dead', limit: 1 });
      const liveRun = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'live', limit: 1 });
      await clockPast(Date.now() + staleAfter);
      await storage.updateHeartbeat('live');

      expect(await storage.recoverStaleRuns(staleAfter, 3)).toBe(1);

      expect(await storage.getRun(deadRun)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 1 });
      expect(await storage.getRun(liveRun)).toMatchObject({ status: JobRunStatus.Running, workerId: 'live' });
    });

    it('leaves a run a worker claimed just now, before its first heartbeat', async () => {
      await define('job');
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'starting', limit: 1 });

      expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(0);
      expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'starting' });
    });
  });

  // ----- a restarted worker (issue 8 item 3) -----

  describe('recoverWorkerRuns', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    it('every run still running under that worker goes back to the queue, or fails when it was its last attempt; others untouched', async () => {
      await define('job');
      await define('no-retries', { maxRetries: 0 });
      // The previous incarnation's heartbeat is fresh: recovery by worker id does not depend on it.
      await storage.updateHeartbeat('pod-1');
      const retryable = await storage.enqueue({ jobTypeId: 'job', maxRetries: 3, priority: 3 });
      const lastAttempt = await storage.enqueue({ jobTypeId: 'job', maxRetries: 0, priority: 2 });
      const byDefinition = await storage.enqueue({ jobTypeId: 'no-retries', priority: 1 });
      const finished = await storage.enqueue({ jobTypeId: 'job', priority: 0 });
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'pod-1', limit: 4 }))).toEqual([retryable, lastAttempt, byDefinition, finished]);
      await complete([completion(finished, 'pod-1', 1)]);
      const otherWorker = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'pod-2', limit: 1 });
      const pending = await storage.enqueue({ jobTypeId: 'job' });

      expect(await storage.recoverWorkerRuns('pod-1', 3)).toBe(3);

      const back = await storage.getRun(retryable);
      expect(back).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 1, completedAt: null });
      expect(back!.errorMessage).toContain('pod-1');
      for (const id of [lastAttempt, byDefinition]) {
        const run = await storage.getRun(id);
        expect(run).toMatchObject({ status: JobRunStatus.Failed });
        expect(run!.completedAt).toBeInstanceOf(Date);
        expect(run!.errorMessage).toContain('pod-1');
      }
      expect(await statusOf(finished)).toBe(JobRunStatus.Completed);
      expect(await storage.getRun(otherWorker)).toMatchObject({ status: JobRunStatus.Running, workerId: 'pod-2', attemptNumber: 1 });
      expect(await statusOf(pending)).toBe(JobRunStatus.Pending);
      expect(await storage.recoverWorkerRuns('pod-1', 3)).toBe(0);
      expect(await storage.recoverWorkerRuns('never-seen', 3)).toBe(0);

      // The recovered attempt counted: the next claim is attempt 2.
      const [again] = await storage.claim({ queues: ['default'], workerId: 'pod-1', limit: 1 });
      expect(again).toMatchObject({ id: retryable, attemptNumber: 2 });
    });

    it('uses defaultMaxRetries when neither the run nor its definition sets one', async () => {
      await define('job');
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'pod-1', limit: 1 });

      expect(await storage.recoverWorkerRuns('pod-1', 0)).toBe(1);
      expect(await statusOf(id)).toBe(JobRunStatus.Failed);
    });
  });
}
