/**
 * The storage object in use protection rules (upstream `pvcprotection.podUsesPVC`,
 * `pvprotection.isBeingUsed`, `protectionutil`), the StorageObjectInUseProtection admission hook,
 * and the protection invariants on states a protection controller broken on purpose would leave.
 */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaimSchema, PersistentVolumeClaims, PersistentVolumeSchema, PersistentVolumes, PodSchema, clusterState, formatTime } from '@kubeloop/core';
import type { AdmissionRequest, KubeObject, PersistentVolume, PersistentVolumeClaim, Pod , Pods} from '@kubeloop/core';
import { storageObjectInUseProtection } from './admission.js';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, isDeletionCandidate, needToAddFinalizer, podEventMayReleaseClaims, podUsesClaim, volumeInUse, withFinalizer, withoutFinalizer } from './decide.js';
import { claimNotRemovedWhileMountedInvariant, volumeNotRemovedWhileBoundInvariant } from './invariants.js';

const T0 = Date.UTC(2026, 0, 1);

function claim(name: string, extra: { deleting?: boolean; finalizers?: string[]; uid?: string; volumeName?: string } = {}): PersistentVolumeClaim {
  return PersistentVolumeClaimSchema.parse({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', uid: extra.uid ?? `uid-${name}`, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}), ...(extra.deleting ? { deletionTimestamp: formatTime(T0) } : {}) },
    spec: { accessModes: ['ReadWriteOnce'], ...(extra.volumeName ? { volumeName: extra.volumeName } : {}) },
    status: { phase: 'Bound' },
  });
}

function pod(name: string, claimName: string, extra: { node?: string; phase?: string } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [{ name: 'app', image: 'nginx' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...(extra.node === '' ? {} : { nodeName: extra.node ?? 'node-1' }) },
    status: { phase: extra.phase ?? 'Running' },
  });
}

function volume(name: string, phase: string, claimRef?: { name: string; uid: string }, deleting = false): PersistentVolume {
  return PersistentVolumeSchema.parse({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, finalizers: [PV_PROTECTION_FINALIZER], ...(deleting ? { deletionTimestamp: formatTime(T0) } : {}) },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' }, ...(claimRef ? { claimRef: { namespace: 'default', ...claimRef } } : {}) },
    status: { phase },
  });
}

describe('protection rules (upstream protectionutil, podUsesPVC, isBeingUsed)', () => {
  it('a claim is a deletion candidate only while being deleted with the finalizer; it needs the finalizer only while not being deleted', () => {
    expect(isDeletionCandidate(claim('a', { deleting: true, finalizers: [PVC_PROTECTION_FINALIZER] }), PVC_PROTECTION_FINALIZER)).toBe(true);
    expect(isDeletionCandidate(claim('a', { deleting: true, finalizers: ['other'] }), PVC_PROTECTION_FINALIZER)).toBe(false);
    expect(isDeletionCandidate(claim('a', { finalizers: [PVC_PROTECTION_FINALIZER] }), PVC_PROTECTION_FINALIZER)).toBe(false);
    expect(needToAddFinalizer(claim('a'), PVC_PROTECTION_FINALIZER)).toBe(true);
    expect(needToAddFinalizer(claim('a', { deleting: true }), PVC_PROTECTION_FINALIZER)).toBe(false);
  });

  it('adds and removes a finalizer, keeping the others and dropping the field when none is left', () => {
    const c = withFinalizer(claim('a', { finalizers: ['other'] }), PVC_PROTECTION_FINALIZER);
    expect(c.metadata.finalizers).toEqual(['other', PVC_PROTECTION_FINALIZER]);
    expect(withFinalizer(c, PVC_PROTECTION_FINALIZER)).toBe(c);
    expect(withoutFinalizer(c, PVC_PROTECTION_FINALIZER).metadata.finalizers).toEqual(['other']);
    expect('finalizers' in withoutFinalizer(claim('a', { finalizers: [PVC_PROTECTION_FINALIZER] }), PVC_PROTECTION_FINALIZER).metadata).toBe(false);
  });

  const uses: [string, Pod, boolean][] = [
    ['a scheduled Running pod naming the claim uses it', pod('p', 'data'), true],
    ['a pod not scheduled yet does not (the kubelet never sees it)', pod('p', 'data', { node: '' }), false],
    ['a Succeeded pod still does, as upstream (until the pod object is gone)', pod('p', 'data', { phase: 'Succeeded' }), true],
    ['a pod naming another claim does not', pod('p', 'other'), false],
  ];
  it.each(uses)('%s', (_, p, expected) => {
    expect(podUsesClaim(p, 'data')).toBe(expected);
  });

  it('a pod event looks at its claims only when the pod was deleted, terminated or is unscheduled (upstream enqueuePVCs)', () => {
    expect(podEventMayReleaseClaims(pod('p', 'data'), false)).toBe(false);
    expect(podEventMayReleaseClaims(pod('p', 'data'), true)).toBe(true);
    expect(podEventMayReleaseClaims(pod('p', 'data', { phase: 'Failed' }), false)).toBe(true);
    expect(podEventMayReleaseClaims(pod('p', 'data', { node: '' }), false)).toBe(true);
  });

  it('a volume is in use while Bound, not when Released, Available or Failed', () => {
    expect(['Bound', 'Released', 'Available', 'Failed'].map((phase) => volumeInUse(volume('v', phase)))).toEqual([true, false, false, false]);
  });
});

describe('StorageObjectInUseProtection admission', () => {
  const hook = storageObjectInUseProtection();
  const request = (object: KubeObject, resource: typeof PersistentVolumeClaims | typeof PersistentVolumes | typeof Pods, subresource?: string) =>
    ({ operation: 'CREATE', resource, subresource, object, oldObject: undefined, dryRun: false, store: { get: () => undefined, list: () => [] }, now: T0 }) as unknown as AdmissionRequest;

  it('gives a new claim kubernetes.io/pvc-protection and a new volume kubernetes.io/pv-protection, once', () => {
    expect((hook.mutate!(request(claim('a'), PersistentVolumeClaims)) as KubeObject).metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
    expect((hook.mutate!(request(claim('a', { finalizers: ['x', PVC_PROTECTION_FINALIZER] }), PersistentVolumeClaims)) as KubeObject).metadata.finalizers).toEqual(['x', PVC_PROTECTION_FINALIZER]);
    const { finalizers: _none, ...meta } = volume('v', 'Pending').metadata;
    expect((hook.mutate!(request({ ...volume('v', 'Pending'), metadata: meta }, PersistentVolumes)) as KubeObject).metadata.finalizers).toEqual([PV_PROTECTION_FINALIZER]);
    expect(hook.resources).toEqual(['persistentvolumeclaims', 'persistentvolumes']);
    expect(hook.operations).toEqual(['CREATE']);
  });

  it('leaves subresource writes alone', () => {
    expect(hook.mutate!(request(claim('a'), PersistentVolumeClaims, 'status'))).toBeUndefined();
  });
});

describe('protection invariants, on the states a protection controller broken on purpose leaves', () => {
  it('claimNotRemovedWhileMounted: a claim removed while a Running pod on a node mounts it is caught, naming both', () => {
    const c = claim('data', { deleting: true, finalizers: [PVC_PROTECTION_FINALIZER] });
    const before = clusterState([c, pod('app', 'data')], 0);
    // A controller that drops the finalizer without looking at pods: the claim goes, the pod runs.
    const broken = clusterState([pod('app', 'data')], 1, [{ type: 'DELETED', object: c }], before);
    expect(claimNotRemovedWhileMountedInvariant.check(broken, before)).toEqual([
      { message: 'was removed while pod app (Running on node-1) mounts it', objects: [{ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' }, { kind: 'Pod', namespace: 'default', name: 'app' }] },
    ]);
  });

  it('claimNotRemovedWhileMounted: the claim may go after the pod is gone, or when the pod terminated or never ran on a node', () => {
    const c = claim('data', { deleting: true });
    const before = clusterState([c, pod('app', 'data')], 0);
    const inOrder = clusterState([], 1, [{ type: 'DELETED', object: pod('app', 'data') }, { type: 'DELETED', object: c }], before);
    expect(claimNotRemovedWhileMountedInvariant.check(inOrder, before)).toEqual([]);
    const reversed = clusterState([], 1, [{ type: 'DELETED', object: c }, { type: 'DELETED', object: pod('app', 'data') }], before);
    expect(claimNotRemovedWhileMountedInvariant.check(reversed, before)).toHaveLength(1);
    for (const p of [pod('app', 'data', { phase: 'Succeeded' }), pod('app', 'data', { node: '' })]) {
      const b = clusterState([c, p], 0);
      expect(claimNotRemovedWhileMountedInvariant.check(clusterState([p], 1, [{ type: 'DELETED', object: c }], b), b)).toEqual([]);
    }
  });

  it('volumeNotRemovedWhileBound: a volume removed while its claim is bound to it is caught; after the claim went it may go', () => {
    const c = claim('data', { uid: 'c1', volumeName: 'pv-1' });
    const v = volume('pv-1', 'Bound', { name: 'data', uid: 'c1' }, true);
    const before = clusterState([c, v], 0);
    expect(volumeNotRemovedWhileBoundInvariant.check(clusterState([c], 1, [{ type: 'DELETED', object: v }], before), before).map((x) => x.message)).toEqual(['was removed while bound to claim default/data']);
    expect(volumeNotRemovedWhileBoundInvariant.check(clusterState([], 1, [{ type: 'DELETED', object: c }, { type: 'DELETED', object: v }], before), before)).toEqual([]);
  });
});
