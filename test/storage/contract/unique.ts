import { randomUUID } from 'node:crypto';
import { InvalidDurationError, InvalidPayloadError, InvalidRunStateError, JobRunStatus } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import { atTime, completion, contractHelpers, HOUR, json, type ContractContext } from './harness.js';

/** Unique runs: the insert does nothing on a held key and returns the holder (see lib/storage/unique.ts). */
export function describeUnique(ctx: ContractContext): void {
  const { define, totalRuns, statusOf, complete } = contractHelpers(ctx);

  describe('unique runs', () => {
    let storage: EngineStorage;
    beforeEach(async () => {
      storage = ctx.storage;
      await define('job');
      await define('other');
    });

    /** Claims the run (it must be the only due one) and completes it. */
    const runToCompletion = async (runId: string) => {
      const [claimed] = await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      expect(claimed.id).toBe(runId);
      expect(await complete([completion(runId, 'w', claimed.attemptNumber)])).toEqual([runId]);
    };

    it('a second enqueue of a held key stores nothing and returns the holder', async () => {
      const first = await storage.enqueueDetailed({ jobTypeId: 'job', input: { n: 1 }, unique: { key: 'k' } });
      const second = await storage.enqueueDetailed({ jobTypeId: 'job', input: { n: 2 }, unique: { key: 'k' } });
      const third = await storage.enqueue({ jobTypeId: 'job', input: { n: 3 }, unique: { key: 'k' } });

      expect(first).toEqual({ runId: expect.any(String), created: true, replaced: false });
      expect(second).toEqual({ runId: first.runId, created: false, replaced: false });
      expect(third).toBe(first.runId);
      expect(await totalRuns()).toBe(1);
      const run = await storage.getRun(first.runId);
      expect(run!.input).toEqual({ n: 1 });
      expect(run!.uniqueKey).toMatch(/^[0-9a-f]{64}$/);
      expect(run!.uniqueStates).toEqual([JobRunStatus.Pending, JobRunStatus.Running, JobRunStatus.Awaiting]);
    });

    it('without a key, equal inputs (whatever their key order) are one run; other inputs and other jobs are not', async () => {
      const a = await storage.enqueue({ jobTypeId: 'job', input: { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } }, unique: true });
      const b = await storage.enqueue({ jobTypeId: 'job', input: { y: { a: [1, { c: 2, d: 1 }], b: 2 }, x: 1 }, unique: {} });
      const c = await storage.enqueue({ jobTypeId: 'job', input: { x: 2 }, unique: true });
      const d = await storage.enqueue({ jobTypeId: 'other', input: { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } }, unique: true });
      const e = await storage.enqueue({ jobTypeId: 'job', inputJson: '{"y":{"b":2,"a":[1,{"c":2,"d":1}]},"x":1}', unique: true });

      expect(b).toBe(a);
      expect(e).toBe(a);
      expect(new Set([a, c, d]).size).toBe(3);
      expect(await totalRuns()).toBe(3);
    });

    it('the same key in two jobs is two runs; a run without unique never collides', async () => {
      const a = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      const b = await storage.enqueue({ jobTypeId: 'other', unique: { key: 'k' } });
      const c = await storage.enqueue({ jobTypeId: 'job', unique: false });
      const d = await storage.enqueue({ jobTypeId: 'job' });
      expect(new Set([a, b, c, d]).size).toBe(4);
      expect((await storage.getRun(d))!.uniqueKey).toBeNull();
    });

    it('a key is free again once its run completes, fails for good or is cancelled', async () => {
      const first = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      await runToCompletion(first);
      const second = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      expect(second).not.toBe(first);

      await storage.cancelRun(second);
      const third = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      expect(third).not.toBe(second);

      const [claimed] = await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      expect(claimed.id).toBe(third);
      // Still held while running.
      expect(await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } })).toBe(third);
      await storage.failRun({ runId: third, workerId: 'w', attempt: 1, errorMessage: 'x', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null });
      const fourth = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      expect(new Set([first, second, third, fourth]).size).toBe(4);
      expect(await totalRuns()).toBe(4);
    });

    it('states decide which statuses hold the key: a completed run can hold it too', async () => {
      const states = ['pending', 'running', 'completed'] as const;
      const first = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k', states } });
      await runToCompletion(first);
      expect(await storage.enqueueDetailed({ jobTypeId: 'job', unique: { key: 'k', states } })).toEqual({ runId: first, created: false, replaced: false });
      expect((await storage.getRun(first))!.uniqueStates).toEqual([JobRunStatus.Pending, JobRunStatus.Running, JobRunStatus.Completed]);
    });

    it('retrying a failed unique run whose key another run now holds fails clearly and changes nothing', async () => {
      const first = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });
      await storage.cancelRun(first);
      const second = await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } });

      const error = await storage.requeueRun(first).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRunStateError);
      expect((error as Error).message).toContain('another run holds its unique key');
      expect(await statusOf(first)).toBe(JobRunStatus.Cancelled);

      await runToCompletion(second);
      await storage.requeueRun(first);
      expect(await statusOf(first)).toBe(JobRunStatus.Pending);
      expect(await storage.enqueue({ jobTypeId: 'job', unique: { key: 'k' } })).toBe(first);
    });

    it('a continuation (status awaiting) cannot be unique', async () => {
      const parent = await storage.enqueue({ jobTypeId: 'job' });
      await expect(
        storage.enqueue({ jobTypeId: 'job', parentRunId: parent, status: JobRunStatus.Awaiting, continueOn: 'success', unique: { key: 'k' } }),
      ).rejects.toThrow("unique: a continuation (status 'awaiting') cannot be unique");
      expect(await totalRuns()).toBe(1);
    });

    it("onConflict 'replace' gives a pending holder the new input and time; a running holder is left as it is", async () => {
      const later = new Date(Date.now() + HOUR);
      const first = await storage.enqueue({ jobTypeId: 'job', input: { v: 1 }, unique: { key: 'k', onConflict: 'replace' } });
      const replaced = await storage.enqueueDetailed({
        jobTypeId: 'job', input: { v: 2 }, scheduledAt: later, unique: { key: 'k', onConflict: 'replace' },
      });
      expect(replaced).toEqual({ runId: first, created: false, replaced: true });
      const run = await storage.getRun(first);
      expect(run!.input).toEqual({ v: 2 });
      expect(run!.scheduledAt).toEqual(later);
      expect(await totalRuns()).toBe(1);

      const now = await storage.enqueueDetailed({ jobTypeId: 'job', input: { v: 3 }, unique: { key: 'k', onConflict: 'replace' } });
      expect(now.replaced).toBe(true);
      const [claimed] = await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });
      expect(claimed.id).toBe(first);
      expect(json(claimed.inputJson)).toEqual({ v: 3 });

      const skipped = await storage.enqueueDetailed({ jobTypeId: 'job', input: { v: 4 }, unique: { key: 'k', onConflict: 'replace' } });
      expect(skipped).toEqual({ runId: first, created: false, replaced: false });
      expect((await storage.getRun(first))!.input).toEqual({ v: 3 });
    });

    it("onConflict 'replace': the limit keys, computed from the input, follow the new input", async () => {
      const replace = (tenant: string) => ({
        jobTypeId: 'job', input: { tenant }, concurrencyKey: tenant, rateKey: `rate:${tenant}`, unique: { key: 'nightly', onConflict: 'replace' as const },
      });
      const holder = await storage.enqueue(replace('acme'));
      expect(await storage.enqueueDetailed(replace('globex'))).toEqual({ runId: holder, created: false, replaced: true });
      expect(await storage.getRun(holder)).toMatchObject({ input: { tenant: 'globex' }, concurrencyKey: 'globex', rateKey: 'rate:globex' });
    });

    ctx.itOnProcessClock('a window holds the key within one fixed bucket of floor(now / window)', async () => {
      const start = Math.floor(Date.now() / HOUR) * HOUR + HOUR; // the start of a bucket
      const enqueueAt = (ms: number) => atTime(ms, () => storage.enqueueDetailed({ jobTypeId: 'job', unique: { key: 'k', for: '1h' } }));

      const a = await enqueueAt(start);
      const b = await enqueueAt(start + HOUR - 1);
      const c = await enqueueAt(start + HOUR);
      const d = await enqueueAt(start + HOUR + 30 * 60_000);

      expect(a.created).toBe(true);
      expect(b).toEqual({ runId: a.runId, created: false, replaced: false });
      expect(c.created).toBe(true);
      expect(d.runId).toBe(c.runId);
      // A key without a window is another key.
      expect((await atTime(start, () => storage.enqueueDetailed({ jobTypeId: 'job', unique: { key: 'k' } }))).created).toBe(true);
      expect(await totalRuns()).toBe(3);
    });

    it('enqueueMany: a duplicate of an earlier item or of a stored run gets its id, in one transaction', async () => {
      const stored = await storage.enqueue({ jobTypeId: 'job', input: 's', unique: { key: 'stored' } });

      const results = await storage.enqueueManyDetailed([
        { jobTypeId: 'job', input: 1, unique: { key: 'a' } },
        { jobTypeId: 'job', input: 2 },
        { jobTypeId: 'job', input: 3, unique: { key: 'a' } },
        { jobTypeId: 'job', input: 4, unique: { key: 'stored' } },
        { jobTypeId: 'job', input: 5, unique: { key: 'b', onConflict: 'replace' } },
        { jobTypeId: 'job', input: 6, unique: { key: 'b', onConflict: 'replace' } },
      ]);

      expect(results.map((r) => r.created)).toEqual([true, true, false, false, true, false]);
      expect(results[2].runId).toBe(results[0].runId);
      expect(results[3].runId).toBe(stored);
      expect(results[5]).toEqual({ runId: results[4].runId, created: false, replaced: true });
      expect((await storage.getRun(results[0].runId))!.input).toBe(1);
      expect((await storage.getRun(results[4].runId))!.input).toBe(6);
      expect(await totalRuns()).toBe(4);
      expect(await storage.enqueueMany([{ jobTypeId: 'job', unique: { key: 'a' } }, { jobTypeId: 'job', unique: { key: 'c' } }])).toEqual([
        results[0].runId, expect.any(String),
      ]);
    });

    it('enqueueMany stores nothing when a unique item is invalid or an id is taken', async () => {
      const taken = await storage.enqueue({ id: randomUUID(), jobTypeId: 'job' });
      await expect(
        storage.enqueueMany([{ jobTypeId: 'job', unique: { key: 'a' } }, { jobTypeId: 'job', unique: { key: '' } }]),
      ).rejects.toThrow(InvalidPayloadError);
      await expect(
        storage.enqueueMany([{ jobTypeId: 'job', unique: { key: 'a' } }, { id: taken, jobTypeId: 'job', unique: { key: 'b' } }]),
      ).rejects.toThrow(InvalidRunStateError);
      expect(await totalRuns()).toBe(1);
    });

    it.each([
      ['a non-object', 'abc', "unique: expected an object"],
      ['an unknown key', { key: 'k', ttl: 5 }, "unique: unknown key 'ttl'"],
      ['a non-string key', { key: 42 }, 'unique.key: expected a non-empty string; got 42'],
      ['an empty key', { key: '' }, 'unique.key: expected a non-empty string'],
      ['empty states', { states: [] }, 'unique.states: expected a non-empty array'],
      ['an unknown state', { states: ['pending', 'done'] }, '"done" is not a status'],
      ['states without running', { states: ['pending', 'completed'] }, "unique.states: must include 'pending' and 'running'"],
      ['a bad onConflict', { onConflict: 'overwrite' }, `unique.onConflict: expected 'skip' or 'replace'; got "overwrite"`],
    ])('unique with %s throws InvalidPayloadError naming the field, storing nothing', async (_what, unique, message) => {
      const error = await storage.enqueue({ jobTypeId: 'job', unique: unique as never }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as Error).message).toContain(message);
      expect(await totalRuns()).toBe(0);
    });

    it('inputJson that is not JSON cannot get a default key', async () => {
      await expect(storage.enqueue({ jobTypeId: 'job', inputJson: '{oops', unique: true })).rejects.toThrow(InvalidPayloadError);
      expect(await totalRuns()).toBe(0);
    });

    it.each([['0', 0], ['a word', 'soon'], ['negative', -5]])('unique.for of %s throws InvalidDurationError naming unique.for', async (_what, window) => {
      const error = await storage.enqueue({ jobTypeId: 'job', unique: { for: window } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidDurationError);
      expect((error as InvalidDurationError).field).toBe('unique.for');
      expect(await totalRuns()).toBe(0);
    });

    it('50 concurrent enqueues of one key store one run and all return its id', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => storage.enqueueDetailed({ jobTypeId: 'job', input: { i }, unique: { key: 'hot' } })),
      );
      expect(new Set(results.map((r) => r.runId)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await totalRuns()).toBe(1);
    });
  });
}
