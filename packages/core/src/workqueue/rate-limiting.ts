/**
 * The rate-limiting queue (client-go `rate_limiting_queue.go`): a {@link DelayingWorkqueue}
 * whose retries wait as long as a {@link RateLimiter} says. This is the queue controllers use.
 *
 * @module
 */
import type { DelayingWorkqueue } from './delaying.js';
import { DelayingQueue } from './delaying.js';
import type { QueueOptions, WorkqueueItem } from './queue.js';
import type { RateLimiter } from './rate-limiters.js';
import { defaultControllerRateLimiter } from './rate-limiters.js';

/**
 * A {@link DelayingWorkqueue} with rate-limited retries (client-go
 * `TypedRateLimitingInterface`).
 *
 * Guarantees: `addRateLimited(item)` is `addAfter(item, rateLimiter.when(item))`, so it inherits
 * dedupe and earlier-deadline-wins; `forget` and `numRequeues` delegate to the limiter.
 *
 * Caveats: call `forget(item)` after a successful reconcile, or the item's backoff keeps growing.
 * `addRateLimited` after shutdown still records a failure in the limiter but adds nothing.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export interface RateLimitingWorkqueue<T extends WorkqueueItem> extends DelayingWorkqueue<T> {
  /** Adds `item` after the delay the rate limiter decides. */
  addRateLimited(item: T): void;
  /** Resets the item's failure count in the rate limiter (it is not removed from the queue). */
  forget(item: T): void;
  /** How many times the item has been rate-limited since it was last forgotten. */
  numRequeues(item: T): number;
}

/** How to build a rate-limiting queue. */
export interface RateLimitingQueueOptions<T extends WorkqueueItem> extends QueueOptions {
  /** The retry policy; default {@link defaultControllerRateLimiter} on the queue's clock. */
  readonly rateLimiter?: RateLimiter<T>;
}

/** The rate-limiting queue. */
export class RateLimitingQueue<T extends WorkqueueItem> extends DelayingQueue<T> implements RateLimitingWorkqueue<T> {
  private readonly rateLimiter: RateLimiter<T>;

  /** Builds an empty queue; see {@link RateLimitingQueueOptions}. */
  constructor(options: RateLimitingQueueOptions<T>) {
    super(options);
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(options.clock);
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }
}
