import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { atTime, clockPast, MINUTE, type ContractContext } from './harness.js';

export function describeHeartbeats(ctx: ContractContext): void {
  const { itOnProcessClock } = ctx;

  // ----- heartbeats -----

  describe('heartbeats', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    it('updateHeartbeat records a worker; a second beat moves last_heartbeat and keeps started_at', async () => {
      await storage.updateHeartbeat('w1', { hostname: 'box', pid: 1234, queues: ['critical', 'default'], concurrency: 4 });
      const [first] = await storage.getActiveWorkers(MINUTE);
      expect(first.startedAt.getTime()).toBe(first.lastHeartbeat.getTime());
      await clockPast(first.lastHeartbeat.getTime());
      await storage.updateHeartbeat('w1', { runningRunIds: ['r1', 'r2'] });

      const [worker] = await storage.getActiveWorkers(MINUTE);
      expect(worker).toMatchObject({
        workerId: 'w1', hostname: 'box', pid: 1234, queues: ['critical', 'default'], concurrency: 4,
        runningRunIds: ['r1', 'r2'], startedAt: first.startedAt,
      });
      expect(worker.lastHeartbeat.getTime()).toBeGreaterThan(first.lastHeartbeat.getTime());
    });

    itOnProcessClock('getActiveWorkers leaves out workers silent for longer than the timeout', async () => {
      await atTime(Date.now() - 2 * MINUTE, () => storage.updateHeartbeat('quiet'));
      await storage.updateHeartbeat('busy');
      await storage.updateHeartbeat('another');

      expect((await storage.getActiveWorkers(MINUTE)).map((w) => w.workerId)).toEqual(['another', 'busy']);
      expect((await storage.getActiveWorkers(5 * MINUTE)).map((w) => w.workerId)).toEqual(['another', 'busy', 'quiet']);
    });

    it('removeHeartbeat forgets a worker; getActiveWorkers lists the rest by worker id', async () => {
      for (const worker of ['busy', 'another', 'third']) await storage.updateHeartbeat(worker);

      await storage.removeHeartbeat('busy');
      await storage.removeHeartbeat('never-seen');

      expect((await storage.getActiveWorkers(MINUTE)).map((w) => w.workerId)).toEqual(['another', 'third']);
    });
  });
}
