/**
 * Registration: the disruption controller and its invariants as one core `Plugin`.
 *
 * @module
 */
import { PodDisruptionBudgets, type Plugin } from '@kubeloop/core';
import { disruptionController, stalePodDisruptionController, type DisruptionControllerOptions } from './controller.js';
import { DISRUPTION_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link disruptionPlugin} returns. */
export const DISRUPTION_PLUGIN_NAME = 'kubeloop.dev/disruption';

/**
 * A core plugin that adds the disruption controller (upstream `pkg/controller/disruption`),
 * which keeps each PodDisruptionBudget's status (the eviction subresource reads it) and resets
 * stale `DisruptionTarget` conditions on pods that were not deleted (a second queue), and its
 * invariants: the status says what the spec says of the pods after settling
 * (`budgetStatusMatchesPods`), and no eviction is charged to a budget whose pods allow none
 * (`evictionsRespectBudgets`, over transitions).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 3, controllerManager: { plugins: [statefulSetPlugin(), disruptionPlugin()] } });
 * await cluster.apply(zookeeperYaml); // StatefulSet zk (3 replicas) and PodDisruptionBudget zk-pdb (maxUnavailable: 1)
 * await cluster.settle(); // zk-pdb: currentHealthy 3, desiredHealthy 2, disruptionsAllowed 1
 * ```
 */
export function disruptionPlugin(options: DisruptionControllerOptions = {}): Plugin {
  return {
    name: DISRUPTION_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => disruptionController(manager, options));
      api.addController((manager) => stalePodDisruptionController(manager, options));
      api.reconciles(PodDisruptionBudgets);
      for (const i of DISRUPTION_INVARIANTS) api.addInvariant(i);
    },
  };
}
