import { JobLogLevel, RunNotFoundError } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, NO_SUCH_RUN, type ContractContext } from './harness.js';

export function describeLogs(ctx: ContractContext): void {
  const { define } = contractHelpers(ctx);

  // ----- logs -----

  describe('logs', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    let runId: string;
    beforeEach(async () => {
      await define('job');
      runId = await storage.enqueue({ jobTypeId: 'job' });
    });

    it('addLog stores a line with all its fields', async () => {
      const timestamp = new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 321));

      await storage.addLog({
        runId, level: JobLogLevel.Warn, message: 'disk almost full', timestamp, category: 'io', exception: 'Error: x',
        attemptNumber: 2,
      });
      const before = Date.now();
      await storage.addLog({ runId, level: JobLogLevel.Info, message: 'no timestamp given' });

      const [first, second] = await storage.getLogs(runId);
      expect(first).toMatchObject({
        runId, level: JobLogLevel.Warn, message: 'disk almost full', timestamp, category: 'io', exception: 'Error: x',
        attemptNumber: 2,
      });
      expect(second).toMatchObject({ level: JobLogLevel.Info, category: null, exception: null, attemptNumber: null });
      expect(second.timestamp.getTime()).toBeGreaterThanOrEqual(before);
    });

    it('addLog for an unknown run throws RunNotFoundError and stores nothing', async () => {
      await expect(storage.addLog({ runId: NO_SUCH_RUN, level: JobLogLevel.Info, message: 'x' })).rejects.toThrow(
        RunNotFoundError,
      );
      expect(await storage.getLogs(NO_SUCH_RUN)).toEqual([]);
    });

    it('addLogs stores many lines; getLogs returns the first `limit` of a run, oldest first', async () => {
      const other = await storage.enqueue({ jobTypeId: 'job' });
      const at = new Date();
      // Lines written within one millisecond keep the order they were written in.
      await storage.addLogs([
        ...['one', 'two', 'three', 'four', 'five'].map((message) => ({ runId, level: JobLogLevel.Info, message, timestamp: at })),
        { runId: other, level: JobLogLevel.Error, message: 'elsewhere', timestamp: at },
      ]);
      await storage.addLog({ runId, level: JobLogLevel.Debug, message: 'six' });

      expect((await storage.getLogs(runId)).map((l) => l.message)).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
      expect((await storage.getLogs(runId, 3)).map((l) => l.message)).toEqual(['one', 'two', 'three']);
      expect((await storage.getLogs(other)).map((l) => l.message)).toEqual(['elsewhere']);
      await storage.addLogs([]);
    });
  });
}
