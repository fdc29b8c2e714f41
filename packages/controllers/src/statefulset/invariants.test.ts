/** The StatefulSet invariants hold on good states and fail on bad ones. */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaimSchema, PodSchema, StatefulSetSchema, clusterState, formatTime } from '@kubeloop/core';
import type { Pod } from '@kubeloop/core';
import { onePodPerOrdinal, orderedReadyCreation, orderedReadyCreationInvariant, podMountsOwnClaim, retainClaimNeverDeletedInvariant, statefulPodsInRange } from './invariants.js';

const sts = (replicas: number, extra: Record<string, unknown> = {}) =>
  StatefulSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'u' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } }, ...extra },
  });

function pod(name: string, ready = true, uid = name): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] },
    spec: { containers: [] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
}

describe('StatefulSet invariants', () => {
  it('statefulPodsInRange: exactly replicas pods with ordinals in [start, start+replicas)', () => {
    expect(statefulPodsInRange({ statefulSets: [sts(2)], pods: [pod('web-0'), pod('web-1')] })).toEqual([]);
    expect(statefulPodsInRange({ statefulSets: [sts(2, { ordinals: { start: 3 } })], pods: [pod('web-3'), pod('web-4')] })).toEqual([]);
    expect(statefulPodsInRange({ statefulSets: [sts(2)], pods: [pod('web-0'), pod('web-2')] }).map((v) => v.message)).toEqual(['pod web-2 is outside the ordinals [0, 2)']);
    expect(statefulPodsInRange({ statefulSets: [sts(2)], pods: [pod('web-0')] }).map((v) => v.message)).toEqual(['controls 1 pods, spec.replicas is 2']);
    expect(statefulPodsInRange({ statefulSets: [sts(1)], pods: [pod('web-x')] }).map((v) => v.message)).toEqual(['pod web-x is outside the ordinals [0, 1)']);
  });

  it('onePodPerOrdinal: never two pods with one ordinal', () => {
    expect(onePodPerOrdinal({ statefulSets: [sts(2)], pods: [pod('web-0'), pod('web-1')] })).toEqual([]);
    expect(onePodPerOrdinal({ statefulSets: [sts(2)], pods: [pod('web-1'), pod('web-1', true, 'other')] }).map((v) => v.message)).toEqual(['pods web-1 and web-1 both have ordinal 1']);
  });

  it('onePodPerOrdinal: a pod-index label that disagrees with the name claims another pod’s ordinal', () => {
    const labelled = (name: string, index: string) => ({ ...pod(name), metadata: { ...pod(name).metadata, labels: { 'apps.kubernetes.io/pod-index': index } } });
    expect(onePodPerOrdinal({ statefulSets: [sts(2)], pods: [labelled('web-0', '0'), labelled('web-1', '1')] })).toEqual([]);
    expect(onePodPerOrdinal({ statefulSets: [sts(2)], pods: [labelled('web-0', '0'), labelled('web-1', '0')] }).map((v) => v.message)).toEqual(['pods web-0 and web-1 both have ordinal 0']);
  });

  it('podMountsOwnClaim: pod <set>-<n> mounts <template>-<set>-<n> as the template’s volume', () => {
    const set = sts(2, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] });
    const mounting = (name: string, claimName?: string): Pod => ({ ...pod(name), spec: { ...pod(name).spec, ...(claimName ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } : {}) } }) as Pod;
    expect(podMountsOwnClaim({ statefulSets: [set], pods: [mounting('web-0', 'data-web-0'), mounting('web-1', 'data-web-1')] })).toEqual([]);
    expect(podMountsOwnClaim({ statefulSets: [set], pods: [mounting('web-0', 'data-web-0'), mounting('web-1', 'data-web-0'), mounting('web-2')] }).map((v) => v.message)).toEqual([
      'pod web-1 mounts claim data-web-0 as volume data, not data-web-1',
      'pod web-2 mounts no claim as volume data, not data-web-2',
    ]);
  });

  it('retainClaimNeverDeleted: a claim whose deletion starts while the policy says Retain is caught; under Delete it is not', () => {
    const claim = (name: string, deleting = false) =>
      PersistentVolumeClaimSchema.parse({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `c-${name}`, ...(deleting ? { deletionTimestamp: formatTime(0) } : {}) }, spec: {} });
    const withPolicy = (whenScaled: string, whenDeleted = 'Retain', deleting = false) => {
      const s = sts(1, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }], persistentVolumeClaimRetentionPolicy: { whenScaled, whenDeleted } });
      return deleting ? { ...s, metadata: { ...s.metadata, deletionTimestamp: formatTime(0) } } : s;
    };
    const check = (set: ReturnType<typeof withPolicy>, change: 'MODIFIED' | 'DELETED') => {
      const before = clusterState([set, claim('data-web-1')], 0);
      const after = clusterState([set], 1, [{ type: change, object: claim('data-web-1', change === 'MODIFIED') }], before);
      return retainClaimNeverDeletedInvariant.check(after, before).map((v) => v.message);
    };
    expect(check(withPolicy('Retain'), 'MODIFIED')).toEqual(['claim data-web-1 was deleted while whenScaled is Retain']);
    expect(check(withPolicy('Retain'), 'DELETED')).toEqual(['claim data-web-1 was deleted while whenScaled is Retain']);
    expect(check(withPolicy('Delete'), 'MODIFIED')).toEqual([]);
    expect(check(withPolicy('Delete', 'Retain', true), 'MODIFIED')).toEqual(['claim data-web-1 was deleted while whenDeleted is Retain']);
    expect(check(withPolicy('Retain', 'Delete', true), 'DELETED')).toEqual([]);
    // A claim of another set, or not from a template, is not judged.
    const before = clusterState([withPolicy('Retain'), claim('other-web-1')], 0);
    expect(retainClaimNeverDeletedInvariant.check(clusterState([withPolicy('Retain')], 1, [{ type: 'DELETED', object: claim('other-web-1') }], before), before)).toEqual([]);
  });

  it('orderedReadyCreation: a pod is created only after every lower ordinal is Running and Ready', () => {
    expect(orderedReadyCreation({ statefulSets: [sts(3)], pods: [pod('web-0'), pod('web-1')] }, [pod('web-2')])).toEqual([]);
    expect(orderedReadyCreation({ statefulSets: [sts(3)], pods: [pod('web-0'), pod('web-1', false)] }, [pod('web-2')]).map((v) => v.message)).toEqual(['pod web-2 was created while ordinal 1 was not Running and Ready']);
    expect(orderedReadyCreation({ statefulSets: [sts(3)], pods: [pod('web-1')] }, [pod('web-2')]).map((v) => v.message)).toEqual(['pod web-2 was created while ordinal 0 was missing']);
    expect(orderedReadyCreation({ statefulSets: [sts(3, { podManagementPolicy: 'Parallel' })], pods: [] }, [pod('web-2')])).toEqual([]);
  });

  it('orderedReadyCreationInvariant judges each creation on the state just before it, replaying the changes in between', () => {
    const set = sts(3);
    const before = clusterState([set, pod('web-0', false)], 0);
    // web-0 becomes Ready, then web-1 is created: fine.
    const good = clusterState([set, pod('web-0'), pod('web-1', false)], 1, [
      { type: 'MODIFIED', object: pod('web-0') },
      { type: 'ADDED', object: pod('web-1', false) },
    ], before);
    expect(orderedReadyCreationInvariant.check(good, before)).toEqual([]);
    // web-1 is created first, web-0 becomes Ready after: broken.
    const bad = clusterState([set, pod('web-0'), pod('web-1', false)], 1, [
      { type: 'ADDED', object: pod('web-1', false) },
      { type: 'MODIFIED', object: pod('web-0') },
    ], before);
    expect(orderedReadyCreationInvariant.check(bad, before).map((v) => v.message)).toEqual(['pod web-1 was created while ordinal 0 was not Running and Ready']);
  });
});
