/**
 * The Vertical Pod Autoscaler (the autoscaler repository's `vertical-pod-autoscaler`):
 *
 * ```
 * PodMetrics ─► recommender (per container: decaying CPU histogram, daily memory peaks)
 *            ─► VPA status.recommendation (target, lowerBound, upperBound, uncappedTarget)
 *            ─► updater (requests outside [lowerBound, upperBound] → eviction)
 *            ─► admission (new pods get the target as requests, limits in proportion)
 * ```
 *
 * @module
 */

// Registration and the kind
export { VPA_PLUGIN_NAME, verticalPodAutoscalerPlugin } from './plugin.js';
export {
  ContainerResourcePolicySchema,
  HistogramCheckpointSchema,
  RecommendedContainerResourcesSchema,
  UpdateModeSchema,
  VerticalPodAutoscalerCheckpointSchema,
  VerticalPodAutoscalerCheckpoints,
  VerticalPodAutoscalerSchema,
  VerticalPodAutoscalers,
} from './kind.js';
export type { ContainerResourcePolicy, RecommendedContainerResources, UpdateMode, VerticalPodAutoscaler, VerticalPodAutoscalerCheckpoint } from './kind.js';

// The recommender's arithmetic
export { CPU_BUCKETS, DEFAULT_HALF_LIFE_MS, DecayingHistogram, ExponentialBuckets, HISTOGRAM_EPSILON, Histogram, MAX_CHECKPOINT_WEIGHT, MEMORY_BUCKETS, MIN_SAMPLE_WEIGHT } from './histogram.js';
export type { HistogramCheckpoint } from './histogram.js';
export {
  CHECKPOINT_VERSION,
  ContainerUsageState,
  LOWER_BOUND_PERCENTILE,
  MAX_RESOURCE_AMOUNT,
  MEMORY_AGGREGATION_INTERVAL_MS,
  OOM_BUMP_UP_RATIO,
  OOM_MIN_BUMP_UP_BYTES,
  POD_MIN_CPU_MILLICORES,
  POD_MIN_MEMORY_MB,
  SAFETY_MARGIN_FRACTION,
  TARGET_PERCENTILE,
  UPPER_BOUND_PERCENTILE,
  capToPolicy,
  containerPolicy,
  containerRecommendation,
  controlledResources,
  estimateContainer,
  formatAmount,
  oomBumpedMemory,
} from './recommend.js';
export type { Amounts, ContainerCheckpoint, Estimate } from './recommend.js';

// Updater and admission
export {
  DEFAULT_EVICTION_TOLERANCE,
  DEFAULT_MIN_REPLICAS,
  MIN_CHANGE_PRIORITY,
  POD_LIFETIME_UPDATE_THRESHOLD_MS,
  VPA_OBSERVED_CONTAINERS_ANNOTATION,
  VPA_UPDATES_ANNOTATION,
  applyRecommendation,
  podsToEvict,
  shouldUpdate,
  updateModeOf,
  updatePriority,
} from './update.js';
export type { UpdatePriority } from './update.js';
export { VPA_ADMISSION, vpaAdmissionHook } from './admission.js';
export { controllingVpa, selectorOf, selects, targetOf, targetResource } from './target.js';

// The controllers
export { DEFAULT_CHECKPOINTS_GC_INTERVAL_MS, DEFAULT_VPA_INTERVAL_MS, VPA_RECOMMENDER_COMPONENT, checkpointName, VPA_UPDATER_COMPONENT, VpaRecommender, VpaUpdater, vpaRecommenderController, vpaUpdaterController } from './controller.js';
export type { VpaControllerOptions } from './controller.js';

// Invariants
export { VPA_INVARIANTS, vpaRequestsWithinBounds, vpaRequestsWithinBoundsInvariant } from './invariants.js';
