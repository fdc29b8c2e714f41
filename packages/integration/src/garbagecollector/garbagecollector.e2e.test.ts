/**
 * The garbage collector end to end on a SimCluster (upstream
 * `pkg/controller/garbagecollector`, and `test/e2e/apimachinery/garbage_collector.go` for the
 * cascading deletion behaviours), with hand-made owner references on ConfigMaps, Secrets and
 * cluster-scoped kinds.
 */
import { describe, expect, it } from 'vitest';
import { ConfigMaps, Events, IngressClasses, Secrets } from '@kubeloop/core';
import type { ConfigMap, Event, KubeObject, OwnerReference, ResourceDefinition } from '@kubeloop/core';
import { SimCluster } from '@kubeloop/testing';
import { garbageCollectorPlugin } from '@kubeloop/controllers';
import { foregroundOrder, noDanglingDependents, noLiveOwnerCollected } from '@kubeloop/controllers';

async function cluster(): Promise<SimCluster> {
  return SimCluster.create({ seed: 11, nodes: 1, controllerManager: { plugins: [garbageCollectorPlugin()] } });
}

function ref(owner: KubeObject, block?: boolean): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', ...(block === undefined ? {} : { blockOwnerDeletion: block }) };
}

async function configMap(c: SimCluster, name: string, owners: OwnerReference[] = [], namespace = 'default'): Promise<ConfigMap> {
  return c.server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(owners.length > 0 ? { ownerReferences: owners } : {}) } });
}

async function exists(c: SimCluster, resource: ResourceDefinition, name: string, namespace = 'default'): Promise<ConfigMap | undefined> {
  return (await c.list(resource, { namespace })).items.find((o: KubeObject) => o.metadata.name === name) as ConfigMap | undefined;
}

async function everything(c: SimCluster): Promise<KubeObject[]> {
  return [...(await c.list(ConfigMaps)).items, ...(await c.list(Secrets)).items, ...(await c.list(IngressClasses)).items];
}

describe('garbage collector: background', () => {
  it('collects a dependent once its only owner is deleted (default propagation)', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    await configMap(c, 'child', [ref(owner)]);
    await configMap(c, 'grandchild', [ref(await c.get(ConfigMaps, { namespace: 'default', name: 'child' }))]);
    await c.settle();
    expect(await exists(c, ConfigMaps, 'child')).toBeDefined();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'child')).toBeUndefined();
    expect(await exists(c, ConfigMaps, 'grandchild')).toBeUndefined();
    expect(noDanglingDependents({ objects: await everything(c) })).toEqual([]);
    await c.stop();
  });

  it('collects a dependent whose owner never existed (a virtual node verified absent)', async () => {
    const c = await cluster();
    await configMap(c, 'orphaned', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid' }]);
    await c.settle();
    expect(await exists(c, ConfigMaps, 'orphaned')).toBeUndefined();
    await c.stop();
  });

  it('treats an owner with the same name and another uid as gone (upstream isDangling compares uids)', async () => {
    const c = await cluster();
    const first = await configMap(c, 'owner');
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' });
    await configMap(c, 'owner'); // re-created: same name, new uid
    await configMap(c, 'child', [ref(first)]);
    await c.settle();
    expect(await exists(c, ConfigMaps, 'child')).toBeUndefined();
    expect(await exists(c, ConfigMaps, 'owner')).toBeDefined();
    await c.stop();
  });

  it('keeps a dependent with one live owner and removes only the dangling reference', async () => {
    const c = await cluster();
    const a = await configMap(c, 'a');
    const b = await configMap(c, 'b');
    await configMap(c, 'child', [ref(a), ref(b)]);
    await c.settle();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'a' });
    await c.settle();
    const child = await exists(c, ConfigMaps, 'child');
    expect(child?.metadata.ownerReferences?.map((r) => r.name)).toEqual(['b']);
    await c.stop();
  });

  it('lets a cluster-scoped owner own namespaced dependents', async () => {
    const c = await cluster();
    const owner = await c.server.create(IngressClasses, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'owner' }, spec: { controller: 'example.com/ingress' } });
    await configMap(c, 'child', [ref(owner)]);
    await configMap(c, 'child', [ref(owner)], 'kube-system');
    await c.settle();
    expect(await exists(c, ConfigMaps, 'child')).toBeDefined();
    expect(await exists(c, ConfigMaps, 'child', 'kube-system')).toBeDefined();
    await c.delete(IngressClasses, { name: 'owner' });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'child')).toBeUndefined();
    expect(await exists(c, ConfigMaps, 'child', 'kube-system')).toBeUndefined();
    await c.stop();
  });

  it('treats a namespaced owner referenced from another namespace as absent, with an OwnerRefInvalidNamespace warning', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    await c.settle();
    const child = await configMap(c, 'child', [ref(owner)], 'kube-system');
    await c.settle();
    expect(await exists(c, ConfigMaps, 'child', 'kube-system')).toBeUndefined();
    expect(await exists(c, ConfigMaps, 'owner')).toBeDefined();
    const events = (await c.list(Events, { namespace: 'kube-system' })).items as Event[];
    const warning = events.find((e) => e.reason === 'OwnerRefInvalidNamespace');
    expect(warning).toMatchObject({ type: 'Warning', involvedObject: { kind: 'ConfigMap', name: 'child', uid: child.metadata.uid } });
    expect(warning?.message).toBe(`ownerRef [v1/ConfigMap, namespace: kube-system, name: owner, uid: ${owner.metadata.uid}] does not exist in namespace "kube-system"`);
    await c.stop();
  });

  it('leaves a cluster-scoped object that names a namespaced owner alone (upstream: cannot be resolved, not retried)', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    await c.server.create(IngressClasses, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'child', ownerReferences: [ref(owner)] }, spec: { controller: 'example.com/ingress' } });
    await c.settle();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' });
    await c.settle();
    expect((await c.list(IngressClasses)).items.map((o) => o.metadata.name)).toEqual(['child']);
    // Reported on the dependent all the same (upstream reports any namespace mismatch with an observed owner).
    const events = (await c.list(Events)).items as Event[];
    expect(events.filter((e) => e.reason === 'OwnerRefInvalidNamespace').map((e) => [e.involvedObject.kind, e.involvedObject.name])).toEqual([['IngressClass', 'child']]);
    await c.stop();
  });
});

describe('garbage collector: orphan', () => {
  it('removes the owner reference from dependents, then lets the owner go; dependents stay', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    const other = await configMap(c, 'other');
    await configMap(c, 'child', [ref(owner, true), ref(other)]);
    await c.server.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secret', namespace: 'default', ownerReferences: [ref(owner)] } });
    await c.settle();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Orphan' });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'owner')).toBeUndefined();
    expect((await exists(c, ConfigMaps, 'child'))?.metadata.ownerReferences?.map((r) => r.name)).toEqual(['other']);
    const secret = await exists(c, Secrets, 'secret');
    expect(secret).toBeDefined();
    expect(secret?.metadata.ownerReferences).toBeUndefined();
    await c.stop();
  });
});

describe('garbage collector: foreground', () => {
  it('deletes dependents first and removes the owner only after its blocking dependents are gone', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    const child = await configMap(c, 'child', [ref(owner, true)]);
    await configMap(c, 'grandchild', [ref(child, true)]);
    await configMap(c, 'loose', [ref(owner, false)]);
    await c.settle();
    const before = c.trace().length;
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
    await c.settle();
    for (const name of ['owner', 'child', 'grandchild', 'loose']) expect(await exists(c, ConfigMaps, name)).toBeUndefined();
    const deleted = c
      .trace()
      .slice(before)
      .filter((e) => e.type === 'DELETED' && e.object.kind === 'ConfigMap')
      .map((e) => e.object.metadata.name);
    // child waits for grandchild (foreground too: it has dependents), owner for child.
    expect(deleted.indexOf('grandchild')).toBeLessThan(deleted.indexOf('child'));
    expect(deleted.indexOf('child')).toBeLessThan(deleted.indexOf('owner'));
    expect(foregroundOrder({ trace: c.trace() })).toEqual([]);
    expect(noLiveOwnerCollected({ trace: c.trace(), deletedByUser: new Set([owner.metadata.uid ?? '']) })).toEqual([]);
    await c.stop();
  });

  it('does not wait for a dependent without blockOwnerDeletion', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    // A dependent the collector cannot delete yet: it has a finalizer of its own.
    await c.server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'loose', namespace: 'default', finalizers: ['example.com/hold'], ownerReferences: [ref(owner, false)] } });
    await c.settle();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'owner')).toBeUndefined();
    expect((await exists(c, ConfigMaps, 'loose'))?.metadata.deletionTimestamp).toBeDefined();
    await c.stop();
  });

  it('waits while a blocking dependent cannot go', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    await c.server.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'], ownerReferences: [ref(owner, true)] } });
    await c.settle();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
    await c.settle();
    expect((await exists(c, ConfigMaps, 'owner'))?.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Release the dependent: it goes, and the owner follows.
    const held = await c.get(ConfigMaps, { namespace: 'default', name: 'held' });
    await c.server.update(ConfigMaps, { ...held, metadata: { ...held.metadata, finalizers: [] } });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'owner')).toBeUndefined();
    await c.stop();
  });

  it('finishes a foreground deletion started before a controller manager restart', async () => {
    const c = await cluster();
    const owner = await configMap(c, 'owner');
    for (let i = 0; i < 5; i++) await configMap(c, `child-${i}`, [ref(owner, true)]);
    await c.settle();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
    await c.restartControllerManager();
    await c.settle();
    expect((await c.list(ConfigMaps, { namespace: 'default' })).items.filter((o) => o.metadata.name !== 'kube-root-ca.crt')).toEqual([]);
    expect(foregroundOrder({ trace: c.trace() })).toEqual([]);
    await c.stop();
  });

  it('breaks an ownership cycle: both objects go (upstream makes the references of one non-blocking first)', async () => {
    const c = await cluster();
    const a = await configMap(c, 'a');
    const b = await configMap(c, 'b', [ref(a, true)]);
    await c.server.update(ConfigMaps, { ...a, metadata: { ...a.metadata, ownerReferences: [ref(b, true)] } });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'a')).toBeDefined();
    await c.delete(ConfigMaps, { namespace: 'default', name: 'a' }, { propagationPolicy: 'Foreground' });
    await c.settle();
    expect(await exists(c, ConfigMaps, 'a')).toBeUndefined();
    expect(await exists(c, ConfigMaps, 'b')).toBeUndefined();
    expect(foregroundOrder({ trace: c.trace() })).toEqual([]);
    await c.stop();
  });
});
