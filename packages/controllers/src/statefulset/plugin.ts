/**
 * Registration: the StatefulSet controller and its invariants as one core `Plugin`.
 *
 * @module
 */
import { StatefulSets } from '@kubeloop/core';
import type { Plugin } from '@kubeloop/core';
import { statefulSetController, type StatefulSetControllerOptions } from './controller.js';
import { STATEFULSET_INVARIANTS } from './invariants.js';

/** The name of the plugin {@link statefulSetPlugin} returns. */
export const STATEFULSET_PLUGIN_NAME = 'kubeloop.dev/statefulset';

/**
 * A core plugin that adds the StatefulSet controller (upstream `pkg/controller/statefulset`),
 * and its invariants: pods named by ordinal inside the range after settling
 * (`statefulPodsInRange`), at most one pod per ordinal at any time (`onePodPerOrdinal`), and
 * ordered creation under OrderedReady (`orderedReadyCreation`, over transitions), each pod
 * mounting its own ordinal's claims (`podMountsOwnClaim`), and no claim deleted while the
 * retention policy says Retain (`retainClaimNeverDeleted`, over transitions).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 2, controllerManager: { plugins: [statefulSetPlugin()] } });
 * await cluster.apply(statefulSetYaml);
 * await cluster.settle(); // web-0, web-1, web-2, created in that order
 * ```
 */
export function statefulSetPlugin(options: StatefulSetControllerOptions = {}): Plugin {
  return {
    name: STATEFULSET_PLUGIN_NAME,
    register(api) {
      api.addController((manager) => statefulSetController(manager, options));
      api.reconciles(StatefulSets);
      for (const i of STATEFULSET_INVARIANTS) api.addInvariant(i);
    },
  };
}
