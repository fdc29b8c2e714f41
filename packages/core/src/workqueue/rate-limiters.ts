/**
 * Rate limiters for the rate-limiting queue (client-go `default_rate_limiters.go`): how long an
 * item should wait before it is retried.
 *
 * @module
 */
import type { Clock } from '../clock/clock.js';
import type { WorkqueueItem } from './queue.js';

/**
 * Decides how long an item waits before being retried (client-go `TypedRateLimiter`).
 *
 * Guarantees (of the implementations here): `when` returns a finite delay in milliseconds,
 * ≥ 0; calling it records one more failure for the item.
 *
 * Caveats: limiters keep per-item state until {@link RateLimiter.forget} — a controller must
 * forget an item once it has been processed successfully, or its backoff keeps growing and the
 * state is never freed.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export interface RateLimiter<T extends WorkqueueItem> {
  /** Records a failure of `item` and returns how many milliseconds it should wait. */
  when(item: T): number;
  /** Stops tracking `item`: the next failure starts from the first delay again. */
  forget(item: T): void;
  /** How many failures of `item` have been recorded since it was last forgotten. */
  numRequeues(item: T): number;
}

/**
 * Per-item exponential backoff: `baseMs · 2^failures`, capped at `maxMs`
 * (client-go `NewTypedItemExponentialFailureRateLimiter`).
 *
 * Worked example with `baseMs = 5`, `maxMs = 1_000_000` (the controller default): the delays of
 * consecutive failures are 5, 10, 20, 40, 80 … ms; the 19th failure would be 5 · 2^18 =
 * 1 310 720 ms, so from there on every delay is the 1 000 000 ms (1000 s) cap.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export class ItemExponentialFailureRateLimiter<T extends WorkqueueItem> implements RateLimiter<T> {
  /** Failures per item since it was last forgotten; absent means 0. */
  private readonly failures = new Map<T, number>();

  /** Delays start at `baseMs` and never exceed `maxMs`. */
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const backoff = this.baseMs * 2 ** exp;
    return backoff > this.maxMs ? this.maxMs : backoff;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * An overall token bucket shared by all items (client-go `BucketRateLimiter` over
 * `golang.org/x/time/rate`): the bucket holds up to `burst` tokens, refills at `qps` tokens per
 * second of clock time, and every `when` takes one token, going into debt when the bucket is
 * empty; the delay is the time until that debt is repaid.
 *
 * Worked example with `qps = 10`, `burst = 100`, all calls at the same instant: calls 1–100 get
 * 0 ms, call 101 gets 100 ms, call 102 gets 200 ms, call 110 gets 1000 ms. One second later the
 * bucket has refilled 10 tokens, exactly repaying the debt of calls 101–110, so the next call
 * gets 100 ms again.
 *
 * Caveats: per-item methods are no-ops (`numRequeues` is always 0). If the clock jumps back,
 * no tokens are refilled until it passes the last reservation again.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export class BucketRateLimiter<T extends WorkqueueItem> implements RateLimiter<T> {
  /** Available tokens; negative when reservations are in debt. Never above `burst`. */
  private tokens: number;
  /** Clock time at which `tokens` was last brought up to date. */
  private last: number;

  /** A full bucket of `burst` tokens refilling at `qps` per second, on `clock`. */
  constructor(
    private readonly clock: Clock,
    private readonly qps: number,
    private readonly burst: number,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`bucket rate limiter needs qps > 0 and burst ≥ 1, got qps ${qps}, burst ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
      this.last = now;
    }
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/**
 * The strictest of several limiters: `when` asks every limiter (so each records the failure)
 * and returns the longest delay; `numRequeues` is the largest count; `forget` forgets in all
 * (client-go `MaxOfRateLimiter`).
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export class MaxOfRateLimiter<T extends WorkqueueItem> implements RateLimiter<T> {
  private readonly limiters: ReadonlyArray<RateLimiter<T>>;

  /** Combines `limiters` (at least one). */
  constructor(...limiters: Array<RateLimiter<T>>) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    for (const l of this.limiters) {
      const d = l.when(item);
      if (d > max) max = d;
    }
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) {
      const n = l.numRequeues(item);
      if (n > max) max = n;
    }
    return max;
  }
}

/**
 * The limiter controllers use by default (client-go `DefaultTypedControllerRateLimiter`): the
 * maximum of per-item exponential backoff from 5 ms to 1000 s and an overall bucket of 10 qps
 * with a burst of 100. One item failing repeatedly backs off on its own; many items failing at
 * once are held to 10 retries per second after the first 100.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export function defaultControllerRateLimiter<T extends WorkqueueItem>(clock: Clock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ItemExponentialFailureRateLimiter<T>(5, 1_000_000), new BucketRateLimiter<T>(clock, 10, 100));
}
