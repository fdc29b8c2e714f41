/**
 * The ReplicationController controller (upstream `pkg/controller/replication`: the ReplicaSet
 * controller run on RCs through a conversion) works the same with its map selector.
 */
import { describe, expect, it } from 'vitest';
import { Events, Pods, ReplicaSets, ReplicationControllers, controllerRef } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { replicaSetPlugin, replicationControllerPlugin } from '@kubeloop/controllers';
import { replicaInvariants } from '@kubeloop/controllers';

const rc = (replicas: number) => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'legacy', namespace: 'default' },
  // No selector: the API server defaults it (and the labels) from the template's labels.
  spec: { replicas, template: { metadata: { labels: { app: 'legacy', tier: 'be' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } },
});

describe('ReplicationController', () => {
  it('keeps spec.replicas pods with its map selector, adopts and releases, records events as replication-controller', async () => {
    const c = await SimCluster.create({ seed: 3, nodes: 2, controllerManager: { plugins: [replicationControllerPlugin()] } });
    await c.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'default', labels: { app: 'legacy', tier: 'be' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } });
    await c.apply(rc(3));
    await c.settle();
    const owner = await c.get(ReplicationControllers, { namespace: 'default', name: 'legacy' });
    expect(owner.spec.selector).toEqual({ app: 'legacy', tier: 'be' });
    const pods = (await c.list(Pods, { namespace: 'default', labelSelector: 'app=legacy' })).items;
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(controllerRef(p)).toMatchObject({ apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: owner.metadata.uid, controller: true });
    expect(owner.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const created = (await c.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'SuccessfulCreate');
    expect(created).toHaveLength(2);
    expect(created[0]!.source?.component ?? created[0]!.reportingComponent).toBe('replication-controller');

    // A pod that loses one selector label is released and replaced.
    await c.server.patch(Pods, { namespace: 'default', name: 'orphan' }, { type: 'merge', body: { metadata: { labels: { tier: null } } } });
    await c.settle();
    expect(controllerRef(await c.get(Pods, { namespace: 'default', name: 'orphan' }))).toBeUndefined();
    expect(replicaInvariants({ pods: (await c.list(Pods)).items, replicationControllers: (await c.list(ReplicationControllers)).items })).toEqual([]);

    // kubectl scale rc legacy --replicas=1
    const scale = await c.server.getScale(ReplicationControllers, { namespace: 'default', name: 'legacy' });
    await c.server.updateScale(ReplicationControllers, { namespace: 'default', name: 'legacy' }, { ...scale, spec: { replicas: 1 } });
    await c.settle();
    const left = (await c.list(Pods, { namespace: 'default', labelSelector: 'app=legacy,tier=be' })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
    expect(left).toHaveLength(1);
    await c.stop();
  });

  it('an RC and a ReplicaSet with overlapping selectors never share a pod', async () => {
    const c = await SimCluster.create({ seed: 4, nodes: 2, controllerManager: { plugins: [replicaSetPlugin(), replicationControllerPlugin()] } });
    await c.apply([
      rc(2),
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'modern', namespace: 'default' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'legacy' } }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } },
      },
    ]);
    await c.settle();
    const state = { pods: (await c.list(Pods)).items, replicaSets: (await c.list(ReplicaSets)).items, replicationControllers: (await c.list(ReplicationControllers)).items };
    expect(replicaInvariants(state)).toEqual([]);
    await c.stop();
  });
});
