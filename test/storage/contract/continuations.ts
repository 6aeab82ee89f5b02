import { JobRunStatus, JobTriggerType, RunNotFoundError, type NewJobRun } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, NO_SUCH_RUN, idsOf, sorted, completion, type ContractContext } from './harness.js';

export function describeContinuations(ctx: ContractContext): void {
  const { define, statusOf, complete } = contractHelpers(ctx);

  // ----- continuations -----

  describe('continuations', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    let parent: string;
    const child = (continueOn: 'success' | 'failure' | 'always', extra: Partial<NewJobRun> = {}) =>
      storage.enqueue({
        jobTypeId: 'child', parentRunId: parent, status: JobRunStatus.Awaiting, continueOn,
        triggerType: JobTriggerType.Continuation, input: { own: continueOn }, ...extra,
      });

    beforeEach(async () => {
      await define('parent');
      await define('child');
      parent = await storage.enqueue({ jobTypeId: 'parent' });
    });

    it('a completed parent releases its on-success and always children, passing its output when asked, and cancels the rest', async () => {
      const onSuccess = await child('success', { passParentOutput: true });
      const onFailure = await child('failure');
      const always = await child('always');

      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 }))).toEqual([parent]);
      await complete([completion(parent, 'w', 1, new Date(), '{"total":3}')]);

      const [released, alsoReleased, cancelled] = await Promise.all([onSuccess, always, onFailure].map((id) => storage.getRun(id)));
      expect([released!.status, released!.input, released!.passParentOutput]).toEqual([JobRunStatus.Pending, { total: 3 }, true]);
      expect([alsoReleased!.status, alsoReleased!.input, alsoReleased!.passParentOutput]).toEqual([JobRunStatus.Pending, { own: 'always' }, false]);
      expect([cancelled!.status, cancelled!.input]).toEqual([JobRunStatus.Cancelled, { own: 'failure' }]);
      expect(cancelled!.completedAt).toBeInstanceOf(Date);
      expect(sorted(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 })))).toEqual(sorted([onSuccess, always]));
    });

    it('a failed parent releases its on-failure children and cancels its on-success ones', async () => {
      const onSuccess = await child('success');
      const onFailure = await child('failure', { passParentOutput: true });
      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });

      // A retry is not an outcome: the children keep waiting.
      await storage.failRun({
        runId: parent, workerId: 'w', attempt: 1, errorMessage: 'try again', errorDetails: null, completedAt: new Date(), durationMs: 1,
        retryAt: new Date(),
      });
      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Awaiting);
      expect(await statusOf(onFailure)).toBe(JobRunStatus.Awaiting);

      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      await storage.failRun({
        runId: parent, workerId: 'w', attempt: 2, errorMessage: 'gave up', errorDetails: null, completedAt: new Date(), durationMs: 1,
        retryAt: null,
      });

      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Cancelled);
      // The parent failed without output: nothing to pass on.
      expect(await storage.getRun(onFailure)).toMatchObject({ status: JobRunStatus.Pending, input: null });
    });

    it('resolveContinuations resolves the children of a finished parent once, and none of an unfinished one', async () => {
      const onSuccess = await child('success');
      const onFailure = await child('failure');

      expect(await storage.resolveContinuations(parent)).toBe(0);
      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Awaiting);

      await storage.updateRun(parent, { status: JobRunStatus.Failed, completedAt: new Date() });
      expect(await storage.resolveContinuations(parent)).toBe(2);
      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Cancelled);
      expect(await statusOf(onFailure)).toBe(JobRunStatus.Pending);
      expect(await storage.resolveContinuations(parent)).toBe(0);

      await expect(storage.resolveContinuations(NO_SUCH_RUN)).rejects.toThrow(RunNotFoundError);
    });

    // Issue 8 item 7: 'failure' covers failed or cancelled, as the README says.
    it('a cancelled parent releases its on-failure and always children and cancels its on-success ones', async () => {
      const onSuccess = await child('success');
      const onFailure = await child('failure');
      const always = await child('always');

      expect(await storage.cancelRun(parent)).toBe(JobRunStatus.Pending);

      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Cancelled);
      expect(await storage.getRun(onFailure)).toMatchObject({ status: JobRunStatus.Pending, input: { own: 'failure' } });
      expect(await statusOf(always)).toBe(JobRunStatus.Pending);
      expect(sorted(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 })))).toEqual(sorted([onFailure, always]));
    });

    // Issue 8 item 6: a continuation cancelled because its condition was not met is a finished
    // parent in turn: its own continuations must be resolved, not left awaiting forever.
    it('a failed parent cancels its on-success child, whose own children are then resolved', async () => {
      const middle = await child('success');
      const grandAlways = await child('always', { parentRunId: middle });
      const grandFailure = await child('failure', { parentRunId: middle });
      const grandSuccess = await child('success', { parentRunId: middle });
      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });

      await storage.failRun({
        runId: parent, workerId: 'w', attempt: 1, errorMessage: 'gave up', errorDetails: null, completedAt: new Date(), durationMs: 1,
        retryAt: null,
      });

      expect(await statusOf(middle)).toBe(JobRunStatus.Cancelled);
      expect(await statusOf(grandAlways)).toBe(JobRunStatus.Pending);
      expect(await statusOf(grandFailure)).toBe(JobRunStatus.Pending);
      expect(await statusOf(grandSuccess)).toBe(JobRunStatus.Cancelled);
    });

    it('a completed parent cancels its on-failure child, whose own children are then resolved', async () => {
      const middle = await child('failure');
      const grandAlways = await child('always', { parentRunId: middle });
      const grandFailure = await child('failure', { parentRunId: middle });
      const grandSuccess = await child('success', { parentRunId: middle });
      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });

      expect(await complete([completion(parent, 'w', 1)])).toEqual([parent]);

      expect(await statusOf(middle)).toBe(JobRunStatus.Cancelled);
      expect(await statusOf(grandAlways)).toBe(JobRunStatus.Pending);
      expect(await statusOf(grandFailure)).toBe(JobRunStatus.Pending);
      expect(await statusOf(grandSuccess)).toBe(JobRunStatus.Cancelled);
    });

    it('the same holds when the completion comes with a claim, and down a chain of three', async () => {
      const middle = await child('failure');
      const grand = await child('success', { parentRunId: middle });
      const greatGrand = await child('always', { parentRunId: grand });
      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });

      const result = await storage.completeAndClaim([completion(parent, 'w', 1)], { queues: ['default'], workerId: 'w', limit: 10 });

      expect(result.completed).toEqual([parent]);
      expect([await statusOf(middle), await statusOf(grand)]).toEqual([JobRunStatus.Cancelled, JobRunStatus.Cancelled]);
      // Released within the same call: claimed by it (released before its claim) or due right after.
      const later = await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 });
      expect([...idsOf(result.claimed), ...idsOf(later)]).toEqual([greatGrand]);
      expect(await statusOf(greatGrand)).toBe(JobRunStatus.Running);
    });

    it('recoverStaleRuns resolves awaiting children of a finished parent that a race left behind', async () => {
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 }))).toEqual([parent]);
      await complete([completion(parent, 'w', 1, new Date(), '{"total":3}')]);
      // Inserted after the parent finished, without the resolveContinuations call continueWith makes:
      // what the PostgreSQL race leaves (see resolveOrphans).
      const orphan = await child('success', { passParentOutput: true });
      const orphanOnFailure = await child('failure');
      expect(await statusOf(orphan)).toBe(JobRunStatus.Awaiting);

      await storage.recoverStaleRuns(60_000, 3);

      expect(await storage.getRun(orphan)).toMatchObject({ status: JobRunStatus.Pending, input: { total: 3 } });
      expect(await statusOf(orphanOnFailure)).toBe(JobRunStatus.Cancelled);
    });
  });
}
