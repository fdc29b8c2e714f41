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
export { DISRUPTION_CONTROLLER_COMPONENT, DISRUPTION_CONTROLLER_NAME, DisruptionReconciler, disruptionController } from './controller.js';
export type { DisruptionControllerOptions } from './controller.js';

// Decisions
export { countHealthyPods, expectedPodCount, failSafeStatus, findControllerScale, podsForBudget, rebuildDisruptedPods, syncBudget } from './decide.js';
export type { BudgetSync, ControllerLookups, ControllerScale, ExpectedPodCount, ScaleLookup, ScaledObject } from './decide.js';

// Invariants
export { DISRUPTION_INVARIANTS, budgetStatusMatchesPods, budgetStatusMatchesPodsInvariant, budgetTruth, evictionsRespectBudgets, evictionsRespectBudgetsInvariant } from './invariants.js';
export type { BudgetTruth, DisruptionState } from './invariants.js';
