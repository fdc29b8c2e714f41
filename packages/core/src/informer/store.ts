/**
 * The informer cache (kube-rs's `reflector::store`, client-go's `Indexer`): one writer that
 * applies {@link WatcherEvent}s, and any number of read-only {@link CacheReader}s.
 *
 * ```ts
 * const writer = new CacheWriter<ConfigMap>({ indexers: { byApp: (cm) => [cm.metadata.labels?.app ?? ''] } });
 * const deltas$ = reflector(writer, watcher(client, ConfigMaps, { clock }));
 * const cache = writer.reader; // hand this out
 * ```
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Subscribable } from 'rxjs';
import type { KubeObject, ObjectKey } from '../api/meta.js';
import { compareResourceVersions, controllerRef } from '../api/meta.js';
import { flatten } from '../util/objects.js';
import { InformerError } from './errors.js';
import type { WatcherEvent } from './watcher.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/**
 * A change of the cache, as handlers see it (client-go's `OnAdd` / `OnUpdate` / `OnDelete`):
 *
 * - `add`: an object the cache did not hold (a watch `ADDED`, an object new in a relist, or a
 *   synthetic add replayed to a handler subscribing late);
 * - `update`: `old` was replaced by `object` (a watch `MODIFIED`, an object changed in a relist,
 *   or a resync, where `old === object`);
 * - `delete`: `object` left the cache. `tombstone: true` means it vanished while the watcher
 *   was disconnected and was noticed by a relist: `object` is the last state the cache knew,
 *   not its final state (client-go's `DeletedFinalStateUnknown`).
 */
export type InformerEvent<T extends KubeObject> =
  | { readonly type: 'add'; readonly object: T }
  | { readonly type: 'update'; readonly old: T; readonly object: T }
  | { readonly type: 'delete'; readonly object: T; readonly tombstone?: boolean };

/**
 * An index function: the index values an object is filed under (none, one or several).
 *
 * Guarantees expected from it: pure and deterministic (the cache calls it again on the old
 * object to un-file it), fast, and it must not throw.
 */
export type IndexFunc<T extends KubeObject> = (object: T) => readonly string[];

/** Built-in index: `metadata.namespace` (`''` for cluster-scoped objects). */
export const NAMESPACE_INDEX = 'namespace';
/**
 * Built-in index: the uid of the owner reference with `controller: true`; a namespaced object
 * without one is filed under {@link orphanIndexKey} of its namespace (upstream's
 * `PodControllerUIDIndex`), so a controller finds the objects it controls and the orphans it
 * may adopt without scanning its namespace.
 */
export const CONTROLLER_UID_INDEX = 'controllerUid';

/**
 * The {@link CONTROLLER_UID_INDEX} value under which the namespaced objects of `namespace`
 * that have no controller are filed (never a uid: uids contain no `/`).
 */
export function orphanIndexKey(namespace: string): string {
  return `orphan/${namespace}`;
}
/** Built-in index: one value `key=value` per label. */
export const LABEL_INDEX = 'label';
/**
 * Built-in index: `spec.nodeName` of the objects that have one (pods bound to a node), as the
 * node-name indexer upstream's taint manager and pod GC use: the pods on a node without a scan.
 */
export const NODE_NAME_INDEX = 'spec.nodeName';

const controllerUidIndex = (o: KubeObject): readonly string[] => {
  const ref = controllerRef(o);
  if (ref !== undefined) return [ref.uid];
  return o.metadata.namespace ? [orphanIndexKey(o.metadata.namespace)] : [];
};
const nodeNameOf = (o: KubeObject): string | undefined => {
  const nodeName = (o as { spec?: { nodeName?: unknown } }).spec?.nodeName;
  return typeof nodeName === 'string' && nodeName !== '' ? nodeName : undefined;
};
const nodeNameIndex = (o: KubeObject): readonly string[] => {
  const nodeName = nodeNameOf(o);
  return nodeName === undefined ? [] : [nodeName];
};
const labelIndex = (o: KubeObject): readonly string[] => {
  const labels = o.metadata.labels;
  if (labels === undefined) return [];
  const out: string[] = [];
  for (const k in labels) out.push(`${k}=${labels[k]}`);
  return out;
};

/**
 * A read-only view of an informer cache. Many readers may share one cache.
 *
 * Guarantees: objects are the frozen objects the API server handed out, shared, never copied:
 * do not (and cannot) mutate them. Each call reads the cache's current state; results are fresh
 * arrays. During a relist readers keep seeing the previous snapshot until the new one is
 * complete, then see the new one at once.
 *
 * Caveats: the cache lags the server (eventual consistency); before {@link hasSynced} it may
 * be empty or partial.
 */
export interface CacheReader<T extends KubeObject> {
  /** The object with this key (`namespace/name`, or `name` when cluster-scoped), if cached. */
  get(key: ObjectKey | string): T | undefined;
  /** Every cached object, or those of one namespace (`''`: the cluster-scoped ones). */
  list(namespace?: string): readonly T[];
  /**
   * The objects filed under `value` in the index `indexName`: a built-in one
   * ({@link NAMESPACE_INDEX}, {@link CONTROLLER_UID_INDEX}, {@link LABEL_INDEX} with
   * `key=value`, {@link NODE_NAME_INDEX}) or one registered by the user.
   *
   * @throws {@link InformerError} `unknown-index` for an index that is not registered.
   */
  byIndex(indexName: string, value: string): readonly T[];
  /** The keys of every cached object. */
  keys(): readonly string[];
  /** How many objects are cached. */
  size(): number;
  /** Whether the first complete list has been applied. Stays true once true. */
  hasSynced(): boolean;
  /**
   * The `resourceVersion` the cache has caught up with (client-go's
   * `LastStoreSyncResourceVersion`, 1.36): `''` before the first complete list, then the
   * list's revision, then the newest revision of the watch events applied since (an event
   * that changes nothing, such as an `Apply` of a version already cached, still moves it; an
   * older one does not move it back); each relist sets it to the new list's revision. As the
   * watcher delivers events in the server's order, every write of the server at or below it
   * that falls in the informer's selection is reflected in the cache, or was superseded by a
   * later one that is.
   *
   * A controller that wrote an object at revision `r` knows its cache shows that write (or
   * something newer) once `compareResourceVersions(this, r) >= 0`: the read-after-write
   * check of upstream's StaleControllerConsistency gates.
   *
   * Caveats: bookmarks do not move it (the watcher does not publish them), so a write outside
   * the informer's selection is never seen as caught up by a filtered informer.
   */
  lastSyncResourceVersion(): string;
  /** Resolves once the first complete list has been applied. Never rejects. */
  readonly synced: Promise<void>;
}

/** Options of a {@link CacheWriter}. */
export interface CacheOptions<T extends KubeObject> {
  /** User-defined indexes, by name (names must not clash with the built-in ones). */
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>> | undefined;
}

interface Index<T extends KubeObject> {
  readonly fn: IndexFunc<T>;
  /**
   * Whether two versions of one object are filed alike, decided without building their index
   * values (a built-in index knows what it reads); absent for user indexes.
   */
  readonly filedAlike?: (old: T, object: T) => boolean;
  /** value → keys of the objects filed under it. Invariant: no empty sets. */
  readonly buckets: Map<string, Set<string>>;
  /** Whether the index is built and kept up to date (built-in ones wait for their first query). */
  kept: boolean;
}

/** Two versions of an object are filed alike by the controller-uid index: same controller uid. */
const sameController = (a: KubeObject, b: KubeObject): boolean => a.metadata.ownerReferences === b.metadata.ownerReferences || controllerRef(a)?.uid === controllerRef(b)?.uid;

/** Two versions of an object are filed alike by the label index: same labels. */
const sameLabels = (a: KubeObject, b: KubeObject): boolean => {
  const la = a.metadata.labels;
  const lb = b.metadata.labels;
  if (la === lb) return true;
  if (la === undefined || lb === undefined) return false;
  let n = 0;
  for (const k in la) {
    if (la[k] !== lb[k]) return false;
    n++;
  }
  for (const _ in lb) n--;
  return n === 0;
};

// ---------------------------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------------------------

/**
 * The writing side of a cache. There must be exactly one writer per cache (in practice, the
 * {@link reflector} that owns it); hand out {@link CacheWriter.reader} to everyone else.
 *
 * Objects are held by namespace, then name (as client-go's and client-node's caches): an
 * event finds its object without building a key, and a namespace list is that namespace's
 * map. The built-in controller-uid and label indexes are built on their first query and kept
 * from then on, so an informer pays for the indexes its readers use; user indexes are kept
 * from the start.
 *
 * Invariants (checked by {@link CacheWriter.assertInvariants}):
 * - every object is held under its own namespace and name, and `size` counts them;
 * - once an index is kept, the key map holds exactly the cached objects, each under its key;
 * - every cached object is filed in every kept index exactly under the values its index
 *   function returns, and kept indexes hold nothing else (no empty buckets); an index not yet
 *   built holds nothing;
 * - a snapshot is pending only between `InitStart` and `InitDone`, and readers never see it;
 * - the cache is synced iff at least one `InitDone` has been applied.
 */
export class CacheWriter<T extends KubeObject> {
  /** namespace (`''` for cluster-scoped objects) → name → object. Invariant: no empty maps. */
  readonly #byNamespace = new Map<string, Map<string, T>>();
  #size = 0;
  /** The indexes other than the namespace one (which is {@link CacheWriter.#byNamespace}). */
  readonly #indexes = new Map<string, Index<T>>();
  /** The kept indexes, in an array: what every write walks (most caches have none). */
  readonly #kept: Index<T>[] = [];
  /**
   * key → object of every cached object, kept from when the first index is kept: an index
   * query turns each key of its bucket into its object with one lookup of a string whose hash
   * is known, not by splitting the key (two new strings to hash) and two lookups. A controller
   * that lists its owned objects through an index on every reconcile (the ReplicaSet
   * controller) queries it a lot; the price is a key per write of a cache with a kept index.
   */
  #byKey: Map<string, T> | undefined;
  /** The snapshot being received between `InitStart` and `InitDone`, by key. */
  #pending: Map<string, T> | undefined;
  #started = false;
  #synced = false;
  /** The revision of the last complete list or watch event applied (`''` before the first list). */
  #resourceVersion = '';
  readonly #resolveSynced: () => void;

  /** The read-only view of this cache, to hand out. */
  readonly reader: CacheReader<T>;

  constructor(options: CacheOptions<T> = {}) {
    this.#indexes.set(CONTROLLER_UID_INDEX, { fn: controllerUidIndex, filedAlike: sameController, buckets: new Map(), kept: false });
    this.#indexes.set(LABEL_INDEX, { fn: labelIndex, filedAlike: sameLabels, buckets: new Map(), kept: false });
    this.#indexes.set(NODE_NAME_INDEX, { fn: nodeNameIndex, filedAlike: (a, b) => nodeNameOf(a) === nodeNameOf(b), buckets: new Map(), kept: false });
    for (const [name, fn] of Object.entries(options.indexers ?? {})) this.addIndexer(name, fn);

    let resolve!: () => void;
    const synced = new Promise<void>((r) => (resolve = r));
    this.#resolveSynced = resolve;
    this.reader = Object.freeze<CacheReader<T>>({
      get: (key) => {
        if (typeof key !== 'string') return this.#byNamespace.get(key.namespace ?? '')?.get(key.name);
        const slash = key.indexOf('/');
        return slash < 0 ? this.#byNamespace.get('')?.get(key) : this.#byNamespace.get(key.slice(0, slash))?.get(key.slice(slash + 1));
      },
      list: (namespace) => {
        if (namespace !== undefined) return this.#inNamespace(namespace);
        const out: T[] = [];
        for (const objects of this.#byNamespace.values()) for (const o of objects.values()) out.push(o);
        return out;
      },
      byIndex: (indexName, value) => {
        if (indexName === NAMESPACE_INDEX) return this.#inNamespace(value);
        const index = this.#indexes.get(indexName);
        if (index === undefined) throw new InformerError('unknown-index', `index ${indexName} does not exist`);
        if (!index.kept) this.#build(index);
        const keys = index.buckets.get(value);
        if (keys === undefined) return [];
        const byKey = this.#byKey!;
        const out: T[] = [];
        for (const k of keys) out.push(byKey.get(k)!);
        return out;
      },
      keys: () => {
        const out: string[] = [];
        for (const objects of this.#byNamespace.values()) for (const o of objects.values()) out.push(keyOf(o));
        return out;
      },
      size: () => this.#size,
      hasSynced: () => this.#synced,
      lastSyncResourceVersion: () => this.#resourceVersion,
      synced,
    });
  }

  #inNamespace(namespace: string): T[] {
    const objects = this.#byNamespace.get(namespace);
    return objects === undefined ? [] : Array.from(objects.values());
  }

  /** Files every cached object in `index` and keeps it from now on. */
  #build(index: Index<T>): void {
    // The key map's own key strings are filed: one string per object for the map and every index.
    for (const [key, o] of this.#keepByKey()) for (const v of index.fn(o)) file(index.buckets, v, key);
    index.kept = true;
    this.#kept.push(index);
  }

  /** The key → object map, made (holding every cached object) when the first index is kept. */
  #keepByKey(): Map<string, T> {
    if (this.#byKey === undefined) {
      this.#byKey = new Map();
      for (const objects of this.#byNamespace.values()) for (const o of objects.values()) this.#byKey.set(keyOf(o), o);
    }
    return this.#byKey;
  }

  /**
   * Registers an index. Indexes must be registered before the first event is applied (client-go
   * allows later registration at the cost of a full re-index; we keep it simple and explicit).
   *
   * @throws {@link InformerError} `indexer-conflict` if the name is taken, `indexer-after-start`
   * once an event has been applied.
   */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.#started) throw new InformerError('indexer-after-start', `cannot add index ${name}: the cache has started`);
    if (name === NAMESPACE_INDEX || this.#indexes.has(name)) throw new InformerError('indexer-conflict', `index ${name} already exists`);
    const index: Index<T> = { fn, buckets: new Map(), kept: true };
    this.#indexes.set(name, index);
    this.#kept.push(index);
    this.#keepByKey();
  }

  /**
   * Applies one watcher event and returns what changed, as handler events:
   * - `InitStart` / `InitApply`: buffered, nothing changes yet (readers see the old snapshot);
   * - `InitDone`: the buffered snapshot replaces the cache; the result is one `add` per new key,
   *   one `update` per key whose resourceVersion changed, one `delete` (`tombstone: true`) per
   *   key that is gone; an object whose resourceVersion did not change is kept as it was and
   *   produces nothing;
   * - `Apply`: `add` or `update` (nothing if the same resourceVersion is already cached);
   * - `Delete`: `delete` with the final state (nothing if the key is not cached).
   *
   * Guarantees: when this returns, the cache already reflects every returned event.
   */
  apply(event: WatcherEvent<T>): readonly InformerEvent<T>[] {
    this.#started = true;
    switch (event.type) {
      case 'InitStart':
        this.#pending = new Map();
        return NO_CHANGES;
      case 'InitApply':
        (this.#pending ??= new Map()).set(keyOf(event.object), event.object);
        return NO_CHANGES;
      case 'InitDone':
        this.#resourceVersion = event.resourceVersion;
        return this.#replace();
      case 'Apply': {
        const object = event.object;
        const meta = object.metadata;
        this.#caughtUpWith(meta.resourceVersion);
        const objects = this.#byNamespace.get(meta.namespace ?? '');
        const old = objects?.get(meta.name ?? '');
        if (old === undefined) {
          this.#insert(object);
          return [{ type: 'add', object }];
        }
        if (sameVersion(old, object)) return NO_CHANGES;
        this.#swap(objects!, old, object);
        return [{ type: 'update', old, object }];
      }
      case 'Delete': {
        const meta = event.object.metadata;
        this.#caughtUpWith(meta.resourceVersion);
        const old = this.#byNamespace.get(meta.namespace ?? '')?.get(meta.name ?? '');
        if (old === undefined) return NO_CHANGES;
        this.#remove(old);
        return [{ type: 'delete', object: event.object }];
      }
    }
  }

  /**
   * Moves the caught-up revision to `resourceVersion` of a watch event, never back (a revision
   * that cannot be ordered against it replaces it). Called for every event: watch events come
   * in the server's order, so the common case — a longer digit string, or a larger one of the
   * same length, which is the integer order when both are integers and replaces it either way —
   * is decided without checking the digits.
   */
  #caughtUpWith(resourceVersion: string | undefined): void {
    if (resourceVersion === undefined) return;
    const current = this.#resourceVersion;
    if (resourceVersion.length > current.length || (resourceVersion.length === current.length && resourceVersion > current)) {
      this.#resourceVersion = resourceVersion;
    } else if (compareResourceVersions(resourceVersion, current) === undefined) this.#resourceVersion = resourceVersion;
  }

  #replace(): readonly InformerEvent<T>[] {
    const snapshot = this.#pending ?? new Map<string, T>();
    this.#pending = undefined;
    const out: InformerEvent<T>[] = [];
    const gone: T[] = [];
    for (const objects of this.#byNamespace.values()) for (const old of objects.values()) if (!snapshot.has(keyOf(old))) gone.push(old);
    for (const old of gone) {
      this.#remove(old);
      out.push({ type: 'delete', object: old, tombstone: true });
    }
    for (const object of snapshot.values()) {
      const meta = object.metadata;
      const objects = this.#byNamespace.get(meta.namespace ?? '');
      const old = objects?.get(meta.name ?? '');
      if (old === undefined) {
        this.#insert(object);
        out.push({ type: 'add', object });
      } else if (!sameVersion(old, object)) {
        this.#swap(objects!, old, object);
        out.push({ type: 'update', old, object });
      }
    }
    if (!this.#synced) {
      this.#synced = true;
      this.#resolveSynced();
    }
    return out;
  }

  #insert(object: T): void {
    const meta = object.metadata;
    const namespace = meta.namespace ?? '';
    let objects = this.#byNamespace.get(namespace);
    if (objects === undefined) this.#byNamespace.set(namespace, (objects = new Map()));
    objects.set(meta.name ?? '', object);
    this.#size++;
    const kept = this.#kept;
    if (kept.length === 0) return;
    const key = keyOf(object);
    this.#byKey!.set(key, object);
    for (const index of kept) for (const v of index.fn(object)) file(index.buckets, v, key);
  }

  #remove(old: T): void {
    const meta = old.metadata;
    const namespace = meta.namespace ?? '';
    const objects = this.#byNamespace.get(namespace)!;
    objects.delete(meta.name ?? '');
    if (objects.size === 0) this.#byNamespace.delete(namespace);
    this.#size--;
    const kept = this.#kept;
    if (kept.length === 0) return;
    const key = keyOf(old);
    this.#byKey!.delete(key);
    for (const index of kept) for (const v of index.fn(old)) unfile(index.buckets, v, key);
  }

  #swap(objects: Map<string, T>, old: T, object: T): void {
    objects.set(object.metadata.name ?? '', object);
    const kept = this.#kept;
    if (kept.length === 0) return;
    const key = keyOf(object);
    this.#byKey!.set(key, object);
    for (const index of kept) {
      if (index.filedAlike?.(old, object)) continue;
      const before = index.fn(old);
      const after = index.fn(object);
      if (sameValues(before, after)) continue;
      for (const v of before) if (!after.includes(v)) unfile(index.buckets, v, key);
      for (const v of after) if (!before.includes(v)) file(index.buckets, v, key);
    }
  }

  /**
   * Checks the invariants listed on the class; for tests.
   *
   * @throws Error naming the first broken invariant.
   */
  assertInvariants(): void {
    let size = 0;
    for (const [namespace, objects] of this.#byNamespace) {
      if (objects.size === 0) throw new Error(`namespace ${namespace} has an empty map`);
      for (const [name, object] of objects) {
        size++;
        if ((object.metadata.namespace ?? '') !== namespace || (object.metadata.name ?? '') !== name) throw new Error(`object ${keyOf(object)} is held under ${namespace}/${name}`);
      }
    }
    if (size !== this.#size) throw new Error(`size is ${this.#size}, the cache holds ${size}`);
    const byKey = this.#byKey;
    if (byKey !== undefined) {
      if (byKey.size !== size) throw new Error(`the key map holds ${byKey.size} objects, the cache ${size}`);
      for (const objects of this.#byNamespace.values()) for (const object of objects.values()) if (byKey.get(keyOf(object)) !== object) throw new Error(`the key map holds another version of ${keyOf(object)}`);
    } else if (this.#kept.length > 0) throw new Error('an index is kept but the key map is missing');
    for (const [name, index] of this.#indexes) {
      if (!index.kept) {
        if (index.buckets.size > 0) throw new Error(`index ${name} is not kept but holds ${index.buckets.size} buckets`);
        continue;
      }
      const expected = new Map<string, Set<string>>();
      for (const objects of this.#byNamespace.values()) for (const object of objects.values()) for (const v of index.fn(object)) file(expected, v, keyOf(object));
      if (expected.size !== index.buckets.size) throw new Error(`index ${name}: ${index.buckets.size} buckets, expected ${expected.size}`);
      for (const [v, keys] of expected) {
        const got = index.buckets.get(v);
        if (got === undefined || got.size !== keys.size || [...keys].some((k) => !got.has(k))) {
          throw new Error(`index ${name}: bucket ${v} holds [${[...(got ?? [])].join(', ')}], expected [${[...keys].join(', ')}]`);
        }
      }
    }
  }
}

/** What an event that changes nothing returns (shared: it is never written to). */
const NO_CHANGES: readonly InformerEvent<never>[] = Object.freeze([]);

function keyOf(object: KubeObject): string {
  const ns = object.metadata.namespace;
  const name = object.metadata.name ?? '';
  // Flat: the cache keeps the key for as long as it holds the object.
  return ns ? flatten(`${ns}/${name}`) : name;
}

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  if (a === b) return true;
  const rv = a.metadata.resourceVersion;
  return rv !== undefined && rv === b.metadata.resourceVersion;
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function file(buckets: Map<string, Set<string>>, value: string, key: string): void {
  const keys = buckets.get(value);
  if (keys === undefined) buckets.set(value, new Set([key]));
  else keys.add(key);
}

function unfile(buckets: Map<string, Set<string>>, value: string, key: string): void {
  const keys = buckets.get(value);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) buckets.delete(value);
}

// ---------------------------------------------------------------------------------------------
// The reflector
// ---------------------------------------------------------------------------------------------

/**
 * Applies a stream of watcher events to a cache, and publishes what changed (kube-rs's
 * `reflector(writer, stream)`).
 *
 * Guarantees: each event is applied to the cache before the changes it caused are published,
 * so a subscriber that reads the cache when it receives a change sees that change (or a newer
 * state). Cold: subscribing subscribes to `events$`; unsubscribing stops applying.
 *
 * Errors: forwards errors and completion of `events$` (a {@link watcher} never errors).
 */
export function reflector<T extends KubeObject>(
  writer: CacheWriter<T>,
  events$: Subscribable<WatcherEvent<T>>,
): Observable<InformerEvent<T>> {
  return new Observable<InformerEvent<T>>((subscriber) =>
    reflectBatches(writer, events$).subscribe({
      next: (changes) => {
        for (const change of changes) subscriber.next(change);
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
}

/**
 * {@link reflector}, publishing the changes of one watcher event as one batch (a relist is one
 * batch); events that change nothing publish nothing. The informer uses it so that a handler
 * subscribing in the middle of a relist sees all of it or none of it.
 *
 * @internal
 */
export function reflectBatches<T extends KubeObject>(
  writer: CacheWriter<T>,
  events$: Subscribable<WatcherEvent<T>>,
): Observable<readonly InformerEvent<T>[]> {
  return new Observable<readonly InformerEvent<T>[]>((subscriber) => {
    const sub = events$.subscribe({
      next: (event) => {
        const changes = writer.apply(event);
        if (changes.length > 0) subscriber.next(changes);
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
}
