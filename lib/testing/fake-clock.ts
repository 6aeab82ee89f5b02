import { messages } from '../errors/messages.js';
import { Clock } from '../util/clock.js';
import { parseDuration, type Duration } from '../util/duration.js';
import type { LongTimeout } from '../util/timers.js';
import { TestingClosedError } from './testing.errors.js';

interface FakeTimer {
  at: number;
  fn: () => void;
  cleared: boolean;
}

/**
 * The clock of the testing module: it stands still until a test moves it. Everything the engine
 * times reads it (delays, backoff, cron and interval ticks, retention) or is armed on it (attempt
 * timeouts, which fire as advance() or set() passes them).
 */
export class FakeClock extends Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  /** Set when the application closes: moving the clock of a closed app is a test's mistake. */
  private closed = false;

  constructor(start: Date = new Date()) {
    super();
    this.current = start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `duration` ('1h', '30s', or ms); returns the new time. */
  advance(duration: Duration): Date {
    this.check('advance');
    this.moveTo(this.current + parseDuration(duration, 'clock.advance(duration)'));
    return this.date();
  }

  /** Sets the clock to `date` (back in time too); returns it. */
  set(date: Date): Date {
    this.check('set');
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError(messages.clockSetNotDate(date));
    this.moveTo(date.getTime());
    return this.date();
  }

  override setTimeout(fn: () => void, ms: number): LongTimeout {
    if (ms === Infinity) return { clear: () => undefined };
    const timer: FakeTimer = { at: this.current + (Number.isNaN(ms) ? 0 : Math.max(0, ms)), fn, cleared: false };
    this.timers.push(timer);
    return { clear: () => (timer.cleared = true) };
  }

  /** @internal The application closed. */
  close(): void {
    this.closed = true;
  }

  /** Timers passed fire in the order of their times, each seeing the clock already at the target. */
  private moveTo(target: number): void {
    this.current = target;
    const due = this.timers.filter((t) => !t.cleared && t.at <= target).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => !t.cleared && t.at > target);
    for (const timer of due) {
      if (timer.cleared) continue;
      timer.cleared = true;
      timer.fn();
    }
  }

  private check(method: string): void {
    if (this.closed) throw new TestingClosedError(`clock.${method}()`);
  }
}
