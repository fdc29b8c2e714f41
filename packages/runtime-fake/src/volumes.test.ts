/**
 * Table tests of volume attachment (upstream attach/detach reconciler `reportMultiAttachError`
 * and `util.IsMultiAttachAllowed`).
 */
import { describe, expect, it } from 'vitest';
import type { PersistentVolume, Pod } from '@kubeloop/core';
import { holdsVolumesOnNode, isMultiAttachAllowed, multiAttachError } from './volumes.js';

const volume = (accessModes: string[]): PersistentVolume => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-1a2b' }, spec: { accessModes }, status: {} }) as unknown as PersistentVolume;
const pod = (name: string, nodeName: string | undefined, o: { claim?: string; podIP?: string; phase?: string; namespace?: string } = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}` },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: o.claim ?? 'data' } }] },
    status: { phase: o.phase ?? 'Pending', ...(o.podIP ? { podIP: o.podIP } : {}) },
  }) as unknown as Pod;

describe('Multi-Attach (upstream attach/detach controller)', () => {
  it('allows multi-attach unless the volume is ReadWriteOnce', () => {
    expect(isMultiAttachAllowed(volume(['ReadWriteOnce']))).toBe(false);
    expect(isMultiAttachAllowed(volume(['ReadWriteOnce', 'ReadOnlyMany']))).toBe(false);
    expect(isMultiAttachAllowed(volume(['ReadWriteMany']))).toBe(true);
    expect(isMultiAttachAllowed(volume([]))).toBe(true);
  });

  it('counts a pod as holding its volumes once its sandbox is up, until it finishes', () => {
    expect(holdsVolumesOnNode(pod('a', 'n1', { podIP: '10.1.1.2' }))).toBe(true);
    expect(holdsVolumesOnNode(pod('a', 'n1', { phase: 'Running' }))).toBe(true);
    expect(holdsVolumesOnNode(pod('a', 'n1'))).toBe(false); // still waiting to mount
    expect(holdsVolumesOnNode(pod('a', undefined, { podIP: '10.1.1.2' }))).toBe(false);
    expect(holdsVolumesOnNode(pod('a', 'n1', { podIP: '10.1.1.2', phase: 'Succeeded' }))).toBe(false);
  });

  const me = pod('web-b', 'n2');
  const cases: { name: string; modes: string[]; others: Pod[]; want: string | undefined }[] = [
    { name: 'a ReadWriteOnce volume held on another node', modes: ['ReadWriteOnce'], others: [pod('web-a', 'n1', { podIP: '10.1.1.2' })], want: 'Multi-Attach error for volume "pvc-1a2b" Volume is already used by pod(s) web-a' },
    { name: 'every holder is named, sorted', modes: ['ReadWriteOnce'], others: [pod('web-c', 'n3', { phase: 'Running' }), pod('web-a', 'n1', { podIP: '10.1.1.2' })], want: 'Multi-Attach error for volume "pvc-1a2b" Volume is already used by pod(s) web-a, web-c' },
    { name: 'a holder on the same node is no conflict', modes: ['ReadWriteOnce'], others: [pod('web-a', 'n2', { podIP: '10.1.1.2' })], want: undefined },
    { name: 'a pod on another node that has not mounted it yet holds nothing', modes: ['ReadWriteOnce'], others: [pod('web-a', 'n1')], want: undefined },
    { name: 'a pod using another claim is no conflict', modes: ['ReadWriteOnce'], others: [pod('web-a', 'n1', { podIP: '10.1.1.2', claim: 'other' })], want: undefined },
    { name: 'a ReadWriteMany volume attaches everywhere', modes: ['ReadWriteMany'], others: [pod('web-a', 'n1', { podIP: '10.1.1.2' })], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(multiAttachError(me, 'n2', 'data', volume(c.modes), [me, ...c.others])).toBe(c.want);
    });
  }
});
