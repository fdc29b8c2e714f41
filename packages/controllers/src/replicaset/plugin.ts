/**
 * Registration: the ReplicaSet and ReplicationController controllers as core `Plugin`s.
 *
 * @module
 */
import { ReplicaSets, ReplicationControllers } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { replicaSetController, replicationControllerController } from './controller.js';
import type { ReplicaSetControllerOptions } from './controller.js';
import { REPLICA_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link replicaSetPlugin} returns. */
export const REPLICASET_PLUGIN_NAME = 'kubeloop.dev/replicaset';
/** The name of the plugin {@link replicationControllerPlugin} returns. */
export const REPLICATIONCONTROLLER_PLUGIN_NAME = 'kubeloop.dev/replicationcontroller';

/**
 * A core plugin that adds the ReplicaSet controller (controller `replicaset`, events from
 * `replicaset-controller`), and its invariants: `singleController` (safety), no pod created
 * beyond the replica count (`podsNotOvercreated`, transition), and the replica counts and
 * statuses of ReplicaSets after settling (`replicaCountsMatch`, `statusMatchesPods`).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 3, controllerManager: { plugins: [replicaSetPlugin()] } });
 * await cluster.apply(replicaSetYaml);
 * await cluster.settle(); // spec.replicas pods, Running and Ready
 * ```
 */
export function replicaSetPlugin(options: ReplicaSetControllerOptions = {}): Plugin {
  return {
    name: REPLICASET_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => replicaSetController(manager, options));
      api.reconciles(ReplicaSets);
      for (const i of REPLICA_INVARIANTS.ReplicaSet) api.addInvariant(i);
    },
  };
}

/**
 * A core plugin that adds the ReplicationController controller (controller
 * `replicationcontroller`, events from `replication-controller`): the ReplicaSet controller run
 * on ReplicationControllers, as upstream; with the same invariants, on ReplicationControllers.
 */
export function replicationControllerPlugin(options: ReplicaSetControllerOptions = {}): Plugin {
  return {
    name: REPLICATIONCONTROLLER_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => replicationControllerController(manager, options));
      api.reconciles(ReplicationControllers);
      for (const i of REPLICA_INVARIANTS.ReplicationController) api.addInvariant(i);
    },
  };
}
