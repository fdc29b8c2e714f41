/**
 * ResourceQuota on a SimCluster: the quota controller with the admission hook, where a
 * Deployment meets a quota. What quota counts and the hook on its own are tested next to the
 * controller, in `packages/controllers/src/resourcequota/resourcequota.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { Events, Pods, ReplicaSets, ResourceQuotas } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
const container = (name: string, resources: Resources = {}, extra: Record<string, unknown> = {}) => ({ name, image: 'nginx', resources, ...extra });

describe('ResourceQuota on a SimCluster (admission and the quota controller)', () => {
  it('keeps a Deployment to what the quota allows, reports why on the ReplicaSet, and lets the replacement in once a pod goes', async () => {
    const cluster = await SimCluster.create({ seed: 2, nodes: 2 });
    await cluster.apply({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'default' }, spec: { hard: { pods: '3', 'requests.cpu': '1' } } });
    await cluster.settle();
    expect((await cluster.get(ResourceQuotas, { namespace: 'default', name: 'compute' })).status).toEqual({ hard: { pods: '3', 'requests.cpu': '1' }, used: { pods: '0', 'requests.cpu': '0' } });

    await cluster.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container('app', { requests: { cpu: '400m' } })] } } },
    });
    await cluster.settle();
    const pods = (await cluster.list(Pods, { namespace: 'default' })).items;
    expect(pods).toHaveLength(2);
    expect((await cluster.get(ResourceQuotas, { namespace: 'default', name: 'compute' })).status.used).toEqual({ pods: '2', 'requests.cpu': '800m' });
    const rs = (await cluster.list(ReplicaSets, { namespace: 'default' })).items[0]!;
    expect(rs.status.conditions?.find((c) => c.type === 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(rs.status.conditions?.find((c) => c.type === 'ReplicaFailure')?.message).toMatch(/^pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: compute, requested: requests\.cpu=400m, used: requests\.cpu=800m, limited: requests\.cpu=1$/);
    const failed = (await cluster.list(Events, { namespace: 'default' })).items.filter((e) => e.reason === 'FailedCreate');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.message).toMatch(/^Error creating: pods "web-.*" is forbidden: exceeded quota: compute/);

    // Raising the limit lets the third pod in once the ReplicaSet's retry back-off has run (it
    // doubles with each refusal, as upstream's); the controller recounts.
    await cluster.apply({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'default' }, spec: { hard: { pods: '3', 'requests.cpu': '2' } } });
    await cluster.advance(300_000);
    await cluster.settle();
    expect((await cluster.list(Pods, { namespace: 'default' })).items).toHaveLength(3);
    expect((await cluster.get(ResourceQuotas, { namespace: 'default', name: 'compute' })).status.used).toEqual({ pods: '3', 'requests.cpu': '1200m' });

    // A pod deleted: usage goes down at once, and the ReplicaSet's replacement fits.
    await cluster.delete(Pods, { namespace: 'default', name: pods[0]!.metadata.name ?? '' });
    await cluster.settle();
    expect((await cluster.list(Pods, { namespace: 'default' })).items).toHaveLength(3);
    expect((await cluster.get(ResourceQuotas, { namespace: 'default', name: 'compute' })).status.used).toEqual({ pods: '3', 'requests.cpu': '1200m' });
    await cluster.stop();
  });

  it('counts objects of any kind with count/<resource>, and a scoped quota only the pods it selects', async () => {
    const cluster = await SimCluster.create({ seed: 4, nodes: 1 });
    await cluster.apply([
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'objects', namespace: 'default' }, spec: { hard: { 'count/configmaps': '2', 'count/deployments.apps': '1' } } },
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'best-effort', namespace: 'default' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } },
    ]);
    await cluster.settle();
    await cluster.apply([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one', namespace: 'default' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two', namespace: 'default' } },
    ]);
    await expect(cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'three', namespace: 'default' } })).rejects.toThrow(
      'configmaps "three" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2',
    );
    await cluster.settle();
    expect((await cluster.get(ResourceQuotas, { namespace: 'default', name: 'objects' })).status.used).toEqual({ 'count/configmaps': '2', 'count/deployments.apps': '0' });
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'free', namespace: 'default' }, spec: { containers: [container('app')] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'paid', namespace: 'default' }, spec: { containers: [container('app', { requests: { cpu: '100m' } })] } },
    ]);
    await expect(cluster.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'free2', namespace: 'default' }, spec: { containers: [container('app')] } })).rejects.toThrow(
      'pods "free2" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1',
    );
    await cluster.settle();
    expect((await cluster.get(ResourceQuotas, { namespace: 'default', name: 'best-effort' })).status.used).toEqual({ pods: '1' });
    await cluster.stop();
  });
});
