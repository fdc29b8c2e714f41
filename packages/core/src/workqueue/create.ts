/**
 * Factories for the three queue layers; the classes behind them stay internal.
 *
 * @module
 */
import type { DelayingWorkqueue } from './delaying.js';
import { DelayingQueue } from './delaying.js';
import type { QueueOptions, Workqueue, WorkqueueItem } from './queue.js';
import { Queue } from './queue.js';
import type { RateLimitingQueueOptions, RateLimitingWorkqueue } from './rate-limiting.js';
import { RateLimitingQueue } from './rate-limiting.js';

/**
 * A basic {@link Workqueue}: dedupe, exclusivity, shutdown with drain.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export function createQueue<T extends WorkqueueItem = string>(options: QueueOptions): Workqueue<T> {
  return new Queue<T>(options);
}

/**
 * A {@link DelayingWorkqueue}: a {@link Workqueue} plus `addAfter` where the earlier deadline wins.
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export function createDelayingQueue<T extends WorkqueueItem = string>(options: QueueOptions): DelayingWorkqueue<T> {
  return new DelayingQueue<T>(options);
}

/**
 * The queue controllers use: a {@link RateLimitingWorkqueue} with, by default, client-go's
 * controller rate limiter (exponential 5 ms → 1000 s per item, max'd with a 10 qps / 100 burst
 * bucket).
 *
 * @example
 * ```ts
 * const queue = createRateLimitingQueue<string>({ clock, name: 'replicaset' });
 * queue.add('default/web');
 * const next = await queue.get();
 * if (!next.shutdown) {
 *   try {
 *     await reconcile(next.item);
 *     queue.forget(next.item);
 *   } catch {
 *     queue.addRateLimited(next.item);
 *   } finally {
 *     queue.done(next.item);
 *   }
 * }
 * ```
 *
 * @typeParam T - the item type; see {@link WorkqueueItem}.
 */
export function createRateLimitingQueue<T extends WorkqueueItem = string>(
  options: RateLimitingQueueOptions<T>,
): RateLimitingWorkqueue<T> {
  return new RateLimitingQueue<T>(options);
}
