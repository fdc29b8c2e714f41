/**
 * The cluster role aggregation controller — upstream's `pkg/controller/clusterroleaggregation`:
 * a ClusterRole with an `aggregationRule` holds the rules of the ClusterRoles its selectors
 * match — and the bootstrap RBAC policy (`cluster-admin`, `admin`, `edit`, `view`, discovery)
 * an API server creates at start.
 *
 * @module
 */

// Registration
export { clusterRoleAggregationPlugin, CLUSTER_ROLE_AGGREGATION_PLUGIN_NAME } from './plugin.js';

// The controller
export { CLUSTER_ROLE_AGGREGATION_CONTROLLER_NAME, ClusterRoleAggregationReconciler, clusterRoleAggregationController } from './controller.js';

// Decisions
export { aggregatedRules, normalizeRule, rulesUpToDate, sameRule } from './decide.js';

// The bootstrap policy
export { BOOTSTRAP_CLUSTER_ROLES, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, ensureBootstrapPolicy } from './bootstrap.js';

// Invariants
export { CLUSTER_ROLE_AGGREGATION_INVARIANTS, aggregationIncomplete, clusterRolesAggregatedInvariant } from './invariants.js';
