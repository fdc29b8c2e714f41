/** The binding invariant holds on a mutual binding and fails on broken ones. */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaimSchema, PersistentVolumeSchema } from '@kubeloop/core';
import type { Node, Pod } from '@kubeloop/core';
import { bindingIsMutual, podsFollowTheirVolumes } from './invariants.js';

const claim = (name: string, volumeName: string, uid = name) =>
  PersistentVolumeClaimSchema.parse({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid }, spec: { volumeName }, status: { phase: 'Bound' } });
const pv = (name: string, claimName?: string, uid = claimName) =>
  PersistentVolumeSchema.parse({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { ...(claimName ? { claimRef: { namespace: 'default', name: claimName, uid } } : {}) } });

describe('bindingIsMutual', () => {
  it('holds when claim and volume name each other', () => {
    expect(bindingIsMutual({ volumes: [pv('v1', 'a')], claims: [claim('a', 'v1')] })).toEqual([]);
  });
  it('fails when two claims name one volume, or a Bound claim’s volume names another claim or is missing', () => {
    expect(bindingIsMutual({ volumes: [pv('v1', 'a')], claims: [claim('a', 'v1'), claim('b', 'v1')] }).map((v) => v.message)).toEqual([
      'claims default/a and default/b both name volume v1',
      'is Bound to volume v1, whose claimRef is default/a',
    ]);
    expect(bindingIsMutual({ volumes: [pv('v1', 'a', 'old-uid')], claims: [claim('a', 'v1')] }).map((v) => v.message)).toEqual(['is Bound to volume v1, whose claimRef is default/a']);
    expect(bindingIsMutual({ volumes: [], claims: [claim('a', 'v1')] }).map((v) => v.message)).toEqual(['is Bound to volume v1, which does not exist']);
  });
});

describe('podsFollowTheirVolumes', () => {
  const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: {} }) as unknown as Node;
  const pinned = (name: string, host: string) =>
    PersistentVolumeSchema.parse({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name },
      spec: { claimRef: { namespace: 'default', name: 'data', uid: 'data' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } } },
    });
  const pod = (name: string, nodeName: string) =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] }, status: {} }) as unknown as Pod;
  const state = (pods: Pod[], volumes = [pinned('pv-1', 'n1')]) => ({ pods, nodes: [node('n1'), node('n2')], claims: [claim('data', 'pv-1')], volumes });

  it('holds when every pod is on a node its volume admits, or its volume has no node affinity', () => {
    expect(podsFollowTheirVolumes(state([pod('a', 'n1')]))).toEqual([]);
    expect(podsFollowTheirVolumes(state([pod('a', 'n2')], [pv('pv-1', 'data')]))).toEqual([]);
    expect(podsFollowTheirVolumes(state([pod('a', 'gone')]))).toEqual([]);
  });

  it('fails for a pod on a node its volume excludes', () => {
    expect(podsFollowTheirVolumes(state([pod('a', 'n1'), pod('b', 'n2')])).map((v) => [v.objects[0]?.name, v.message])).toEqual([['b', 'runs on node n2, which the node affinity of its volume pv-1 (claim data) excludes']]);
  });
});
