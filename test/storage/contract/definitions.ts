import { ScheduleType, UnknownJobError } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, SECOND, MINUTE, HOUR, type ContractContext } from './harness.js';

export function describeDefinitions(ctx: ContractContext): void {
  const { define } = contractHelpers(ctx);

  // ----- definitions -----

  describe('definitions', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    it('getAllDefinitions returns every definition ordered by display name', async () => {
      await define('a', { displayName: 'Zeta' });
      await define('b', { displayName: 'Alpha' });
      await define('c', { displayName: 'Mid' });

      const all = await storage.getAllDefinitions();

      expect(all.map((d) => d.displayName)).toEqual(['Alpha', 'Mid', 'Zeta']);
      expect(all.map((d) => d.jobTypeId)).toEqual(['b', 'c', 'a']);
    });

    it('getJobDefinition returns the stored definition, or null for an unknown id', async () => {
      await define('known', { queue: 'critical', priority: 2 });

      expect(await storage.getJobDefinition('known')).toMatchObject({ jobTypeId: 'known', queue: 'critical', priority: 2 });
      expect(await storage.getJobDefinition('unknown')).toBeNull();
    });

    it('upsertDefinition inserts every given field, with defaults for the rest', async () => {
      await storage.upsertDefinition({
        jobTypeId: 'report',
        displayName: 'Monthly report',
        description: 'Builds the report',
        queue: 'low',
        priority: 4,
        timeoutMs: 30 * SECOND,
        maxRetries: 2,
        retryDelayMs: 1500,
        misfirePolicy: 'skip',
        preventOverlap: true,
        defaultInputJson: '{"month":1}',
        tags: ['billing', 'monthly'],
      });
      await storage.upsertDefinition({ jobTypeId: 'bare' });

      const report = await storage.getJobDefinition('report');
      expect(report!.defaultInput).toEqual({ month: 1 });
      expect(report).toMatchObject({
        displayName: 'Monthly report',
        description: 'Builds the report',
        queue: 'low',
        priority: 4,
        timeoutMs: 30 * SECOND,
        maxRetries: 2,
        retryDelayMs: 1500,
        misfirePolicy: 'skip',
        preventOverlap: true,
        isEnabled: true,
        tags: ['billing', 'monthly'],
        scheduleType: ScheduleType.None,
        nextRunAt: null,
        lastRunAt: null,
      });
      expect(await storage.getJobDefinition('bare')).toMatchObject({
        displayName: 'bare',
        defaultInput: null,
        queue: 'default',
        priority: 0,
        isEnabled: true,
        preventOverlap: false,
        tags: [],
        scheduleType: ScheduleType.None,
      });
    });

    it('upsertDefinition update changes the given fields and keeps those left undefined', async () => {
      await storage.upsertDefinition({
        jobTypeId: 'report', displayName: 'Report', description: 'Monthly', queue: 'low', priority: 4, tags: ['billing'],
        maxRetries: 2,
      });

      await storage.upsertDefinition({ jobTypeId: 'report', priority: 9 });
      expect(await storage.getJobDefinition('report')).toMatchObject({
        displayName: 'Report', description: 'Monthly', queue: 'low', priority: 9, tags: ['billing'], maxRetries: 2,
      });

      // null is a value: it clears the field.
      await storage.upsertDefinition({ jobTypeId: 'report', description: null, maxRetries: null });
      expect(await storage.getJobDefinition('report')).toMatchObject({ description: null, maxRetries: null, priority: 9 });
    });

    it('upsertDefinition without isEnabled keeps a definition an operator disabled', async () => {
      await define('nightly');
      await storage.setDefinitionEnabled('nightly', false);

      await define('nightly', { description: 'synced again at start-up' });

      expect(await storage.getJobDefinition('nightly')).toMatchObject({ isEnabled: false, description: 'synced again at start-up' });
    });

    it('upsertDefinition keeps next_run_at when the schedule is unchanged and replaces it when it changes', async () => {
      const t = Date.UTC(2030, 0, 1);
      const interval = { scheduleType: ScheduleType.Interval, intervalMs: MINUTE, cronExpression: null, timezone: null };
      const nextRunAt = async () => (await storage.getJobDefinition('tick'))!.nextRunAt?.getTime();

      await define('tick', { ...interval, nextRunAt: new Date(t) });
      expect(await nextRunAt()).toBe(t);

      // A restart computes a new first tick from the same schedule: the stored tick stands.
      await define('tick', { ...interval, nextRunAt: new Date(t + 5 * SECOND) });
      expect(await nextRunAt()).toBe(t);

      await define('tick', { ...interval, intervalMs: 30 * SECOND, nextRunAt: new Date(t + 30 * SECOND) });
      expect(await nextRunAt()).toBe(t + 30 * SECOND);
      expect((await storage.getJobDefinition('tick'))!.intervalMs).toBe(30 * SECOND);

      const cron = { scheduleType: ScheduleType.Cron, cronExpression: '0 * * * *', intervalMs: null, timezone: null };
      await define('tick', { ...cron, nextRunAt: new Date(t + HOUR) });
      expect(await nextRunAt()).toBe(t + HOUR);

      await define('tick', { ...cron, timezone: 'Europe/Paris', nextRunAt: new Date(t + 2 * HOUR) });
      expect(await nextRunAt()).toBe(t + 2 * HOUR);

      await define('tick', { ...cron, timezone: 'Europe/Paris', nextRunAt: new Date(t + 3 * HOUR) });
      expect(await nextRunAt()).toBe(t + 2 * HOUR);
    });

    it('upsertDefinition that leaves the schedule fields undefined keeps the stored tick', async () => {
      const t = Date.UTC(2030, 0, 1);
      await define('tick', {
        scheduleType: ScheduleType.Cron, cronExpression: '0 * * * *', timezone: 'Europe/Paris', nextRunAt: new Date(t),
      });

      // Fields left undefined keep their stored value, so the schedule did not change.
      await storage.upsertDefinition({ jobTypeId: 'tick', nextRunAt: new Date(t + HOUR) });

      expect(await storage.getJobDefinition('tick')).toMatchObject({
        scheduleType: ScheduleType.Cron, cronExpression: '0 * * * *', timezone: 'Europe/Paris', nextRunAt: new Date(t),
      });
    });

    it('setDefinitionEnabled switches a definition off and on; an unknown id is an UnknownJobError', async () => {
      await define('toggle');

      await storage.setDefinitionEnabled('toggle', false);
      expect((await storage.getJobDefinition('toggle'))!.isEnabled).toBe(false);
      await storage.setDefinitionEnabled('toggle', true);
      expect((await storage.getJobDefinition('toggle'))!.isEnabled).toBe(true);

      await expect(storage.setDefinitionEnabled('missing', false)).rejects.toThrow(UnknownJobError);
    });

    it('updateSchedule replaces the schedule, a None schedule removes it, other fields stay', async () => {
      await define('sched', { queue: 'low', priority: 3 });
      const next = new Date(Date.UTC(2031, 5, 1, 9));

      await storage.updateSchedule('sched', {
        scheduleType: ScheduleType.Cron, cronExpression: '0 9 * * *', timezone: 'America/New_York', nextRunAt: next,
      });
      expect(await storage.getJobDefinition('sched')).toMatchObject({
        scheduleType: ScheduleType.Cron, cronExpression: '0 9 * * *', intervalMs: null, timezone: 'America/New_York',
        nextRunAt: next, queue: 'low', priority: 3,
      });

      await storage.updateSchedule('sched', { scheduleType: ScheduleType.None, nextRunAt: null });
      expect(await storage.getJobDefinition('sched')).toMatchObject({
        scheduleType: ScheduleType.None, cronExpression: null, intervalMs: null, timezone: null, nextRunAt: null,
        queue: 'low', priority: 3,
      });

      await expect(storage.updateSchedule('missing', { scheduleType: ScheduleType.None })).rejects.toThrow(UnknownJobError);
    });
  });
}
