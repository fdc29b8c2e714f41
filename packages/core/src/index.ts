/**
 * @kubeloop/core — the API machinery: object model and schemas, the in-memory API server,
 * the client, informers, the workqueue, the controller runtime, the clock and the plugin API.
 *
 * The surface is grouped the way a controller is built: objects and their schemas; the API
 * server and the client that talks to it; informers that cache what the client watches; the
 * workqueue that feeds reconcilers; the runtime that ties them together; time and randomness.
 *
 * @packageDocumentation
 */

// Objects and metadata
export { ConditionSchema, LabelSelectorOperatorSchema, LabelSelectorRequirementSchema, LabelSelectorSchema, ManagedFieldsEntrySchema, ObjectMetaSchema, OwnerReferenceSchema } from './api/meta.js';
export type { Condition, KubeObject, LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, ListMeta, ManagedFieldsEntry, ObjectKey, ObjectList, ObjectMeta, OwnerReference } from './api/meta.js';
export { compareResourceVersions, controllerRef, keyString, objectKey, parseApiVersion, parseKeyString } from './api/meta.js';
export { deepEqual } from './util/objects.js';

// Errors: a Kubernetes Status, discriminated by reason
export { ApiError, alreadyExists, badRequest, codeOf, conflict, expired, forbidden, invalid, isApiError, notFound } from './api/errors.js';
export type { ApiErrorDetails, CauseType, FieldError, Status, StatusCause, StatusReason } from './api/errors.js';

// Field ownership (server-side apply) and how lists merge (strategic merge patch, apply, OpenAPI)
export { ATOMIC_OBJECT_FIELDS, LIST_FIELDS, listMapKeysOf, listMetaOf } from './api/patchmeta.js';
export type { ListFieldMeta } from './api/patchmeta.js';
export { FieldSet, applyConflictError, applyManagedFields, fieldSetOf, formatFieldPath, mergeApplied, recordUpdate, valueAt } from './api/managedfields.js';
export type { ApplyConflict, FieldPath, ServerSideApplyResult, FieldSetScope, ManagedWrite } from './api/managedfields.js';

// OpenAPI definitions generated from the kinds' schemas
export { DEFINITION_REF_PREFIX, definitionName, openApiDefinitions } from './api/openapi.js';
export type { OpenApiSchema } from './api/openapi.js';

// Resource definitions and the registry (built-in kinds and custom resources)
export { RegistryError, ResourceRegistry, defineResource } from './api/registry.js';
export type { FieldGetter, GenerationRule, InputOf, NameRule, ObjectOf, ResourceDefinition, ResourceSpec, ResourceVerb, ScaleSubresource, Subresources, VersionConversion } from './api/registry.js';
export { builtinResources, createBuiltinRegistry } from './api/kinds/index.js';

// Validation helpers for custom resources' `validate` hooks
export {
  checkName,
  fieldErrors,
  isDns1123Label,
  isDns1123Subdomain,
  isPathSegmentName,
  isQualifiedName,
  isValidLabelValue,
  validateAnnotations,
  validateImmutable,
  validateLabels,
  validateNonNegative,
  validatePortNumber,
} from './api/validation.js';

// Quantities
export { Quantity, QuantityError, MAX_QUANTITY_DIGITS, isQuantity, parseQuantity, tryParseQuantity } from './api/quantity.js';
export type { QuantityErrorCode, QuantityFormat } from './api/quantity.js';
export { IntOrStringSchema, QuantitySchema, ResourceListSchema } from './api/kinds/internal.js';

// Label and field selectors
export {
  SelectorError,
  everything,
  matchesLabelSelector,
  newRequirement,
  nothing,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromRequirements,
  selectorFromSet,
  toSelectorString,
  validateLabelSelector,
} from './api/labels.js';
export type { Requirement, Selector, SelectorErrorCode, SelectorOperator } from './api/labels.js';
export { fieldSelectorFromSet, parseFieldSelector, unsupportedFields } from './api/fields.js';
export type { FieldRequirement, FieldSelector } from './api/fields.js';

// Scheduling rules shared by the scheduler and the kubelet: node affinity, taints, host ports
export { matchesNodeSelectorAndAffinity, matchesRequirement, matchesTerm } from './api/nodeaffinity.js';
export { findUntoleratedTaint, toleratesTaint } from './api/taints.js';
export { podHostPorts, portsConflict } from './api/hostports.js';
export type { HostPort } from './api/hostports.js';
export { podLimits, podRequests } from './api/resources.js';
export type { PodResourcesOptions, ResourceQuantities } from './api/resources.js';
// Pod predicates and int-or-percent values: the workload controllers decide with them and
// their invariants judge by them
export { isPodActive, isPodAvailable, isPodReady, isPodTerminating, maxContainerRestarts, msUntilAvailable, podReadyCondition, podReadyTime } from './api/pods.js';
export { scaledValue } from './api/intorpercent.js';
export { DurationError, parseDuration } from './api/duration.js';
export type { DurationErrorCode, ParseDurationOptions } from './api/duration.js';

// Built-in kinds: a zod schema, its inferred type and a resource definition per kind
// core/v1: pods and what they are made of
export {
  ObjectReferenceSchema, LocalObjectReferenceSchema, ProtocolSchema, ContainerPortSchema,
  EnvVarSourceSchema, EnvVarSchema, EnvFromSourceSchema, ResourceRequirementsSchema, VolumeMountSchema,
  ExecActionSchema, HTTPGetActionSchema, TCPSocketActionSchema, GRPCActionSchema, ProbeSchema,
  LifecycleHandlerSchema, LifecycleSchema, ContainerSchema, DownwardAPIVolumeSourceSchema,
  PersistentVolumeClaimSpecSchema, VolumeSchema, TaintEffectSchema, TaintSchema, TolerationSchema,
  NodeSelectorOperatorSchema, NodeSelectorRequirementSchema, NodeSelectorTermSchema,
  NodeSelectorSchema, NodeAffinitySchema, PodAffinityTermSchema, WeightedPodAffinityTermSchema,
  PodAffinitySchema, AffinitySchema, TopologySpreadConstraintSchema, RestartPolicySchema,
  PodSpecSchema, PodTemplateSpecSchema, PodPhaseSchema, PodConditionSchema, ContainerStateSchema,
  ContainerStatusSchema, PodQOSClassSchema, PodStatusSchema, PodSchema, Pods,
} from './api/kinds/pod.js';
export type {
  ObjectReference, LocalObjectReference, Protocol, ContainerPort, EnvVarSource, EnvVar, EnvFromSource,
  ResourceRequirements, VolumeMount, ExecAction, HTTPGetAction, TCPSocketAction, GRPCAction, Probe,
  LifecycleHandler, Lifecycle, Container, PersistentVolumeClaimSpec, Volume, TaintEffect, Taint,
  Toleration, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, NodeSelector,
  NodeAffinity, PodAffinityTerm, WeightedPodAffinityTerm, PodAffinity, Affinity,
  TopologySpreadConstraint, RestartPolicy, PodSpec, PodTemplateSpec, PodPhase, PodCondition,
  ContainerState, ContainerStatus, PodQOSClass, PodStatus, Pod,
} from './api/kinds/pod.js';
export { podQOSClass } from './api/kinds/pod.js';
// core/v1: nodes
export {
  NodeConditionSchema, NodeAddressSchema, NodeSystemInfoSchema, ContainerImageSchema, NodeSpecSchema,
  NodeStatusSchema, NodeSchema, Nodes,
} from './api/kinds/node.js';
export type { NodeCondition, NodeAddress, NodeSystemInfo, ContainerImage, NodeSpec, NodeStatus, Node } from './api/kinds/node.js';
// core/v1: Services and Endpoints
export {
  ServiceTypeSchema, ServicePortSchema, LoadBalancerIngressSchema, LoadBalancerStatusSchema,
  ServiceSpecSchema, ServiceSchema, NODE_PORT_RANGE, Services, EndpointAddressSchema,
  EndpointPortSchema, EndpointSubsetSchema, EndpointsSchema, Endpoints,
} from './api/kinds/service.js';
export type {
  ServiceType, ServicePort, LoadBalancerIngress, LoadBalancerStatus, ServiceSpec, Service,
  EndpointAddress, EndpointPort, EndpointSubset,
} from './api/kinds/service.js';
// core/v1: persistent volumes
export {
  PersistentVolumeAccessModeSchema, PersistentVolumeSpecSchema, PersistentVolumePhaseSchema,
  PersistentVolumeSchema, PersistentVolumes, PersistentVolumeClaimPhaseSchema,
  PersistentVolumeClaimStatusSchema, PersistentVolumeClaimSchema, PersistentVolumeClaims,
} from './api/kinds/volume.js';
export type {
  PersistentVolumeAccessMode, PersistentVolumeSpec, PersistentVolumePhase, PersistentVolume,
  PersistentVolumeClaimPhase, PersistentVolumeClaimStatus, PersistentVolumeClaim,
} from './api/kinds/volume.js';
// core/v1: the other core kinds
export {
  NamespacePhaseSchema, NamespaceSchema, Namespaces, ConfigMapSchema, ConfigMaps, SecretSchema,
  Secrets, ServiceAccountSchema, ServiceAccounts, EventSchema, Events, ResourceQuotaSchema,
  ResourceQuotas, LimitRangeItemSchema, LimitRangeSchema, LimitRanges, ReplicationControllerSchema,
  ReplicationControllers,
} from './api/kinds/core.js';
export type {
  NamespacePhase, Namespace, ConfigMap, Secret, ServiceAccount, Event, ResourceQuota, LimitRangeItem,
  LimitRange, ReplicationController,
} from './api/kinds/core.js';
// apps/v1
export {
  WorkloadConditionSchema, ReplicaSetSpecSchema, ReplicaSetStatusSchema, ReplicaSetSchema, ReplicaSets,
  RollingUpdateDeploymentSchema, DeploymentStrategySchema, DeploymentSpecSchema,
  DeploymentStatusSchema, DeploymentSchema, DEFAULT_DEPLOYMENT_ROLLING_UPDATE, Deployments,
  PersistentVolumeClaimTemplateSchema, StatefulSetUpdateStrategySchema,
  StatefulSetPersistentVolumeClaimRetentionPolicySchema, StatefulSetSpecSchema,
  StatefulSetStatusSchema, StatefulSetSchema, StatefulSets, DaemonSetUpdateStrategySchema,
  DaemonSetSpecSchema, DaemonSetStatusSchema, DaemonSetSchema, DaemonSets, ControllerRevisionSchema,
  ControllerRevisions, CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
} from './api/kinds/apps.js';
export type {
  WorkloadCondition, ReplicaSetSpec, ReplicaSetStatus, ReplicaSet, RollingUpdateDeployment,
  DeploymentStrategy, DeploymentSpec, DeploymentStatus, Deployment, PersistentVolumeClaimTemplate,
  StatefulSetUpdateStrategy, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
  StatefulSetStatus, StatefulSet, DaemonSetUpdateStrategy, DaemonSetSpec, DaemonSetStatus, DaemonSet,
  ControllerRevision,
} from './api/kinds/apps.js';
// batch/v1
export {
  JobConditionSchema, PodFailurePolicyRuleSchema, JobSpecSchema, JobStatusSchema, JobSchema,
  JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, Jobs, JobTemplateSpecSchema, CronJobSpecSchema,
  CronJobStatusSchema, CronJobSchema, CronJobs,
} from './api/kinds/batch.js';
export type {
  JobCondition, PodFailurePolicyRule, JobSpec, JobStatus, Job, JobTemplateSpec, CronJobSpec,
  CronJobStatus, CronJob,
} from './api/kinds/batch.js';
// autoscaling/v2
export {
  CrossVersionObjectReferenceSchema, MetricTargetSchema, MetricValueStatusSchema,
  MetricIdentifierSchema, MetricSourceTypeSchema, MetricSpecSchema, MetricStatusSchema,
  HPAScalingPolicySchema, HPAScalingRulesSchema, HorizontalPodAutoscalerBehaviorSchema,
  DEFAULT_HPA_SCALE_UP, DEFAULT_HPA_SCALE_DOWN, DEFAULT_CPU_UTILIZATION,
  HorizontalPodAutoscalerSpecSchema, HorizontalPodAutoscalerStatusSchema,
  HorizontalPodAutoscalerSchema, HorizontalPodAutoscalers,
} from './api/kinds/autoscaling.js';
export { convertHorizontalPodAutoscalerToV1, convertHorizontalPodAutoscalerV1 } from './api/kinds/autoscaling-v1.js';
export type {
  CrossVersionObjectReference, MetricTarget, MetricValueStatus, MetricIdentifier, MetricSourceType,
  MetricSpec, MetricStatus, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscalerBehavior,
  DefaultScalingRules, HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus,
  HorizontalPodAutoscaler,
} from './api/kinds/autoscaling.js';
// networking.k8s.io/v1
export {
  IngressServiceBackendSchema, IngressBackendSchema, PathTypeSchema, HTTPIngressPathSchema,
  IngressRuleSchema, IngressTLSSchema, IngressSpecSchema, IngressSchema, Ingresses, IngressClassSchema,
  DEFAULT_INGRESS_CLASS_ANNOTATION, IngressClasses,
} from './api/kinds/networking.js';
export type {
  IngressServiceBackend, IngressBackend, PathType, HTTPIngressPath, IngressRule, IngressTLS,
  IngressSpec, Ingress, IngressClass,
} from './api/kinds/networking.js';
// discovery.k8s.io/v1
export {
  EndpointConditionsSchema, EndpointSchema, EndpointSlicePortSchema, EndpointSliceSchema,
  SERVICE_NAME_LABEL, ENDPOINTSLICE_MANAGED_BY_LABEL, ENDPOINTSLICE_CONTROLLER_MANAGED_BY, EndpointSlices,
} from './api/kinds/discovery.js';
export type { EndpointConditions, Endpoint, EndpointSlicePort, EndpointSlice } from './api/kinds/discovery.js';
// metrics.k8s.io/v1beta1 (served by the metrics-server plugin, not built in)
export { ContainerMetricsSchema, NodeMetricsSchema, NodeMetricses, PodMetricsSchema, PodMetricses } from './api/kinds/metrics.js';
export type { ContainerMetrics, NodeMetrics, PodMetrics } from './api/kinds/metrics.js';
// custom.metrics.k8s.io / external.metrics.k8s.io (served by a metrics adapter plugin, not built in)
export {
  DESCRIBED_KIND_LABEL,
  DescribedObjectSchema,
  ExternalMetricValueSchema,
  ExternalMetricValues,
  METRIC_NAME_LABEL,
  MetricValueSchema,
  MetricValues,
  metricLabelValue,
} from './api/kinds/custom-metrics.js';
export type { DescribedObject, ExternalMetricValue, MetricValue } from './api/kinds/custom-metrics.js';

// coordination.k8s.io/v1
export { LeaseSpecSchema, LeaseSchema, NODE_LEASE_NAMESPACE, Leases } from './api/kinds/coordination.js';
export type { LeaseSpec, Lease } from './api/kinds/coordination.js';
// policy/v1
export {
  PodDisruptionBudgetSpecSchema, PodDisruptionBudgetStatusSchema, PodDisruptionBudgetSchema,
  PodDisruptionBudgets,
} from './api/kinds/policy.js';
export type { PodDisruptionBudgetSpec, PodDisruptionBudgetStatus, PodDisruptionBudget } from './api/kinds/policy.js';
export {
  DISRUPTED_POD_TIMEOUT_MS, DISRUPTION_ALLOWED_CONDITION, DisruptionAllowedReasons, budgetsForPod,
  disruptionAllowedConditionUpToDate, disruptionAllowedConditions, setStatusCondition,
} from './api/disruption.js';
export type { DisruptionBudgetLike } from './api/disruption.js';
// rbac.authorization.k8s.io/v1, and RBAC as kube-apiserver evaluates it
export {
  RBAC_GROUP, PolicyRuleSchema, SubjectSchema, RoleRefSchema, AggregationRuleSchema, RoleSchema, ClusterRoleSchema,
  RoleBindingSchema, ClusterRoleBindingSchema, Roles, ClusterRoles, RoleBindings, ClusterRoleBindings,
} from './api/kinds/rbac.js';
export type { PolicyRule, Subject, RoleRef, AggregationRule, Role, ClusterRole, RoleBinding, ClusterRoleBinding } from './api/kinds/rbac.js';
export {
  SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, SYSTEM_SERVICE_ACCOUNTS, apiGroupMatches, authorize, forbiddenMessage,
  forbiddenStatusMessage, nonResourceURLMatches, rbacObjects, requestAttributes, resourceMatches, resourceNameMatches, ruleAllows, rulesFor,
  serviceAccountGroups, serviceAccountUsername, subjectMatches, verbMatches, visitRulesFor,
} from './api/rbac.js';
export type { AuthorizationDecision, NonResourceAttributes, RbacObjects, RequestAttributes, ResourceAttributes, SubjectRules, UserInfo } from './api/rbac.js';
// what GET /version answers
export { servedKubernetesVersion, versionDocument } from './api/version.js';
export type { VersionDocument, VersionInfo } from './api/version.js';
// storage.k8s.io/v1
export { StorageClassSchema, DEFAULT_STORAGE_CLASS_ANNOTATION, StorageClasses } from './api/kinds/storage.js';
export type { StorageClass } from './api/kinds/storage.js';
// scheduling.k8s.io/v1
export type { PriorityClass } from './api/kinds/scheduling.js';
export { PriorityClassSchema, PriorityClasses, HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_CRITICAL_PRIORITY, SYSTEM_PRIORITY_CLASSES } from './api/kinds/scheduling.js';

// Manifests
export { ManifestError, manifestLocation, parseManifests, resolveManifest } from './api/manifest.js';
export type { ManifestErrorCode, RawManifest, ResolvedManifest } from './api/manifest.js';

// The client
export type {
  BindOptions,
  BindingTarget,
  Client,
  DeleteOptions,
  JsonPatchOperation,
  ListOptions,
  Patch,
  PatchOptions,
  Preconditions,
  PropagationPolicy,
  Scale,
  SelectorInput,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client/types.js';
export { apply } from './client/apply.js';
export type { ApplyOptions, ApplyResult } from './client/apply.js';
export { WRITE_VERBS, faults, latency, withInterceptors } from './client/intercept.js';
export type { ClientInterceptor, ClientRequest, ClientVerb } from './client/intercept.js';

// The client over HTTP: a real cluster, or `kubeloop serve`
export { HttpClient, apiErrorFromResponse } from './client/http/client.js';
export type { HttpClientOptions } from './client/http/client.js';
export { ClusterConfigError, SERVICE_ACCOUNT_DIR, inClusterConfig, loadKubeconfig } from './client/http/config.js';
export type { ClusterConfigErrorCode, ClusterConnection, InClusterOptions, KubeconfigOptions, ReadTextFile } from './client/http/config.js';
export { DEFAULT_BURST, DEFAULT_QPS, TokenBucket } from './client/http/rate-limit.js';

// The API server and admission
export { ApiServer, DEFAULT_API_SERVER_ADVERTISE_ADDRESS, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './store/server.js';
export type { ApiServerOptions, WarningSink } from './store/server.js';
export { internalWrite } from './store/registry/verbs.js';
export { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE } from './store/registry/services.js';
export { validateForCreate } from './store/admission.js';
// Patches as the API server applies them (a client that patches another version of a kind applies them itself)
export { applyJsonPatch, applyMergePatch } from './store/patch.js';
export type { AdmissionHook, AdmissionOperation, AdmissionRequest, StoreReader } from './store/admission.js';

// Storage under the API server: the interface a backend implements, and the in-memory one
export { MemoryStorage } from './store/memory.js';
export type { MemoryStorageOptions } from './store/memory.js';
export { LIST_TOO_OLD, StorageError, guaranteedUpdateByPreconditions, isStorageError, tooLargeResourceVersion } from './store/storage.js';
export type {
  ConditionalWrites,
  SelectionPredicate,
  Storage,
  StorageCache,
  StorageDeleteOptions,
  StorageErrorCode,
  StorageEvent,
  StorageKey,
  StorageList,
  StoragePrefix,
  StoragePreconditions,
  StorageWatchOptions,
  StorageListOptions,
  UpdateDecision,
} from './store/storage.js';

// Informers: watcher → reflector → indexed cache, shared per process
export { watcher } from './informer/watcher.js';
export type { BackoffPolicy, WatcherEvent, WatcherOptions } from './informer/watcher.js';
export { CONTROLLER_UID_INDEX, CacheWriter, LABEL_INDEX, NAMESPACE_INDEX, NODE_NAME_INDEX, orphanIndexKey, reflector } from './informer/store.js';
export type { CacheOptions, CacheReader, IndexFunc, InformerEvent } from './informer/store.js';
export { Informer } from './informer/informer.js';
export type { InformerOptions } from './informer/informer.js';
export { SharedInformerFactory } from './informer/factory.js';
export type { InformerSelection, SharedInformerFactoryOptions } from './informer/factory.js';
export { InformerError } from './informer/errors.js';
export type { InformerErrorCode } from './informer/errors.js';

// The workqueue: dedupe, delays where the earlier deadline wins, rate limits
export { createDelayingQueue, createQueue, createRateLimitingQueue } from './workqueue/create.js';
export type { GetResult, QueueOptions, Workqueue, WorkqueueItem } from './workqueue/queue.js';
export type { DelayingWorkqueue } from './workqueue/delaying.js';
export type { RateLimitingQueueOptions, RateLimitingWorkqueue } from './workqueue/rate-limiting.js';
export { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from './workqueue/rate-limiters.js';
export type { RateLimiter } from './workqueue/rate-limiters.js';
export { noopWorkqueueMetricsProvider } from './workqueue/metrics.js';
export type { WorkqueueCounter, WorkqueueGauge, WorkqueueHistogram, WorkqueueMetricsProvider, WorkqueueSettableGauge } from './workqueue/metrics.js';

// The controller runtime: the reconcile contract
export { RequeueAfterError, TerminalError, done, requeueAfter } from './runtime/reconciler.js';
export type { ReconcileContext, Reconciler, Request, Result } from './runtime/reconciler.js';

// The controller runtime: event handlers and predicates
export { NO_REQUESTS, enqueueForObject, enqueueForOwner, enqueueMapped, uniqueRequests } from './runtime/handler.js';
export type { EnqueueForOwnerOptions, EventHandler, MapFunc, OwnerType } from './runtime/handler.js';
export { and, annotationsChanged, generationChanged, isResync, labelsChanged, not, or, predicateFuncs, resourceVersionChanged } from './runtime/predicate.js';
export type { Predicate } from './runtime/predicate.js';

// The controller runtime: controllers, the manager and leader election
export { Controller, ControllerBuilder, controllerFor } from './runtime/controller.js';
export type {
  ControllerDeps,
  ControllerOptions,
  ReconcileErrorHandler,
  ReconcileFunc,
  Runnable,
  WatchOptions as ControllerWatchOptions,
  WatchSource,
} from './runtime/controller.js';
export { Manager, createManager } from './runtime/manager.js';
export type { ManagerConfig, ManagerLeaderElection, ManagerOptions, StopReason } from './runtime/manager.js';
export { LeaderElector } from './runtime/leader-election.js';
export type { LeaderCallbacks, LeaderElectionOptions } from './runtime/leader-election.js';

// The controller runtime: events and metrics
export { EventRecorder } from './runtime/events.js';
export type { EventRecorderOptions, EventType } from './runtime/events.js';
export { RuntimeMetrics } from './runtime/metrics.js';
export type { ControllerMetrics, ReconcileResultLabel } from './runtime/metrics.js';

// The controller runtime: plugins and dependency injection
export { PluginHost, builtinResourcesPlugin, pluginInvariants } from './runtime/plugin.js';
export type {
  AdmissionTarget,
  ControllerFactory,
  ExtensionOf,
  Plugin,
  PluginApi,
  PluginExtensions,
  PluginHostOptions,
  RunnableFactory,
} from './runtime/plugin.js';
export { TOKENS, createContainer } from './runtime/container.js';
export type { ContainerOptions } from './runtime/container.js';
export { RuntimeError } from './runtime/errors.js';
export type { RuntimeErrorCode } from './runtime/errors.js';

// Invariants of controllers, for checkers
export { ClusterSnapshot, clusterState } from './invariants/state.js';
export { activeMs, formatRef, invariant, jumpedMsAt, refOf, stateNowMs, transitionInvariant } from './invariants/types.js';
export type { ClusterState, Invariant, InvariantKind, InvariantViolation, ObjectRef, StateChange } from './invariants/types.js';
export { SERVICE_ADDRESSES_PLUGIN_NAME, serviceAddressInvariants, serviceAddressesPlugin } from './invariants/services.js';
export type { ServiceAddressRanges } from './invariants/services.js';

// Time and randomness
export { formatMicroTime, formatTime, parseTime } from './clock/clock.js';
export type { Clock, Timer } from './clock/clock.js';
export { RealClock } from './clock/real.js';
export { VIRTUAL_EPOCH_MS, VirtualClock, VirtualClockError } from './clock/virtual.js';
export type { RunUntilIdleOptions, VirtualClockErrorCode } from './clock/virtual.js';
export { followWallClock } from './clock/wall.js';
export type { FollowWallClockOptions, WallClockDriver } from './clock/wall.js';
export type { Rng } from './rng/rng.js';
export { seededRng } from './rng/seeded.js';
