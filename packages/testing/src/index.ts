/**
 * @kubeloop/testing — testing kubeloop controllers against a whole simulated cluster.
 *
 * So far: {@link SimCluster}, an in-memory cluster (API server, kube-scheduler, fake nodes and
 * your plugins) on a virtual clock, with `apply`, `advance`, `settle`, node faults and an
 * ordered, deterministic trace of every change.
 *
 * @packageDocumentation
 */

// The simulated cluster
export { DEFAULT_CONTROLLER_PLUGINS, DEFAULT_QUIET_MS, DEFAULT_SETTLE_MAX_MS, DEFAULT_STORAGE_CLASS, SETTLE_PROGRESS_STEP_MS, SimCluster } from './sim/cluster.js';
export { DEFAULT_MAX_OBJECT_WRITES_PER_INSTANT, DEFAULT_MAX_WRITES_PER_INSTANT, YIELD_EVERY_WRITES_PER_INSTANT } from './sim/livelock.js';
export type { ApplyInput, ControllerManagerOptions, NodeGroupSpec, NodeSpec, SettleOptions, SimClusterOptions } from './sim/cluster.js';
export { SimClusterError } from './sim/errors.js';
export type { SimClusterErrorCode } from './sim/errors.js';

// What "quiet" means, and the trace
export { isHeartbeat, podSettled } from './sim/quiet.js';
export type { TraceEntry } from './sim/trace.js';

// Faults
export { expireWatches } from './faults/watch.js';

// Fault schedules and injection
export { bufferWatches } from './faults/buffer.js';
export type { WatchBuffer, WatchBufferOptions } from './faults/buffer.js';
export { dropWatchEvents } from './faults/drop.js';
export type { DropOptions, WatchDropper } from './faults/drop.js';
export { FaultInjector, describeFault } from './faults/schedule.js';
export type { Fault, FaultSchedule, InjectedWriteError } from './faults/schedule.js';

// Invariants
// (the vocabulary is core's, re-exported here under the names toolkit users know)
export { clusterState, formatRef, invariant, refOf, stateNowMs, transitionInvariant } from './invariants/types.js';
export type { ClusterState, Invariant, InvariantKind, InvariantViolation, ObjectRef, Violation } from './invariants/types.js';
export { StateTracker } from './invariants/state.js';
export { everyState } from './invariants/every.js';
export type { EveryStateOptions } from './invariants/every.js';
export {
  GENERIC_SAFETY,
  generationNeverDecreases,
  noObjectStuckTerminating,
  noObjectWithTwoControllers,
  nodeCapacityRespected,
  ownerReferencesResolve,
  podsBoundToExistingNodes,
} from './invariants/generic.js';
export { POD_PHASE_TRANSITIONS, podPhaseTransitionsAllowed, podRestartPolicyHonoured } from './invariants/kubelet.js';

// Invariants of the reference controllers (stated in @kubeloop/controllers, re-exported under
// the names toolkit users know)
export { DEPLOYMENT_LIVENESS, REFERENCE_LIVENESS, REFERENCE_SAFETY } from './invariants/reference.js';
export {
  availableNotBeforeMinReadySecondsInvariant,
  collectionPolicyHonouredInvariant,
  daemonPodsUpdatedInvariant,
  daemonSetHistoryMatchesInvariant,
  daemonSetRevisionHistoryInvariant,
  daemonSetStatusMatchesInvariant,
  deploymentStatusMatchesInvariant,
  duplicateDaemonPodsKeepOldestInvariant,
  endpointsMatchPodsInvariant,
  endpointWritesFollowPodsInvariant,
  foregroundOrderInvariant,
  foregroundSubtreeOrderInvariant,
  lastChangeTriggerTimeInvariant,
  lifecycleTaintsFollowReadyInvariant,
  lifecycleTaintTimeAddedKeptInvariant,
  lifecycleTaintWritesKeepOtherTaintsInvariant,
  liveOwnerReferencesKeptInvariant,
  noCreationsWhileDeletingInvariant,
  noDanglingDependentsInvariant,
  noDanglingReferencesInvariant,
  noEndpointsWithoutServiceInvariant,
  noEvictionBeforeTolerationInvariant,
  noExecuteTaintRateInvariant,
  noLiveOwnerCollectedInvariant,
  noNodeUnknownWithinGraceInvariant,
  oneDaemonPodPerEligibleNodeInvariant,
  orphansKeptInvariant,
  ownershipFollowsSelectorsInvariant,
  partialDisruptionTaintingInvariant,
  podsNotOvercreatedInvariant,
  podsNotOverdeletedInvariant,
  podsOnUnreadyNodesNotReadyInvariant,
  readyChangesActedOnInvariant,
  releasedOnlyByOrphaningInvariant,
  replicaCountsMatchInvariant,
  replicaFailureConditionInvariant,
  replicaStatusMatchesPodsInvariant,
  rollingUpdateAvailabilityInvariant,
  rolloutBoundsInvariant,
  scaleDownDeletesLowestRankedInvariant,
  silentNodesUnknownInvariant,
  singleActiveReplicaSetInvariant,
  singleControllerInvariant,
  surgeRollingUpdateBoundsInvariant,
  taintedPodsEvictedInvariant,
  taintEvictionsMarkedInvariant,
  terminatingEndpointsWithinInvariant,
  unresolvableOwnersKeptInvariant,
} from '@kubeloop/controllers';
export type { AvailableNotEarlyOptions, NoCreationsWhileDeletingOptions, NodeHealthOptions, PartialDisruptionOptions, PodsNotOvercreatedOptions, ReplicaFailureConditionOptions, ScaleDownOrderOptions, PromptnessOptions, TaintEvictionOptions, TaintingRateOptions } from '@kubeloop/controllers';

// Property tests on a whole cluster
export { CheckFailure, DEEP, DEFAULT_MAX_WRITES_PER_RUN, DEFAULT_RUNS, REPLAY_ENV, checkCluster, runCase, traceDigest } from './check/check.js';
export type { CheckClusterOptions, RunContext, RunFailure, RunInvariants, RunOptions, RunOutcome } from './check/check.js';
export { describeAction, performAction } from './check/actions.js';
export type { ClusterAction, TaintSpec } from './check/actions.js';
export { diffStates } from './check/normalize.js';

// Arbitraries
export { faultArbitrary, faultSchedules, faultSchedulesWith } from './arbitraries/faults.js';
export type { FaultScheduleOptions } from './arbitraries/faults.js';
export { IMAGES, ROUNDING_PERCENTS, WORKLOAD_NAMES, daemonSets, deployments, intOrPercents, labelSets, nodePools, podTemplates, replicaCounts, replicaSets, resourceRequirements, rollingUpdates, services, taints, workloadName } from './arbitraries/objects.js';
export type { Manifest, RollingUpdateStrategy } from './arbitraries/objects.js';
export { ADDED_NODE_NAMES, clusterAction, clusterActions } from './arbitraries/actions.js';
export type { ClusterActionOptions, WorkloadKind } from './arbitraries/actions.js';
export { SchemaArbitraryError, arbitraryFromSchema, customResources } from './arbitraries/schema.js';
