import { UnrecoverableJobError } from '../../lib/errors/errors.js';
import type { ResolvedRetryPolicy } from '../../lib/options/resolved-options.js';
import { maxAttempts, nextAttempt } from '../../lib/worker/next-attempt.js';
import { toError } from '../../lib/worker/to-error.js';

const policy: ResolvedRetryPolicy = { initialDelay: 1_000, multiplier: 2, maxDelay: 60_000, jitter: 0.2 };
const job = { maxRetries: 2, retryPolicy: policy };
const now = new Date('2030-01-01T00:00:00.000Z');
/** random() == 0.5 puts the jitter at zero. */
const middle = () => 0.5;
const at = (ms: number) => new Date(now.getTime() + ms);

describe('maxAttempts', () => {
  it("is the run's own retries plus one, else the job's", () => {
    expect(maxAttempts({ maxRetries: null }, job)).toBe(3);
    expect(maxAttempts({ maxRetries: 0 }, job)).toBe(1);
    expect(maxAttempts({ maxRetries: 5 }, job)).toBe(6);
  });
});

describe('nextAttempt', () => {
  it('retries after the backoff of the failed attempt while attempts remain', () => {
    expect(nextAttempt({ attemptNumber: 1, maxRetries: null }, job, new Error('x'), now, middle)).toEqual({ kind: 'retry', at: at(1_000) });
    expect(nextAttempt({ attemptNumber: 2, maxRetries: null }, job, new Error('x'), now, middle)).toEqual({ kind: 'retry', at: at(2_000) });
  });

  it('fails the run after its last attempt', () => {
    expect(nextAttempt({ attemptNumber: 3, maxRetries: null }, job, new Error('x'), now, middle)).toEqual({ kind: 'failed' });
    // An attempt number past the limit (retries lowered meanwhile) fails too.
    expect(nextAttempt({ attemptNumber: 7, maxRetries: null }, job, new Error('x'), now, middle)).toEqual({ kind: 'failed' });
  });

  it("takes the run's own maxRetries over the job's, 0 included", () => {
    expect(nextAttempt({ attemptNumber: 1, maxRetries: 0 }, job, new Error('x'), now, middle)).toEqual({ kind: 'failed' });
    expect(nextAttempt({ attemptNumber: 3, maxRetries: 5 }, job, new Error('x'), now, middle)).toEqual({ kind: 'retry', at: at(4_000) });
  });

  it('skips the remaining attempts for an UnrecoverableJobError, a subclass, or one wrapped by toError', () => {
    class BadInput extends UnrecoverableJobError {}
    const first = { attemptNumber: 1, maxRetries: 10 };
    expect(nextAttempt(first, job, new UnrecoverableJobError('no'), now)).toEqual({ kind: 'unrecoverable' });
    expect(nextAttempt(first, job, new BadInput('no'), now)).toEqual({ kind: 'unrecoverable' });
    expect(nextAttempt(first, job, toError(new UnrecoverableJobError('no')), now)).toEqual({ kind: 'unrecoverable' });
    // On the last attempt too: the run ends either way, and the reason is the error.
    expect(nextAttempt({ attemptNumber: 3, maxRetries: null }, job, new UnrecoverableJobError('no'), now)).toEqual({ kind: 'unrecoverable' });
  });

  it('applies the jitter through the injected random', () => {
    const run = { attemptNumber: 1, maxRetries: null };
    expect(nextAttempt(run, job, new Error('x'), now, () => 0)).toEqual({ kind: 'retry', at: at(800) });
    expect(nextAttempt(run, job, new Error('x'), now, () => 1)).toEqual({ kind: 'retry', at: at(1_200) });
  });

  it('takes now as a Date or as epoch milliseconds', () => {
    const run = { attemptNumber: 1, maxRetries: null };
    expect(nextAttempt(run, job, new Error('x'), now.getTime(), middle)).toEqual({ kind: 'retry', at: at(1_000) });
  });

  it('caps the delay at the policy maxDelay', () => {
    const capped = { maxRetries: 100, retryPolicy: { ...policy, maxDelay: 5_000, jitter: 0 } };
    expect(nextAttempt({ attemptNumber: 40, maxRetries: null }, capped, new Error('x'), now)).toEqual({ kind: 'retry', at: at(5_000) });
  });

  it('decides for any thrown value, hostile ones included, without throwing', () => {
    const run = { attemptNumber: 1, maxRetries: null };
    const proxy = new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); }, get: () => { throw new Error('trap'); } });
    for (const value of [undefined, null, 'text', Symbol('s'), proxy, Object.create(null)]) {
      expect(nextAttempt(run, job, value, now, middle)).toEqual({ kind: 'retry', at: at(1_000) });
    }
  });
});
