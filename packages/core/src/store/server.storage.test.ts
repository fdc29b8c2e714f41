/**
 * The API server over a storage that is not in memory in spirit: every operation settles some
 * turns later, its cache lags until told to catch up, and its `guaranteedUpdate` is built from
 * conditional writes (as an etcd backend's would be). Nothing above the `Storage` interface
 * may depend on storage being in memory; these tests hold the registry to that.
 */
import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { isApiError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { VirtualClock } from '../clock/virtual.js';
import { seededRng } from '../rng/seeded.js';
import { MemoryStorage } from './memory.js';
import { ApiServer } from './server.js';
import {
  formatKey,
  guaranteedUpdateByPreconditions,
  type SelectionPredicate,
  type Storage,
  type StorageCache,
  type StorageDeleteOptions,
  type StorageEvent,
  type StorageKey,
  type StorageList,
  type StoragePrefix,
  type StoragePreconditions,
  type StorageWatchOptions,
  type UpdateDecision,
} from './storage.js';
import { storageContract } from './storage.contract.js';
import { TestNamespaces, testRegistry, Widgets, type Widget } from './testing-kinds.js';

async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/**
 * A storage whose operations take a few turns and whose cache shows the state of the last
 * {@link SlowStorage.catchUp} (it starts empty).
 */
class SlowStorage implements Storage {
  readonly #inner = new MemoryStorage({ clock: new VirtualClock() });
  readonly #resources = new Set<string>();
  #snapshot = new Map<string, KubeObject>();
  #revision = 0;

  readonly cache: StorageCache = {
    get: (key) => this.#snapshot.get(formatKey(key)),
    list: (prefix) =>
      [...this.#snapshot.values()].filter(
        (o) => this.#resourceOf.get(o) === prefix.resource && (prefix.namespace === undefined || o.metadata.namespace === prefix.namespace),
      ),
    count: (prefix) => this.cache.list(prefix).length,
    revision: 0,
  };

  readonly #resourceOf = new WeakMap<KubeObject, string>();

  /** Makes the cache show the current state. */
  catchUp(): void {
    const next = new Map<string, KubeObject>();
    for (const resource of this.#resources) {
      for (const o of this.#inner.cache.list({ resource })) {
        next.set(formatKey({ resource, namespace: o.metadata.namespace, name: o.metadata.name ?? '' }), o);
        this.#resourceOf.set(o, resource);
      }
    }
    this.#snapshot = next;
    this.#revision = this.#inner.revision;
    (this.cache as { revision: number }).revision = this.#revision;
  }

  get(key: StorageKey): Promise<KubeObject>;
  get(key: StorageKey, options: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined>;
  async get(key: StorageKey, options?: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined> {
    await turns();
    return options ? this.#inner.get(key, options) : this.#inner.get(key);
  }

  async list(prefix: StoragePrefix, predicate?: SelectionPredicate): Promise<StorageList> {
    await turns();
    return this.#inner.list(prefix, predicate);
  }

  async count(prefix: StoragePrefix): Promise<number> {
    await turns();
    return this.#inner.count(prefix);
  }

  async create(key: StorageKey, object: KubeObject): Promise<KubeObject> {
    await turns();
    this.#resources.add(key.resource);
    return this.#inner.create(key, object);
  }

  async update(key: StorageKey, object: KubeObject, preconditions?: StoragePreconditions): Promise<KubeObject> {
    await turns();
    return this.#inner.update(key, object, preconditions);
  }

  guaranteedUpdate(key: StorageKey, tryUpdate: (current: KubeObject) => UpdateDecision): Promise<KubeObject> {
    return guaranteedUpdateByPreconditions(this, key, tryUpdate, this.cache.get(key));
  }

  async delete(key: StorageKey, options?: StorageDeleteOptions): Promise<KubeObject> {
    await turns();
    return this.#inner.delete(key, options);
  }

  watch(prefix: StoragePrefix, options?: StorageWatchOptions): Observable<StorageEvent> {
    return this.#inner.watch(prefix, options);
  }

  async compact(revision?: number): Promise<void> {
    await turns();
    return this.#inner.compact(revision);
  }
}

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
