/**
 * Node keeps a timer's delay in a signed 32-bit int: any delay of 2^31 ms (24.8 days) or more
 * becomes 1 ms, with only a warning. A job timeout of '25d' would then fire at once. So every
 * duration that reaches a timer goes through setLongTimeout, which waits in chunks below the limit.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A pending setLongTimeout; clear() is idempotent and safe after it fired. */
export interface LongTimeout {
  clear(): void;
}

/**
 * Calls `fn` once after `ms` milliseconds, for any `ms`: a negative or NaN delay fires on the next
 * turn like setTimeout(fn, 0); Infinity never fires and holds no timer.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  if (ms === Infinity) return NEVER;
  // Every attempt arms one (its timeout): below the limit, one timer and one small object, no closures.
  let remaining = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  if (remaining <= MAX_TIMER_DELAY_MS) return new OneTimer(setTimeout(fn, remaining));
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const arm = () => {
    const chunk = Math.min(remaining, MAX_TIMER_DELAY_MS);
    timer = setTimeout(() => {
      remaining -= chunk;
      if (cleared) return;
      if (remaining > 0) arm();
      else fn();
    }, chunk);
  };
  arm();
  return {
    clear() {
      cleared = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

const NEVER: LongTimeout = { clear: () => undefined };

class OneTimer implements LongTimeout {
  constructor(private readonly timer: NodeJS.Timeout) {}

  clear(): void {
    clearTimeout(this.timer);
  }
}
