/**
 * The pod garbage collector: decisions by table, and on a SimCluster the case that needs it —
 * a node deleted while its pods are still bound to it (upstream `gcOrphaned`).
 */
import { describe, expect, it } from 'vitest';
import { NodeSchema, Nodes, PodSchema, Pods, formatTime, type Node, type Pod } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { failedStatus, podsOnMissingNodes, terminatedToDelete, terminatingOnOutOfServiceNodes, unscheduledTerminating } from './decide.js';

const T0 = Date.UTC(2026, 0, 1); // a fixed instant for fixtures, not the wall clock

function pod(name: string, o: { node?: string; phase?: 'Running' | 'Succeeded' | 'Failed'; createdAt?: number; deleting?: boolean } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: formatTime(o.createdAt ?? T0), ...(o.deleting ? { deletionTimestamp: formatTime(T0) } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: { phase: o.phase ?? 'Running' },
  });
}

function node(name: string, o: { ready?: boolean; outOfService?: boolean } = {}): Node {
  return NodeSchema.parse({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: o.outOfService ? { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] } : {},
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  });
}

const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata.name);

describe('pod GC decisions (upstream pkg/controller/podgc)', () => {
  it('deletes the oldest finished pods beyond the threshold, never running ones', () => {
    const pods = [
      pod('new-done', { phase: 'Succeeded', createdAt: T0 + 3_000 }),
      pod('old-done', { phase: 'Failed', createdAt: T0 + 1_000 }),
      pod('mid-done', { phase: 'Succeeded', createdAt: T0 + 2_000 }),
      pod('running', { createdAt: T0 }),
    ];
    expect(names(terminatedToDelete(pods, 1))).toEqual(['old-done', 'mid-done']);
    expect(terminatedToDelete(pods, 3)).toEqual([]);
    expect(terminatedToDelete(pods, 0)).toEqual([]);
  });

  it('groups pods bound to nodes the cache does not know by node', () => {
    const missing = podsOnMissingNodes([pod('a', { node: 'gone' }), pod('b', { node: 'here' }), pod('c'), pod('d', { node: 'gone' })], [node('here')]);
    expect([...missing.keys()]).toEqual(['gone']);
    expect(names(missing.get('gone')!)).toEqual(['a', 'd']);
  });

  it('collects terminating pods that were never scheduled, and terminating pods on not-Ready out-of-service nodes', () => {
    expect(names(unscheduledTerminating([pod('a', { deleting: true }), pod('b'), pod('c', { node: 'n', deleting: true })]))).toEqual(['a']);
    const pods = [pod('on-oos', { node: 'oos', deleting: true }), pod('on-ready-oos', { node: 'ready-oos', deleting: true }), pod('not-deleting', { node: 'oos' })];
    expect(names(terminatingOnOutOfServiceNodes(pods, [node('oos', { ready: false, outOfService: true }), node('ready-oos', { outOfService: true })]))).toEqual(['on-oos']);
  });

  it('marks an unfinished pod Failed with DisruptionTarget/DeletionByPodGC, and leaves a finished one alone', () => {
    expect(failedStatus(pod('a'), 'PodGC: node no longer exists', 't')).toMatchObject({
      phase: 'Failed',
      conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' }],
    });
    expect(failedStatus(pod('b', { phase: 'Succeeded' }), 'x', 't')).toBeUndefined();
  });
});

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
