/**
 * Storage object in use protection end to end on a SimCluster (upstream
 * `pkg/controller/volume/pvcprotection`, `pvprotection` and the StorageObjectInUseProtection
 * admission plugin; e2e `test/e2e/storage/pvc_protection.go`, `pv_protection.go`): a claim in
 * use stays Terminating until its pod is gone, a Bound volume until its claim is gone; and the
 * invariant `claimNotRemovedWhileMounted` catches a protection controller broken on purpose.
 */
import { describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, PersistentVolumes, Pods } from '@kubeloop/core';
import { DEFAULT_CONTROLLER_PLUGINS, SimCluster, runCase } from '@kubeloop/testing';
import type { RunOptions } from '@kubeloop/testing';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, VOLUME_PROTECTION_PLUGIN_NAME, volumeProtectionPlugin } from '@kubeloop/controllers';
import { sabotaged } from '../sabotage.js';

const ns = 'default';
const claim = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: ns },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const pod = (name: string, claimName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'app', image: 'nginx' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] },
});

async function exists(cluster: SimCluster, get: () => Promise<unknown>): Promise<boolean> {
  void cluster;
  return get().then(
    () => true,
    () => false,
  );
}

describe('PVC and PV protection', () => {
  it('admission gives new claims and volumes their protection finalizers', async () => {
    const cluster = await SimCluster.create({ seed: 1, nodes: 1 });
    await cluster.apply([claim('data')]);
    await cluster.settle();
    const c = await cluster.get(PersistentVolumeClaims, { namespace: ns, name: 'data' });
    expect(c.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
    expect((await cluster.get(PersistentVolumes, { name: c.spec.volumeName ?? '' })).metadata.finalizers).toEqual([PV_PROTECTION_FINALIZER]);
    await cluster.stop();
  });

  it('a claim in use by a pod stays Terminating until the pod is gone; then it and its Delete volume go', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 1 });
    await cluster.apply([claim('data'), pod('app', 'data')]);
    await cluster.settle();
    const volumeName = (await cluster.get(PersistentVolumeClaims, { namespace: ns, name: 'data' })).spec.volumeName ?? '';
    expect((await cluster.get(Pods, { namespace: ns, name: 'app' })).status?.phase).toBe('Running');

    await cluster.server.delete(PersistentVolumeClaims, { namespace: ns, name: 'data' });
    await cluster.settle();
    const terminating = await cluster.get(PersistentVolumeClaims, { namespace: ns, name: 'data' });
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect(terminating.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
    expect((await cluster.get(PersistentVolumes, { name: volumeName })).status.phase).toBe('Bound');

    await cluster.server.delete(Pods, { namespace: ns, name: 'app' });
    await cluster.settle();
    expect(await exists(cluster, () => cluster.get(PersistentVolumeClaims, { namespace: ns, name: 'data' }))).toBe(false);
    expect((await cluster.list(PersistentVolumes)).items).toEqual([]);
    await cluster.stop();
  });

  it('a claim no pod uses goes at once; one used only by a pod not yet scheduled goes too (upstream podUsesPVC)', async () => {
    const cluster = await SimCluster.create({ seed: 3, nodes: 1 });
    await cluster.apply([claim('free'), claim('pending'), { ...pod('waiting', 'pending'), spec: { ...pod('waiting', 'pending').spec, nodeSelector: { nowhere: 'true' } } }]);
    await cluster.settle();
    await cluster.server.delete(PersistentVolumeClaims, { namespace: ns, name: 'free' });
    await cluster.server.delete(PersistentVolumeClaims, { namespace: ns, name: 'pending' });
    await cluster.settle();
    expect((await cluster.list(PersistentVolumeClaims, { namespace: ns })).items).toEqual([]);
    await cluster.stop();
  });

  it('a Bound volume deleted by a user stays Terminating until its claim goes; a Retain volume is then Released and removed', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 1 });
    await cluster.apply([
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: '/data/pv-1' } } },
      claim('data', { storageClassName: 'manual' }),
    ]);
    await cluster.settle();
    await cluster.server.delete(PersistentVolumes, { name: 'pv-1' });
    await cluster.settle();
    const held = await cluster.get(PersistentVolumes, { name: 'pv-1' });
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.status.phase).toBe('Bound');
    expect((await cluster.get(PersistentVolumeClaims, { namespace: ns, name: 'data' })).status.phase).toBe('Bound');

    await cluster.server.delete(PersistentVolumeClaims, { namespace: ns, name: 'data' });
    await cluster.settle();
    expect((await cluster.list(PersistentVolumes)).items).toEqual([]);
    expect((await cluster.list(PersistentVolumeClaims, { namespace: ns })).items).toEqual([]);
    await cluster.stop();
  });
});

describe('claimNotRemovedWhileMounted, against a protection controller broken on purpose', () => {
  type Step = 'create' | 'deleteClaim' | 'deletePod';
  const scenario = (plugin: ReturnType<typeof volumeProtectionPlugin>): RunOptions<Step> => ({
    name: 'volume protection',
    cluster: { nodes: 1, controllerManager: { plugins: [...DEFAULT_CONTROLLER_PLUGINS.filter((p) => p.name !== VOLUME_PROTECTION_PLUGIN_NAME), plugin] } },
    perform: async (cluster, step, context) => {
      if (step === 'create') await cluster.apply([claim('data'), pod('app', 'data')]);
      if (step === 'deleteClaim') await cluster.server.delete(PersistentVolumeClaims, { namespace: ns, name: 'data' });
      if (step === 'deletePod') await cluster.server.delete(Pods, { namespace: ns, name: 'app' });
      await context.advance(30_000);
    },
    stableMs: 10_000,
  });

  it('passes the real controller: the claim waits for the pod', async () => {
    const outcome = await runCase(scenario(volumeProtectionPlugin()), 1, ['create', 'deleteClaim', 'deletePod'], []);
    expect(outcome.failure).toBeUndefined();
  });

  it('catches a controller that does not see the pods using a claim (an empty pod cache and live list)', async () => {
    const blind = sabotaged(volumeProtectionPlugin(), { read: (r, o) => (r === Pods ? undefined : o), list: (r, o) => (r === Pods ? undefined : o) });
    const outcome = await runCase(scenario(blind), 1, ['create', 'deleteClaim', 'deletePod'], []);
    expect(outcome.failure).toMatchObject({ invariant: 'claimNotRemovedWhileMounted', when: 'after step 1 ("deleteClaim")' });
    expect(outcome.failure?.violations[0]?.message).toMatch(/^was removed while pod app \(Running on node-1\) mounts it$/);
  });
});
