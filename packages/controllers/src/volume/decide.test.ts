/**
 * Table tests of the binder's matching (upstream `findMatchingVolume`,
 * `checkVolumeSatisfyClaim`, `GetDefaultClass`) and the provisioned volume.
 */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaimSchema, PersistentVolumeSchema, StorageClassSchema } from '@kubeloop/core';
import type { PersistentVolume } from '@kubeloop/core';
import { claimClass, defaultStorageClass, findBestMatch, provisionedVolume } from './decide.js';

const claim = (spec: Record<string, unknown> = {}) =>
  PersistentVolumeClaimSchema.parse({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default', uid: 'c-uid' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast', ...spec },
  });

const pv = (name: string, storage: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): PersistentVolume =>
  PersistentVolumeSchema.parse({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels },
    spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName: 'fast', hostPath: { path: `/pv/${name}` }, ...extra },
  });

const sc = (name: string, isDefault = false, created = '2026-01-01T00:00:00Z') =>
  StorageClassSchema.parse({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, creationTimestamp: created, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) }, provisioner: 'example.com/p' });

describe('findBestMatch (upstream findMatchingVolume)', () => {
  const cases: { name: string; claim?: Record<string, unknown>; volumes: PersistentVolume[]; want: string | undefined }[] = [
    { name: 'the smallest volume that fits', volumes: [pv('big', '5Gi'), pv('mid', '2Gi'), pv('small', '500Mi')], want: 'mid' },
    { name: 'exactly the requested size fits', volumes: [pv('a', '1Gi')], want: 'a' },
    { name: 'another class does not fit', volumes: [pv('a', '1Gi', { storageClassName: 'slow' })], want: undefined },
    { name: 'missing access modes do not fit', volumes: [pv('a', '1Gi', { accessModes: ['ReadOnlyMany'] })], want: undefined },
    { name: 'a superset of access modes fits', volumes: [pv('a', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] })], want: 'a' },
    { name: 'Block does not fit a Filesystem claim', volumes: [pv('a', '1Gi', { volumeMode: 'Block' })], want: undefined },
    { name: 'a volume claimed by another claim does not fit', volumes: [pv('a', '1Gi', { claimRef: { namespace: 'default', name: 'other', uid: 'x' } })], want: undefined },
    { name: 'a volume pre-bound to this claim wins over a smaller free one', volumes: [pv('small', '1Gi'), pv('pre', '5Gi', { claimRef: { namespace: 'default', name: 'data' } })], want: 'pre' },
    { name: 'the claim selector filters volumes', claim: { selector: { matchLabels: { tier: 'gold' } } }, volumes: [pv('a', '1Gi'), pv('b', '2Gi', {}, { tier: 'gold' })], want: 'b' },
    { name: 'ties by name', volumes: [pv('b', '1Gi'), pv('a', '1Gi')], want: 'a' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cl = claim(c.claim);
      expect(findBestMatch(cl, c.volumes, 'fast')?.metadata.name).toBe(c.want);
    });
  }
});

describe('StorageClass of a claim', () => {
  it('the default class is the newest annotated one; a claim without a class gets it, or none', () => {
    const classes = [sc('a', true, '2026-01-01T00:00:00Z'), sc('b', true, '2026-01-02T00:00:00Z'), sc('c')];
    expect(defaultStorageClass(classes)?.metadata.name).toBe('b');
    const noClass = claim({ storageClassName: undefined });
    expect(claimClass(noClass, classes)).toBe('b');
    expect(claimClass(noClass, [sc('c')])).toBe('');
    expect(claimClass(claim(), classes)).toBe('fast');
  });

  it('a provisioned volume is pre-bound to its claim with the requested size and the class policy', () => {
    const v = provisionedVolume(claim(), sc('fast'));
    expect(v.metadata.name).toBe('pvc-c-uid');
    expect(v.spec).toMatchObject({ capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'fast', persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data', uid: 'c-uid' } });
    expect(v.metadata.annotations).toEqual({ 'pv.kubernetes.io/provisioned-by': 'example.com/p' });
  });
});
