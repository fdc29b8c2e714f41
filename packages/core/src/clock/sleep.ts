/**
 * `Clock.sleep` in terms of `Clock.setTimer`, shared by the clock implementations. Internal: not
 * part of the public API.
 *
 * @module
 */
import type { Clock } from './clock.js';

/**
 * `Clock.sleep` built on `clock.setTimer`, shared by the real and virtual clocks.
 */
export function sleepOn(clock: Pick<Clock, 'setTimer'>, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) {
    return new Promise<void>((resolve) => {
      clock.setTimer(delayMs, resolve);
    });
  }
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(signal.reason as unknown);
    };
    const timer = clock.setTimer(delayMs, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
