/**
 * The production clock: wall time from `Date.now()`, timers from Node's `setTimeout`.
 *
 * @module
 */
import type { Clock, Timer } from './clock.js';
import { sleepOn } from './sleep.js';

/**
 * The largest delay Node's `setTimeout` honours (2^31 − 1 ms, about 24.8 days); longer delays
 * would fire at once, so {@link RealClock} chains timers to reach them.
 */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * The wall clock, for production.
 *
 * Guarantees: `now()` never goes backwards, even when the system clock is stepped back (it then
 * stands still until the wall clock catches up); delays longer than Node's 24.8-day `setTimeout`
 * limit are honoured; a negative or NaN delay means 0.
 *
 * Caveats: timers keep the process alive (they are not `unref`ed), like `setTimeout`. Timers with
 * the same deadline fire in the order they were set because Node runs same-duration timers
 * first-in first-out; timers with different delays set at different instants follow Node's
 * millisecond granularity.
 */
export class RealClock implements Clock {
  /** The largest value `now()` has returned; `now()` never returns less. */
  private last = 0;

  /** Milliseconds since the Unix epoch, clamped so that it never decreases. */
  now(): number {
    const wall = Date.now();
    if (wall > this.last) this.last = wall;
    return this.last;
  }

  /** Calls `callback` once, `delayMs` from now (negative or NaN delays mean 0). */
  setTimer(delayMs: number, callback: () => void): Timer {
    let remaining = delayMs > 0 ? delayMs : 0;
    let handle: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      const step = remaining > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : remaining;
      remaining -= step;
      handle = setTimeout(() => {
        if (remaining > 0) {
          arm();
          return;
        }
        handle = undefined;
        callback();
      }, step);
    };
    arm();
    return {
      cancel: () => {
        if (handle !== undefined) clearTimeout(handle);
        handle = undefined;
      },
    };
  }

  /**
   * Resolves after `delayMs`.
   *
   * Errors: rejects with `signal.reason` if `signal` is already aborted or aborts first; the timer
   * is then cancelled.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }
}
