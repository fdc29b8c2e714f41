/**
 * Cascading deletion of workloads, as `kubectl delete --cascade=background|foreground|orphan`
 * does it (upstream `test/e2e/apimachinery/garbage_collector.go`: "should delete RS created by
 * deployment when not orphaning", "should orphan RS created by deployment when deleteOptions
 * .PropagationPolicy is Orphan", "should keep the rc around until all its pods are deleted if the
 * deleteOptions says so"), with the ReplicaSet and Deployment controllers and the garbage
 * collector in the controller manager.
 */
import { describe, expect, it } from 'vitest';
import { ControllerRevisions, DaemonSets, Deployments, Pods, ReplicaSets, controllerRef } from '@kubeloop/core';
import type { Deployment, KubeObject } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { deploymentPlugin } from '@kubeloop/controllers';
import { replicaSetPlugin } from '@kubeloop/controllers';
import { foregroundOrder, noDanglingDependents, noLiveOwnerCollected } from '@kubeloop/controllers';
import { garbageCollectorPlugin } from '@kubeloop/controllers';

async function cluster(seed = 5): Promise<SimCluster> {
  return SimCluster.create({ seed, nodes: 2, controllerManager: { plugins: [replicaSetPlugin(), deploymentPlugin(), garbageCollectorPlugin()] } });
}

function web(replicas = 3): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
    },
  } as unknown as Deployment;
}

async function state(c: SimCluster) {
  const deployments = (await c.list(Deployments, { namespace: 'default' })).items;
  const replicaSets = (await c.list(ReplicaSets, { namespace: 'default' })).items;
  const pods = (await c.list(Pods, { namespace: 'default' })).items;
  return { deployments, replicaSets, pods, all: [...deployments, ...replicaSets, ...pods] as KubeObject[] };
}

async function deployed(c: SimCluster): Promise<{ deployment: Deployment; rsUid: string; podUids: string[] }> {
  await c.apply(web());
  await c.settle();
  const s = await state(c);
  expect(s.replicaSets).toHaveLength(1);
  expect(s.pods).toHaveLength(3);
  return { deployment: s.deployments[0]!, rsUid: s.replicaSets[0]!.metadata.uid ?? '', podUids: s.pods.map((p) => p.metadata.uid ?? '').sort() };
}

describe('kubectl delete deployment --cascade', () => {
  it('background: the Deployment goes at once, then its ReplicaSet and pods are collected', async () => {
    const c = await cluster();
    const { deployment } = await deployed(c);
    await c.delete(Deployments, { namespace: 'default', name: 'web' }, { propagationPolicy: 'Background' });
    expect((await state(c)).deployments).toEqual([]);
    await c.settle();
    const s = await state(c);
    expect(s.replicaSets).toEqual([]);
    expect(s.pods).toEqual([]);
    expect(noLiveOwnerCollected({ trace: c.trace(), deletedByUser: new Set([deployment.metadata.uid ?? '']) })).toEqual([]);
    await c.stop();
  });

  it('foreground: pods go first, then the ReplicaSet, then the Deployment (it waits with foregroundDeletion)', async () => {
    const c = await cluster();
    const { deployment, rsUid, podUids } = await deployed(c);
    const start = c.trace().length;
    await c.delete(Deployments, { namespace: 'default', name: 'web' }, { propagationPolicy: 'Foreground' });
    await c.settle();
    // The Deployment waited, marked with foregroundDeletion (the fake kubelet stops nginx at
    // once, so the whole cascade fits in one virtual millisecond: the trace shows the order).
    const marked = c.trace().slice(start).find((e) => e.type === 'MODIFIED' && e.object.metadata.uid === deployment.metadata.uid);
    expect(marked?.object.metadata.deletionTimestamp).toBeDefined();
    expect(marked?.object.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect((await state(c)).all).toEqual([]);
    const order = c
      .trace()
      .slice(start)
      .filter((e) => e.type === 'DELETED')
      .map((e) => e.object.metadata.uid ?? '');
    const lastPod = Math.max(...podUids.map((u) => order.indexOf(u)));
    expect(lastPod).toBeGreaterThanOrEqual(0);
    expect(lastPod).toBeLessThan(order.indexOf(rsUid));
    expect(order.indexOf(rsUid)).toBeLessThan(order.indexOf(deployment.metadata.uid ?? ''));
    expect(foregroundOrder({ trace: c.trace() })).toEqual([]);
    await c.stop();
  });

  it('orphan: the ReplicaSet and pods stay (the ReplicaSet without its owner reference); a re-created Deployment adopts them', async () => {
    const c = await cluster();
    const { rsUid, podUids } = await deployed(c);
    await c.delete(Deployments, { namespace: 'default', name: 'web' }, { propagationPolicy: 'Orphan' });
    await c.settle();
    let s = await state(c);
    expect(s.deployments).toEqual([]);
    expect(s.replicaSets.map((rs) => rs.metadata.uid)).toEqual([rsUid]);
    expect(s.replicaSets[0]!.metadata.ownerReferences).toBeUndefined();
    expect(s.pods.map((p) => p.metadata.uid).sort()).toEqual(podUids);
    expect(s.pods.every((p) => controllerRef(p)?.uid === rsUid)).toBe(true);

    // kubectl apply the same Deployment again: it adopts the orphaned ReplicaSet (same
    // pod-template-hash), which keeps its pods; nothing is created or deleted.
    await c.apply(web());
    await c.settle();
    s = await state(c);
    const d = s.deployments[0]!;
    expect(s.replicaSets.map((rs) => rs.metadata.uid)).toEqual([rsUid]);
    expect(controllerRef(s.replicaSets[0]!)).toMatchObject({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true });
    expect(s.pods.map((p) => p.metadata.uid).sort()).toEqual(podUids);
    expect(noDanglingDependents({ objects: s.all })).toEqual([]);
    await c.stop();
  });

  it('orphan of a ReplicaSet: its pods stay without an owner, and a re-created ReplicaSet adopts them', async () => {
    const c = await cluster(9);
    await c.apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'cache', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'cache' } }, template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } },
    });
    await c.settle();
    const before = (await state(c)).pods.map((p) => p.metadata.uid).sort();
    expect(before).toHaveLength(2);
    await c.delete(ReplicaSets, { namespace: 'default', name: 'cache' }, { propagationPolicy: 'Orphan' });
    await c.settle();
    let s = await state(c);
    expect(s.replicaSets).toEqual([]);
    expect(s.pods.map((p) => p.metadata.uid).sort()).toEqual(before);
    expect(s.pods.every((p) => (p.metadata.ownerReferences ?? []).length === 0)).toBe(true);
    await c.apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'cache', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'cache' } }, template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [{ name: 'c', image: 'redis:7' }] } } },
    });
    await c.settle();
    s = await state(c);
    const rs = s.replicaSets[0]!;
    expect(s.pods.map((p) => p.metadata.uid).sort()).toEqual(before);
    expect(s.pods.every((p) => controllerRef(p)?.uid === rs.metadata.uid)).toBe(true);
    await c.stop();
  });

  it('with the default controller manager: deleting a DaemonSet collects its pods and ControllerRevisions', async () => {
    const c = await SimCluster.create({ seed: 3, nodes: 3 });
    await c.apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'nginx:1.25' }] } } },
    });
    await c.settle();
    expect((await c.list(Pods, { namespace: 'default' })).items).toHaveLength(3);
    expect((await c.list(ControllerRevisions, { namespace: 'default' })).items.length).toBeGreaterThan(0);
    await c.delete(DaemonSets, { namespace: 'default', name: 'agent' });
    await c.settle();
    expect((await c.list(Pods, { namespace: 'default' })).items).toEqual([]);
    expect((await c.list(ControllerRevisions, { namespace: 'default' })).items).toEqual([]);
    await c.stop();
  });
});
