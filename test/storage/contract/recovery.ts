import { JobRunStatus, type JobStorage } from '../../../lib/index.js';
import { contractHelpers, atTime, clockPast, idsOf, MINUTE, type ContractContext } from './harness.js';

export function describeRecovery(ctx: ContractContext): void {
  const { define, statusOf } = contractHelpers(ctx);
  const { itOnProcessClock } = ctx;

  // ----- stale workers -----

  describe('recoverStaleRuns', () => {
    let storage: JobStorage;
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
        expect(idsOf(await storage.claim(['default'], 'dead', 3))).toEqual([retryable, lastAttempt, byDefinition]);
        const livesOn = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'live', 1);
        const noHeartbeatEver = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'ghost', 1);
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

      const [again] = await storage.claim(['default'], 'new', 10);
      expect(again).toMatchObject({ id: runs.retryable, attemptNumber: 2 });
    });

    itOnProcessClock('uses defaultMaxRetries when neither the run nor its definition sets one', async () => {
      await define('job');
      const now = Date.now();
      const id = await atTime(now - 10 * MINUTE, async () => {
        const runId = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'dead', 1);
        return runId;
      });

      expect(await storage.recoverStaleRuns(MINUTE, 0)).toBe(1);
      expect(await statusOf(id)).toBe(JobRunStatus.Failed);
    });

    it('on the real clock: a worker silent for longer than staleAfter loses its run, a live one keeps its own', async () => {
      // Short enough to wait for, long enough that the live worker's beat below stays within it.
      const staleAfter = 250;
      await define('job');
      await storage.updateHeartbeat('dead');
      await storage.updateHeartbeat('live');
      const deadRun = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
      await storage.claim(['default'], 'dead', 1);
      const liveRun = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim(['default'], 'live', 1);
      await clockPast(Date.now() + staleAfter);
      await storage.updateHeartbeat('live');

      expect(await storage.recoverStaleRuns(staleAfter, 3)).toBe(1);

      expect(await storage.getRun(deadRun)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 1 });
      expect(await storage.getRun(liveRun)).toMatchObject({ status: JobRunStatus.Running, workerId: 'live' });
    });

    it('leaves a run a worker claimed just now, before its first heartbeat', async () => {
      await define('job');
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim(['default'], 'starting', 1);

      expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(0);
      expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'starting' });
    });
  });
}
