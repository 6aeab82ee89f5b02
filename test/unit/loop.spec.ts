import { jest } from '@jest/globals';
import { Loop } from '../../lib/util/loop.js';

const DAY = 86_400_000;

describe('Loop with an interval over 2^31 ms', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("ticks every '25d', not every millisecond", async () => {
    const tick = jest.fn(async () => undefined);
    const loop = new Loop('long chore', () => 25 * DAY, tick);
    loop.start();
    await jest.advanceTimersByTimeAsync(25 * DAY - 1);
    expect(tick).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(25 * DAY);
    expect(tick).toHaveBeenCalledTimes(2);
    await loop.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});
