/**
 * The time contract. Everything in kubeloop that needs "now" or a delay takes a {@link Clock}:
 * production code gets the real clock, simulations and tests a virtual one that jumps from
 * timer to timer (DESIGN.md, "Time and determinism").
 *
 * @module
 */

/** A scheduled callback; `cancel` is idempotent and a no-op once it has fired. */
export interface Timer {
  /** Cancels the timer if it has not fired yet. */
  cancel(): void;
}

/**
 * A source of time and timers.
 *
 * Guarantees: `now()` never goes backwards (except through an explicit clock jump on a virtual
 * clock, which is a fault the testing toolkit injects); timers fire in deadline order, and
 * timers with the same deadline fire in the order they were set.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` (≥ 0) from now. */
  setTimer(delayMs: number, callback: () => void): Timer;
  /**
   * Resolves after `delayMs`. If `signal` aborts first, rejects with the signal's reason and
   * cancels the timer.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** An RFC 3339 timestamp with second precision (`metav1.Time`), e.g. `2026-01-02T03:04:05Z`. */
export function formatTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastFormatted = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastFormatted;
}
// Writes stamp many objects within one second: remember the last formatted second.
let lastSecond = Number.NaN;
let lastFormatted = '';

/** An RFC 3339 timestamp with microsecond precision (`metav1.MicroTime`), e.g. for Lease renew times. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Parses an RFC 3339 timestamp into milliseconds since the epoch (NaN if it is not one). */
export function parseTime(text: string): number {
  return Date.parse(text);
}
