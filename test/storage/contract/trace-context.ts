import { DataSource, type DataSourceOptions } from 'typeorm';
import { InvalidPayloadError, JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import type { ClaimedRun, ClaimRequest } from '../../../lib/storage/job-storage.types.js';
import { completion, contractHelpers, type ContractContext } from './harness.js';

/**
 * A run's trace context (issue 13, tracing): stored by every insert path as given, and handed back
 * with the claimed run by every claim path, attempt after attempt.
 */
export function describeTraceContext(ctx: ContractContext): void {
  const { define, totalRuns } = contractHelpers(ctx);
  const carrier = (n: number) => JSON.stringify({ traceparent: `00-${String(n).padStart(32, '0')}-${String(n).padStart(16, '0')}-01` });
  const byId = (runs: ClaimedRun[]) => Object.fromEntries(runs.map((run) => [run.id, run.traceContext]));

  describe('trace context', () => {
    let storage: EngineStorage;
    const request: ClaimRequest = { queues: ['default'], workerId: 'w', limit: 10 };
    beforeEach(async () => {
      storage = ctx.storage;
      await define('job');
    });

    it('enqueue, enqueueMany and unique inserts store it; the plain claim returns it (null when none was given)', async () => {
      const one = await storage.enqueue({ jobTypeId: 'job', traceContext: carrier(1) });
      const [two, three] = await storage.enqueueMany([{ jobTypeId: 'job', traceContext: carrier(2) }, { jobTypeId: 'job' }]);
      const [unique] = await storage.enqueueManyDetailed([{ jobTypeId: 'job', input: { u: 1 }, unique: true, traceContext: carrier(4) }]);
      const keyed = await storage.enqueue({ jobTypeId: 'job', input: { u: 2 }, unique: { key: 'k' }, traceContext: carrier(5) });

      expect(byId(await storage.claim(request))).toEqual({
        [one]: carrier(1), [two]: carrier(2), [three]: null, [unique.runId]: carrier(4), [keyed]: carrier(5),
      });
    });

    it('the hot path (completeAndClaim) and the limited claim return it', async () => {
      await define('limited', { concurrencyLimit: 5 });
      const first = await storage.enqueue({ jobTypeId: 'job', traceContext: carrier(1) });
      const [held] = await storage.claim({ ...request, limit: 1 });
      expect(held.traceContext).toBe(carrier(1));
      const second = await storage.enqueue({ jobTypeId: 'job', traceContext: carrier(2) });
      const { claimed } = await storage.completeAndClaim([completion(first, 'w', 1)], request);
      expect(byId(claimed)).toEqual({ [second]: carrier(2) });

      const limited = await storage.enqueue({ jobTypeId: 'limited', traceContext: carrier(3) });
      expect(byId(await storage.claim({ ...request, limitedJobTypeIds: ['limited'] }))).toEqual({ [limited]: carrier(3) });
    });

    it('a retried run carries it into its next attempt', async () => {
      const id = await storage.enqueue({ jobTypeId: 'job', traceContext: carrier(7) });
      await storage.claim(request);
      const retryAt = new Date(Date.now() - 1);
      expect(await storage.failRun({ runId: id, workerId: 'w', attempt: 1, errorMessage: 'boom', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt })).toBe(true);
      const [again] = await storage.claim(request);
      expect(again).toMatchObject({ id, attemptNumber: 2, traceContext: carrier(7) });
    });

    it('a continuation keeps its own when its parent releases it', async () => {
      const parent = await storage.enqueue({ jobTypeId: 'job', traceContext: carrier(1) });
      const child = await storage.enqueue({ jobTypeId: 'job', parentRunId: parent, status: JobRunStatus.Awaiting, continueOn: 'success', traceContext: carrier(2) });
      await storage.claim(request);
      // PostgreSQL's one-statement hot path cannot see a child it released itself: the next claim takes it.
      const { claimed } = await storage.completeAndClaim([completion(parent, 'w', 1)], request);
      expect(byId([...claimed, ...(await storage.claim(request))])).toEqual({ [child]: carrier(2) });
    });

    it('enqueueInTransaction stores it', async () => {
      const own = ctx.dataSource.options as DataSourceOptions & { database?: string };
      if (own.type === 'better-sqlite3' && (own.database === ':memory:' || own.database === '')) return; // refused there (see app-transactions)
      const { entities, prepareDatabase, entityPrefix, ...rest } = own as DataSourceOptions & Record<string, unknown>;
      void entities, void prepareDatabase, void entityPrefix;
      const app = new DataSource({ ...(rest as DataSourceOptions), entities: [], synchronize: false, migrationsRun: false } as DataSourceOptions);
      await app.initialize();
      try {
        const [{ runId: id }] = await app.transaction((manager) => storage.enqueueInTransaction([{ jobTypeId: 'job', traceContext: carrier(9) }], manager));
        expect(byId(await storage.claim(request))).toEqual({ [id]: carrier(9) });
      } finally {
        await app.destroy();
      }
    });

    it('refuses a trace context that is not a non-empty string, naming the field, and stores nothing', async () => {
      await expect(storage.enqueue({ jobTypeId: 'job', traceContext: '' })).rejects.toThrow(new InvalidPayloadError('traceContext: expected a non-empty string or null, got ""'));
      await expect(storage.enqueue({ jobTypeId: 'job', traceContext: 5 as unknown as string })).rejects.toThrow(/^traceContext: expected a non-empty string or null, got 5$/);
      expect(await totalRuns()).toBe(0);
    });
  });
}
