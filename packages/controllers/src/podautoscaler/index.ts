/**
 * The horizontal pod autoscaler (upstream `pkg/controller/podautoscaler`): the replica
 * calculator (`desired = ceil(usageRatio × readyPodCount)` with the tolerance, missing and
 * unready pods, for Resource, ContainerResource, Pods, Object and External metrics) and the
 * normalization of its proposal (stabilization windows, scaling policies,
 * min/max, the `AbleToScale` and `ScalingLimited` reasons).
 *
 * @module
 */

// The replica calculator
export {
  DEFAULT_CPU_INITIALIZATION_PERIOD_MS,
  DEFAULT_HPA_TOLERANCE,
  DEFAULT_INITIAL_READINESS_DELAY_MS,
  ReplicaCalculationError,
  groupPods,
  perPodTotalReplicas,
  podRequestsMilli,
  podsMetricReplicas,
  readyPodCount,
  resourceReplicas,
  resourceUtilizationRatio,
  usageRatioReplicas,
} from './replicas.js';
export type { PodGroups, PodMetricSample, PodMetricsInfo, ReplicaCalculatorOptions, ResourceReplicasInput, ResourceReplicasProposal } from './replicas.js';

// Normalization: stabilization, policies, min/max
export {
  DEFAULT_DOWNSCALE_STABILIZATION_MS,
  EMPTY_SCALING_HISTORY,
  filledRules,
  initialHistory,
  normalizeDesiredReplicas,
  recordScaleEvent,
  replicasChangedInPeriod,
  scaleDownLimit,
  scaleUpLimit,
} from './behavior.js';
export type { Normalization, NormalizationCondition, NormalizationInput, ScalingHistory, TimestampedRecommendation, TimestampedScaleEvent } from './behavior.js';

// Registration
export { HPA_PLUGIN_NAME, horizontalPodAutoscalerPlugin } from './plugin.js';

// The controller
export { DEFAULT_HPA_SYNC_PERIOD_MS, HPA_CONTROLLER_COMPONENT, HPA_CONTROLLER_NAME, HorizontalPodAutoscalerReconciler, horizontalPodAutoscalerController } from './controller.js';
export type { HpaControllerOptions } from './controller.js';
export { formatMilliQuantity, samplesFromPodMetrics, setCondition } from './status.js';
export type { HpaConditionType } from './status.js';

// Invariants
export {
  HPA_INVARIANTS,
  hpaScaleDownsStabilized,
  hpaScaleDownsStabilizedInvariant,
  hpaScaleStepsWithinPolicies,
  hpaScaleStepsWithinPoliciesInvariant,
  hpaScalesWithinBounds,
  hpaScalesWithinBoundsInvariant,
} from './invariants.js';
export type { ObservedRescale } from './invariants.js';
