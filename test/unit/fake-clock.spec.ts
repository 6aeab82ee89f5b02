import { FakeClock } from '../../lib/testing/index.js';

describe('FakeClock', () => {
  const start = new Date('2026-01-01T00:00:00Z');

  it('stands still until moved, forward by a duration or to any date', () => {
    const clock = new FakeClock(start);
    expect(clock.now()).toBe(start.getTime());
    expect(clock.advance('1h30m').toISOString()).toBe('2026-01-01T01:30:00.000Z');
    expect(clock.advance(250).getTime()).toBe(start.getTime() + 5_400_250);
    expect(clock.set(new Date('2025-12-31T00:00:00Z')).toISOString()).toBe('2025-12-31T00:00:00.000Z');
    expect(clock.date()).toEqual(new Date('2025-12-31T00:00:00Z'));
  });

  it('fires its timers as it passes them, in the order of their times, each once; a cleared one never', () => {
    const clock = new FakeClock(start);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b at ${clock.now() - start.getTime()}`), 2000);
    clock.setTimeout(() => fired.push('a'), 1000);
    const cleared = clock.setTimeout(() => fired.push('cleared'), 500);
    clock.setTimeout(() => fired.push('never'), Infinity);
    cleared.clear();
    clock.advance(999);
    expect(fired).toEqual([]);
    // One move past both: they fire in time order, seeing the clock at the target.
    clock.advance('2s');
    expect(fired).toEqual(['a', 'b at 2999']);
    clock.advance('100d');
    expect(fired).toEqual(['a', 'b at 2999']);
  });

  it('fires a timer armed with a zero or negative delay at the next move', () => {
    const clock = new FakeClock(start);
    let fired = 0;
    clock.setTimeout(() => fired++, -5);
    clock.setTimeout(() => fired++, Number.NaN);
    expect(fired).toBe(0);
    clock.advance(0);
    expect(fired).toBe(2);
  });
});
