/**
 * Registration: the Cluster Autoscaler and its invariants as one core `Plugin`.
 *
 * @module
 */
import { Nodes, type Plugin } from '@kubeloop/core';
import { ClusterAutoscaler, type ClusterAutoscalerOptions } from './controller.js';
import { clusterAutoscalerInvariants } from './invariants.js';

/** The name of the plugin {@link clusterAutoscalerPlugin} returns. */
export const CLUSTER_AUTOSCALER_PLUGIN_NAME = 'kubeloop.dev/cluster-autoscaler';

/**
 * A core plugin that adds the Cluster Autoscaler (the autoscaler repository's
 * `cluster-autoscaler`) on `options.cloudProvider`: every 10 s it adds nodes to a group for
 * pods the scheduler found no room for (`TriggeredScaleUp` / `NotTriggerScaleUp` events on the
 * pods), and removes nodes under 50 % utilization for 10 minutes whose pods can all move
 * (taint `ToBeDeletedByClusterAutoscaler`, drain by eviction, delete from the cloud); its
 * status goes to the `cluster-autoscaler-status` ConfigMap in kube-system. Its invariants:
 * `clusterAutoscalerWithinMax`, `clusterAutoscalerNotBelowMin`,
 * `clusterAutoscalerRemovesOnlyMovableNodes`, over the groups as the cloud declares them (and
 * `options.maxNodesTotal` for the whole cluster).
 *
 * @example
 * ```ts
 * const cluster = await SimCluster.create({ seed: 1, nodes: 1, nodeGroups: [{ name: 'pool', maxSize: 3, cpu: '2', memory: '4Gi' }] });
 * await cluster.apply(bigDeploymentYaml); // pods that fit on no node: PodScheduled=False Unschedulable
 * await cluster.advance(120_000);         // TriggeredScaleUp: pod triggered scale-up: [{pool 0->1 (max: 3)}]; pool-1 joins
 * ```
 */
export function clusterAutoscalerPlugin(options: ClusterAutoscalerOptions): Plugin {
  const cloud = options.cloudProvider;
  return {
    name: CLUSTER_AUTOSCALER_PLUGIN_NAME,
    register(api) {
      api.addRunnable((manager) => new ClusterAutoscaler(manager, options));
      api.reconciles(Nodes);
      const groups = cloud.nodeGroups().map((g) => ({ id: g.id, minSize: g.minSize, maxSize: g.maxSize }));
      for (const i of clusterAutoscalerInvariants(groups, (n) => cloud.nodeGroupForNode(n)?.id, { maxNodesTotal: options.maxNodesTotal })) api.addInvariant(i);
    },
  };
}
