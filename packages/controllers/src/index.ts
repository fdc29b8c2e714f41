/**
 * @kubeloop/controllers — the reference controllers, each in its own folder, registered
 * through core's plugin API like users' own: the kube-scheduler (`schedulerPlugin`), the node
 * lifecycle controller with taint-based eviction (`nodeLifecyclePlugin`), and the workload
 * controllers of kube-controller-manager — ReplicaSet and ReplicationController
 * (`replicaSetPlugin`, `replicationControllerPlugin`), Deployment (`deploymentPlugin`),
 * DaemonSet (`daemonSetPlugin`), the garbage collector (`garbageCollectorPlugin`), the pod
 * garbage collector (`podGcPlugin`), the Endpoints/EndpointSlice controllers
 * (`endpointsPlugin`) and the resource quota controller (`resourceQuotaPlugin`, with the API
 * server's `resourceQuotaAdmission` hook) — plus the building blocks they share (expectations, claiming, pod
 * control, the deletion ranking). Each folder also exports its invariants for property tests.
 *
 * @packageDocumentation
 */

// Building blocks shared by the workload controllers
export * from './shared/index.js';

// The kube-scheduler
export * from './scheduler/index.js';

// Node lifecycle and taint-based eviction
export * from './nodelifecycle/index.js';

// ReplicaSet and ReplicationController
export * from './replicaset/index.js';

// Service endpoints
export * from './endpoints/index.js';

// The pod garbage collector
export * from './podgc/index.js';

// The garbage collector
export * from './garbagecollector/index.js';

// Deployment
export * from './deployment/index.js';

// DaemonSet
export * from './daemonset/index.js';

// ResourceQuota: admission and the quota controller
export * from './resourcequota/index.js';

// Job and TTL-after-finished
export {
  jobPlugin,
  JOB_PLUGIN_NAME,
  jobController,
  JobReconciler,
  JobFinalizerExpectations,
  jobPodEventHandler,
  DEFAULT_JOB_CONCURRENCY,
  JOB_CONTROLLER_COMPONENT,
  JOB_CONTROLLER_MANAGED_BY,
  DEFAULT_JOB_POD_FAILURE_BACKOFF_MS,
  MAX_JOB_POD_FAILURE_BACKOFF_MS,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  MAX_UNCOUNTED_PODS,
  JOB_TRACKING_FINALIZER,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
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
  countIndexes,
  formatIndexes,
  hasIndex,
  mergeIndexes,
  parseIndexes,
  withIndexes,
  JobConditionTypes,
  JobMessages,
  JobReasons,
  ensureJobCondition,
  isJobFinished,
  jobFinishTime,
  newJobCondition,
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
} from './job/index.js';
export type { BackoffRecord, IndexInterval, JobControllerOptions, JobState, OrderedIntervals, PodFailurePolicyMatch } from './job/index.js';
export {
  ttlAfterFinishedPlugin,
  TTL_AFTER_FINISHED_PLUGIN_NAME,
  ttlAfterFinishedController,
  TtlAfterFinishedReconciler,
  DEFAULT_TTL_AFTER_FINISHED_CONCURRENCY,
  jobFinishTimeMs,
  ttlDecision,
  TTL_AFTER_FINISHED_INVARIANTS,
  expiredJobsDeleted,
  expiredJobsDeletedInvariant,
} from './ttlafterfinished/index.js';
export type { TtlAfterFinishedControllerOptions, TtlDecision } from './ttlafterfinished/index.js';
