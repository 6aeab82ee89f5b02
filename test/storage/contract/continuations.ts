import { JobRunStatus, JobTriggerType, RunNotFoundError, type JobStorage, type NewJobRun } from '../../../lib/index.js';
import { contractHelpers, json, NO_SUCH_RUN, idsOf, sorted, completion, type ContractContext } from './harness.js';

export function describeContinuations(ctx: ContractContext): void {
  const { define, statusOf } = contractHelpers(ctx);

  // ----- continuations -----

  describe('continuations', () => {
    let storage: JobStorage;
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

      expect(idsOf(await storage.claim(['default'], 'w', 10))).toEqual([parent]);
      await storage.completeRuns([completion(parent, 'w', new Date(), '{"total":3}')]);

      const [released, alsoReleased, cancelled] = await Promise.all([onSuccess, always, onFailure].map((id) => storage.getRun(id)));
      expect([released!.status, json(released!.inputJson)]).toEqual([JobRunStatus.Pending, { total: 3 }]);
      expect([alsoReleased!.status, json(alsoReleased!.inputJson)]).toEqual([JobRunStatus.Pending, { own: 'always' }]);
      expect([cancelled!.status, json(cancelled!.inputJson)]).toEqual([JobRunStatus.Cancelled, { own: 'failure' }]);
      expect(cancelled!.completedAt).toBeInstanceOf(Date);
      expect(sorted(idsOf(await storage.claim(['default'], 'w', 10)))).toEqual(sorted([onSuccess, always]));
    });

    it('a failed parent releases its on-failure children and cancels its on-success ones', async () => {
      const onSuccess = await child('success');
      const onFailure = await child('failure', { passParentOutput: true });
      await storage.claim(['default'], 'w', 1);

      // A retry is not an outcome: the children keep waiting.
      await storage.failRun({
        runId: parent, workerId: 'w', errorMessage: 'try again', errorDetails: null, completedAt: new Date(), durationMs: 1,
        retryAt: new Date(),
      });
      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Awaiting);
      expect(await statusOf(onFailure)).toBe(JobRunStatus.Awaiting);

      await storage.claim(['default'], 'w', 1);
      await storage.failRun({
        runId: parent, workerId: 'w', errorMessage: 'gave up', errorDetails: null, completedAt: new Date(), durationMs: 1,
        retryAt: null,
      });

      expect(await statusOf(onSuccess)).toBe(JobRunStatus.Cancelled);
      // The parent failed without output: nothing to pass on.
      expect(await storage.getRun(onFailure)).toMatchObject({ status: JobRunStatus.Pending, inputJson: null });
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
  });
}
