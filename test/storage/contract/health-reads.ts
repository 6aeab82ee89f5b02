import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, MINUTE, type ContractContext } from './harness.js';

/** The reads behind the health indicator and the metrics gauges (EngineStorage). */
export function describeHealthReads(ctx: ContractContext): void {
  const { define, seed } = contractHelpers(ctx);

  describe('health and metrics reads', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    /** Claims one run of `queue` for `workerId` and fails it for good at `completedAt`. */
    async function failOne(queue: string, completedAt: Date): Promise<void> {
      const [run] = await storage.claim({ queues: [queue], workerId: 'w', limit: 1 });
      const failure = { runId: run.id, workerId: 'w', attempt: run.attemptNumber, errorMessage: 'x', errorDetails: null, durationMs: 1 };
      expect(await storage.failRun({ ...failure, completedAt, retryAt: null })).toBe(true);
    }

    it('probeHeartbeat reads the last heartbeat of a worker; null for one without a row', async () => {
      expect(await storage.probeHeartbeat('nobody')).toBeNull();
      const before = Date.now();
      await storage.updateHeartbeat('w1');

      const beat = await storage.probeHeartbeat('w1');

      expect(beat).toBeInstanceOf(Date);
      expect(Math.abs(beat!.getTime() - before)).toBeLessThan(MINUTE);
    });

    it('queueStats counts pending, running and failed per queue, and dates the oldest due pending run', async () => {
      await define('a', { queue: 'a' });
      await define('b', { queue: 'b' });
      const due = new Date(Date.now() - 10 * MINUTE);
      await seed('a', 1, { scheduledAt: due });
      await seed('a', 1, { scheduledAt: new Date(Date.now() - MINUTE) });
      // Pending but not due: counted, and not the oldest due.
      await seed('a', 1, { scheduledAt: new Date(Date.now() + 60 * MINUTE) });
      await seed('b', 3);
      await storage.claim({ queues: ['b'], workerId: 'w', limit: 1 });
      await failOne('b', new Date());

      const stats = await storage.queueStats();

      expect(stats).toEqual([
        { queue: 'a', pending: 3, running: 0, failed: 0, oldestDueAt: due },
        { queue: 'b', pending: 1, running: 1, failed: 1, oldestDueAt: expect.any(Date) },
      ]);
    });

    it('queueStats leaves out queues with only completed or cancelled runs, and a queue with nothing due has no oldestDueAt', async () => {
      await define('a', { queue: 'a' });
      await define('later', { queue: 'later' });
      const [id] = await seed('a', 1);
      await storage.cancelRun(id);
      await seed('later', 1, { scheduledAt: new Date(Date.now() + MINUTE) });

      expect(await storage.queueStats()).toEqual([{ queue: 'later', pending: 1, running: 0, failed: 0, oldestDueAt: null }]);
    });

    it('countFailuresSince counts runs failed for good at or after the time, per queue', async () => {
      await define('a', { queue: 'a' });
      await define('b', { queue: 'b' });
      await seed('a', 2);
      await seed('b', 1);
      const now = Date.now();
      await failOne('a', new Date(now - 30 * MINUTE));
      await failOne('a', new Date(now - MINUTE));
      await failOne('b', new Date(now - MINUTE));

      expect(Object.fromEntries(await storage.countFailuresSince(new Date(now - 5 * MINUTE)))).toEqual({ a: 1, b: 1 });
      expect(Object.fromEntries(await storage.countFailuresSince(new Date(now - 60 * MINUTE)))).toEqual({ a: 2, b: 1 });
      expect((await storage.countFailuresSince(new Date(now))).size).toBe(0);
    });
  });
}
