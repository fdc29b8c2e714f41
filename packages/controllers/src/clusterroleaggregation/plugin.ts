/**
 * Registration: the cluster role aggregation controller as a core `Plugin`.
 *
 * @module
 */
import { ClusterRoles } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { clusterRoleAggregationController } from './controller.js';
import { CLUSTER_ROLE_AGGREGATION_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link clusterRoleAggregationPlugin} returns. */
export const CLUSTER_ROLE_AGGREGATION_PLUGIN_NAME = 'kubeloop.dev/clusterrole-aggregation';

/**
 * A core plugin that adds the cluster role aggregation controller (controller
 * `clusterrole-aggregation`) and its invariant `clusterRolesAggregated` (liveness).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 0, controllerManager: { plugins: [clusterRoleAggregationPlugin()] } });
 * await cluster.apply(monitoringYaml); // aggregationRule: {clusterRoleSelectors: [{matchLabels: {aggregate-to-monitoring: "true"}}]}
 * await cluster.apply(podReaderYaml); // labelled aggregate-to-monitoring: "true"
 * await cluster.settle(); // monitoring's rules are pod-reader's
 * ```
 */
export function clusterRoleAggregationPlugin(): Plugin {
  return {
    name: CLUSTER_ROLE_AGGREGATION_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => clusterRoleAggregationController(manager));
      api.reconciles(ClusterRoles);
      for (const i of CLUSTER_ROLE_AGGREGATION_INVARIANTS) api.addInvariant(i);
    },
  };
}
