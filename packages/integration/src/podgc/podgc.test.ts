/**
 * The pod garbage collector on a SimCluster, the case that needs it — a node deleted while its
 * pods are still bound to it (upstream `gcOrphaned`). The decisions are tabled next to the
 * controller, in `packages/controllers/src/podgc/podgc.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { Nodes, Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

describe('pod GC on a cluster', () => {
  it('force-deletes the pods of a deleted node after the 40 s quarantine, and their ReplicaSet replaces them elsewhere', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 3 });
    await cluster.apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 6, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await cluster.settle();
    const onNode1 = (await cluster.list(Pods)).items.filter((p) => p.spec.nodeName === 'node-1');
    expect(onNode1.length).toBeGreaterThan(0);

    cluster.stopNode('node-1');
    await cluster.delete(Nodes, { name: 'node-1' });
    await cluster.advance(30_000);
    // Still quarantined: the node has not been missing for 40 s at any pass yet.
    expect((await cluster.list(Pods)).items.filter((p) => p.spec.nodeName === 'node-1').length).toBe(onNode1.length);

    await cluster.advance(40_000);
    const pods = (await cluster.list(Pods)).items;
    expect(pods.filter((p) => p.spec.nodeName === 'node-1')).toEqual([]);
    await cluster.settle();
    const after = (await cluster.list(Pods)).items;
    expect(after).toHaveLength(6);
    expect(after.every((p) => p.spec.nodeName !== 'node-1' && p.status.phase === 'Running')).toBe(true);
    await cluster.stop();
  });
});
