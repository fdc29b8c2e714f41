/**
 * The PersistentVolume controller end to end on a SimCluster (upstream
 * `pkg/controller/volume/persistentvolume`): static binding, provisioning through the default
 * StorageClass, volume phases after the claim goes.
 */
import { describe, expect, it } from 'vitest';
import { Events, PersistentVolumeClaims, PersistentVolumes, Pods } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { bindingIsMutual } from '@kubeloop/controllers';

const claim = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const volume = (name: string, storage: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: `/data/${name}` }, ...extra },
});

async function checkBinding(cluster: SimCluster): Promise<void> {
  expect(bindingIsMutual({ volumes: (await cluster.list(PersistentVolumes)).items, claims: (await cluster.list(PersistentVolumeClaims)).items })).toEqual([]);
}

describe('PersistentVolume binder', () => {
  it('binds a claim to the smallest Available volume that fits, both ways, with upstream annotations; a pod using it runs', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 1 });
    await cluster.apply([volume('pv-big', '10Gi', { persistentVolumeReclaimPolicy: 'Retain' }), volume('pv-small', '2Gi', { persistentVolumeReclaimPolicy: 'Retain' })]);
    await cluster.settle();
    expect((await cluster.list(PersistentVolumes)).items.map((v) => v.status.phase)).toEqual(['Available', 'Available']);
    await cluster.apply([
      claim('data', { storageClassName: 'manual' }),
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'nginx' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] } },
    ]);
    await cluster.settle();
    const c = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
    expect(c.spec.volumeName).toBe('pv-small');
    expect(c.status).toMatchObject({ phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] });
    expect(c.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    const v = await cluster.get(PersistentVolumes, { name: 'pv-small' });
    expect(v.status.phase).toBe('Bound');
    expect(v.spec.claimRef).toMatchObject({ namespace: 'default', name: 'data', uid: c.metadata.uid });
    expect(v.metadata.annotations?.['pv.kubernetes.io/bound-by-controller']).toBe('yes');
    expect((await cluster.get(PersistentVolumes, { name: 'pv-big' })).status.phase).toBe('Available');
    expect((await cluster.get(Pods, { namespace: 'default', name: 'app' })).status?.phase).toBe('Running');
    await checkBinding(cluster);

    // The claim goes: a Retain volume is Released.
    await cluster.server.delete(Pods, { namespace: 'default', name: 'app' });
    await cluster.settle();
    await cluster.server.delete(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
    await cluster.settle();
    expect((await cluster.get(PersistentVolumes, { name: 'pv-small' })).status.phase).toBe('Released');
    await cluster.stop();
  });

  it('provisions a volume for a claim without a class through the default StorageClass, and deletes it with the claim', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 1 });
    await cluster.apply([claim('data')]);
    await cluster.settle();
    const c = await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
    expect(c.status.phase).toBe('Bound');
    expect(c.spec.volumeName).toBe(`pvc-${c.metadata.uid ?? ''}`);
    expect(c.metadata.annotations?.['volume.kubernetes.io/storage-provisioner']).toBe('kubeloop.dev/hostpath');
    const v = await cluster.get(PersistentVolumes, { name: c.spec.volumeName ?? '' });
    expect(v.spec).toMatchObject({ storageClassName: 'standard', persistentVolumeReclaimPolicy: 'Delete', capacity: { storage: '1Gi' } });
    expect(v.metadata.annotations?.['pv.kubernetes.io/provisioned-by']).toBe('kubeloop.dev/hostpath');
    const reasons = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'data').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']));
    await checkBinding(cluster);
    await cluster.server.delete(PersistentVolumeClaims, { namespace: 'default', name: 'data' });
    await cluster.settle();
    expect((await cluster.list(PersistentVolumes)).items).toEqual([]);
    await cluster.stop();
  });

  it('a claim naming a StorageClass that does not exist stays Pending with upstream’s event', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 1 });
    await cluster.apply([claim('data', { storageClassName: 'missing' })]);
    await cluster.settle();
    expect((await cluster.get(PersistentVolumeClaims, { namespace: 'default', name: 'data' })).status.phase).toBe('Pending');
    const events = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'data');
    expect(events.map((e) => [e.reason, e.message])).toContainEqual(['ProvisioningFailed', 'storageclass.storage.k8s.io "missing" not found']);
    await cluster.stop();
  });
});
