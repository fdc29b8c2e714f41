/**
 * Client-side rate limiting, as client-go's `flowcontrol.NewTokenBucketRateLimiter`: a bucket
 * of `burst` tokens refilled at `qps` per second; each request takes one, waiting for it when
 * the bucket is empty. Time comes from the injected clock.
 *
 * @module
 */
import type { Clock } from '../../clock/clock.js';

/** client-go's default QPS of a `rest.Config` (`DefaultQPS`). */
export const DEFAULT_QPS = 5;
/** client-go's default burst of a `rest.Config` (`DefaultBurst`). */
export const DEFAULT_BURST = 10;

/**
 * A token bucket. Requests are served in the order they asked (each reserves the next token),
 * as Go's `rate.Limiter.Wait` does.
 *
 * Guarantees: over any interval of length `t` ms, at most `burst + qps · t / 1000` requests pass;
 * an idle bucket refills to `burst`, never more. With `qps` ≤ 0 or infinite nothing waits
 * (client-go's "rate limiting disabled").
 *
 * Worked example, `qps` 5 and `burst` 10: ten requests at t = 0 pass at once; the eleventh
 * waits 200 ms, the twelfth 400 ms; after 2 s of quiet the bucket is full again.
 */
export class TokenBucket {
  readonly #clock: Clock;
  readonly #qps: number;
  readonly #burst: number;
  /** Tokens available at `#last`; negative when requests are waiting for tokens not yet made. */
  #tokens: number;
  #last: number;

  constructor(clock: Clock, qps: number = DEFAULT_QPS, burst: number = DEFAULT_BURST) {
    if (!(burst >= 1) && qps > 0 && Number.isFinite(qps)) throw new RangeError(`burst must be at least 1 when qps is set, got ${burst}`);
    this.#clock = clock;
    this.#qps = qps;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Whether the bucket limits at all. */
  get limited(): boolean {
    return this.#qps > 0 && Number.isFinite(this.#qps);
  }

  /**
   * Takes a token and returns how long (ms) its holder must wait before using it: 0 when one
   * was available. Pure bookkeeping on the clock's `now()`; callers sleep themselves.
   */
  reserve(): number {
    if (!this.limited) return 0;
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  /**
   * Waits for a token. Errors: rejects with the signal's reason when `signal` aborts first (the
   * token stays spent, as Go's limiter keeps a cancelled reservation's place only approximately).
   */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.#clock.sleep(wait, signal);
  }
}
