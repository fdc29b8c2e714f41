/**
 * The Deployment controller — upstream's `pkg/controller/deployment`.
 *
 * A Deployment owns one ReplicaSet per pod template, named `<deployment>-<pod-template-hash>`
 * with the hash on its selector, labels and pods. A template change rolls out a new ReplicaSet:
 * `RollingUpdate` keeps at most `replicas + maxSurge` pods and at least
 * `replicas − maxUnavailable` available ones; `Recreate` scales the old ReplicaSets to 0 and
 * waits for their pods to be gone first. Scaling during a rollout is shared out in proportion;
 * a paused Deployment only scales; a rollback (`kubectl rollout undo` setting the template back)
 * reuses the old ReplicaSet under a new revision; old ReplicaSets beyond
 * `revisionHistoryLimit` are deleted; `Available` and `Progressing` (with the progress
 * deadline) are published as upstream.
 *
 * Worked example, 10 replicas with the default 25%/25%:
 *
 * ```
 * maxSurge 3 (rounded up), maxUnavailable 2 (rounded down)
 * step 1  new 0 → 3                      (13 pods at most)
 * step 2  old 10 → 8                     (13 − 8 − 3 unavailable new = 2 may go)
 * ...     as new pods become available, old ones go, never below 8 available
 * ```
 *
 * Deviations from upstream: the deprecated `deprecated.deployment.rollback.to` annotation
 * (extensions/v1beta1 `rollbackTo`) is not handled, and the Deployment's revision annotation is
 * written with a metadata patch rather than riding on the status update.
 *
 * @module
 */

// Registration
export { deploymentPlugin, DEPLOYMENT_PLUGIN_NAME } from './plugin.js';

// The controller
export { DEPLOYMENT_CONTROLLER_COMPONENT, DEPLOYMENT_CONTROLLER_NAME } from './controller.js';
export type { DeploymentControllerOptions } from './controller.js';

// Labels, annotations, taints and defaults
export {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  RESTARTED_AT_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from './decide.js';

// Status: condition reasons
export { DeploymentReasons } from './status.js';

// Invariants
export {
  conditionTransitions,
  conditionsAfterSettle,
  podTemplateHashConsistent,
  proportionalScaling,
  replicaSetAnnotationsAfterSettle,
  revisionChanges,
  revisionHistoryKept,
  rolloutBounds,
  singleActiveReplicaSetAfterSettle,
  statusMatches,
} from './invariants.js';
export {
  deploymentConditionTransitionsInvariant,
  deploymentConditionsAfterSettleInvariant,
  deploymentStatusMatchesInvariant,
  historyCleanupOldestFirstInvariant,
  noNewReplicaSetWhilePausedInvariant,
  podTemplateHashInvariant,
  replicaSetAnnotationsAfterSettleInvariant,
  revisionChangesInvariant,
  revisionHistoryKeptInvariant,
  rolloutBoundsInvariant,
  singleActiveReplicaSetInvariant,
} from './invariants.js';
export type { DeploymentState, DeploymentViolation, RolloutBoundsOptions } from './invariants.js';
