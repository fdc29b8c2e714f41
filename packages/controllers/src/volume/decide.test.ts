/**
 * Table tests of the binder's matching (upstream `findMatchingVolume`,
 * `checkVolumeSatisfyClaim`, `GetDefaultClass`) and the provisioned volume.
 */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaimSchema, PersistentVolumeSchema, StorageClassSchema } from '@kubeloop/core';
import type { Node, PersistentVolume, Pod } from '@kubeloop/core';
import { claimClass, defaultStorageClass, delayBindingEvent, findBestMatch, provisionedVolume, unscheduledPodsUsing } from './decide.js';

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

describe('WaitForFirstConsumer in the binder and the provisioner (upstream findMatchingVolume with delayBinding, local-path provisioning)', () => {
  const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: {} }) as Node;
  const pinned = (name: string, storage: string, host: string, extra: Record<string, unknown> = {}) =>
    pv(name, storage, { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } }, ...extra });
  const cases: { name: string; volumes: PersistentVolume[]; options: { delayBinding?: boolean; node?: Node }; want: string | undefined }[] = [
    { name: 'the binder leaves a free volume to the scheduler', volumes: [pv('a', '1Gi')], options: { delayBinding: true }, want: undefined },
    { name: 'the binder still binds a volume pre-bound to the claim (the scheduler chose it)', volumes: [pv('a', '1Gi'), pv('pre', '2Gi', { claimRef: { namespace: 'default', name: 'data', uid: 'c-uid' } })], options: { delayBinding: true }, want: 'pre' },
    { name: 'the scheduler only sees volumes the node may use', volumes: [pinned('on-a', '1Gi', 'a'), pinned('on-b', '5Gi', 'b')], options: { node: node('b') }, want: 'on-b' },
    { name: 'the scheduler picks the smallest of the volumes the node may use', volumes: [pinned('big', '5Gi', 'a'), pinned('small', '1Gi', 'a'), pv('anywhere', '2Gi')], options: { node: node('a') }, want: 'small' },
    { name: 'a volume pre-bound to the claim but pinned elsewhere is no match on this node', volumes: [pinned('pre', '1Gi', 'a', { claimRef: { namespace: 'default', name: 'data' } }), pv('free', '1Gi')], options: { node: node('b') }, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(findBestMatch(claim(), c.volumes, 'fast', c.options)?.metadata.name).toBe(c.want);
    });
  }

  it('pins a volume provisioned for a claim with a selected node to that node by kubernetes.io/hostname, and leaves an Immediate one unpinned', () => {
    const placed = claim();
    const annotated = { ...placed, metadata: { ...placed.metadata, annotations: { 'volume.kubernetes.io/selected-node': 'k8s-node1' } } };
    expect(provisionedVolume(annotated, sc('fast')).spec.nodeAffinity).toEqual({
      required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['k8s-node1'] }] }] },
    });
    expect(provisionedVolume(placed, sc('fast')).spec.nodeAffinity).toBeUndefined();
  });

  it("names upstream's event while the claim waits: WaitForFirstConsumer without a consumer, WaitForPodScheduled with pods waiting for the scheduler", () => {
    const pod = (name: string, nodeName?: string, namespace = 'default'): Pod =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { ...(nodeName ? { nodeName } : {}), containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] }, status: {} }) as unknown as Pod;
    const other: Pod = { ...pod('other'), spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'else' } }] } } as unknown as Pod;
    expect(unscheduledPodsUsing(claim(), [pod('web-b'), pod('placed', 'n1'), pod('web-a'), pod('elsewhere', undefined, 'kube-system'), other])).toEqual(['web-a', 'web-b']);
    expect(delayBindingEvent([])).toEqual({ reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' });
    expect(delayBindingEvent(['web-0'])).toEqual({ reason: 'WaitForPodScheduled', message: 'waiting for pod web-0 to be scheduled' });
    expect(delayBindingEvent(['a', 'b'])).toEqual({ reason: 'WaitForPodScheduled', message: 'waiting for pods a,b to be scheduled' });
  });
});
