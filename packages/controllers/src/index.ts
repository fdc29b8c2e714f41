/**
 * @kubeloop/controllers — the reference controllers of kube-controller-manager and the
 * kube-scheduler, each in its own folder and registered through core's plugin API like users'
 * own:
 *
 * | plugin | upstream |
 * |---|---|
 * | {@link replicaSetPlugin}, {@link replicationControllerPlugin} | `pkg/controller/replicaset`, `pkg/controller/replication` |
 * | {@link deploymentPlugin} | `pkg/controller/deployment` |
 * | {@link daemonSetPlugin} | `pkg/controller/daemon` |
 * | {@link garbageCollectorPlugin} | `pkg/controller/garbagecollector` |
 * | {@link podGcPlugin} | `pkg/controller/podgc` |
 * | {@link endpointsPlugin} | `pkg/controller/endpoint`, `pkg/controller/endpointslice` |
 * | {@link resourceQuotaPlugin} | `pkg/controller/resourcequota` and the `ResourceQuota` admission plugin |
 * | {@link nodeLifecyclePlugin} | `pkg/controller/nodelifecycle`, `pkg/controller/tainteviction` and the `DefaultTolerationSeconds` admission plugin |
 * | {@link schedulerPlugin} | `pkg/scheduler` with its default plugins |
 *
 * The surface is grouped by controller: its plugin and options, the labels, annotations,
 * taints and condition reasons it writes (what users match on), and its invariants for
 * property tests. Then the scheduling framework users extend with their own plugins
 * ({@link FilterPlugin}, {@link ScorePlugin}, ... in a {@link SchedulerProfile}), and the
 * building blocks users' own controllers of pods reuse: expectations
 * ({@link ControllerExpectations}), pod control ({@link clientPodControl}), ownership and
 * claiming ({@link claimObjects}), the deletion ranking ({@link podsToDelete}). How each
 * controller decides stays inside its folder.
 *
 * @packageDocumentation
 */

// ReplicaSet and ReplicationController
export { replicaSetPlugin, replicationControllerPlugin, REPLICASET_PLUGIN_NAME, REPLICATIONCONTROLLER_PLUGIN_NAME } from './replicaset/plugin.js';
export type { ReplicaSetControllerOptions } from './replicaset/controller.js';
export { FAILED_CREATE, FAILED_DELETE, REPLICA_FAILURE } from './replicaset/status.js';
export { replicaCountsMatch, replicaInvariants, singleController, statusMatchesPods } from './replicaset/invariants.js';
export type { ReplicaState, ReplicaViolation } from './replicaset/invariants.js';

// Deployment
export { deploymentPlugin, DEPLOYMENT_PLUGIN_NAME } from './deployment/plugin.js';
export { DEPLOYMENT_CONTROLLER_COMPONENT, DEPLOYMENT_CONTROLLER_NAME } from './deployment/controller.js';
export type { DeploymentControllerOptions } from './deployment/controller.js';
export {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  RESTARTED_AT_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from './deployment/decide.js';
export { DeploymentReasons } from './deployment/status.js';
export { rolloutBounds, singleActiveReplicaSetAfterSettle, statusMatches } from './deployment/invariants.js';
export type { DeploymentState, DeploymentViolation, RolloutBoundsOptions } from './deployment/invariants.js';

// DaemonSet
export { daemonSetPlugin, DAEMONSET_PLUGIN_NAME } from './daemonset/plugin.js';
export type { DaemonSetPluginOptions } from './daemonset/plugin.js';
export { DAEMONSET_CONTROLLER_COMPONENT, DAEMONSET_CONTROLLER_NAME } from './daemonset/controller.js';
export type { DaemonSetControllerOptions } from './daemonset/controller.js';
export { TEMPLATE_GENERATION_HOOK, templateGenerationHook } from './daemonset/admission.js';
export {
  CONTROLLER_REVISION_HASH_LABEL,
  DAEMONSET_BURST_REPLICAS,
  POD_TEMPLATE_GENERATION_LABEL,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_PID_PRESSURE,
  TEMPLATE_GENERATION_ANNOTATION,
  targetNodeName,
} from './daemonset/decide.js';
export { templateHash } from './daemonset/history.js';
export { calculateDaemonSetStatus } from './daemonset/status.js';
export type { DaemonSetCounts } from './daemonset/status.js';
export { daemonPodsUpdated, daemonSetStatusMatches, oneDaemonPodPerEligibleNode, rollingUpdateAvailability } from './daemonset/invariants.js';
export type { DaemonSetState, DaemonSetViolation } from './daemonset/invariants.js';

// The garbage collector
export { garbageCollectorPlugin, GARBAGE_COLLECTOR_PLUGIN_NAME } from './garbagecollector/plugin.js';
export { DEFAULT_CONCURRENT_GC_SYNCS, DEFAULT_IGNORED_RESOURCES, GARBAGE_COLLECTOR_COMPONENT, REASON_OWNER_REF_INVALID_NAMESPACE } from './garbagecollector/garbagecollector.js';
export type { GarbageCollectorOptions } from './garbagecollector/garbagecollector.js';
export { GarbageCollectorError } from './garbagecollector/operations.js';
export type { GarbageCollectorErrorCode } from './garbagecollector/operations.js';
export { foregroundOrder, noDanglingDependents, noLiveOwnerCollected, orphansKept } from './garbagecollector/invariants.js';
export type { GcTraceEntry, GcViolation, NamespacedKind } from './garbagecollector/invariants.js';

// The pod garbage collector
export { podGcPlugin, POD_GC_PLUGIN_NAME } from './podgc/plugin.js';
export type { PodGcOptions } from './podgc/controller.js';
export { TAINT_OUT_OF_SERVICE } from './podgc/decide.js';

// Service endpoints
export { endpointsPlugin, ENDPOINTS_PLUGIN_NAME } from './endpoints/plugin.js';
export type { EndpointsPluginOptions } from './endpoints/plugin.js';
export {
  ENDPOINTSLICE_CONTROLLER_COMPONENT,
  ENDPOINTSLICE_CONTROLLER_NAME,
  ENDPOINT_CONTROLLER_COMPONENT,
  ENDPOINT_CONTROLLER_NAME,
  EndpointSliceSyncError,
} from './endpoints/controller.js';
export type { EndpointSliceOptions, EndpointsOptions } from './endpoints/controller.js';
export { HEADLESS_SERVICE_LABEL, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, MAX_ENDPOINTS_CAPACITY, OVER_CAPACITY_ANNOTATION } from './endpoints/decide.js';
export { DEFAULT_MAX_ENDPOINTS_PER_SLICE, ENDPOINTSLICE_CONTROLLER_MANAGED_BY, TOPOLOGY_ZONE_LABEL } from './endpoints/slices.js';
export { endpointsMatchPods, noEndpointsWithoutService } from './endpoints/invariants.js';
export type { EndpointsState, EndpointsViolation } from './endpoints/invariants.js';

// ResourceQuota: admission and the quota controller
export { resourceQuotaPlugin, RESOURCE_QUOTA_PLUGIN_NAME } from './resourcequota/plugin.js';
export { RESOURCE_QUOTA_CONTROLLER_NAME, RESOURCE_QUOTA_SYNC_PERIOD_MS } from './resourcequota/controller.js';
export type { ResourceQuotaOptions } from './resourcequota/controller.js';
export { RESOURCE_QUOTA_ADMISSION, resourceQuotaAdmission } from './resourcequota/admission.js';

// Node lifecycle, taint-based eviction and DefaultTolerationSeconds
export { nodeLifecyclePlugin, NODE_LIFECYCLE_PLUGIN_NAME } from './nodelifecycle/plugin.js';
export type { NodeLifecyclePluginOptions } from './nodelifecycle/plugin.js';
export { NODE_CONTROLLER_COMPONENT, TAINT_EVICTION_CONTROLLER_NAME } from './nodelifecycle/controller.js';
export type { NodeLifecycleOptions } from './nodelifecycle/controller.js';
export { DEFAULT_TOLERATION_SECONDS, DEFAULT_TOLERATION_SECONDS_HOOK, defaultTolerationSeconds } from './nodelifecycle/admission.js';
export {
  MESSAGE_NODE_STATUS_NEVER_UPDATED,
  MESSAGE_NODE_STATUS_UNKNOWN,
  REASON_NODE_STATUS_NEVER_UPDATED,
  REASON_NODE_STATUS_UNKNOWN,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
} from './nodelifecycle/decide.js';

// The kube-scheduler: registration, profiles and the reasons it reports
export { schedulerPlugin, SCHEDULER_PLUGIN_NAME } from './scheduler/plugin.js';
export { REASON_UNSCHEDULABLE } from './scheduler/scheduler.js';
export type { SchedulerOptions } from './scheduler/scheduler.js';
export { DEFAULT_BINDER, DEFAULT_SCHEDULER_NAME, builtinPlugins, defaultBinder, defaultProfile } from './scheduler/defaults.js';
export { ERR_REASON_NODE_AFFINITY, ERR_REASON_NODE_NAME, ERR_REASON_NODE_PORTS, ERR_REASON_UNSCHEDULABLE, TAINT_NODE_UNSCHEDULABLE } from './scheduler/plugins/node.js';
export { ERR_REASON_TOO_MANY_PODS } from './scheduler/plugins/resources.js';
export {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
} from './scheduler/plugins/topology.js';
export { ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_PV_NOT_EXIST, ERR_REASON_UNBOUND_IMMEDIATE, NO_PROVISIONER } from './scheduler/plugins/volume.js';
export { ERR_REASON_NO_VICTIMS, ERR_REASON_PREEMPTION_NOT_HELPFUL } from './scheduler/plugins/preemption.js';
export { SchedulerError } from './scheduler/errors.js';
export type { SchedulerErrorCode } from './scheduler/errors.js';

// The scheduling framework: plugins users write, and one cycle run purely on a snapshot
export { ERR_NO_NODES_AVAILABLE, MAX_NODE_SCORE, SKIP, SUCCESS, buildFramework, defaultNormalizeScore, fitErrorMessage, scheduleOne, unresolvable, unschedulable } from './scheduler/framework.js';
export type {
  AnyPlugin,
  BindPlugin,
  Code,
  CycleCursor,
  CycleResult,
  CycleState,
  Diagnosis,
  FilterPlugin,
  Framework,
  FrameworkPlugin,
  PluginEntry,
  PostFilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  QueuedPodInfo,
  SchedulerProfile,
  ScorePlugin,
  Status,
} from './scheduler/framework.js';
export { ClusterIndex, NodeInfo, podInfo, snapshotOf } from './scheduler/nodeinfo.js';
export type { NodeInfoView, PodInfo, ResourceAmounts, Snapshot, SnapshotInput } from './scheduler/nodeinfo.js';

// Building blocks for controllers of pods: pod state and the deletion ranking
export { isPodActive, isPodAvailable, isPodReady, isPodTerminating, msUntilAvailable, podReadyCondition } from './shared/pods.js';
export { POD_DELETION_COST_ANNOTATION, compareForDeletion, podsToDelete, rankByRelatedPodsOnSameNode } from './shared/ranking.js';
export type { RankedPod } from './shared/ranking.js';

// Building blocks: acting on pods (expectations, slow-start batches, pod control)
export { EXPECTATIONS_TIMEOUT_MS, ControllerExpectations, UidTrackingExpectations } from './shared/expectations.js';
export { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './shared/batch.js';
export type { SlowStartResult } from './shared/batch.js';
export { clientPodControl, podFromTemplate } from './shared/podcontrol.js';
export type { PodControl, PodRequest } from './shared/podcontrol.js';

// Building blocks: ownership and claiming
export { claimObjects, isControlledBy, newControllerRef, ownedOrOrphaned } from './shared/ownership.js';
export type { ClaimOptions, OwnerIdentity } from './shared/ownership.js';

// Building blocks: template hashes, int-or-percent, conditions
export { computeHash } from './shared/hash.js';
export { scaledValue } from './shared/intorpercent.js';
export { getCondition, removeCondition, setCondition } from './shared/conditions.js';

// Invariants
export type { InvariantViolation } from './shared/violation.js';
