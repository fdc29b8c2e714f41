/**
 * A storage that is not in memory in spirit, for tests of everything above the `Storage`
 * interface: every operation settles some turns later, its cache lags until told to catch up,
 * and its `guaranteedUpdate` is built from conditional writes, as an etcd backend's would be.
 * Test support: not part of the package's runtime surface.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { KubeObject } from '../api/meta.js';
import { VirtualClock } from '../clock/virtual.js';
import { MemoryStorage } from '../store/memory.js';
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
  type StorageListOptions,
  type StoragePrefix,
  type StoragePreconditions,
  type StorageWatchOptions,
  type UpdateDecision,
} from '../store/storage.js';

/** Waits `n` microtask turns. */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/**
 * A storage whose operations take a few turns and whose cache shows the state of the last
 * {@link SlowStorage.catchUp} (it starts empty).
 */
export class SlowStorage implements Storage {
  readonly #inner: MemoryStorage;
  readonly #resources = new Set<string>();
  #snapshot = new Map<string, KubeObject>();

  readonly #resourceOf = new WeakMap<KubeObject, string>();
  /** The objects of the last catch-up; the revision is the storage's own (only objects lag). */
  readonly cache: StorageCache;

  /** @param historySize The watch window of the memory underneath. */
  constructor(historySize?: number) {
    const inner = new MemoryStorage({ clock: new VirtualClock(), historySize });
    this.#inner = inner;
    const list = (prefix: StoragePrefix): KubeObject[] =>
      [...this.#snapshot.values()].filter(
        (o) => this.#resourceOf.get(o) === prefix.resource && (prefix.namespace === undefined || o.metadata.namespace === prefix.namespace),
      );
    this.cache = {
      get: (key) => this.#snapshot.get(formatKey(key)),
      list,
      count: (prefix) => list(prefix).length,
      get revision(): number {
        return inner.revision;
      },
    };
  }

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
  }

  get(key: StorageKey): Promise<KubeObject>;
  get(key: StorageKey, options: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined>;
  async get(key: StorageKey, options?: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined> {
    await turns();
    return options ? this.#inner.get(key, options) : this.#inner.get(key);
  }

  async list(prefix: StoragePrefix, predicate?: SelectionPredicate, options?: StorageListOptions): Promise<StorageList> {
    await turns();
    return this.#inner.list(prefix, predicate, options);
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

