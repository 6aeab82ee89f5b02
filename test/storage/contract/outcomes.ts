import { InvalidRunStateError, JobLogLevel, JobRunStatus, RunNotFoundError } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, atTime, NO_SUCH_RUN, idsOf, sorted, SECOND, MINUTE, HOUR, completion, lease, type ContractContext } from './harness.js';

export function describeOutcomes(ctx: ContractContext): void {
  const { define, statusOf, seed, complete } = contractHelpers(ctx);
  const { itOnProcessClock } = ctx;

  // ----- outcomes -----

  describe('outcomes', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    beforeEach(() => define('job'));

    it('completing (completeAndClaim, no claim) completes only runs still held by that worker and returns their ids', async () => {
      const [held, cancelled] = await seed('job', 2);
      expect(sorted(idsOf(await storage.claim({ queues: ['default'], workerId: 'w1', limit: 2 })))).toEqual(sorted([held, cancelled]));
      const otherWorkers = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w2', limit: 1 });
      const neverClaimed = await storage.enqueue({ jobTypeId: 'job' });
      await storage.cancelRun(cancelled);
      const completedAt = new Date(Date.UTC(2030, 0, 1, 12));

      const done = await complete([
        { runId: held, workerId: 'w1', attempt: 1, outputJson: '{"ok":true}', completedAt, durationMs: 42 },
        completion(cancelled, 'w1', 1),
        completion(otherWorkers, 'w1', 1),
        completion(neverClaimed, 'w1', 1),
        completion(NO_SUCH_RUN, 'w1', 1),
      ]);

      expect(done).toEqual([held]);
      const completed = await storage.getRun(held);
      expect(completed).toMatchObject({ status: JobRunStatus.Completed, completedAt, durationMs: 42, workerId: 'w1' });
      expect(completed!.output).toEqual({ ok: true });
      expect(await statusOf(cancelled)).toBe(JobRunStatus.Cancelled);
      expect(await storage.getRun(otherWorkers)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w2' });
      expect(await statusOf(neverClaimed)).toBe(JobRunStatus.Pending);
      expect(await complete([])).toEqual([]);
    });

    it('completeAndClaim commits the completions still held and claims the next runs for the freed slots', async () => {
      const held = await storage.enqueue({ jobTypeId: 'job', priority: 9 });
      const heldElsewhere = await storage.enqueue({ jobTypeId: 'job', priority: 8 });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      await storage.claim({ queues: ['default'], workerId: 'w2', limit: 1 });
      const next = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
      const after = await storage.enqueue({ jobTypeId: 'job', priority: 0 });

      const result = await storage.completeAndClaim(
        [completion(held, 'w1', 1, new Date(), '"done"'), completion(heldElsewhere, 'w1', 1)],
        { queues: ['default'], workerId: 'w1', limit: 1 },
      );

      expect(result.completed).toEqual([held]);
      expect(idsOf(result.claimed)).toEqual([next]);
      expect(result.claimed[0]).toMatchObject({ attemptNumber: 1, jobTypeId: 'job' });
      expect(await statusOf(held)).toBe(JobRunStatus.Completed);
      expect((await storage.getRun(held))!.output).toBe('done');
      expect(await storage.getRun(heldElsewhere)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w2' });
      expect(await storage.getRun(next)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1' });
      expect(await statusOf(after)).toBe(JobRunStatus.Pending);
    });

    const retry = (runId: string, retryAt: Date, attempt = 1) => storage.failRun({
      runId, workerId: 'w1', attempt, errorMessage: 'boom', errorDetails: 'stack', completedAt: new Date(), durationMs: 7, retryAt,
    });

    it('failRun with retryAt puts the run back to pending at that time', async () => {
      const [later, due] = await seed('job', 2);
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 2 });
      const retryAt = new Date(Date.now() + MINUTE);

      expect(await retry(later, retryAt)).toBe(true);
      expect(await retry(due, new Date(Date.now() - SECOND))).toBe(true);

      expect(await storage.getRun(later)).toMatchObject({
        status: JobRunStatus.Pending, scheduledAt: retryAt, nextRetryAt: retryAt, errorMessage: 'boom', errorDetails: 'stack',
        attemptNumber: 1,
      });
      // Only the run whose retry time has come goes out again, as its next attempt.
      const claimed = await storage.claim({ queues: ['default'], workerId: 'w2', limit: 10 });
      expect(claimed.map((run) => [run.id, run.attemptNumber])).toEqual([[due, 2]]);
    });

    itOnProcessClock('failRun with retryAt: the run is not claimed 1 ms before that time, and is at it', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      const retryAt = Date.now() + MINUTE;
      await retry(id, new Date(retryAt));

      expect(await atTime(retryAt - 1, () => storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 }))).toEqual([]);
      const [again] = await atTime(retryAt, () => storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 }));
      expect(again).toMatchObject({ id, attemptNumber: 2 });
    });

    it('failRun without retryAt ends the run failed', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      const completedAt = new Date(Date.UTC(2030, 0, 1));

      const held = await storage.failRun({
        runId: id, workerId: 'w1', attempt: 1, errorMessage: 'dead', errorDetails: null, completedAt, durationMs: 3, retryAt: null,
      });

      expect(held).toBe(true);
      expect(await storage.getRun(id)).toMatchObject({
        status: JobRunStatus.Failed, completedAt, errorMessage: 'dead', durationMs: 3,
      });
      expect(await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 })).toEqual([]);
    });

    it('failRun returns false and changes nothing when the worker no longer holds the run', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      const failure = {
        runId: id, attempt: 1, errorMessage: 'late', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null,
      };

      expect(await storage.failRun({ ...failure, workerId: 'w2' })).toBe(false);
      expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1', errorMessage: null });
      await storage.cancelRun(id);
      expect(await storage.failRun({ ...failure, workerId: 'w1', retryAt: new Date() })).toBe(false);
      expect(await statusOf(id)).toBe(JobRunStatus.Cancelled);
    });

    it('cancelRun cancels pending, running and awaiting runs and returns their former status', async () => {
      const pending = await storage.enqueue({ jobTypeId: 'job' });
      const running = await storage.enqueue({ jobTypeId: 'job', priority: 5 });
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 }))).toEqual([running]);
      const awaiting = await storage.enqueue({ jobTypeId: 'job', parentRunId: running, status: JobRunStatus.Awaiting, continueOn: 'success' });

      expect(await storage.cancelRun(pending, 'not needed')).toBe(JobRunStatus.Pending);
      expect(await storage.cancelRun(awaiting)).toBe(JobRunStatus.Awaiting);
      expect(await storage.cancelRun(running)).toBe(JobRunStatus.Running);

      const cancelled = await storage.getRun(pending);
      expect(cancelled).toMatchObject({ status: JobRunStatus.Cancelled, errorMessage: 'not needed' });
      expect(cancelled!.completedAt).toBeInstanceOf(Date);
      expect(await statusOf(awaiting)).toBe(JobRunStatus.Cancelled);
      expect(await statusOf(running)).toBe(JobRunStatus.Cancelled);
    });

    it('cancelRun of a finished run returns null and changes nothing; an unknown id is a RunNotFoundError', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      await complete([completion(id, 'w1', 1)]);

      expect(await storage.cancelRun(id)).toBeNull();
      expect(await statusOf(id)).toBe(JobRunStatus.Completed);
      await expect(storage.cancelRun(NO_SUCH_RUN)).rejects.toThrow(RunNotFoundError);
    });

    it('requeueRun puts a failed or cancelled run back in the queue with a fresh attempt count', async () => {
      const failed = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      await storage.failRun({
        runId: failed, workerId: 'w1', attempt: 1, errorMessage: 'x', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null,
      });
      const cancelled = await storage.enqueue({ jobTypeId: 'job' });
      await storage.cancelRun(cancelled);
      const later = new Date(Date.now() + HOUR);

      await storage.requeueRun(failed, later);
      await storage.requeueRun(cancelled);

      expect(await storage.getRun(failed)).toMatchObject({
        status: JobRunStatus.Pending, scheduledAt: later, attemptNumber: 0, workerId: null, completedAt: null,
      });
      expect(await storage.getRun(cancelled)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 0 });
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w2', limit: 10 }))).toEqual([cancelled]);
      expect((await storage.getRun(cancelled))!.attemptNumber).toBe(1);
    });

    it('requeueRun of a pending, running or completed run throws InvalidRunStateError and changes nothing', async () => {
      const [running, completed, pending] = await seed('job', 3);
      const claimed = await storage.claim({ queues: ['default'], workerId: 'w1', limit: 3 });
      await storage.releaseRuns([lease(pending, 'w1')]);
      await complete([completion(completed, 'w1', 1)]);
      expect(claimed).toHaveLength(3);

      for (const [id, status] of [
        [pending, JobRunStatus.Pending], [running, JobRunStatus.Running], [completed, JobRunStatus.Completed],
      ] as const) {
        const error = await storage.requeueRun(id).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidRunStateError);
        expect((error as Error).message).toContain(status);
        expect(await statusOf(id)).toBe(status);
      }
      await expect(storage.requeueRun(NO_SUCH_RUN)).rejects.toThrow(RunNotFoundError);
    });

    it('releaseRuns returns only the runs that worker holds to the queue; the interrupted attempt does not count', async () => {
      const [a, b] = await seed('job', 2);
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 2 });
      const c = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w2', limit: 1 });

      expect(await storage.releaseRuns([lease(a, 'w1'), lease(c, 'w1'), lease(NO_SUCH_RUN, 'w1')])).toBe(1);

      expect(await storage.getRun(a)).toMatchObject({ status: JobRunStatus.Pending, workerId: null, attemptNumber: 0 });
      expect(await storage.getRun(b)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1', attemptNumber: 1 });
      expect(await storage.getRun(c)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w2' });
      const [again] = await storage.claim({ queues: ['default'], workerId: 'w3', limit: 10 });
      expect(again).toMatchObject({ id: a, attemptNumber: 1 });
      expect(await storage.releaseRuns([])).toBe(0);
      // Another attempt's lease releases nothing.
      expect(await storage.releaseRuns([lease(b, 'w1', 2)])).toBe(0);
      expect(await statusOf(b)).toBe(JobRunStatus.Running);
    });

    it('stillHeld returns the given leases whose run is running that attempt under that worker', async () => {
      const [a, b] = await seed('job', 2);
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 2 });
      const c = await storage.enqueue({ jobTypeId: 'job' });
      await storage.cancelRun(b);

      expect(await storage.stillHeld([lease(a, 'w1'), lease(b, 'w1'), lease(c, 'w1'), lease(NO_SUCH_RUN, 'w1')])).toEqual([lease(a, 'w1')]);
      expect(await storage.stillHeld([lease(a, 'w2')])).toEqual([]);
      expect(await storage.stillHeld([lease(a, 'w1', 2)])).toEqual([]);
      expect(await storage.stillHeld([])).toEqual([]);
      // Leases of several workers in one call: each is checked against its own worker.
      const [d] = await storage.claim({ queues: ['default'], workerId: 'w2', limit: 1 });
      expect(d.id).toBe(c);
      const mixed = await storage.stillHeld([lease(c, 'w2'), lease(a, 'w1'), lease(c, 'w1')]);
      expect(mixed).toHaveLength(2);
      expect(mixed).toEqual(expect.arrayContaining([lease(c, 'w2'), lease(a, 'w1')]));
    });

    // Issue 8 item 4: a worker whose run was recovered and claimed again, by the same worker, must
    // not let the old attempt's outcome land on the new attempt.
    it('a completion or failure carrying an old attempt number changes nothing and reports not held', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      expect(await storage.recoverWorkerRuns('w1', 3)).toBe(1);
      const [again] = await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      expect(again).toMatchObject({ id, attemptNumber: 2 });
      const before = await storage.getRun(id);

      expect(await complete([completion(id, 'w1', 1, new Date(), '"from attempt 1"')])).toEqual([]);
      const result = await storage.completeAndClaim([completion(id, 'w1', 1)], { queues: ['default'], workerId: 'w1', limit: 1 });
      expect(result).toEqual({ completed: [], claimed: [] });
      expect(await retry(id, new Date(), 1)).toBe(false);
      expect(await storage.failRun({
        runId: id, workerId: 'w1', attempt: 1, errorMessage: 'old', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null,
      })).toBe(false);
      expect(await storage.stillHeld([lease(id, 'w1', 1)])).toEqual([]);

      expect(await storage.getRun(id)).toEqual(before);
      expect(before).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1', attemptNumber: 2, output: null });
      // The current attempt's lease still works.
      expect(await complete([completion(id, 'w1', 2, new Date(), '"from attempt 2"')])).toEqual([id]);
      expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Completed, output: 'from attempt 2', attemptNumber: 2 });
    });

    it('writeProgress stores progress while the lease is held, and refuses another attempt, another worker or a finished run', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });

      expect(await storage.writeProgress(lease(id, 'w1'), '{"pct":10}')).toBe(true);
      expect((await storage.getRun(id))!.progress).toEqual({ pct: 10 });

      expect(await storage.writeProgress(lease(id, 'w2'), '{"pct":20}')).toBe(false);
      expect(await storage.writeProgress(lease(id, 'w1', 2), '{"pct":30}')).toBe(false);
      expect(await storage.writeProgress(lease(NO_SUCH_RUN, 'w1'), '{"pct":40}')).toBe(false);
      expect((await storage.getRun(id))!.progress).toEqual({ pct: 10 });

      expect(await storage.writeProgress(lease(id, 'w1'), '{"pct":100}')).toBe(true);
      await complete([completion(id, 'w1', 1)]);
      // A late report of the finished attempt (its handler timed out, and kept going) is dropped.
      expect(await storage.writeProgress(lease(id, 'w1'), '{"pct":50}')).toBe(false);
      expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Completed, progress: { pct: 100 } });
    });

    it('addAttemptLogs stores the lines of a held lease under its attempt, and drops those of another attempt, another worker or a finished run', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job' });
      await storage.claim({ queues: ['default'], workerId: 'w1', limit: 1 });
      const line = (message: string, held: ReturnType<typeof lease>) => ({ runId: id, lease: held, level: JobLogLevel.Info, message, category: 'job' });

      expect(await storage.addAttemptLogs([
        line('held', lease(id, 'w1')),
        line('other worker', lease(id, 'w2')),
        line('other attempt', lease(id, 'w1', 2)),
        line('no such run', lease(NO_SUCH_RUN, 'w1')),
      ])).toBe(1);
      await complete([completion(id, 'w1', 1)]);
      // A late line of the finished attempt (a zombie, or a handler still going after its timeout) is dropped.
      expect(await storage.addAttemptLogs([line('after the end', lease(id, 'w1'))])).toBe(0);

      expect((await storage.getLogs(id)).map((log) => [log.message, log.attemptNumber])).toEqual([['held', 1]]);
    });
  });
}
