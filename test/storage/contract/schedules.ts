import { JobRunStatus, JobTriggerType, ScheduleType } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, MINUTE, HOUR, completion, type ContractContext } from './harness.js';

export function describeSchedules(ctx: ContractContext): void {
  const { define, totalRuns, complete } = contractHelpers(ctx);

  // ----- schedules -----

  describe('schedules', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    const interval = { scheduleType: ScheduleType.Interval, intervalMs: MINUTE };

    it('getDueSchedules returns enabled scheduled definitions whose tick is due, earliest first', async () => {
      const now = new Date(Date.UTC(2030, 0, 1, 12));
      const at = (offset: number) => new Date(now.getTime() + offset);
      await define('due-late', { ...interval, nextRunAt: at(-MINUTE) });
      await define('due-exactly', { ...interval, nextRunAt: at(0) });
      await define('future', { ...interval, nextRunAt: at(1) });
      await define('disabled', { ...interval, nextRunAt: at(-HOUR), isEnabled: false });
      await define('unscheduled', { nextRunAt: at(-HOUR) });
      await define('no-tick', { ...interval, nextRunAt: null });

      expect((await storage.getDueSchedules(now)).map((d) => d.jobTypeId)).toEqual(['due-late', 'due-exactly']);
    });

    it("earliestScheduleTick leaves out a disabled job's named schedules, as getDueNamedSchedules does (a past tick would spin the scheduler)", async () => {
      const past = new Date(Date.now() - HOUR);
      await define('tenant-report');
      await storage.upsertSchedule({
        key: 'tenant-1', jobTypeId: 'tenant-report', scheduleType: ScheduleType.Interval, cronExpression: null, intervalMs: MINUTE,
        timezone: null, inputJson: null, misfirePolicy: 'once', isEnabled: true, nextRunAt: past,
      });
      expect(await storage.earliestScheduleTick()).toEqual(past);
      await storage.setDefinitionEnabled('tenant-report', false);
      expect(await storage.getDueNamedSchedules(new Date())).toEqual([]);
      expect(await storage.earliestScheduleTick()).toBeNull();
      await storage.setDefinitionEnabled('tenant-report', true);
      expect(await storage.earliestScheduleTick()).toEqual(past);
    });

    it('claimScheduleTick: the first claim wins and enqueues the run, a second with the same expected tick loses', async () => {
      const due = new Date(Date.UTC(2030, 0, 1, 12));
      const next = new Date(due.getTime() + MINUTE);
      await define('tick', { ...interval, nextRunAt: due });
      const claim = {
        jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: next, firedAt: due,
        run: { jobTypeId: 'tick', triggerType: JobTriggerType.Scheduled, scheduledAt: due },
      };

      expect(await storage.claimScheduleTick(claim)).toBe(true);
      expect(await storage.claimScheduleTick(claim)).toBe(false);

      const runs = await storage.listRuns({ jobTypeId: 'tick' });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ triggerType: JobTriggerType.Scheduled, scheduledAt: due, status: JobRunStatus.Pending });
      expect(await storage.getJobDefinition('tick')).toMatchObject({ nextRunAt: next, lastRunAt: due });
    });

    it('claimScheduleTick: of many concurrent claims of one tick exactly one wins', async () => {
      const due = new Date(Date.UTC(2030, 0, 1, 12));
      await define('tick', { ...interval, nextRunAt: due });

      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          storage.claimScheduleTick({
            jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: new Date(due.getTime() + MINUTE), firedAt: due,
            run: { jobTypeId: 'tick', triggerType: JobTriggerType.Scheduled },
          })),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await totalRuns()).toBe(1);
    });

    it('claimScheduleTick without a run moves the schedule on and enqueues nothing; a null tick is compared too', async () => {
      const due = new Date(Date.UTC(2030, 0, 1, 12));
      await define('tick', { ...interval, nextRunAt: due });
      await define('unticked', { ...interval, nextRunAt: null });

      expect(await storage.claimScheduleTick({
        jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: new Date(due.getTime() + MINUTE), firedAt: due, run: null,
      })).toBe(true);
      expect(await storage.claimScheduleTick({
        jobTypeId: 'unticked', expectedNextRunAt: null, nextRunAt: due, firedAt: due, run: null,
      })).toBe(true);
      expect(await storage.claimScheduleTick({
        jobTypeId: 'unticked', expectedNextRunAt: null, nextRunAt: due, firedAt: due, run: null,
      })).toBe(false);

      expect(await totalRuns()).toBe(0);
      expect((await storage.getJobDefinition('tick'))!.nextRunAt).toEqual(new Date(due.getTime() + MINUTE));
      expect((await storage.getJobDefinition('tick'))!.lastRunAt).toBeNull();
      expect((await storage.getJobDefinition('unticked'))!.nextRunAt).toEqual(due);
    });

    it('hasActiveRun is true while a run of the job is pending or running', async () => {
      await define('job');
      await define('other');
      await storage.enqueue({ jobTypeId: 'other' });
      expect(await storage.hasActiveRun('job')).toBe(false);

      const id = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
      expect(await storage.hasActiveRun('job')).toBe(true);
      await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      expect(await storage.hasActiveRun('job')).toBe(true);
      await complete([completion(id, 'w', 1)]);
      expect(await storage.hasActiveRun('job')).toBe(false);
    });
  });
}
