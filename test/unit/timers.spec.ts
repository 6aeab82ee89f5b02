import { jest } from '@jest/globals';
import { MAX_TIMER_DELAY_MS, setLongTimeout } from '../../lib/util/timers.js';

const DAY = 86_400_000;

describe('setLongTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits the whole of a delay over 2^31 ms (where setTimeout would fire after 1 ms)', () => {
    const fn = jest.fn();
    setLongTimeout(fn, 25 * DAY);
    jest.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(25 * DAY - MAX_TIMER_DELAY_MS - 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(100 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('waits several chunks when the delay is many times the limit', () => {
    const fn = jest.fn();
    const ms = 3 * MAX_TIMER_DELAY_MS + 5;
    setLongTimeout(fn, ms);
    jest.advanceTimersByTime(ms - 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires a short delay like setTimeout', () => {
    const fn = jest.fn();
    setLongTimeout(fn, 50);
    jest.advanceTimersByTime(49);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('never fires once cleared, in the first chunk or a later one', () => {
    const early = jest.fn();
    setLongTimeout(early, 25 * DAY).clear();
    const late = jest.fn();
    const handle = setLongTimeout(late, 60 * DAY);
    jest.advanceTimersByTime(MAX_TIMER_DELAY_MS + 10);
    handle.clear();
    handle.clear();
    jest.advanceTimersByTime(100 * DAY);
    expect(early).not.toHaveBeenCalled();
    expect(late).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fires a zero, negative or NaN delay on the next turn, and never an infinite one', () => {
    const fns = [jest.fn(), jest.fn(), jest.fn(), jest.fn()];
    setLongTimeout(fns[0], 0);
    setLongTimeout(fns[1], -5);
    setLongTimeout(fns[2], NaN);
    setLongTimeout(fns[3], Infinity);
    expect(jest.getTimerCount()).toBe(3);
    jest.advanceTimersByTime(0);
    expect(fns.map((fn) => fn.mock.calls.length)).toEqual([1, 1, 1, 0]);
  });
});
