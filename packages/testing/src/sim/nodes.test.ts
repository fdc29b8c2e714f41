/**
 * Machines joining and leaving a running SimCluster (`addNode`, `removeNode`, `restoreNode`),
 * and what the cluster does about it: the scheduler uses a new node; the pod garbage collector
 * and the garbage collector clean up after a removed one, as upstream.
 */
import { describe, expect, it } from 'vitest';
import { Leases, NODE_LEASE_NAMESPACE, Nodes, Pods, isApiError } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { SimCluster, SimClusterError } from '../index.js';

const gpuPod = `apiVersion: v1
kind: Pod
metadata: { name: trainer }
spec:
  nodeSelector: { pool: gpu }
  containers:
  - name: trainer
    image: example.com/trainer:1
`;

const web = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 4
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources: { requests: { cpu: "1" } }
`;

async function podsByNode(cluster: SimCluster): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of (await cluster.list(Pods)).items as Pod[]) (out[p.spec.nodeName ?? '(none)'] ??= []).push(p.status.phase ?? '');
  return out;
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (e) {
    if (isApiError(e, 'NotFound')) return true;
    throw e;
  }
}

describe('SimCluster nodes joining and leaving', () => {
  it('registers a node added at run time, and the scheduler places the pod that waited for it', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 1 });
    await cluster.apply(gpuPod);
    await cluster.settle();
    expect((await cluster.get(Pods, { namespace: 'default', name: 'trainer' })).status.phase).toBe('Pending');

    await cluster.addNode({ name: 'node-gpu', labels: { pool: 'gpu' } });
    const node = await cluster.get(Nodes, { name: 'node-gpu' });
    // Its addresses follow the nodes before it.
    expect(node.spec.podCIDR).toBe('10.1.1.0/24');
    expect(node.metadata.labels?.['pool']).toBe('gpu');
    expect((await cluster.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-gpu' })).spec.holderIdentity).toBe('node-gpu');
    await cluster.settle();
    const pod = await cluster.get(Pods, { namespace: 'default', name: 'trainer' });
    expect([pod.spec.nodeName, pod.status.phase]).toEqual(['node-gpu', 'Running']);
    await cluster.stop();
  });

  it('refuses a node whose name is taken, or whose spec is invalid, and adds nothing', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 1 });
    await expect(cluster.addNode({ name: 'node-1' })).rejects.toThrow(new SimClusterError('invalid-option', 'cannot add node "node-1": duplicate fake node name "node-1"'));
    const bad = cluster.addNode({ name: 'node-2', cpu: 'lots' });
    await expect(bad).rejects.toBeInstanceOf(SimClusterError);
    await expect(bad).rejects.toThrow(/^cannot add node "node-2": .*cpu.*lots/);
    // Checked as the API server would check the Node, before the kubelet starts: the field and the reason.
    const badName = cluster.addNode({ name: 'Bad_Name' });
    await expect(badName).rejects.toBeInstanceOf(SimClusterError);
    await expect(badName).rejects.toThrow(/^cannot add node "Bad_Name": invalid node "Bad_Name": Node "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    await expect(cluster.addNode({ name: 'node-3', taints: [{ key: 'k', effect: 'Sometimes' as never }] })).rejects.toThrow(/^cannot add node "node-3": invalid node "node-3": Node "node-3" is invalid: spec.taints\[0\].effect/);
    expect((await cluster.list(Nodes)).items.map((n) => n.metadata.name)).toEqual(['node-1']);
    expect(cluster.nodes.kubelets().map((k) => k.nodeName)).toEqual(['node-1']);
    await cluster.stop();
  });

  it('removes a node: the pod GC fails and deletes its pods after the quarantine, the GC its Lease, and the Deployment replaces them', async () => {
    const cluster = await SimCluster.create({ seed: 5, nodes: [{ name: 'node-1' }, { name: 'node-2', labels: { zone: 'b' } }] });
    await cluster.apply(web);
    await cluster.settle();
    const before = await podsByNode(cluster);
    expect(before['node-2']?.length ?? 0).toBeGreaterThan(0);

    await cluster.removeNode('node-2');
    expect(await gone(() => cluster.get(Nodes, { name: 'node-2' }))).toBe(true);
    // The pod GC waits out its quarantine (40 s) before it touches the pods of a missing node.
    await cluster.advance(30_000);
    expect((await podsByNode(cluster))['node-2']?.length).toBe(before['node-2']!.length);

    await cluster.settle();
    const after = await podsByNode(cluster);
    expect(after['node-2']).toBeUndefined();
    // Four replicas of 1 cpu fit on the 4-cpu node left; the Deployment made up the difference.
    expect(after).toEqual({ 'node-1': ['Running', 'Running', 'Running', 'Running'] });
    expect(await gone(() => cluster.get(Leases, { namespace: NODE_LEASE_NAMESPACE, name: 'node-2' }))).toBe(true);
    await cluster.stop();
  });

  it('boots a removed node afresh: a pod still bound to it whose selector no longer matches is rejected (NodeAffinity)', async () => {
    const cluster = await SimCluster.create({ seed: 7, nodes: 1, controllerManager: false });
    await cluster.server.patch(Nodes, { name: 'node-1' }, { type: 'merge', body: { metadata: { labels: { pool: 'gpu' } } } });
    await cluster.apply(gpuPod);
    await cluster.settle();
    expect((await cluster.get(Pods, { namespace: 'default', name: 'trainer' })).status.phase).toBe('Running');
    await cluster.removeNode('node-1');
    // Back within the pod GC's quarantine (none runs here anyway): registered without the label.
    await cluster.restoreNode('node-1');
    await cluster.settle();
    expect((await cluster.get(Pods, { namespace: 'default', name: 'trainer' })).status).toMatchObject({ phase: 'Failed', reason: 'NodeAffinity' });
    await cluster.stop();
  });

  it('brings a removed node back with its original labels, and removing twice is no error', async () => {
    const cluster = await SimCluster.create({ seed: 5, nodes: [{ name: 'node-1' }, { name: 'node-2', labels: { zone: 'b' } }] });
    await cluster.removeNode('node-2');
    await cluster.removeNode('node-2');
    expect(cluster.nodes.kubelet('node-2')?.running).toBe(false);
    await cluster.restoreNode('node-2');
    expect((await cluster.get(Nodes, { name: 'node-2' })).metadata.labels?.['zone']).toBe('b');
    await expect(cluster.removeNode('node-9')).rejects.toThrow(new SimClusterError('unknown-node', 'no node "node-9" in this cluster (nodes: node-1, node-2)'));
    await cluster.stop();
  });
});
