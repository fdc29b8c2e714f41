/**
 * The workqueue, with client-go `util/workqueue` semantics, in three layers: the basic queue
 * (dedupe, exclusivity, shutdown with drain), the delaying queue (`addAfter`, earlier deadline
 * wins) and the rate-limiting queue (`addRateLimited` with pluggable rate limiters), plus
 * metrics hooks.
 *
 * @module
 */
export type { GetResult, QueueOptions, Workqueue, WorkqueueItem } from './queue.js';
export type { DelayingWorkqueue } from './delaying.js';
export type { RateLimitingQueueOptions, RateLimitingWorkqueue } from './rate-limiting.js';
export { createDelayingQueue, createQueue, createRateLimitingQueue } from './create.js';
export type { RateLimiter } from './rate-limiters.js';
export {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiters.js';
export type {
  WorkqueueCounter,
  WorkqueueGauge,
  WorkqueueHistogram,
  WorkqueueMetricsProvider,
  WorkqueueSettableGauge,
} from './metrics.js';
export { noopWorkqueueMetricsProvider } from './metrics.js';
