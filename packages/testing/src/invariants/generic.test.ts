/**
 * The generic invariants, on hand-built states: each names the offending objects.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@kubeloop/core';
import { clusterState, generationNeverDecreases, noObjectStuckTerminating, noObjectWithTwoControllers, nodeCapacityRespected, ownerReferencesResolve, podsBoundToExistingNodes } from '../index.js';

const obj = (kind: string, name: string, extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: kind === 'ReplicaSet' ? 'apps/v1' : 'v1', kind, metadata: { name, namespace: kind === 'Node' ? undefined : 'default', uid: `uid-${name}`, ...metadata }, ...extra }) as KubeObject;
const ref = (kind: string, name: string, controller = true) => ({ apiVersion: 'apps/v1', kind, name, uid: `uid-${name}`, controller });
const pod = (name: string, node: string | undefined, cpu: string, phase = 'Running') => obj('Pod', name, { spec: { nodeName: node, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }] }, status: { phase } });
const node = (name: string, cpu: string, pods = '110') => obj('Node', name, { spec: {}, status: { allocatable: { cpu, memory: '1Gi', pods } } });

describe('generic invariants', () => {
  it('noObjectWithTwoControllers names an object with two controller owner references (upstream rejects it)', () => {
    const twice = obj('Pod', 'p', {}, { ownerReferences: [ref('ReplicaSet', 'a'), ref('ReplicaSet', 'b')] });
    const once = obj('Pod', 'q', {}, { ownerReferences: [ref('ReplicaSet', 'a'), ref('ReplicaSet', 'b', false)] });
    expect(noObjectWithTwoControllers.check(clusterState([twice, once]), undefined)).toEqual([
      { message: 'Pod default/p has 2 controller owners (ReplicaSet a, ReplicaSet b)', objects: [{ kind: 'Pod', namespace: 'default', name: 'p' }] },
    ]);
  });

  it('ownerReferencesResolve names a dependent whose owner is gone or was recreated with another uid', () => {
    const rs = obj('ReplicaSet', 'a');
    const ok = obj('Pod', 'ok', {}, { ownerReferences: [ref('ReplicaSet', 'a')] });
    const dangling = obj('Pod', 'gone', {}, { ownerReferences: [ref('ReplicaSet', 'b')] });
    const recreated = obj('Pod', 'old', {}, { ownerReferences: [{ ...ref('ReplicaSet', 'a'), uid: 'uid-previous' }] });
    const violations = ownerReferencesResolve.check(clusterState([rs, ok, dangling, recreated, obj('ReplicaSet', 'unrelated')]), undefined);
    expect(violations.map((v) => v.objects[0]!.name)).toEqual(['gone', 'old']);
    expect(violations[1]!.message).toContain('has uid uid-a');
  });

  it('podsBoundToExistingNodes names a pod bound to a node that does not exist', () => {
    const state = clusterState([node('n1', '1'), pod('a', 'n1', '100m'), pod('b', 'n9', '100m'), pod('c', undefined, '100m')]);
    expect(podsBoundToExistingNodes.check(state, undefined).map((v) => v.message)).toEqual(['pod default/b is bound to node n9, which does not exist']);
  });

  it("nodeCapacityRespected sums the requests of a node's non-terminated pods against its allocatable (500m + 600m > 1 cpu)", () => {
    const fits = clusterState([node('n1', '1'), pod('a', 'n1', '500m'), pod('b', 'n1', '500m'), pod('done', 'n1', '2', 'Succeeded')]);
    expect(nodeCapacityRespected.check(fits, undefined)).toEqual([]);
    const over = clusterState([node('n1', '1'), pod('a', 'n1', '500m'), pod('b', 'n1', '600m')]);
    expect(nodeCapacityRespected.check(over, undefined)).toEqual([
      { message: 'node n1: pods request more cpu than allocatable 1', objects: [{ kind: 'Node', name: 'n1' }, { kind: 'Pod', namespace: 'default', name: 'a' }, { kind: 'Pod', namespace: 'default', name: 'b' }] },
    ]);
    const tooMany = clusterState([node('n1', '8', '1'), pod('a', 'n1', '1'), pod('b', 'n1', '1')]);
    expect(nodeCapacityRespected.check(tooMany, undefined).map((v) => v.message)).toEqual(['node n1: pods request more pods than allocatable 1']);
  });

  it('nodeCapacityRespected counts a sidecar with the app containers (600m + 500m > 1 cpu), as upstream PodRequests', () => {
    const meshed = obj('Pod', 'meshed', {
      spec: {
        nodeName: 'n1',
        initContainers: [{ name: 'proxy', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }],
        containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '600m' } } }],
      },
      status: { phase: 'Running' },
    });
    expect(nodeCapacityRespected.check(clusterState([node('n1', '1'), meshed]), undefined).map((v) => v.message)).toEqual(['node n1: pods request more cpu than allocatable 1']);
  });

  it('generationNeverDecreases compares the same uid across consecutive states, and skips the first state', () => {
    const before = clusterState([obj('ReplicaSet', 'a', {}, { generation: 3 })]);
    const after = clusterState([obj('ReplicaSet', 'a', {}, { generation: 2 })]);
    const recreated = clusterState([obj('ReplicaSet', 'a', {}, { generation: 1, uid: 'other' })]);
    expect(generationNeverDecreases.check(after, undefined)).toEqual([]);
    expect(generationNeverDecreases.check(after, before).map((v) => v.message)).toEqual(['ReplicaSet a: generation went from 3 to 2']);
    expect(generationNeverDecreases.check(recreated, before)).toEqual([]);
  });

  it('noObjectStuckTerminating names objects left with a deletionTimestamp and their finalizers', () => {
    const stuck = obj('ConfigMap', 'c', {}, { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['example.com/f'] });
    expect(noObjectStuckTerminating.check(clusterState([stuck, obj('ConfigMap', 'd')]), undefined).map((v) => v.message)).toEqual(['ConfigMap default/c is still terminating (finalizers: example.com/f)']);
  });
});
