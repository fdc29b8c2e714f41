/**
 * The Job controller — upstream's `pkg/controller/job`.
 *
 * A Job runs pods to completion: NonIndexed (any `completions` successes) or Indexed (one
 * success per index `0..completions-1`, the index in the pod's
 * `batch.kubernetes.io/job-completion-index` annotation and label, its `JOB_COMPLETION_INDEX`
 * environment variable and its name `<job>-<index>-<suffix>`), at most `parallelism` at a time.
 * Failed pods are replaced after an exponential back-off (10 s doubling, capped at 10 minutes)
 * until `backoffLimit` (or, per index, `backoffLimitPerIndex` and `maxFailedIndexes`) is
 * exceeded; a pod failure policy can fail the Job or an index, ignore a failure or count it; a
 * success policy can complete an Indexed Job early; `activeDeadlineSeconds` bounds its run time;
 * `suspend` deletes its pods until resumed. Pods are counted through the
 * `batch.kubernetes.io/job-tracking` finalizer and `status.uncountedTerminatedPods`, so each is
 * counted exactly once whatever the controller misses. Conditions: `Suspended`, the interim
 * `FailureTarget` / `SuccessCriteriaMet`, then `Failed` / `Complete` once every pod is
 * terminated and counted.
 *
 * Deviations from upstream: see {@link JobReconciler} and the `controller` module.
 *
 * @module
 */

// Registration
export { jobPlugin, JOB_PLUGIN_NAME } from './plugin.js';

// The controller
export { DEFAULT_JOB_CONCURRENCY, JOB_CONTROLLER_COMPONENT, JOB_CONTROLLER_MANAGED_BY, JobFinalizerExpectations, JobReconciler, jobController, jobPodEventHandler } from './controller.js';
export type { JobControllerOptions } from './controller.js';

// Decisions
export {
  DEFAULT_JOB_POD_FAILURE_BACKOFF_MS,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_TRACKING_FINALIZER,
  MAX_JOB_POD_FAILURE_BACKOFF_MS,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  MAX_UNCOUNTED_PODS,
  NO_BACKOFF,
  activeDeadline,
  activePodsForRemoval,
  completionIndex,
  failedIndexes,
  firstPendingIndexes,
  isIndexFailed,
  isPodFailed,
  matchPodFailurePolicy,
  matchSuccessPolicy,
  newIndexFailureCounts,
  nextBackoffRecord,
  onlyReplaceFailedPods,
  pastBackoffLimitOnFailure,
  podFailureBackoffMs,
  podFinishedTime,
  podGenerateNameWithIndex,
  remainingBackoffMs,
  remainingBackoffPerIndexMs,
  succeededIndexes,
  wantActive,
} from './decide.js';
export type { BackoffRecord, PodFailurePolicyMatch } from './decide.js';
export { countIndexes, formatIndexes, hasIndex, mergeIndexes, parseIndexes, withIndexes } from './indexes.js';
export type { IndexInterval, OrderedIntervals } from './indexes.js';
export { JobConditionTypes, JobMessages, JobReasons, ensureJobCondition, isJobFinished, jobFinishTime, newJobCondition } from './status.js';

// Invariants
export {
  JOB_INVARIANTS,
  finishedJobHasNoActivePods,
  finishedJobHasNoActivePodsInvariant,
  indexesSucceedOnce,
  indexesSucceedOnceInvariant,
  jobNotOvercreatedInvariant,
  succeededWithinCompletions,
  succeededWithinCompletionsInvariant,
  trackingFinalizersReleased,
  trackingFinalizersReleasedInvariant,
} from './invariants.js';
export type { JobState } from './invariants.js';
