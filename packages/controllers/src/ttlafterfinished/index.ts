/**
 * The TTL-after-finished controller — upstream's `pkg/controller/ttlafterfinished`: deletes a
 * Job (foreground, so its pods go first) `ttlSecondsAfterFinished` after its `Complete` or
 * `Failed` condition, on the injected clock; a Job whose TTL changes is judged again on a live
 * read before it is deleted.
 *
 * @module
 */

// Registration
export { ttlAfterFinishedPlugin, TTL_AFTER_FINISHED_PLUGIN_NAME } from './plugin.js';

// The controller
export { DEFAULT_TTL_AFTER_FINISHED_CONCURRENCY, TtlAfterFinishedReconciler, ttlAfterFinishedController } from './controller.js';
export type { TtlAfterFinishedControllerOptions } from './controller.js';

// Decisions
export { jobFinishTimeMs, ttlDecision } from './decide.js';
export type { TtlDecision } from './decide.js';

// Invariants
export { TTL_AFTER_FINISHED_INVARIANTS, expiredJobsDeleted, expiredJobsDeletedInvariant } from './invariants.js';
