import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, idsOf, lease, sorted, type ContractContext } from './harness.js';

export function describeConcurrency(ctx: ContractContext): void {
  const { define, totalRuns, seed } = contractHelpers(ctx);

  // ----- concurrency in one process -----

  describe('concurrency', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    beforeEach(() => define('job'));

    it('50 concurrent consumers over 1,000 pending runs: every run handed out exactly once', async () => {
      const seeded = await seed('job', 1000);
      const got = new Map<string, string[]>();

      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const worker = `w${i}`;
          const mine: string[] = [];
          got.set(worker, mine);
          for (;;) {
            // Half claim in batches, half dequeue one at a time.
            const batch = i % 2 === 0 ? idsOf(await storage.claim({ queues: ['default'], workerId: worker, limit: 7 })) : [(await storage.dequeue('default', worker))?.id];
            const ids = batch.filter((id): id is string => id !== undefined);
            if (ids.length === 0) return;
            mine.push(...ids);
          }
        }),
      );

      const all = [...got.values()].flat();
      expect(all).toHaveLength(1000);
      expect(sorted(all)).toEqual(sorted(seeded));
      const counts = await storage.countRuns();
      expect(counts.running).toBe(1000);
      expect(counts.pending).toBe(0);
      // Each run is recorded as held by the worker that got it.
      for (const [worker, ids] of [...got].slice(0, 5)) {
        const leases = ids.map((id) => lease(id, worker));
        expect(sorted((await storage.stillHeld(leases)).map((held) => held.runId))).toEqual(sorted(ids));
      }
    });

    it('200 concurrent enqueues, dequeues and updates: no error, no lost or doubled row', async () => {
      const seeded = await seed('job', 100);
      const enqueued: string[] = [];
      const dequeued: string[] = [];
      const updated: string[] = [];

      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          if (i % 3 === 0) {
            enqueued.push(await storage.enqueue({ jobTypeId: 'job', input: { i } }));
          } else if (i % 3 === 1) {
            const run = await storage.dequeue('default', `w${i}`);
            if (run) dequeued.push(run.id);
          } else {
            const id = seeded[i % seeded.length];
            await storage.updateRun(id, { progressJson: JSON.stringify({ i }) });
            updated.push(id);
          }
        }),
      );

      expect(enqueued).toHaveLength(67);
      expect(new Set(enqueued).size).toBe(67);
      expect(dequeued).toHaveLength(67);
      expect(new Set(dequeued).size).toBe(67);
      expect(await totalRuns()).toBe(100 + 67);
      const counts = await storage.countRuns();
      expect(counts.running).toBe(67);
      expect(counts.pending).toBe(100);
      for (const id of enqueued) expect(await storage.getRun(id)).not.toBeNull();
      for (const id of updated) expect((await storage.getRun(id))!.progress).not.toBeNull();
    });
  });
}
