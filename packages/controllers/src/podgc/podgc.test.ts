/**
 * The pod garbage collector's decisions, by table (upstream `pkg/controller/podgc`). The case
 * that needs a whole cluster is in `packages/integration/src/podgc/podgc.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { NodeSchema, PodSchema, formatTime, type Node, type Pod } from '@kubeloop/core';
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
