/**
 * Registration: the Deployment controller as a core `Plugin`.
 *
 * @module
 */
import { Deployments } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { deploymentController } from './controller.js';
import type { DeploymentControllerOptions } from './controller.js';
import { DEPLOYMENT_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link deploymentPlugin} returns. */
export const DEPLOYMENT_PLUGIN_NAME = 'kubeloop.dev/deployment';

/**
 * A core plugin that adds the Deployment controller (controller `deployment`, events from
 * `deployment-controller`). It manages ReplicaSets; the ReplicaSet controller
 * (`replicaSetPlugin`) must run too for pods to exist. Its invariants, for checkers: after
 * settling, one active ReplicaSet per Deployment (`singleActiveReplicaSetAfterSettle`) and
 * statuses that add up (`deploymentStatusMatches`).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({
 *   seed: 1,
 *   nodes: 3,
 *   controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin()] },
 * });
 * await cluster.apply(deploymentYaml);
 * await cluster.settle(); // one ReplicaSet `<name>-<pod-template-hash>`, spec.replicas pods Ready
 * ```
 */
export function deploymentPlugin(options: DeploymentControllerOptions = {}): Plugin {
  return {
    name: DEPLOYMENT_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => deploymentController(manager, options));
      api.reconciles(Deployments);
      for (const i of DEPLOYMENT_INVARIANTS) api.addInvariant(i);
    },
  };
}
