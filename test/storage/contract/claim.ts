import { JobRunStatus, JobTriggerType } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, atTime, clockPast, json, idsOf, sorted, MINUTE, HOUR, type ContractContext } from './harness.js';

export function describeClaim(ctx: ContractContext): void {
  const { define, statusOf, seed } = contractHelpers(ctx);
  const { itOnProcessClock } = ctx;

  // ----- claiming -----

  describe('dequeue and claim', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    it('dequeue sets the run running with the worker id, start time and attempt 1', async () => {
      await define('job');
      const id = await storage.enqueue({ jobTypeId: 'job' });

      const before = Date.now();
      const run = await storage.dequeue('default', 'worker-1');
      const after = Date.now();

      expect(run).toMatchObject({ id, status: JobRunStatus.Running, workerId: 'worker-1', attemptNumber: 1 });
      expect(run!.startedAt!.getTime()).toBeGreaterThanOrEqual(before);
      expect(run!.startedAt!.getTime()).toBeLessThanOrEqual(after);
      expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'worker-1', attemptNumber: 1 });
    });

    it('dequeue returns null when the queue has nothing due', async () => {
      await define('job');
      await storage.enqueue({ jobTypeId: 'job', queue: 'other' });

      expect(await storage.dequeue('default', 'worker-1')).toBeNull();
      expect(await storage.dequeue('other', 'worker-1')).not.toBeNull();
      expect(await storage.dequeue('other', 'worker-1')).toBeNull();
    });

    it('claim hands out runs by priority, then scheduled time, then creation', async () => {
      await define('job');
      const base = Date.now() - HOUR;
      const at = (offset: number) => new Date(base + offset);
      const ids = {
        low: await storage.enqueue({ jobTypeId: 'job', priority: 0, scheduledAt: at(0) }),
        highLate: await storage.enqueue({ jobTypeId: 'job', priority: 5, scheduledAt: at(2 * MINUTE) }),
        highEarly: await storage.enqueue({ jobTypeId: 'job', priority: 5, scheduledAt: at(MINUTE) }),
      };
      // Same priority and time: the one created first goes first.
      const createdFirst = await storage.enqueue({ jobTypeId: 'job', priority: 2, scheduledAt: at(3 * MINUTE) });
      await clockPast(Date.now());
      const createdSecond = await storage.enqueue({ jobTypeId: 'job', priority: 2, scheduledAt: at(3 * MINUTE) });
      const expected = [ids.highEarly, ids.highLate, createdFirst, createdSecond, ids.low];

      expect(idsOf(await storage.getPendingRuns('default'))).toEqual(expected);
      // One at a time: the selection follows the order, not just the returned list.
      const oneByOne: string[] = [];
      for (let i = 0; i < 3; i++) oneByOne.push(...idsOf(await storage.claim({ queues: ['default'], workerId: 'worker-1', limit: 1 })));
      expect(oneByOne).toEqual(expected.slice(0, 3));
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'worker-1', limit: 10 }))).toEqual(expected.slice(3));
    });

    it('claim returns what a worker needs to run the attempt', async () => {
      await define('job', { queue: 'critical', priority: 1 });
      const id = await storage.enqueue({ jobTypeId: 'job', input: { a: 1 }, correlationId: 'c-1', maxRetries: 4 });

      const [claimed] = await storage.claim({ queues: ['critical'], workerId: 'worker-1', limit: 1 });

      expect(claimed).toMatchObject({
        id, jobTypeId: 'job', queue: 'critical', priority: 1, attemptNumber: 1, maxRetries: 4,
        correlationId: 'c-1', parentRunId: null, triggerType: JobTriggerType.Manual,
      });
      expect(json(claimed.inputJson)).toEqual({ a: 1 });
      expect(claimed.startedAt).toBeInstanceOf(Date);
      expect(claimed.scheduledAt).toBeInstanceOf(Date);
      expect(claimed.createdAt).toBeInstanceOf(Date);
    });

    it('claim takes queues in the order given, before priority', async () => {
      await define('job');
      const critical1 = await storage.enqueue({ jobTypeId: 'job', queue: 'critical', priority: 0 });
      const default1 = await storage.enqueue({ jobTypeId: 'job', queue: 'default', priority: 10 });

      expect(idsOf(await storage.claim({ queues: ['critical', 'default'], workerId: 'w', limit: 1 }))).toEqual([critical1]);
      const critical2 = await storage.enqueue({ jobTypeId: 'job', queue: 'critical', priority: 0 });
      expect(idsOf(await storage.claim({ queues: ['default', 'critical'], workerId: 'w', limit: 1 }))).toEqual([default1]);
      expect(idsOf(await storage.claim({ queues: ['default', 'critical'], workerId: 'w', limit: 5 }))).toEqual([critical2]);
    });

    it('claim fills its limit from the next queue when the first runs out', async () => {
      await define('job');
      const critical = await seed('job', 2, { queue: 'critical' });
      const low = await storage.enqueue({ jobTypeId: 'job', queue: 'low', priority: 9 });
      await seed('job', 3, { queue: 'default' });

      const claimed = await storage.claim({ queues: ['critical', 'low', 'default'], workerId: 'w', limit: 4 });

      expect(claimed.map((r) => r.queue)).toEqual(['critical', 'critical', 'low', 'default']);
      expect(sorted(idsOf(claimed.slice(0, 2)))).toEqual(sorted(critical));
      expect(claimed[2].id).toBe(low);
      expect(await storage.claim({ queues: [], workerId: 'w', limit: 4 })).toEqual([]);
      expect(await storage.claim({ queues: ['default'], workerId: 'w', limit: 0 })).toEqual([]);
    });

    it('claim skips runs of disabled definitions until they are enabled again', async () => {
      await define('on');
      await define('off');
      const onRun = await storage.enqueue({ jobTypeId: 'on' });
      const offRun = await storage.enqueue({ jobTypeId: 'off', priority: 10 });
      await storage.setDefinitionEnabled('off', false);

      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 }))).toEqual([onRun]);
      expect(await storage.dequeue('default', 'w')).toBeNull();
      expect(await statusOf(offRun)).toBe(JobRunStatus.Pending);

      await storage.setDefinitionEnabled('off', true);
      expect((await storage.dequeue('default', 'w'))?.id).toBe(offRun);
    });

    it('claim with jobTypeIds takes only runs of those job types', async () => {
      await define('mine');
      await define('theirs');
      const theirs = await storage.enqueue({ jobTypeId: 'theirs', priority: 5 });
      const mine = await storage.enqueue({ jobTypeId: 'mine' });

      expect(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10, jobTypeIds: [] })).toEqual([]);
      expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10, jobTypeIds: ['mine'] }))).toEqual([mine]);
      expect(await statusOf(theirs)).toBe(JobRunStatus.Pending);
    });

    itOnProcessClock('claim hands out a run scheduled exactly now, and not one scheduled 1 ms later', async () => {
      await define('job');
      const now = Date.now();

      await atTime(now, async () => {
        const due = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(now) });
        const oneMsLater = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(now + 1) });

        expect(idsOf(await storage.getPendingRuns('default'))).toEqual([due]);
        expect(idsOf(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 }))).toEqual([due]);
        expect(await storage.dequeue('default', 'w')).toBeNull();
        expect(await statusOf(oneMsLater)).toBe(JobRunStatus.Pending);
      });
      await atTime(now + 1, async () => {
        expect((await storage.dequeue('default', 'w'))?.scheduledAt.getTime()).toBe(now + 1);
      });
    });

    it('claim does not hand out a run scheduled a minute ahead', async () => {
      await define('job');
      await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(Date.now() + MINUTE) });

      expect(await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 })).toEqual([]);
      expect(await storage.getPendingRuns('default')).toEqual([]);
    });

    it('getPendingRuns lists due pending runs of a queue in claim order without claiming them', async () => {
      await define('job');
      const low = await storage.enqueue({ jobTypeId: 'job', priority: 0 });
      const high = await storage.enqueue({ jobTypeId: 'job', priority: 5 });
      await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(Date.now() + HOUR) });
      await storage.enqueue({ jobTypeId: 'job', queue: 'other' });
      const [running] = await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      expect(running.id).toBe(high);
      const high2 = await storage.enqueue({ jobTypeId: 'job', priority: 5 });

      const pending = await storage.getPendingRuns('default');

      expect(idsOf(pending)).toEqual([high2, low]);
      expect(pending.every((r) => r.status === JobRunStatus.Pending)).toBe(true);
      expect(idsOf(await storage.getPendingRuns('default', 1))).toEqual([high2]);
      expect(await statusOf(low)).toBe(JobRunStatus.Pending);
    });
  });
}
