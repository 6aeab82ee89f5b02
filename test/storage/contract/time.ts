import { JobLogLevel, ScheduleType } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, idsOf, MINUTE, type ContractContext } from './harness.js';

export function describeTime(ctx: ContractContext): void {
  const { define } = contractHelpers(ctx);

  // ----- time -----

  describe('time', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    const instants = [
      ['the Moon landing (before 1970)', Date.UTC(1969, 6, 20, 20, 17, 40, 123)],
      ['the last millisecond before 1970', -1],
      ['the epoch', 0],
      ['after 2038', Date.UTC(2038, 0, 19, 3, 14, 8, 1)],
      ['the year 2200', Date.UTC(2200, 0, 1, 0, 0, 0, 999)],
    ] as const;

    it.each(instants)('Dates round-trip to the millisecond: %s', async (_what, ms) => {
      const at = new Date(ms);
      await define('job', { scheduleType: ScheduleType.Interval, intervalMs: MINUTE, nextRunAt: at });
      const id = await storage.enqueue({ jobTypeId: 'job', scheduledAt: at });
      await storage.updateRun(id, { startedAt: at, completedAt: at, nextRetryAt: at });
      await storage.addLog({ runId: id, level: JobLogLevel.Info, message: 'x', timestamp: at });

      const run = await storage.getRun(id);
      expect([run!.scheduledAt, run!.startedAt, run!.completedAt, run!.nextRetryAt].map((d) => d!.getTime())).toEqual([ms, ms, ms, ms]);
      expect((await storage.listRuns())[0].scheduledAt.getTime()).toBe(ms);
      expect((await storage.getJobDefinition('job'))!.nextRunAt!.getTime()).toBe(ms);
      expect((await storage.getLogs(id))[0].timestamp.getTime()).toBe(ms);
    });

    it('orders by scheduled time numerically, across 1970 and digit counts', async () => {
      await define('job');
      // As text these would sort '-5' < '-86400000' < '1000000000000' < '10000' < '999'.
      const times = [10_000, -86_400_000, 999, 1_000_000_000_000, -5];
      const ids = new Map<number, string>();
      for (const ms of times) ids.set(ms, await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(ms) }));
      const expected = [...times].sort((a, b) => a - b).map((ms) => ids.get(ms));

      expect(idsOf(await storage.getPendingRuns('default'))).toEqual(expected);
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 }))).toEqual(expected);
    });
  });
}
