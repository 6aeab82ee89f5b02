import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import type { ClaimRequest } from '../../../lib/storage/job-storage.types.js';
import { waitFor } from '../../helpers/wait-for.js';
import { completion, contractHelpers, idsOf, type ContractContext } from './harness.js';

/** Issue 10: the claim enforces per-job concurrency and rate limits stored on the definition. */
export function describeLimits(ctx: ContractContext): void {
  const { define, seed, complete } = contractHelpers(ctx);

  describe('claim with concurrency and rate limits', () => {
    let storage: EngineStorage;
    beforeEach(() => {
      storage = ctx.storage;
    });

    const claim = (limit: number, extra: Partial<ClaimRequest> = {}) =>
      storage.claim({ queues: ['default'], workerId: 'w', limit, limitedJobTypeIds: ['limited'], ...extra });

    it('takes no more runs of a limited job than its concurrency limit allows, counting Running ones', async () => {
      await define('limited', { concurrencyLimit: 2 });
      await seed('limited', 5);
      const first = await claim(10);
      expect(first).toHaveLength(2);
      expect(await claim(10)).toHaveLength(0);
      expect(await complete([completion(first[0].id, 'w', 1)])).toEqual([first[0].id]);
      expect(await claim(10)).toHaveLength(1);
      expect(await claim(10)).toHaveLength(0);
    });

    it('counts a keyed limit per key, and an unkeyed run under the key ""', async () => {
      await define('limited', { concurrencyLimit: 1 });
      for (const key of ['a', 'a', 'b', 'b', 'c']) await storage.enqueue({ jobTypeId: 'limited', concurrencyKey: key });
      await storage.enqueue({ jobTypeId: 'limited' });
      await storage.enqueue({ jobTypeId: 'limited' });
      const claimed = await claim(10);
      expect(claimed).toHaveLength(4); // a, b, c and ''
      expect(await claim(10)).toHaveLength(0);
      for (const run of claimed) await complete([completion(run.id, 'w', 1)]);
      expect(await claim(10)).toHaveLength(3); // the second a, b and ''
    });

    it('skips blocked runs and takes the next eligible ones (no head-of-line blocking)', async () => {
      await define('limited', { concurrencyLimit: 1 });
      await define('free');
      await seed('limited', 5, { priority: 10 });
      const free = await seed('free', 3);
      const claimed = await claim(10);
      expect(claimed.filter((r) => r.jobTypeId === 'limited')).toHaveLength(1);
      expect(idsOf(claimed.filter((r) => r.jobTypeId === 'free')).sort()).toEqual([...free].sort());
      expect(claimed[0].jobTypeId).toBe('limited'); // priority order across both kinds
    });

    it('the plain claim (no limited job types) never takes runs of a limited definition', async () => {
      await define('limited', { concurrencyLimit: 5 });
      await define('free');
      await seed('limited', 2);
      await seed('free', 2);
      const claimed = await storage.claim({ queues: ['default'], workerId: 'w', limit: 10 });
      expect(claimed.map((r) => r.jobTypeId)).toEqual(['free', 'free']);
    });

    it('starts at most rateLimit runs per period; the rest wait Pending until the period allows', async () => {
      // A period long enough that the second claim below surely falls within it, even on a stalled machine.
      await define('limited', { rateLimit: 3, ratePeriodMs: 1500 });
      await seed('limited', 5);
      const first = await claim(10);
      expect(first).toHaveLength(3);
      for (const run of first) await complete([completion(run.id, 'w', 1)]);
      // Completed, but started within the period: they still count.
      expect(await claim(10)).toHaveLength(0);
      const later = await waitFor(async () => {
        const got = await claim(10);
        return got.length > 0 ? got : null;
      }, { timeoutMs: 10_000, what: 'the rate period to pass' });
      expect(later).toHaveLength(2);
    });

    it('applies both limits together: a free concurrency slot does not lift the rate limit', async () => {
      await define('limited', { concurrencyLimit: 1, rateLimit: 2, ratePeriodMs: 60_000 });
      await seed('limited', 4);
      const [first] = await claim(10);
      expect(await claim(10)).toHaveLength(0); // concurrency 1
      await complete([completion(first.id, 'w', 1)]);
      const [second] = await claim(10);
      expect(second).toBeDefined();
      await complete([completion(second.id, 'w', 1)]);
      expect(await claim(10)).toHaveLength(0); // 2 starts this minute
    });

    it('counts a rate limit per rate key', async () => {
      await define('limited', { rateLimit: 1, ratePeriodMs: 60_000 });
      for (const key of ['x', 'x', 'y', 'y']) await storage.enqueue({ jobTypeId: 'limited', rateKey: key });
      expect(await claim(10)).toHaveLength(2);
      expect(await claim(10)).toHaveLength(0);
    });

    it('caps each queue at queueLimits', async () => {
      await define('free');
      await seed('free', 5);
      await seed('free', 5, { queue: 'other' });
      const claimed = await storage.claim({ queues: ['default', 'other'], workerId: 'w', limit: 10, queueLimits: [2, 10] });
      expect(claimed.filter((r) => r.queue === 'default')).toHaveLength(2);
      expect(claimed.filter((r) => r.queue === 'other')).toHaveLength(5);
      const none = await storage.claim({ queues: ['default', 'other'], workerId: 'w', limit: 10, queueLimits: [0, 0] });
      expect(none).toHaveLength(0);
    });

    it('dequeue counts the limits too', async () => {
      await define('limited', { concurrencyLimit: 1 });
      await seed('limited', 2);
      expect(await storage.dequeue('default', 'w')).toMatchObject({ jobTypeId: 'limited', concurrencyKey: '' });
      expect(await storage.dequeue('default', 'w')).toBeNull();
    });

    it('a disabled limited job is not claimed', async () => {
      await define('limited', { concurrencyLimit: 2, isEnabled: false });
      await seed('limited', 2);
      expect(await claim(10)).toHaveLength(0);
    });
  });
}
