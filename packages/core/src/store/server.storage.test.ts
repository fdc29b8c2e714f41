/**
 * The API server over a {@link SlowStorage}: every operation settles some turns later, its
 * cache lags until told to catch up, and its `guaranteedUpdate` is built from conditional
 * writes (as an etcd backend's would be). Nothing above the `Storage` interface may depend on
 * storage being in memory; these tests hold the registry to that.
 */
import { describe, expect, it } from 'vitest';
import { isApiError } from '../api/errors.js';
import { VirtualClock } from '../clock/virtual.js';
import { seededRng } from '../rng/seeded.js';
import { ApiServer } from './server.js';
import { SlowStorage, TestNamespaces, storageContract, testRegistry, turns, ScalableWidgets as Widgets, type ScalableWidget as Widget } from '../testing/index.js';

storageContract('a slow storage with a lagging cache', () => new SlowStorage(), {
  settle: async (s) => {
    await turns(50);
    (s as SlowStorage).catchUp();
  },
});

function widget(name: string, replicas = 1, extra: Partial<Widget['metadata']> = {}): Widget {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, namespace: 'default', ...extra }, spec: { replicas } };
}

async function newServer() {
  const storage = new SlowStorage();
  const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(1), registry: testRegistry(), storage });
  await server.ready;
  return { server, storage };
}

describe('ApiServer over a slow storage with a lagging cache', () => {
  it('creates the initial namespaces, and creates into them though its cache has not seen them', async () => {
    const { server } = await newServer();
    expect((await server.list(TestNamespaces)).items.map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const w = await server.create(Widgets, widget('a'));
    expect(w.metadata.uid).toBeDefined();
    const e = await server.create(Widgets, widget('b', 1, { namespace: 'nowhere' })).catch((x: unknown) => x);
    expect(isApiError(e, 'NotFound')).toBe(true);
  });

  it('retries an update decided from a stale cached object, and still conflicts a stale resourceVersion', async () => {
    const { server, storage } = await newServer();
    const a = await server.create(Widgets, widget('a'));
    storage.catchUp(); // the cache now holds `a` at its first revision
    const a2 = await server.update(Widgets, { ...a, metadata: { ...a.metadata, resourceVersion: undefined }, spec: { replicas: 2 } });
    // The cache still shows `a`: the next update is decided from it, conflicts, and is decided again.
    const a3 = await server.update(Widgets, { ...a, metadata: { ...a.metadata, resourceVersion: undefined }, spec: { replicas: 3 } });
    expect(a3.spec.replicas).toBe(3);
    expect(a3.metadata.generation).toBe((a2.metadata.generation ?? 0) + 1);
    const stale = await server.update(Widgets, { ...a2, spec: { replicas: 4 } }).catch((x: unknown) => x);
    expect(isApiError(stale, 'Conflict')).toBe(true);
    const patched = await server.patch(Widgets, { namespace: 'default', name: 'a' }, { type: 'merge', body: { spec: { replicas: 5 } } });
    expect(patched.spec.replicas).toBe(5);
  });

  it('deletes through finalizers, and a namespace with everything in it', async () => {
    const { server, storage } = await newServer();
    await server.create(TestNamespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await server.create(Widgets, widget('kept', 1, { namespace: 'team', finalizers: ['example.com/hold'] }));
    await server.create(Widgets, widget('plain', 1, { namespace: 'team' }));
    storage.catchUp();
    const ns = await server.delete(TestNamespaces, { name: 'team' });
    expect(ns.metadata.deletionTimestamp).toBeDefined();
    expect((await server.list(Widgets, { namespace: 'team' })).items.map((w) => w.metadata.name)).toEqual(['kept']);
    const kept = await server.get(Widgets, { namespace: 'team', name: 'kept' });
    expect(kept.metadata.deletionTimestamp).toBeDefined();
    await server.update(Widgets, { ...kept, metadata: { ...kept.metadata, finalizers: [] } });
    await turns(100); // the namespace goes once the storage shows it empty
    const gone = await server.get(TestNamespaces, { name: 'team' }).catch((x: unknown) => x);
    expect(isApiError(gone, 'NotFound')).toBe(true);
  });
});
