import { setLongTimeout, type LongTimeout } from './timers.js';

/**
 * Where the engine reads "now": storages, the scheduler and the workers take it from here, so a
 * test (or the testing module) can move time instead of sleeping. Times are epoch milliseconds.
 */
export abstract class Clock {
  abstract now(): number;

  date(): Date {
    return new Date(this.now());
  }

  /**
   * Calls `fn` once `ms` have passed on this clock: an attempt's timeout is armed here, so that a
   * test's fake clock times it out when moved past it.
   */
  setTimeout(fn: () => void, ms: number): LongTimeout {
    return setLongTimeout(fn, ms);
  }
}

/** The process's own clock. */
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}
