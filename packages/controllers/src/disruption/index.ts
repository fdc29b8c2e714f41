/**
 * The disruption controller (upstream `pkg/controller/disruption`): keeps each
 * PodDisruptionBudget's status — expectedPods from the owning controllers' scale,
 * currentHealthy, desiredHealthy, disruptionsAllowed, observedGeneration, the
 * `DisruptionAllowed` condition and the evictions not yet confirmed (`disruptedPods`) — which the
 * API server's eviction subresource reads and charges.
 *
 * @module
 */

// Registration
export { disruptionPlugin, DISRUPTION_PLUGIN_NAME } from './plugin.js';

// The controller
export { DISRUPTION_CONTROLLER_COMPONENT, DISRUPTION_CONTROLLER_NAME, DisruptionReconciler, STALE_POD_DISRUPTION_CONTROLLER_NAME, StalePodDisruptionReconciler, disruptionController, stalePodDisruptionController } from './controller.js';
export type { DisruptionControllerOptions } from './controller.js';

// Decisions
export { STALE_POD_DISRUPTION_TIMEOUT_MS, clearedDisruptionTarget, countHealthyPods, expectedPodCount, failSafeStatus, findControllerScale, hasDisruptionTarget, podsForBudget, rebuildDisruptedPods, staleDisruptionCondition, syncBudget } from './decide.js';
export type { BudgetSync, ControllerLookups, ControllerScale, ExpectedPodCount, ScaleLookup, ScaledObject } from './decide.js';

// Invariants
export { DISRUPTION_INVARIANTS, budgetStatusMatchesPods, budgetStatusMatchesPodsInvariant, budgetTruth, evictionsRespectBudgets, evictionsRespectBudgetsInvariant } from './invariants.js';
export type { BudgetTruth, DisruptionState } from './invariants.js';
