/**
 * Driving a virtual clock in real time: `kubeloop serve` runs a simulated cluster on a
 * {@link VirtualClock} whose time should follow the wall clock (optionally faster), so that
 * kubectl sees pods start and ages grow as they would in a real cluster. This module is the one
 * place that turns wall-clock ticks into virtual-clock advances; everything else still only sees
 * the injected clock.
 *
 * @module
 */

/** Options of {@link followWallClock}. */
export interface FollowWallClockOptions {
  /**
   * Virtual milliseconds per wall-clock millisecond (default 1): with `speed: 10`, one real
   * second advances the virtual clock by ten seconds. Must be positive and finite.
   */
  readonly speed?: number | undefined;
  /** Real milliseconds between two advances (default 50). Must be positive and finite. */
  readonly tickMs?: number | undefined;
  /**
   * Called when an advance rejects (a timer callback threw); the driver stops after it. Without
   * it the error is dropped and the driver stops.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** A running {@link followWallClock} driver. */
export interface WallClockDriver {
  /** Stops advancing; resolves once the advance in progress (if any) has finished. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Advances a virtual clock as wall time passes: every `tickMs` of real time it calls
 * `advance(elapsed × speed)` with the real time elapsed since the previous call (measured on the
 * monotonic `performance.now()`), awaiting each call before scheduling the next.
 *
 * Guarantees: `advance` is called with whole milliseconds (the fraction is carried to the next
 * tick), so the virtual clock stays on integer milliseconds as everything on it assumes (event
 * names are built from `BigInt(now)`); calls to `advance` never overlap (a `VirtualClock`'s `advance` must not); virtual
 * time lags real time by at most one tick plus the time an advance takes, and catches up on the
 * next tick (an advance that took long is followed by a larger one, not by a backlog of calls).
 *
 * Caveats: the driver keeps the process alive until stopped, like a `setTimeout`.
 *
 * @example
 * ```ts
 * const driver = followWallClock((ms) => cluster.advance(ms), { speed: 2 });
 * // ... serve requests ...
 * await driver.stop();
 * ```
 */
export function followWallClock(advance: (ms: number) => Promise<void>, options: FollowWallClockOptions = {}): WallClockDriver {
  const speed = options.speed ?? 1;
  const tickMs = options.tickMs ?? 50;
  if (!(speed > 0 && Number.isFinite(speed))) throw new RangeError(`speed must be a positive number, got ${speed}`);
  if (!(tickMs > 0 && Number.isFinite(tickMs))) throw new RangeError(`tickMs must be a positive number, got ${tickMs}`);
  let stopped = false;
  let handle: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let last = performance.now();
  let owed = 0;
  const tick = (): void => {
    handle = undefined;
    if (stopped) return;
    const now = performance.now();
    const elapsed = now - last;
    last = now;
    owed += elapsed * speed;
    const whole = Math.floor(owed);
    owed -= whole;
    inFlight = advance(whole).then(
      () => {
        if (!stopped) handle = setTimeout(tick, tickMs);
      },
      (error: unknown) => {
        stopped = true;
        options.onError?.(error);
      },
    );
  };
  handle = setTimeout(tick, tickMs);
  return {
    stop: async () => {
      stopped = true;
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
      await inFlight;
    },
  };
}
