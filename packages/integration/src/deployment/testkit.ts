/**
 * Helpers of the Deployment tests (not exported from the package): a cluster with the
 * ReplicaSet and Deployment controllers, snapshots of the state the invariants read, and
 * Deployment manifests.
 *
 * @module
 */
import { Deployments, Pods, ReplicaSets, controllerRef } from '@kubeloop/core';
import type { ClientInterceptor, Clock, Deployment, KubeObject, Pod, ReplicaSet } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { replicaSetPlugin } from '@kubeloop/controllers';
import type { DeploymentState } from '@kubeloop/controllers';
import { deploymentPlugin } from '@kubeloop/controllers';

/** A SimCluster running the ReplicaSet and Deployment controllers. */
export function deploymentCluster(seed: number, nodes = 3, interceptors?: (clock: Clock) => readonly ClientInterceptor[]): Promise<SimCluster> {
  return SimCluster.create({
    seed,
    nodes,
    controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin()], ...(interceptors === undefined ? {} : { interceptors }) },
  });
}

/** The current Deployments, ReplicaSets and pods of the cluster. */
export async function snapshot(cluster: SimCluster): Promise<DeploymentState> {
  return {
    deployments: (await cluster.list(Deployments)).items,
    replicaSets: (await cluster.list(ReplicaSets)).items,
    pods: (await cluster.list(Pods)).items,
    nowMs: cluster.clock.now(),
  };
}

/** The ReplicaSets a Deployment controls, oldest first. */
export async function replicaSetsOf(cluster: SimCluster, name: string, namespace = 'default'): Promise<ReplicaSet[]> {
  const d = await cluster.get(Deployments, { namespace, name });
  return (await cluster.list(ReplicaSets, { namespace })).items
    .filter((rs) => controllerRef(rs)?.uid === d.metadata.uid)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** A Deployment manifest named `name` with `replicas` nginx pods labelled `app: name`. */
export function deploymentManifest(name: string, replicas: number, extra: { strategy?: object; env?: string; annotations?: Record<string, string>; spec?: object } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(extra.annotations === undefined ? {} : { annotations: extra.annotations }) },
        spec: { containers: [{ name: 'app', image: 'nginx:1.25', ...(extra.env === undefined ? {} : { env: [{ name: 'VERSION', value: extra.env }] }) }] },
      },
      ...(extra.strategy === undefined ? {} : { strategy: extra.strategy }),
      ...extra.spec,
    },
  } as unknown as Deployment;
}

/**
 * Replays `cluster.trace()` from entry `from` on, calling `check` with the state after each
 * change (Deployments, ReplicaSets and pods as the store held them right after it). The state
 * before `from` is rebuilt from the earlier entries.
 */
export function replaySince(cluster: SimCluster, from: number, check: (state: DeploymentState, t: number) => void): void {
  const live = { Deployment: new Map<string, Deployment>(), ReplicaSet: new Map<string, ReplicaSet>(), Pod: new Map<string, Pod>() };
  const entries = cluster.trace();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const kind = e.object.kind as keyof typeof live;
    const map = live[kind] as Map<string, KubeObject> | undefined;
    if (map === undefined) continue;
    const key = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name ?? ''}`;
    if (e.type === 'DELETED') map.delete(key);
    else map.set(key, e.object);
    if (i < from) continue;
    check({ deployments: [...live.Deployment.values()], replicaSets: [...live.ReplicaSet.values()], pods: [...live.Pod.values()], nowMs: e.t + cluster.clock.now() - cluster.now() }, e.t);
  }
}
