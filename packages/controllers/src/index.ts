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
 * | {@link statefulSetPlugin} | `pkg/controller/statefulset` |
 * | {@link persistentVolumePlugin} | `pkg/controller/volume/persistentvolume` (binder, and a provisioner as kind's) |
 * | {@link volumeProtectionPlugin} | `pkg/controller/volume/pvcprotection`, `pvprotection` and the `StorageObjectInUseProtection` admission plugin |
 * | {@link garbageCollectorPlugin} | `pkg/controller/garbagecollector` |
 * | {@link podGcPlugin} | `pkg/controller/podgc` |
 * | {@link endpointsPlugin} | `pkg/controller/endpoint`, `pkg/controller/endpointslice` |
 * | {@link resourceQuotaPlugin} | `pkg/controller/resourcequota` and the `ResourceQuota` admission plugin |
 * | {@link priorityPlugin} | the `Priority` admission plugin (`plugin/pkg/admission/priority`): pod priority from PriorityClasses |
 * | {@link limitRangerPlugin} | the `LimitRanger` admission plugin (`plugin/pkg/admission/limitranger`): LimitRange defaults and bounds |
 * | {@link jobPlugin} | `pkg/controller/job` |
 * | {@link ttlAfterFinishedPlugin} | `pkg/controller/ttlafterfinished` |
 * | {@link clusterRoleAggregationPlugin} | `pkg/controller/clusterroleaggregation` (and the bootstrap RBAC policy, {@link ensureBootstrapPolicy}) |
 * | {@link disruptionPlugin} | `pkg/controller/disruption` (PodDisruptionBudget status) |
 * | {@link horizontalPodAutoscalerPlugin} | `pkg/controller/podautoscaler` (Resource, ContainerResource, Pods, Object and External metrics) |
 * | {@link cronJobPlugin} | `pkg/controller/cronjob` (the v2 controller) |
 * | {@link metallbPlugin} | MetalLB's `controller` (LoadBalancer addresses from `IPAddressPool`s), an add-on |
 * | {@link fakeCloudLoadBalancerPlugin} | a cloud provider's service controller (`k8s.io/cloud-provider` `controllers/service`), faked |
 * | {@link ingressNginxPlugin} | ingress-nginx's Ingress status and routing table, an add-on |
 * | {@link nodeLifecyclePlugin} | `pkg/controller/nodelifecycle`, `pkg/controller/tainteviction` and the `DefaultTolerationSeconds` admission plugin |
 * | {@link schedulerPlugin} | `pkg/scheduler` with its default plugins |
 * | {@link verticalPodAutoscalerPlugin} | the autoscaler repository's `vertical-pod-autoscaler` (recommender, updater, admission) |
 * | {@link clusterAutoscalerPlugin} | the autoscaler repository's `cluster-autoscaler` (on a {@link CloudProvider}) |
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
export {
  FAILED_CREATE,
  FAILED_DELETE,
  REPLICASET_PLUGIN_NAME,
  REPLICATIONCONTROLLER_PLUGIN_NAME,
  REPLICA_FAILURE,
  availableNotBeforeMinReadySecondsInvariant,
  noCreationsWhileDeletingInvariant,
  ownershipFollowsSelectors,
  ownershipFollowsSelectorsInvariant,
  podsNotOvercreatedInvariant,
  podsNotOverdeletedInvariant,
  replicaCountsMatch,
  replicaCountsMatchInvariant,
  replicaFailureConditionInvariant,
  replicaInvariants,
  replicaSetPlugin,
  replicaStatusMatchesPodsInvariant,
  replicationControllerPlugin,
  scaleDownDeletesLowestRankedInvariant,
  singleController,
  singleControllerInvariant,
  statusMatchesPods,
} from './replicaset/index.js';
export type { AvailableNotEarlyOptions, NoCreationsWhileDeletingOptions, PodsNotOvercreatedOptions, PodsNotOverdeletedOptions, ReplicaFailureConditionOptions, ReplicaSetControllerOptions, ReplicaState, ReplicaViolation, ScaleDownOrderOptions } from './replicaset/index.js';

// Deployment
export {
  DEPLOYMENT_CONTROLLER_COMPONENT,
  DEPLOYMENT_CONTROLLER_NAME,
  DEPLOYMENT_PLUGIN_NAME,
  DESIRED_REPLICAS_ANNOTATION,
  DeploymentReasons,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  RESTARTED_AT_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  conditionTransitions,
  conditionsAfterSettle,
  deploymentConditionTransitionsInvariant,
  deploymentConditionsAfterSettleInvariant,
  deploymentPlugin,
  deploymentStatusMatchesInvariant,
  historyCleanupOldestFirstInvariant,
  noNewReplicaSetWhilePausedInvariant,
  podTemplateHashConsistent,
  podTemplateHashInvariant,
  proportionalScaling,
  replicaSetAnnotationsAfterSettle,
  replicaSetAnnotationsAfterSettleInvariant,
  revisionChanges,
  revisionChangesInvariant,
  revisionHistoryKept,
  revisionHistoryKeptInvariant,
  rolloutBounds,
  rolloutBoundsInvariant,
  singleActiveReplicaSetAfterSettle,
  singleActiveReplicaSetInvariant,
  statusMatches,
} from './deployment/index.js';
export type { DeploymentControllerOptions, DeploymentState, DeploymentViolation, RolloutBoundsOptions } from './deployment/index.js';

// DaemonSet
export {
  CONTROLLER_REVISION_HASH_LABEL,
  DAEMONSET_BURST_REPLICAS,
  DAEMONSET_CONTROLLER_COMPONENT,
  DAEMONSET_CONTROLLER_NAME,
  DAEMONSET_PLUGIN_NAME,
  DAEMON_TAINT_GRACE_MS,
  POD_TEMPLATE_GENERATION_LABEL,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_PID_PRESSURE,
  TEMPLATE_GENERATION_ANNOTATION,
  TEMPLATE_GENERATION_HOOK,
  calculateDaemonSetStatus,
  daemonPodCreatedOnlyWhereTolerated,
  daemonPodCreatedOnlyWhereToleratedInvariant,
  daemonPodsUpdated,
  daemonPodsUpdatedInvariant,
  daemonSetHistoryMatches,
  daemonSetHistoryMatchesInvariant,
  daemonSetPlugin,
  daemonSetRevisionHistory,
  daemonSetRevisionHistoryInvariant,
  daemonSetStatusMatches,
  daemonSetStatusMatchesInvariant,
  duplicateDaemonPodsKeepOldest,
  duplicateDaemonPodsKeepOldestInvariant,
  noPendingDaemonPods,
  noPendingDaemonPodsInvariant,
  oneDaemonPodPerEligibleNode,
  oneDaemonPodPerEligibleNodeInvariant,
  rollingUpdateAvailability,
  rollingUpdateAvailabilityInvariant,
  surgeRollingUpdateBounds,
  surgeRollingUpdateBoundsInvariant,
  targetNodeName,
  templateGenerationHook,
  templateHash,
} from './daemonset/index.js';
export type { DaemonSetControllerOptions, DaemonSetCounts, DaemonSetHistoryState, DaemonSetPluginOptions, DaemonSetState, DaemonSetViolation } from './daemonset/index.js';

// StatefulSet
export {
  POD_INDEX_LABEL,
  STATEFULSET_CONTROLLER_COMPONENT,
  STATEFULSET_CONTROLLER_NAME,
  STATEFULSET_PLUGIN_NAME,
  STATEFULSET_POD_NAME_LABEL,
  onePodPerOrdinal,
  onePodPerOrdinalInvariant,
  orderedReadyCreation,
  orderedReadyCreationInvariant,
  podMountsOwnClaim,
  podMountsOwnClaimInvariant,
  retainClaimDeleted,
  retainClaimNeverDeletedInvariant,
  statefulPodsInRange,
  statefulPodsInRangeInvariant,
  statefulSetPlugin,
} from './statefulset/index.js';
export type { StatefulSetControllerOptions, StatefulSetState } from './statefulset/index.js';

// PersistentVolumes: binding and provisioning
export {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  DEFAULT_STORAGE_CLASS,
  PERSISTENT_VOLUME_PLUGIN_NAME,
  PV_BINDER_CONTROLLER_NAME,
  PV_CONTROLLER_COMPONENT,
  bindingIsMutual,
  bindingIsMutualInvariant,
  defaultStorageClassAdmission,
  persistentVolumePlugin,
  podsFollowTheirVolumes,
  podsFollowTheirVolumesInvariant,
} from './volume/index.js';
export type { PersistentVolumeControllerOptions, VolumeBindingState, VolumePlacementState } from './volume/index.js';

// Storage object in use protection
export {
  PVC_PROTECTION_CONTROLLER_NAME,
  PVC_PROTECTION_FINALIZER,
  PV_PROTECTION_CONTROLLER_NAME,
  PV_PROTECTION_FINALIZER,
  STORAGE_OBJECT_IN_USE_PROTECTION,
  VOLUME_PROTECTION_PLUGIN_NAME,
  claimNotRemovedWhileMountedInvariant,
  claimRemovedWhileMounted,
  storageObjectInUseProtection,
  volumeNotRemovedWhileBoundInvariant,
  volumeProtectionPlugin,
  volumeRemovedWhileBound,
} from './volumeprotection/index.js';
export type { ProtectionState, VolumeProtectionPluginOptions } from './volumeprotection/index.js';

// The garbage collector
export {
  DEFAULT_CONCURRENT_GC_SYNCS,
  DEFAULT_IGNORED_RESOURCES,
  GARBAGE_COLLECTOR_COMPONENT,
  GARBAGE_COLLECTOR_PLUGIN_NAME,
  GarbageCollectorError,
  REASON_OWNER_REF_INVALID_NAMESPACE,
  collectionPolicyHonoured,
  collectionPolicyHonouredInvariant,
  foregroundOrder,
  foregroundOrderInvariant,
  foregroundSubtreeOrder,
  foregroundSubtreeOrderInvariant,
  garbageCollectorPlugin,
  liveOwnerReferencesKept,
  liveOwnerReferencesKeptInvariant,
  noDanglingDependents,
  noDanglingDependentsInvariant,
  noDanglingReferences,
  noDanglingReferencesInvariant,
  noLiveOwnerCollected,
  noLiveOwnerCollectedInvariant,
  orphansKept,
  orphansKeptInvariant,
  releasedOnlyByOrphaning,
  releasedOnlyByOrphaningInvariant,
  unresolvableOwnersKept,
  unresolvableOwnersKeptInvariant,
} from './garbagecollector/index.js';
export type { GarbageCollectorErrorCode, GarbageCollectorOptions, GcTraceEntry, GcViolation, NamespacedKind } from './garbagecollector/index.js';

// The pod garbage collector
export { POD_GC_PLUGIN_NAME, TAINT_OUT_OF_SERVICE, podGcPlugin } from './podgc/index.js';
export type { PodGcOptions } from './podgc/index.js';

// Service endpoints
export {
  DEFAULT_MAX_ENDPOINTS_PER_SLICE,
  ENDPOINTSLICE_CONTROLLER_COMPONENT,
  ENDPOINTSLICE_CONTROLLER_MANAGED_BY,
  ENDPOINTSLICE_CONTROLLER_NAME,
  ENDPOINTS_PLUGIN_NAME,
  ENDPOINT_CONTROLLER_COMPONENT,
  ENDPOINT_CONTROLLER_NAME,
  EndpointSliceSyncError,
  HEADLESS_SERVICE_LABEL,
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  MAX_ENDPOINTS_CAPACITY,
  OVER_CAPACITY_ANNOTATION,
  TOPOLOGY_ZONE_LABEL,
  endpointsMatchPods,
  endpointsMatchPodsInvariant,
  endpointsPlugin,
  endpointWritesFollowPods,
  endpointWritesFollowPodsInvariant,
  lastChangeTriggerTime,
  lastChangeTriggerTimeInvariant,
  noEndpointsWithoutService,
  noEndpointsWithoutServiceInvariant,
  terminatingEndpointsWithin,
  terminatingEndpointsWithinInvariant,
} from './endpoints/index.js';
export type { EndpointSliceOptions, EndpointsOptions, EndpointsPluginOptions, EndpointsState, EndpointsViolation } from './endpoints/index.js';

// ResourceQuota: admission and the quota controller
export {
  RESOURCE_QUOTA_ADMISSION,
  RESOURCE_QUOTA_CONTROLLER_NAME,
  RESOURCE_QUOTA_PLUGIN_NAME,
  RESOURCE_QUOTA_SYNC_PERIOD_MS,
  resourceQuotaAdmission,
  resourceQuotaPlugin,
} from './resourcequota/index.js';
export type { ResourceQuotaOptions, ResourceQuotaPluginOptions } from './resourcequota/index.js';

// Priority: pod priority from PriorityClasses at admission
export { PRIORITY_ADMISSION, PRIORITY_PLUGIN_NAME, defaultPriorityClass, priorityAdmission, priorityPlugin } from './priority/index.js';

// LimitRanger: LimitRange defaults and bounds at admission
export {
  LIMIT_RANGER,
  LIMIT_RANGER_ANNOTATION,
  LIMIT_RANGER_PLUGIN_NAME,
  applyContainerDefaults,
  claimLimitViolations,
  limitRangerAdmission,
  limitRangerPlugin,
  podLimitViolations,
} from './limitranger/index.js';

// Node lifecycle, taint-based eviction and DefaultTolerationSeconds
export {
  DEFAULT_TOLERATION_SECONDS,
  DEFAULT_TOLERATION_SECONDS_HOOK,
  MESSAGE_NODE_STATUS_NEVER_UPDATED,
  MESSAGE_NODE_STATUS_UNKNOWN,
  NODE_CONTROLLER_COMPONENT,
  NODE_LIFECYCLE_PLUGIN_NAME,
  REASON_NODE_STATUS_NEVER_UPDATED,
  REASON_NODE_STATUS_UNKNOWN,
  TAINT_EVICTION_CONTROLLER_NAME,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  defaultTolerationSeconds,
  earliestTaintEviction,
  lifecycleTaintTimeAddedKeptInvariant,
  lifecycleTaintWritesKeepOtherTaintsInvariant,
  lifecycleTaintsFollowReadyInvariant,
  noEvictionBeforeTolerationInvariant,
  noExecuteTaintRateInvariant,
  noNodeUnknownWithinGraceInvariant,
  nodeLifecycleInvariants,
  nodeLifecyclePlugin,
  partialDisruptionTaintingInvariant,
  podsOnUnreadyNodesNotReadyInvariant,
  readyChangesActedOnInvariant,
  silentNodesUnknownInvariant,
  taintedPodsEvictedInvariant,
  taintEvictionsMarkedInvariant,
} from './nodelifecycle/index.js';
export type { NodeHealthOptions, NodeLifecycleOptions, NodeLifecyclePluginOptions, PartialDisruptionOptions, PromptnessOptions, TaintEvictionOptions, TaintingRateOptions } from './nodelifecycle/index.js';

// The kube-scheduler: registration, profiles and the reasons it reports
export {
  DEFAULT_BINDER,
  DEFAULT_SCHEDULER_NAME,
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_BIND_CONFLICT,
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_NODE_AFFINITY,
  ERR_REASON_NODE_CONFLICT,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  ERR_REASON_NODE_NAME,
  ERR_REASON_NODE_PORTS,
  ERR_REASON_NO_VICTIMS,
  ERR_REASON_PREEMPTION_NOT_HELPFUL,
  ERR_REASON_PV_NOT_EXIST,
  ERR_REASON_TOO_MANY_PODS,
  ERR_REASON_UNBOUND_IMMEDIATE,
  ERR_REASON_UNSCHEDULABLE,
  NO_PROVISIONER,
  REASON_UNSCHEDULABLE,
  SCHEDULER_PLUGIN_NAME,
  SchedulerError,
  TAINT_NODE_UNSCHEDULABLE,
  builtinPlugins,
  defaultBinder,
  defaultProfile,
  schedulerPlugin,
} from './scheduler/index.js';
export type { SchedulerErrorCode, SchedulerOptions } from './scheduler/index.js';

// The scheduling framework: plugins users write, and one cycle run purely on a snapshot
export {
  ClusterIndex,
  ERR_NO_NODES_AVAILABLE,
  MAX_NODE_SCORE,
  NodeInfo,
  SKIP,
  SUCCESS,
  buildFramework,
  defaultNormalizeScore,
  fitErrorMessage,
  podInfo,
  scheduleOne,
  snapshotOf,
  unresolvable,
  unschedulable,
} from './scheduler/index.js';
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
  NodeInfoView,
  PluginEntry,
  PodInfo,
  PostFilterPlugin,
  PreBindPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  QueuedPodInfo,
  ResourceAmounts,
  SchedulerProfile,
  ScorePlugin,
  Snapshot,
  SnapshotInput,
  Status,
} from './scheduler/index.js';

// Building blocks for controllers of pods: pod state and the deletion ranking
export { isPodActive, isPodAvailable, isPodReady, isPodTerminating, msUntilAvailable, podReadyCondition } from './shared/pods.js';
export { POD_DELETION_COST_ANNOTATION, compareForDeletion, podsToDelete, rankByRelatedPodsOnSameNode } from './shared/ranking.js';
export type { RankedPod } from './shared/ranking.js';

// Building blocks: acting on pods (expectations, read-after-write, slow-start batches, pod control)
export { EXPECTATIONS_TIMEOUT_MS, ControllerExpectations, UidTrackingExpectations } from './shared/expectations.js';
export { ConsistencyError, ConsistencyStore } from './shared/consistency.js';
export type { ConsistencyOwner, SyncedRevision } from './shared/consistency.js';
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

// Job
export {
  DEFAULT_JOB_POD_FAILURE_BACKOFF_MS,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  JOB_CONTROLLER_COMPONENT,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_INVARIANTS,
  JOB_PLUGIN_NAME,
  JOB_TRACKING_FINALIZER,
  JobConditionTypes,
  JobReasons,
  MAX_JOB_POD_FAILURE_BACKOFF_MS,
  finishedJobHasNoActivePods,
  finishedJobHasNoActivePodsInvariant,
  indexesSucceedOnce,
  indexesSucceedOnceInvariant,
  jobNotOvercreatedInvariant,
  jobPlugin,
  succeededWithinCompletions,
  succeededWithinCompletionsInvariant,
  trackingFinalizersReleased,
  trackingFinalizersReleasedInvariant,
} from './job/index.js';
export type { JobControllerOptions, JobState } from './job/index.js';

// TTL-after-finished
export {
  TTL_AFTER_FINISHED_INVARIANTS,
  TTL_AFTER_FINISHED_PLUGIN_NAME,
  expiredJobsDeleted,
  expiredJobsDeletedInvariant,
  ttlAfterFinishedPlugin,
} from './ttlafterfinished/index.js';
export type { TtlAfterFinishedControllerOptions } from './ttlafterfinished/index.js';

// ClusterRole aggregation, and the bootstrap RBAC policy
export {
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLE_AGGREGATION_INVARIANTS,
  CLUSTER_ROLE_AGGREGATION_PLUGIN_NAME,
  aggregatedRules,
  aggregationIncomplete,
  clusterRoleAggregationPlugin,
  clusterRolesAggregatedInvariant,
  ensureBootstrapPolicy,
} from './clusterroleaggregation/index.js';

// Disruption (PodDisruptionBudget status)
export {
  DISRUPTION_CONTROLLER_COMPONENT,
  DISRUPTION_CONTROLLER_NAME,
  DISRUPTION_INVARIANTS,
  DISRUPTION_PLUGIN_NAME,
  DisruptionReconciler,
  budgetStatusMatchesPods,
  budgetStatusMatchesPodsInvariant,
  budgetTruth,
  disruptionPlugin,
  evictionsRespectBudgets,
  evictionsRespectBudgetsInvariant,
} from './disruption/index.js';
export type { BudgetTruth, DisruptionControllerOptions, DisruptionState } from './disruption/index.js';

// HorizontalPodAutoscaler
export {
  DEFAULT_CPU_INITIALIZATION_PERIOD_MS,
  DEFAULT_DOWNSCALE_STABILIZATION_MS,
  DEFAULT_HPA_SYNC_PERIOD_MS,
  DEFAULT_HPA_TOLERANCE,
  DEFAULT_INITIAL_READINESS_DELAY_MS,
  HPA_CONTROLLER_COMPONENT,
  HPA_CONTROLLER_NAME,
  HPA_INVARIANTS,
  HPA_PLUGIN_NAME,
  HorizontalPodAutoscalerReconciler,
  ReplicaCalculationError,
  horizontalPodAutoscalerPlugin,
  hpaScaleDownsStabilized,
  hpaScaleDownsStabilizedInvariant,
  hpaScaleStepsWithinPolicies,
  hpaScaleStepsWithinPoliciesInvariant,
  hpaScalesWithinBounds,
  hpaScalesWithinBoundsInvariant,
  initialHistory,
  normalizeDesiredReplicas,
  perPodTotalReplicas,
  podsMetricReplicas,
  readyPodCount,
  recordScaleEvent,
  resourceReplicas,
  usageRatioReplicas,
} from './podautoscaler/index.js';
export type {
  HpaControllerOptions,
  Normalization,
  NormalizationCondition,
  NormalizationInput,
  ObservedRescale,
  PodMetricSample,
  PodMetricsInfo,
  ReplicaCalculatorOptions,
  ResourceReplicasInput,
  ResourceReplicasProposal,
  ScalingHistory,
  TimestampedRecommendation,
  TimestampedScaleEvent,
} from './podautoscaler/index.js';

// CronJob
export {
  CRONJOB_CONTROLLER_COMPONENT,
  CRONJOB_INVARIANTS,
  CRONJOB_PLUGIN_NAME,
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  CRONJOB_SCHEDULE_ADMISSION,
  CronScheduleError,
  MAX_MISSED_SCHEDULES,
  activeMatchesJobs,
  cronJobActiveMatchesJobsInvariant,
  cronJobForbidConcurrencyInvariant,
  cronJobJobsOnScheduleInvariant,
  cronJobOneJobPerTimeInvariant,
  cronJobPlugin,
  cronJobScheduleAdmission,
  forbidConcurrentJobs,
  jobsOnSchedule,
  parseCronSchedule,
  validateCronSchedule,
} from './cronjob/index.js';
export type { CronFieldProblem, CronJobControllerOptions, CronJobPluginOptions, CronSchedule } from './cronjob/index.js';

// MetalLB (LoadBalancer addresses on bare metal)
export {
  ADDRESS_POOL_ANNOTATION,
  ALLOW_SHARED_IP_ANNOTATION,
  DEPRECATED_ADDRESS_POOL_ANNOTATION,
  DEPRECATED_ALLOW_SHARED_IP_ANNOTATION,
  DEPRECATED_LOAD_BALANCER_IPS_ANNOTATION,
  IPAddressPoolSchema,
  IPAddressPools,
  L2AdvertisementSchema,
  L2Advertisements,
  LEGACY_CONFIG_MAP_NAME,
  LOAD_BALANCER_IPS_ANNOTATION,
  METALLB_API_VERSION,
  METALLB_CONTROLLER_COMPONENT,
  METALLB_CONTROLLER_NAME,
  METALLB_NAMESPACE,
  METALLB_PLUGIN_NAME,
  loadBalancerAddressesInPools,
  loadBalancerAddressesInPoolsInvariant,
  loadBalancerAddressesUnique,
  loadBalancerAddressesUniqueInvariant,
  metallbPlugin,
} from './metallb/index.js';
export type { IPAddressPool, L2Advertisement, LoadBalancerState, MetalLBControllerOptions } from './metallb/index.js';

// A fake cloud provider's service controller
export {
  CLOUD_SERVICE_CONTROLLER_COMPONENT,
  CLOUD_SERVICE_CONTROLLER_NAME,
  DEFAULT_FAKE_CLOUD_RANGE,
  FAKE_CLOUD_LOAD_BALANCER_PLUGIN_NAME,
  cloudLoadBalancerAddressesInRange,
  cloudLoadBalancerAddressesUnique,
  cloudLoadBalancerInvariants,
  cloudLoadBalancersProvisioned,
  cloudLoadBalancersReleased,
  fakeCloudLoadBalancerPlugin,
} from './cloudservice/index.js';
export type { FakeCloudOptions } from './cloudservice/index.js';

// ingress-nginx
export {
  CANARY_ANNOTATION,
  CATCH_ALL_SERVER,
  DEFAULT_PUBLISH_SERVICE,
  FAKE_CERTIFICATE_SUBJECT,
  INGRESS_NGINX_CLASS,
  INGRESS_NGINX_COMPONENT,
  INGRESS_NGINX_CONTROLLER,
  INGRESS_NGINX_CONTROLLER_NAME,
  INGRESS_NGINX_IMAGE,
  INGRESS_NGINX_PLUGIN_NAME,
  IngressNginxRouter,
  LEGACY_INGRESS_CLASS_ANNOTATION,
  NGINX_ANNOTATION_PREFIX,
  SSL_CERTIFICATE_ERROR,
  buildIngressTable,
  checkCertificate,
  ingressMissingTlsSecretsReported,
  ingressMissingTlsSecretsReportedInvariant,
  ingressNginxPlugin,
  ingressRoutesFollowRules,
  ingressRoutesFollowRulesInvariant,
  ingressStatusOfOtherClassesUntouched,
  ingressStatusOfOtherClassesUntouchedInvariant,
  ingressStatusPublished,
  ingressStatusPublishedInvariant,
  matchLocation,
  publishedAddresses,
  routeIngressRequest,
  routesToCanary,
  serverFor,
  servesIngress,
  weightedIngressRoutes,
} from './ingress/index.js';
export type {
  CanaryPolicy,
  CertificateCheck,
  IngressClassConfig,
  IngressLocation,
  IngressNginxOptions,
  IngressNginxPlugin,
  IngressObjects,
  IngressRequest,
  IngressRoute,
  IngressRouteProbe,
  IngressServer,
  IngressServiceRef,
  IngressStatusState,
  IngressTable,
  ObservedIngressRoute,
  WeightedIngressRoute,
} from './ingress/index.js';
// Cluster Autoscaler
export {
  BACKOFF_REASON,
  CLUSTER_AUTOSCALER_PLUGIN_NAME,
  ClusterAutoscaler,
  ClusterSimulation,
  DEFAULT_INITIAL_NODE_GROUP_BACKOFF_MS,
  DEFAULT_MAX_DRAIN_MS,
  DEFAULT_MAX_NODE_GROUP_BACKOFF_MS,
  DEFAULT_MAX_NODE_PROVISION_MS,
  DEFAULT_NODE_GROUP_BACKOFF_RESET_MS,
  DEFAULT_SCALE_DOWN_DELAY_AFTER_ADD_MS,
  DEFAULT_SCALE_DOWN_UNNEEDED_MS,
  DEFAULT_SCALE_DOWN_UNREADY_MS,
  DEFAULT_SCAN_INTERVAL_MS,
  DEFAULT_UTILIZATION_THRESHOLD,
  MAX_LIMIT_REACHED_REASON,
  MAX_NODES_TOTAL_REACHED_REASON,
  MAX_NODE_STARTUP_MS,
  NOT_READY_REASON,
  PRIORITY_EXPANDER_CONFIGMAP,
  SAFE_TO_EVICT_ANNOTATION,
  SCALE_DOWN_DISABLED_ANNOTATION,
  STATUS_CONFIGMAP,
  TO_BE_DELETED_TAINT,
  backoffGroup,
  chooseOption,
  clusterAutoscalerInvariants,
  clusterAutoscalerPlugin,
  clusterWithinMaxNodesTotal,
  groupReadiness,
  isBackedOff,
  isGroupHealthy,
  findUnneededNodes,
  nodeUtilization,
  parsePriorities,
  planScaleUp,
  podDrainability,
  podKeepsNode,
  wastedScore,
} from './clusterautoscaler/index.js';
export type {
  BackoffConfig,
  BackoffEntry,
  BackoffError,
  BlockingReason,
  CloudProvider,
  ClusterAutoscalerOptions,
  Drainability,
  ExpanderName,
  GroupBounds,
  GroupView,
  NoScaleUpInfo,
  NodeGroup,
  Readiness,
  RemovableNode,
  ScaleUpOption,
  ScaleUpPlan,
  SimulationInput,
  UnneededInput,
  UnremovableNode,
} from './clusterautoscaler/index.js';

// Vertical Pod Autoscaler
export {
  CHECKPOINT_VERSION,
  ContainerResourcePolicySchema,
  ContainerUsageState,
  DEFAULT_CHECKPOINTS_GC_INTERVAL_MS,
  DEFAULT_MIN_REPLICAS,
  DEFAULT_VPA_INTERVAL_MS,
  DecayingHistogram,
  ExponentialBuckets,
  Histogram,
  MAX_CHECKPOINT_WEIGHT,
  MAX_RESOURCE_AMOUNT,
  OOM_BUMP_UP_RATIO,
  OOM_MIN_BUMP_UP_BYTES,
  VPA_INVARIANTS,
  VPA_PLUGIN_NAME,
  VPA_UPDATES_ANNOTATION,
  RecommendedContainerResourcesSchema,
  UpdateModeSchema,
  VerticalPodAutoscalerCheckpointSchema,
  VerticalPodAutoscalerCheckpoints,
  VerticalPodAutoscalerSchema,
  VerticalPodAutoscalers,
  VpaRecommender,
  VpaUpdater,
  applyRecommendation,
  checkpointName,
  containerRecommendation,
  estimateContainer,
  oomBumpedMemory,
  podsToEvict,
  verticalPodAutoscalerPlugin,
  vpaRequestsWithinBounds,
} from './verticalpodautoscaler/index.js';
export type {
  Amounts,
  ContainerCheckpoint,
  ContainerResourcePolicy,
  Estimate,
  HistogramCheckpoint,
  RecommendedContainerResources,
  UpdateMode,
  VerticalPodAutoscaler,
  VerticalPodAutoscalerCheckpoint,
  VpaControllerOptions,
} from './verticalpodautoscaler/index.js';
