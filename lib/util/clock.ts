/**
 * Where the engine reads "now": storages, the scheduler and the workers take it from here, so a
 * test (or the testing module) can move time instead of sleeping. Times are epoch milliseconds.
 */
export abstract class Clock {
  abstract now(): number;

  date(): Date {
    return new Date(this.now());
  }
}

/** The process's own clock. */
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}
