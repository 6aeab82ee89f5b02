import type { ResolvedRetryPolicy } from '../../lib/options/resolved-options.js';
import { retryDelay } from '../../lib/worker/backoff.js';

const policy = (overrides: Partial<ResolvedRetryPolicy> = {}): ResolvedRetryPolicy => ({
  initialDelay: 1_000,
  multiplier: 2,
  maxDelay: 60_000,
  jitter: 0.2,
  ...overrides,
});

/** random() == 0.5 puts the jitter at zero: the delay is the exponential value itself. */
const middle = () => 0.5;
const lowest = () => 0;
const highest = () => 1;

describe('retryDelay', () => {
  it('starts at initialDelay after the first attempt and multiplies per attempt', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelay(policy(), attempt, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
  });

  it('applies the multiplier it is given', () => {
    expect([1, 2, 3].map((attempt) => retryDelay(policy({ multiplier: 3 }), attempt, middle))).toEqual([1_000, 3_000, 9_000]);
    expect([1, 2, 3].map((attempt) => retryDelay(policy({ multiplier: 1 }), attempt, middle))).toEqual([1_000, 1_000, 1_000]);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(retryDelay(policy(), 0, middle)).toBe(1_000);
    expect(retryDelay(policy(), -3, middle)).toBe(1_000);
  });

  it('caps the delay at maxDelay', () => {
    const capped = policy({ maxDelay: 10_000, jitter: 0 });
    expect([4, 5, 6, 50].map((attempt) => retryDelay(capped, attempt))).toEqual([8_000, 10_000, 10_000, 10_000]);
  });

  it('stays at maxDelay when the exponential overflows to Infinity', () => {
    expect(retryDelay(policy({ maxDelay: 10_000, jitter: 0 }), 5_000)).toBe(10_000);
  });

  it('caps an initialDelay larger than maxDelay', () => {
    expect(retryDelay(policy({ initialDelay: 20_000, maxDelay: 10_000 }), 1, middle)).toBe(10_000);
  });

  it('with random() at 0 gives the lower bound, delay * (1 - jitter)', () => {
    expect(retryDelay(policy(), 1, lowest)).toBe(800);
    expect(retryDelay(policy(), 3, lowest)).toBe(3_200);
    expect(retryDelay(policy({ jitter: 0.5 }), 2, lowest)).toBe(1_000);
  });

  it('with random() at 1 gives the upper bound, delay * (1 + jitter)', () => {
    expect(retryDelay(policy(), 1, highest)).toBe(1_200);
    expect(retryDelay(policy(), 3, highest)).toBe(4_800);
    expect(retryDelay(policy({ jitter: 0.5 }), 2, highest)).toBe(3_000);
  });

  it('never exceeds maxDelay, jitter included', () => {
    const capped = policy({ maxDelay: 10_000 });
    expect(retryDelay(capped, 10, highest)).toBe(10_000);
    expect(retryDelay(capped, 10, lowest)).toBe(8_000);
  });

  it('with jitter 0 ignores random()', () => {
    const exact = policy({ jitter: 0 });
    expect([lowest, middle, highest].map((random) => retryDelay(exact, 2, random))).toEqual([2_000, 2_000, 2_000]);
  });

  it('stays within the jitter bounds for any random() in [0, 1]', () => {
    const p = policy({ jitter: 0.3 });
    for (let attempt = 1; attempt <= 8; attempt++) {
      const exponential = Math.min(p.maxDelay, p.initialDelay * p.multiplier ** (attempt - 1));
      for (let step = 0; step <= 20; step++) {
        const delay = retryDelay(p, attempt, () => step / 20);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(exponential * (1 - p.jitter)));
        expect(delay).toBeLessThanOrEqual(Math.min(p.maxDelay, Math.ceil(exponential * (1 + p.jitter))));
      }
    }
  });

  it('spreads delays rather than repeating one, with the default Math.random', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelay(policy(), 3)));
    expect(delays.size).toBeGreaterThan(1);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(3_200);
      expect(delay).toBeLessThanOrEqual(4_800);
    }
  });

  it('is never negative, even with full jitter or a zero delay', () => {
    expect(retryDelay(policy({ jitter: 1 }), 1, lowest)).toBe(0);
    expect(retryDelay(policy({ initialDelay: 0 }), 3, lowest)).toBe(0);
    expect(retryDelay(policy({ initialDelay: 0 }), 3, highest)).toBe(0);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(retryDelay(policy({ initialDelay: 333 }), 1, () => 0.123))).toBe(true);
  });
});
