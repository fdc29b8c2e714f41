/**
 * The ReplicaSet and ReplicationController controllers — upstream's
 * `pkg/controller/replicaset` and `pkg/controller/replication` (the latter is the former run
 * on ReplicationControllers through a conversion; here through the {@link ReplicatedKind}
 * adapter).
 *
 * Each keeps the active pods it controls equal to `spec.replicas`: creates pods from the
 * template with a controller reference (in slow-start batches, at most 500 per sync), deletes
 * the surplus in the shared deletion order, adopts matching orphans and releases pods that no
 * longer match, waits for its own creates and deletes to be observed (expectations), and
 * publishes `replicas`, `fullyLabeledReplicas`, `readyReplicas`, `availableReplicas`,
 * `observedGeneration` and the `ReplicaFailure` condition.
 *
 * Deviations from upstream:
 * - a ReplicaSet without a controller owner ranks the pods it deletes against its own active
 *   pods (upstream against none), so pods doubled up on a node go first — see {@link relatedPods};
 * - the controller requeues exactly when the next ready pod becomes
 *   available (upstream: `minReadySeconds` after a sync where all pods were ready);
 * - `status.terminatingReplicas` (behind upstream's `DeploymentReplicaSetTerminatingReplicas`
 *   feature gate) is not published.
 *
 * @module
 */

// Registration
export { replicaSetPlugin, replicationControllerPlugin, REPLICASET_PLUGIN_NAME, REPLICATIONCONTROLLER_PLUGIN_NAME } from './plugin.js';

// The controller
export type { ReplicaSetControllerOptions } from './controller.js';

// Status: the condition type and its reasons
export { FAILED_CREATE, FAILED_DELETE, REPLICA_FAILURE } from './status.js';

// Invariants
export { ownershipFollowsSelectors, replicaCountsMatch, replicaInvariants, singleController, statusMatchesPods } from './invariants.js';
export { availableNotBeforeMinReadySecondsInvariant, noCreationsWhileDeletingInvariant, ownershipFollowsSelectorsInvariant, podsNotOvercreatedInvariant, replicaCountsMatchInvariant, replicaFailureConditionInvariant, replicaStatusMatchesPodsInvariant, singleControllerInvariant } from './invariants.js';
export type { AvailableNotEarlyOptions, NoCreationsWhileDeletingOptions, PodsNotOvercreatedOptions, ReplicaFailureConditionOptions, ReplicaState, ReplicaViolation } from './invariants.js';
export { podsNotOverdeletedInvariant, scaleDownDeletesLowestRankedInvariant } from './deletion-order.js';
export type { PodsNotOverdeletedOptions, ScaleDownOrderOptions } from './deletion-order.js';
