import { InvalidPayloadError, JobRunStatus, RunNotFoundError } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, clockPast, NO_SUCH_RUN, idsOf, HOUR, type ContractContext } from './harness.js';

export function describeRuns(ctx: ContractContext): void {
  const { define } = contractHelpers(ctx);

  // ----- reading and updating runs -----

  describe('runs', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    it('updateRun changes the given fields only; an unknown id is a RunNotFoundError', async () => {
      await define('job');
      const id = await storage.enqueue({ jobTypeId: 'job', input: { keep: true }, correlationId: 'c' });
      const started = new Date(Date.UTC(2030, 1, 2, 3, 4, 5, 6));

      await storage.updateRun(id, { progressJson: '{"pct":50}', startedAt: started, workerId: 'w-9', attemptNumber: 2 });

      const updated = await storage.getRun(id);
      expect(updated).toMatchObject({
        startedAt: started, workerId: 'w-9', attemptNumber: 2, status: JobRunStatus.Pending, correlationId: 'c',
      });
      expect([updated!.progress, updated!.input]).toEqual([{ pct: 50 }, { keep: true }]);
      await storage.updateRun(id, { workerId: null, startedAt: null });
      const cleared = await storage.getRun(id);
      expect(cleared).toMatchObject({ workerId: null, startedAt: null });
      expect(cleared!.progress).toEqual({ pct: 50 });

      await expect(storage.updateRun(NO_SUCH_RUN, { progressJson: '{}' })).rejects.toThrow(RunNotFoundError);
      await expect(storage.updateRun(NO_SUCH_RUN, {})).rejects.toThrow(RunNotFoundError);
    });

    it('getRun returns null for an unknown id', async () => {
      expect(await storage.getRun(NO_SUCH_RUN)).toBeNull();
    });

    describe('listing and counting', () => {
      let runs: { a1: string; a2: string; b1: string; child: string };

      beforeEach(async () => {
        await define('alpha', { queue: 'default' });
        await define('beta', { queue: 'critical' });
        // Distinct creation times, so the newest-first order is defined.
        const next = async <T>(fn: () => Promise<T>) => {
          await clockPast(Date.now());
          return fn();
        };
        const a1 = await storage.enqueue({ jobTypeId: 'alpha', correlationId: 'x' });
        runs = {
          a1,
          a2: await next(() => storage.enqueue({ jobTypeId: 'alpha' })),
          b1: await next(() => storage.enqueue({ jobTypeId: 'beta', correlationId: 'x' })),
          child: await next(() =>
            storage.enqueue({ jobTypeId: 'beta', parentRunId: a1, status: JobRunStatus.Awaiting, continueOn: 'success' })),
        };
        await storage.cancelRun(runs.a2);
      });

      it('listRuns filters by job type, status, queue, correlation and parent, newest first, with limit and offset', async () => {
        const { a1, a2, b1, child } = runs;

        expect(idsOf(await storage.listRuns())).toEqual([child, b1, a2, a1]);
        expect(idsOf(await storage.listRuns({ jobTypeId: 'alpha' }))).toEqual([a2, a1]);
        expect(idsOf(await storage.listRuns({ status: JobRunStatus.Cancelled }))).toEqual([a2]);
        expect(idsOf(await storage.listRuns({ status: [JobRunStatus.Pending, JobRunStatus.Awaiting] }))).toEqual([child, b1, a1]);
        expect(idsOf(await storage.listRuns({ queue: 'critical' }))).toEqual([child, b1]);
        expect(idsOf(await storage.listRuns({ correlationId: 'x' }))).toEqual([b1, a1]);
        expect(idsOf(await storage.listRuns({ parentRunId: a1 }))).toEqual([child]);
        expect(idsOf(await storage.listRuns({ jobTypeId: 'beta', status: JobRunStatus.Pending }))).toEqual([b1]);
        expect(idsOf(await storage.listRuns({ limit: 2, offset: 1 }))).toEqual([b1, a2]);
        expect(await storage.listRuns({ jobTypeId: 'nothing' })).toEqual([]);
      });

      it('countRuns counts runs per status, every status present, filtered by job type or queue', async () => {
        const zero = Object.fromEntries(Object.values(JobRunStatus).map((s) => [s, 0]));

        expect(await storage.countRuns()).toEqual({ ...zero, pending: 2, awaiting: 1, cancelled: 1 });
        expect(await storage.countRuns({ jobTypeId: 'alpha' })).toEqual({ ...zero, pending: 1, cancelled: 1 });
        expect(await storage.countRuns({ queue: 'critical' })).toEqual({ ...zero, pending: 1, awaiting: 1 });
        expect(await storage.countRuns({ jobTypeId: 'alpha', queue: 'critical' })).toEqual(zero);
      });

      it('listRuns and countRuns refuse a field they do not filter on, naming it, rather than select more than asked', async () => {
        await expect(storage.listRuns({ createdAfter: new Date() } as never)).rejects.toThrow(InvalidPayloadError);
        await expect(storage.listRuns({ jobType: 'alpha' } as never)).rejects.toThrow(
          /^listRuns: jobType: not a filter field \(expected jobTypeId, status, queue, correlationId, parentRunId, since, until, batchId, limit, offset\)$/,
        );
        await expect(storage.countRuns({ status: JobRunStatus.Pending } as never)).rejects.toThrow(/^countRuns: status: not a filter field \(expected jobTypeId, queue\)$/);
      });

      it('listRuns filters on the creation time: since (inclusive) and until (exclusive); an invalid Date is refused', async () => {
        const { a1, a2, b1, child } = runs;
        const created = new Map((await storage.listRuns()).map((run) => [run.id, run.createdAt]));

        expect(idsOf(await storage.listRuns({ since: created.get(a2) }))).toEqual([child, b1, a2]);
        expect(idsOf(await storage.listRuns({ until: created.get(b1) }))).toEqual([a2, a1]);
        expect(idsOf(await storage.listRuns({ since: created.get(a2), until: created.get(child) }))).toEqual([b1, a2]);
        await expect(storage.listRuns({ since: new Date(NaN) })).rejects.toThrow(/since: expected a valid Date/);
      });

      it('queueOverview counts runs per queue and status, with the oldest due pending run of each queue', async () => {
        const zero = Object.fromEntries(Object.values(JobRunStatus).map((s) => [s, 0]));
        const later = await storage.enqueue({ jobTypeId: 'alpha', scheduledAt: new Date(Date.now() + HOUR) });
        const { a1, b1 } = runs;
        const created = new Map((await storage.listRuns()).map((run) => [run.id, run]));

        const stats = await storage.queueOverview();
        expect(stats.map((q) => q.queue).sort()).toEqual(['critical', 'default']);
        const byQueue = Object.fromEntries(stats.map((q) => [q.queue, q]));
        expect(byQueue.default.counts).toEqual({ ...zero, pending: 2, cancelled: 1 });
        expect(byQueue.critical.counts).toEqual({ ...zero, pending: 1, awaiting: 1 });
        // A run scheduled for later is not waiting yet: the oldest due one is a1.
        expect(byQueue.default.oldestDueAt?.getTime()).toBe(created.get(a1)!.scheduledAt.getTime());
        expect(byQueue.critical.oldestDueAt?.getTime()).toBe(created.get(b1)!.scheduledAt.getTime());
        expect(created.get(later)!.status).toBe(JobRunStatus.Pending);
      });
    });
  });
}
