/**
 * Read-after-write for controllers (upstream `pkg/controller/util` `ConsistencyStore`, KEP-5647
 * "Stale Controller Detection and Mitigation", the StaleControllerConsistency* gates, beta and
 * on by default since 1.36): after a sync of an owner wrote objects, the next sync of that owner
 * waits until the caches it reads have caught up with those writes, so that it never decides
 * from a cache that does not yet show what it did itself (a pod it deleted still Running and
 * Ready, a status it wrote not yet there).
 *
 * Invariants (checked by {@link ConsistencyStore.assertInvariants}): every owner with a record
 * has at least one written revision, and every written revision is a revision of a resource
 * the store reads.
 *
 * @module
 */
import { compareResourceVersions } from '@kubeloop/core';

/** What the store reads of a cache: the revision it has caught up with (a `CacheReader` is one). */
export interface SyncedRevision {
  /** The revision the cache has caught up with, `''` before its first list (`CacheReader.lastSyncResourceVersion`). */
  lastSyncResourceVersion(): string;
}

/** An owner whose writes are remembered: its key (`namespace/name`) and uid. */
export interface ConsistencyOwner {
  /** `namespace/name` of the owner (the key its controller's queue holds). */
  readonly key: string;
  /** Its uid: a record of an owner of the same name with another uid is dropped. */
  readonly uid: string;
}

/** Why an owner's sync must wait ({@link ConsistencyStore.ensureReady}). */
export class ConsistencyError extends Error {
  /** Always `cache-behind-write`: the cache of `resource` has not caught up with a write of the owner's last syncs. */
  readonly code = 'cache-behind-write' as const;
  /** The owner's key. */
  readonly owner: string;
  /** The resource whose cache lags (a plural such as `pods`). */
  readonly resource: string;
  /** The revision of the owner's last write of `resource`. */
  readonly wroteResourceVersion: string;
  /** The revision the cache has caught up with. */
  readonly readResourceVersion: string;

  constructor(owner: string, resource: string, wroteResourceVersion: string, readResourceVersion: string) {
    super(`the ${resource} cache is at revision ${readResourceVersion || '(none)'}, older than the write of ${owner} at ${wroteResourceVersion}`);
    this.name = 'ConsistencyError';
    this.owner = owner;
    this.resource = resource;
    this.wroteResourceVersion = wroteResourceVersion;
    this.readResourceVersion = readResourceVersion;
  }
}

interface OwnerRecord {
  readonly uid: string;
  /** resource → the newest revision written for this owner. */
  readonly written: Map<string, string>;
}

/**
 * The newest revision each owner wrote, per resource, and whether the caches have caught up
 * with them.
 *
 * Guarantees:
 * - an owner without a record is ready (a new or restarted controller, whose caches come from
 *   a fresh list, acts at once);
 * - {@link ConsistencyStore.ensureReady} passes once every cache is at or past the newest
 *   revision its owner wrote there, and then forgets the record (the next write makes a new
 *   one);
 * - a revision that cannot be ordered (not a decimal integer) or a cache without a revision
 *   (`''`) never holds an owner back (upstream: a comparison error lets the sync run).
 *
 * Caveats: the store does not time out; a cache that never reaches a revision (its informer
 * stopped) holds its owner back until it does, as upstream. The caller requeues a held owner
 * with its rate limiter, so the retries slow down.
 *
 * @example
 * ```ts
 * const store = new ConsistencyStore({ pods: () => manager.cache(Pods) });
 * const error = store.ensureReady(key);
 * if (error !== undefined) throw error; // retried with backoff
 * const pod = await client.create(Pods, request);
 * store.wroteAt({ key, uid: set.metadata.uid ?? '' }, 'pods', pod.metadata.resourceVersion);
 * ```
 */
export class ConsistencyStore {
  readonly #caches: Readonly<Record<string, () => SyncedRevision>>;
  readonly #records = new Map<string, OwnerRecord>();

  /** A store over the caches of `caches` (resource → its cache, looked up when needed). */
  constructor(caches: Readonly<Record<string, () => SyncedRevision>>) {
    this.#caches = caches;
  }

  /**
   * Remembers that a sync of `owner` wrote `resource` at `resourceVersion` (the revision the
   * server returned for the write); keeps the newer of it and what was remembered. An undefined
   * or empty revision, or a resource the store does not read, is ignored.
   */
  wroteAt(owner: ConsistencyOwner, resource: string, resourceVersion: string | undefined): void {
    if (resourceVersion === undefined || resourceVersion === '' || this.#caches[resource] === undefined) return;
    let record = this.#records.get(owner.key);
    if (record === undefined || record.uid !== owner.uid) {
      record = { uid: owner.uid, written: new Map() };
      this.#records.set(owner.key, record);
    }
    const before = record.written.get(resource);
    if (before === undefined || (compareResourceVersions(before, resourceVersion) ?? -1) < 0) record.written.set(resource, resourceVersion);
  }

  /**
   * Undefined when a sync of `key` may run: no record, or every cache at or past the revision
   * the owner last wrote there (the record is then forgotten). Otherwise the
   * {@link ConsistencyError} naming the first cache that lags; the record is kept.
   */
  ensureReady(key: string): ConsistencyError | undefined {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    for (const [resource, wrote] of record.written) {
      const read = this.#caches[resource]!().lastSyncResourceVersion();
      if (read === '') continue;
      const order = compareResourceVersions(wrote, read);
      if (order !== undefined && order > 0) return new ConsistencyError(key, resource, wrote, read);
    }
    this.#records.delete(key);
    return undefined;
  }

  /** Forgets the record of `key` (the owner is gone); with `uid`, only a record of that uid. */
  clear(key: string, uid?: string): void {
    const record = this.#records.get(key);
    if (record !== undefined && (uid === undefined || record.uid === uid)) this.#records.delete(key);
  }

  /** The newest revision remembered for `key` and `resource`, for tests and diagnostics. */
  written(key: string, resource: string): string | undefined {
    return this.#records.get(key)?.written.get(resource);
  }

  /** Throws if an internal invariant does not hold (used by tests). */
  assertInvariants(): void {
    for (const [key, record] of this.#records) {
      if (record.written.size === 0) throw new Error(`${key} has a record without a write`);
      for (const resource of record.written.keys()) if (this.#caches[resource] === undefined) throw new Error(`${key} remembers a write of ${resource}, which the store does not read`);
    }
  }
}
