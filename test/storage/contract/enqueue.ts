import { randomUUID } from 'node:crypto';
import { InvalidPayloadError, InvalidRunStateError, JobRunStatus, JobTriggerType, ScheduleType, UnknownJobError } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { contractHelpers, MINUTE, PAYLOAD_LIMIT, type ContractContext } from './harness.js';

export function describeEnqueue(ctx: ContractContext): void {
  const { define, totalRuns } = contractHelpers(ctx);

  // ----- enqueue -----

  describe('enqueue', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    it('enqueue stores a pending run with queue and priority from the definition, scheduled now', async () => {
      await define('mail', { queue: 'critical', priority: 3 });

      const before = Date.now();
      const id = await storage.enqueue({ jobTypeId: 'mail', input: { to: 'a@example.com' } });
      const after = Date.now();

      const run = await storage.getRun(id);
      expect(run).toMatchObject({
        id,
        jobTypeId: 'mail',
        status: JobRunStatus.Pending,
        triggerType: JobTriggerType.Manual,
        queue: 'critical',
        priority: 3,
        attemptNumber: 0,
        workerId: null,
        startedAt: null,
        completedAt: null,
        parentRunId: null,
      });
      expect(run!.input).toEqual({ to: 'a@example.com' });
      expect(run!.scheduledAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(run!.scheduledAt.getTime()).toBeLessThanOrEqual(after);
      expect(run!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(run!.createdAt.getTime()).toBeLessThanOrEqual(after);
    });

    it('enqueue takes the given id, queue, priority, time and metadata over the defaults', async () => {
      await define('mail', { queue: 'critical', priority: 3 });
      const at = new Date(Date.UTC(2031, 0, 1));
      const givenId = randomUUID();

      const id = await storage.enqueue({
        id: givenId, jobTypeId: 'mail', queue: 'low', priority: -2, scheduledAt: at, inputJson: '[1,2]',
        input: { ignored: true }, triggerType: JobTriggerType.Scheduled, correlationId: 'corr-1', maxRetries: 7,
      });

      expect(id).toBe(givenId);
      const run = await storage.getRun(id);
      expect(run).toMatchObject({
        queue: 'low', priority: -2, scheduledAt: at, triggerType: JobTriggerType.Scheduled, correlationId: 'corr-1', maxRetries: 7,
      });
      expect(run!.input).toEqual([1, 2]);
    });

    it('enqueue without input stores null input, and generates distinct ids', async () => {
      await define('noop');

      const [a, b] = [await storage.enqueue({ jobTypeId: 'noop' }), await storage.enqueue({ jobTypeId: 'noop' })];

      expect(a).not.toBe(b);
      expect((await storage.getRun(a))!.input).toBeNull();
    });

    it('enqueueMany stores every run and returns their ids in order', async () => {
      await define('bulk');

      const ids = await storage.enqueueMany([
        { jobTypeId: 'bulk', input: 1 }, { jobTypeId: 'bulk', input: 2 }, { jobTypeId: 'bulk', input: 3 },
      ]);

      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      const inputs = await Promise.all(ids.map(async (id) => (await storage.getRun(id))!.input));
      expect(inputs).toEqual([1, 2, 3]);
    });

    it('enqueueMany stores nothing when one item is invalid', async () => {
      await define('bulk');
      const [taken, fresh1, fresh2] = [randomUUID(), randomUUID(), randomUUID()];
      await storage.enqueue({ id: taken, jobTypeId: 'bulk' });

      await expect(
        storage.enqueueMany([{ jobTypeId: 'bulk' }, { jobTypeId: 'bulk' }, { jobTypeId: 'no-such-job' }]),
      ).rejects.toThrow(UnknownJobError);
      await expect(storage.enqueueMany([{ jobTypeId: 'bulk' }, { jobTypeId: 'bulk', input: { n: 1n } }])).rejects.toThrow(
        InvalidPayloadError,
      );
      // Valid items up to a conflict at insert time: the earlier inserts are rolled back.
      await expect(
        storage.enqueueMany([{ id: fresh1, jobTypeId: 'bulk' }, { id: fresh2, jobTypeId: 'bulk' }, { id: taken, jobTypeId: 'bulk' }]),
      ).rejects.toThrow(InvalidRunStateError);
      await expect(storage.enqueue({ id: taken, jobTypeId: 'bulk' })).rejects.toThrow(`A run with id '${taken}' exists already`);

      expect(await totalRuns()).toBe(1);
      expect(await storage.getRun(fresh1)).toBeNull();
    });
  });

  // ----- bad input -----

  describe('bad input stores nothing', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    beforeEach(() => define('job'));

    it('enqueue of an unknown job type throws UnknownJobError naming it', async () => {
      const error = await storage.enqueue({ jobTypeId: 'send-invoice' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(UnknownJobError);
      expect((error as UnknownJobError).jobTypeId).toBe('send-invoice');
      expect((error as Error).message).toContain("'send-invoice'");
      expect(await totalRuns()).toBe(0);
    });

    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    it.each([
      ['a BigInt', { amount: 10n }],
      ['a circular object', circular],
      ['a function', () => 'not data'],
      ['a symbol', Symbol('nope')],
      ['a nested function', { name: 'x', callback: () => 1 }],
      ['a nested symbol', { tags: [Symbol('nope')] }],
    ])('enqueue of input holding %s throws InvalidPayloadError', async (_what, input) => {
      await storage.enqueue({ jobTypeId: 'job', input: 'fine' });

      const error = await storage.enqueue({ jobTypeId: 'job', input }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toContain("input of job 'job'");
      expect(await totalRuns()).toBe(1);
    });

    it('enqueue of input over maxPayloadBytes throws InvalidPayloadError; input exactly at the limit is stored', async () => {
      // A JSON string is its characters plus two quotes.
      const over = 'x'.repeat(PAYLOAD_LIMIT - 1);
      const atLimit = 'x'.repeat(PAYLOAD_LIMIT - 2);

      const error = await storage.enqueue({ jobTypeId: 'job', input: over }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toContain(`${PAYLOAD_LIMIT + 1} bytes`);
      expect((error as Error).message).toContain('maxPayloadBytes');
      expect(await totalRuns()).toBe(0);

      const id = await storage.enqueue({ jobTypeId: 'job', input: atLimit });
      expect((await storage.getRun(id))!.input).toBe(atLimit);
      expect(await totalRuns()).toBe(1);
    });

    it('claimScheduleTick with an unknown job type throws and moves nothing', async () => {
      const due = new Date(Date.UTC(2030, 0, 1));
      await define('tick', { scheduleType: ScheduleType.Interval, intervalMs: MINUTE, nextRunAt: due });

      await expect(
        storage.claimScheduleTick({
          jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: new Date(due.getTime() + MINUTE), firedAt: due,
          run: { jobTypeId: 'not-defined' },
        }),
      ).rejects.toThrow(UnknownJobError);

      expect((await storage.getJobDefinition('tick'))!.nextRunAt).toEqual(due);
      expect(await totalRuns()).toBe(0);
    });
  });
}
