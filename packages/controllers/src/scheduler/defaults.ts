/**
 * The default plugins and the default profile (upstream `getDefaultPlugins`, v1.3x order and weights).
 *
 * @module
 */
import type { Client } from '@kubeloop/core';
import { SUCCESS, unresolvable, type AnyPlugin, type BindPlugin, type SchedulerProfile } from './framework.js';
import { imageLocality, nodeAffinity, nodeName, nodePorts, nodeUnschedulable, prioritySort, taintToleration } from './plugins/node.js';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './plugins/resources.js';
import { defaultPreemption } from './plugins/preemption.js';
import { interPodAffinity, podTopologySpread } from './plugins/topology.js';
import { volumeBinding } from './plugins/volume.js';

/** The name of the default profile, and the `spec.schedulerName` pods get by default. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** The name of the default bind plugin. */
export const DEFAULT_BINDER = 'DefaultBinder';

/**
 * The default binder: `pods/binding` through the client, for the pod of the uid decided on (as
 * upstream's DefaultBinder puts the pod's uid in the `Binding`): a pod deleted and created again
 * under the same name while its binding cycle ran is not bound by it. A failed bind is an
 * `Error` status with the API's message.
 */
export function defaultBinder(client: Client): BindPlugin {
  return {
    name: DEFAULT_BINDER,
    async bind(pod, nodeName) {
      try {
        const uid = pod.metadata.uid;
        await client.bind({ namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' }, { name: nodeName }, uid === undefined || uid === '' ? {} : { preconditions: { uid } });
        return SUCCESS;
      } catch (e) {
        return { ...unresolvable(e instanceof Error ? e.message : String(e)), code: 'Error' };
      }
    },
  };
}

/** The built-in plugins that need nothing but the snapshot, by name. */
export function builtinPlugins(): Map<string, AnyPlugin> {
  const all: AnyPlugin[] = [
    prioritySort,
    nodeUnschedulable,
    nodeName,
    taintToleration,
    nodeAffinity,
    nodePorts,
    nodeResourcesFit,
    volumeBinding,
    podTopologySpread,
    interPodAffinity,
    defaultPreemption,
    nodeResourcesBalancedAllocation,
    imageLocality,
  ];
  return new Map(all.map((p) => [p.name, p]));
}

/**
 * The default profile: upstream's plugin order (filters run in this order and the first
 * failure is a node's reason), DefaultPreemption's message (no eviction) and score weights — TaintToleration 3, NodeAffinity 2,
 * PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1 (LeastAllocated),
 * NodeResourcesBalancedAllocation 1, ImageLocality 1.
 */
export function defaultProfile(schedulerName: string = DEFAULT_SCHEDULER_NAME): SchedulerProfile {
  return {
    schedulerName,
    plugins: [
      { name: 'PrioritySort' },
      { name: 'NodeUnschedulable' },
      { name: 'NodeName' },
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodePorts' },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'VolumeBinding' },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'DefaultPreemption' },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
      { name: 'ImageLocality', weight: 1 },
      { name: DEFAULT_BINDER },
    ],
  };
}

