/**
 * The storage layer under the API server, as upstream's `k8s.io/apiserver/pkg/storage.Interface`:
 * versioned key/value storage of API objects with preconditions, watches from a revision and
 * compaction. The registry ({@link ApiServer}'s strategies, admission, subresources, deletion)
 * sits above it and knows nothing of how it is kept: {@link MemoryStorage} is the embedded
 * default, and a distributed backend (etcd) implements the same interface and passes the same
 * contract suite.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { FieldSelector } from '../api/fields.js';
import type { Selector } from '../api/labels.js';
import { ApiError, type StatusReason } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';

/**
 * Where one object is stored: its resource (`pods`, `deployments.apps`), namespace (absent for
 * cluster-scoped kinds) and name. Upstream's key `/registry/<resource>/<namespace>/<name>`.
 */
export interface StorageKey {
  /** The resource (`ResourceDefinition.resource`). */
  readonly resource: string;
  /** The namespace; `undefined` for cluster-scoped objects. */
  readonly namespace?: string | undefined;
  /** The object's name. */
  readonly name: string;
}

/** A range of keys: one resource, optionally one namespace of it. */
export interface StoragePrefix {
  /** The resource (`ResourceDefinition.resource`). */
  readonly resource: string;
  /** Only objects in this namespace; all when `undefined`. */
  readonly namespace?: string | undefined;
}

/** Conditions a write checks atomically against the stored object (upstream's `Preconditions`). */
export interface StoragePreconditions {
  /** The stored object's `metadata.resourceVersion` must be this. */
  readonly resourceVersion?: string | undefined;
  /** The stored object's `metadata.uid` must be this. */
  readonly uid?: string | undefined;
}

/**
 * Which objects a list or watch selects (upstream's `SelectionPredicate`): a namespace, a label
 * selector and a field selector, with the kind's field getters.
 */
export interface SelectionPredicate {
  /** Only objects in this namespace; all when `undefined`. */
  readonly namespace?: string | undefined;
  /** The label selector (`everything` for none). */
  readonly labels: Selector;
  /** The field selector (an empty one for none). */
  readonly fields: FieldSelector;
  /** The value of a field the field selector names, for an object of this resource. */
  field(object: KubeObject, field: string): string | undefined;
}

/** One event of a storage watch; `BOOKMARK` carries only `metadata.resourceVersion`. */
export type StorageEvent =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject }
  | { readonly type: 'BOOKMARK'; readonly object: { readonly metadata: { readonly resourceVersion: string } } };

/** Options of {@link Storage.watch}. */
export interface StorageWatchOptions {
  /**
   * The revision to start after. `undefined` starts at the current revision with one synthetic
   * `ADDED` event per selected object (upstream's "get state and start at most recent").
   */
  readonly from?: number | undefined;
  /** Which objects the watch follows; all objects of the prefix when absent. */
  readonly predicate?: SelectionPredicate | undefined;
  /** Whether to send periodic `BOOKMARK` events carrying the revision the watch has reached. */
  readonly bookmarks?: boolean | undefined;
}

/** What {@link Storage.list} returns. */
export interface StorageList {
  /** The selected objects, ordered by namespace then name. */
  readonly items: readonly KubeObject[];
  /** The revision the list is a snapshot of. */
  readonly revision: number;
}

/** Options of {@link Storage.list}. */
export interface StorageListOptions {
  /**
   * The list as it was at this revision (etcd's read at a revision; upstream's
   * `resourceVersionMatch=Exact`), instead of now. A revision the storage has compacted fails
   * with `expired` (410, `The resourceVersion for the provided list is too old.`); one newer
   * than the storage's fails with 504 `Timeout` (`Too large resource version`).
   */
  readonly revision?: number | undefined;
}

/** Options of {@link Storage.delete}. */
export interface StorageDeleteOptions {
  /** Checked atomically against the stored object. */
  readonly preconditions?: StoragePreconditions | undefined;
  /**
   * The object's final state as the `DELETED` event and the result show it (stamped with the
   * deletion's revision); the stored object when absent. The registry uses it when the write
   * that removes an object also changes it (the last finalizer taken away).
   */
  readonly last?: KubeObject | undefined;
}

/** Why a storage operation failed. */
export type StorageErrorCode =
  /** No object at the key (404 NotFound). */
  | 'key-not-found'
  /** `create` found an object at the key (409 AlreadyExists). */
  | 'key-exists'
  /** A precondition failed: the object changed since it was read (409 Conflict). */
  | 'conflict'
  /** The requested revision's successors were compacted away (410 Expired). */
  | 'expired'
  /** The requested revision is not a revision (400 BadRequest). */
  | 'invalid-revision';

const REASONS: Readonly<Record<StorageErrorCode, StatusReason>> = {
  'key-not-found': 'NotFound',
  'key-exists': 'AlreadyExists',
  conflict: 'Conflict',
  expired: 'Expired',
  'invalid-revision': 'BadRequest',
};

/**
 * The error of every {@link Storage} operation, discriminated by
 * {@link StorageError.storageCode}. It is already the API's status error for the key (upstream's
 * `storeerr.Interpret*Error` done at the source), with upstream's messages
 * (`pods "web-0" not found`, `Operation cannot be fulfilled on pods "web-0": …`), so the
 * registry passes storage failures through unchanged.
 */
export class StorageError extends ApiError {
  /** Why the operation failed. */
  readonly storageCode: StorageErrorCode;
  /** The key or prefix the operation was about (`pods/default/web-0`). */
  readonly key: string;

  /**
   * @param why For `conflict`, the precondition that failed; for `expired` and
   * `invalid-revision`, the whole message.
   */
  constructor(code: StorageErrorCode, key: StorageKey | StoragePrefix, why = '') {
    const [plural = '', ...group] = key.resource.split('.');
    const name = 'name' in key ? key.name : '';
    const message =
      code === 'key-not-found'
        ? `${key.resource} "${name}" not found`
        : code === 'key-exists'
          ? `${key.resource} "${name}" already exists`
          : code === 'conflict'
            ? `Operation cannot be fulfilled on ${key.resource} "${name}": ${why}`
            : why;
    const identity = code === 'expired' || code === 'invalid-revision' ? {} : { name, group: group.join('.'), kind: plural };
    super(REASONS[code], message, identity);
    this.name = 'StorageError';
    this.storageCode = code;
    this.key = formatKey(key);
  }
}

/** The message of upstream's 410 for a list at a revision etcd has compacted. */
export const LIST_TOO_OLD = 'The resourceVersion for the provided list is too old.';

/**
 * Upstream's 504 for a read at a revision newer than the storage's (`NewTooLargeResourceVersionError`):
 * `Timeout: Too large resource version: <asked>, current: <current>`, cause `ResourceVersionTooLarge`, retry after 1 s.
 */
export function tooLargeResourceVersion(asked: number | string, current: number | string): ApiError {
  return new ApiError('Timeout', `Timeout: Too large resource version: ${asked}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge' as never, message: 'Too large resource version', field: '' }],
    retryAfterSeconds: 1,
  });
}

/** Whether `e` is a {@link StorageError}, optionally of the given code. */
export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.storageCode === code);
}

/**
 * What a {@link Storage.guaranteedUpdate} callback decides from the current object: write a new
 * version, remove the object (its `DELETED` event showing `last`), or write nothing.
 */
export type UpdateDecision =
  | { readonly type: 'write'; readonly object: KubeObject }
  | {
      readonly type: 'remove';
      /** The final state the `DELETED` event shows (stamped with the deletion's revision). */
      readonly last: KubeObject;
      /** What the operation resolves with; the stamped final state when absent. */
      readonly result?: KubeObject | undefined;
    }
  | { readonly type: 'none'; readonly result: KubeObject };

/**
 * Synchronous reads of the state a storage has observed, as upstream's watch cache serves them:
 * what admission plugins read (quota, namespace lifecycle) and the registry's first guess of a
 * stored object before a conditional write.
 *
 * Guarantees: every read returns a state the storage had at some revision ≤ `revision`, and
 * `revision` never decreases. Objects are the frozen values the storage handed out.
 *
 * Caveats: a distributed backend's cache may lag other writers; whoever writes from a cached
 * read must make the write conditional (a {@link StoragePreconditions} resourceVersion), as the
 * registry does, and retry from {@link Storage.get} on conflict. {@link MemoryStorage}'s cache
 * is the storage itself and never lags.
 */
export interface StorageCache {
  /** The latest revision observed. */
  readonly revision: number;
  /** The object at `key`, or `undefined`. */
  get(key: StorageKey): KubeObject | undefined;
  /** The objects under `prefix`, ordered by namespace then name. */
  list(prefix: StoragePrefix): readonly KubeObject[];
  /** How many objects are under `prefix`. */
  count(prefix: StoragePrefix): number;
}

/**
 * Versioned storage of API objects (upstream's `storage.Interface`). The registry above it
 * decides what to write; the storage keeps it, orders it and streams changes.
 *
 * Values: the storage takes ownership of the objects written to it (it stamps
 * `metadata.resourceVersion` on them and deep-freezes them; the caller must not change them
 * afterwards) and hands out deep-frozen objects that it may share between callers. It never
 * interprets an object beyond `metadata` and the selection predicates it is given.
 *
 * Guarantees:
 * - Ordering: one revision counter for the whole storage. Every successful `create`, `update`
 *   and `delete` is one change at a new revision, strictly greater than every earlier one, and
 *   stamps that revision (decimal) as the object's `metadata.resourceVersion` (for `delete`,
 *   on the final state it reports). Failed operations change nothing and use no revision.
 * - Atomicity: a write is all or nothing; its preconditions, and for `create` the absence of
 *   the key, are checked atomically with the write, so two writes conditional on the same
 *   resourceVersion cannot both succeed.
 * - Reads: `get` returns the latest committed state of the key. `list` returns a consistent
 *   snapshot: exactly the selected objects as they were at the revision it reports, which is
 *   at least the revision of every write that completed before the call.
 * - Watch: a watch from revision `r` delivers every change to the selected objects after `r`,
 *   exactly once, in revision order (events of one watch never go back in revision), and
 *   nothing at or before `r`. An object that stops matching the predicate is delivered as
 *   `DELETED`, one that starts matching as `ADDED`. A watch without a start revision first
 *   delivers the selected objects as `ADDED` events, then every later change. A write that a
 *   watch handler makes is delivered after the change being handled, to every watch.
 *   `BOOKMARK` events (when asked) carry a revision `b`: the watch has delivered every change
 *   up to `b`.
 * - Compaction: `compact` forgets the history up to a revision; the storage may also compact
 *   on its own (a bounded history window). History is compacted oldest first.
 *
 * Errors ({@link StorageError}, already the API's status error): `key-not-found` from `get`,
 * `update`, `guaranteedUpdate` and `delete` without an object at
 * the key; `key-exists` from `create` on an existing key; `conflict` when a precondition fails;
 * `expired` (410) from `watch` at a revision whose successors were compacted; `invalid-revision` for a revision that is not one. A watch reports its error
 * through the observable and ends.
 *
 * Async: every operation returns a promise (an observable for `watch`), so a remote backend
 * fits. {@link MemoryStorage} performs an operation when it is called and settles at once.
 */
export interface Storage {
  /** Synchronous reads of the state this storage has observed (see {@link StorageCache}). */
  readonly cache: StorageCache;
  /** The object at `key`; `key-not-found` when there is none. */
  get(key: StorageKey): Promise<KubeObject>;
  /** The object at `key`, or `undefined` when there is none (upstream's `IgnoreNotFound`). */
  get(key: StorageKey, options: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined>;
  /**
   * The objects under `prefix` that `predicate` selects, as a consistent snapshot: of now, or
   * of `options.revision` (see {@link StorageListOptions}).
   */
  list(prefix: StoragePrefix, predicate?: SelectionPredicate, options?: StorageListOptions): Promise<StorageList>;
  /** How many objects are under `prefix` now (upstream's `Count`). */
  count(prefix: StoragePrefix): Promise<number>;
  /** Stores a new object; `key-exists` when the key is taken. Returns the stored object. */
  create(key: StorageKey, object: KubeObject): Promise<KubeObject>;
  /**
   * Replaces the object at `key` when the preconditions hold; `key-not-found` when there is
   * none, `conflict` when a precondition fails. Returns the stored object.
   */
  update(key: StorageKey, object: KubeObject, preconditions?: StoragePreconditions): Promise<KubeObject>;
  /**
   * Reads the object at `key`, lets `tryUpdate` decide what to do with it, and does it
   * atomically (upstream's `GuaranteedUpdate`): when the object changed between the read and
   * the write, the storage reads it again and calls `tryUpdate` again, until a decision is
   * carried out on the object it was made from. `key-not-found` when there is no object.
   *
   * `tryUpdate` may be called more than once (a backend may try its cache's copy first); it throws to
   * reject the request (the error is the operation's, nothing is written). The operation
   * resolves with the stored object (`write`), the final state or the given result (`remove`),
   * or the decision's result (`none`).
   */
  guaranteedUpdate(key: StorageKey, tryUpdate: (current: KubeObject) => UpdateDecision): Promise<KubeObject>;
  /**
   * Removes the object at `key` when the preconditions hold; returns its final state stamped
   * with the deletion's revision (what the `DELETED` event carries).
   */
  delete(key: StorageKey, options?: StorageDeleteOptions): Promise<KubeObject>;
  /**
   * The changes under `prefix` after `options.from` (see the watch guarantees above). Errors
   * with `expired` when `from` was compacted, `invalid-revision` when it is negative or not an
   * integer. Unsubscribing ends the watch.
   */
  watch(prefix: StoragePrefix, options?: StorageWatchOptions): Observable<StorageEvent>;
  /**
   * Forgets the history up to `revision` (default: the current revision), as etcd
   * compaction: watches from an older revision then fail with `expired`.
   */
  compact(revision?: number): Promise<void>;
}

/** `resource/namespace/name` (or `resource/name`), for messages. */
export function formatKey(key: StorageKey | StoragePrefix): string {
  const parts = [key.resource];
  if (key.namespace !== undefined) parts.push(key.namespace);
  if ('name' in key) parts.push(key.name);
  return parts.join('/');
}

/** The plain operations {@link guaranteedUpdateByPreconditions} builds on. */
export type ConditionalWrites = Pick<Storage, 'get' | 'update' | 'delete'>;

/**
 * {@link Storage.guaranteedUpdate} built from conditional writes, as upstream's etcd3 store
 * does it: read (`cached`, the backend's cached copy, first), decide, write conditional on the
 * revision decided from; on a conflict read again and decide again. A decision made from the
 * cached copy that rejects the request or changes nothing is checked against a fresh read
 * before it is believed. For backends without an atomic read-decide-write of their own.
 */
export async function guaranteedUpdateByPreconditions(
  storage: ConditionalWrites,
  key: StorageKey,
  tryUpdate: (current: KubeObject) => UpdateDecision,
  cached?: KubeObject,
): Promise<KubeObject> {
  for (;;) {
    const fromCache = cached !== undefined;
    const current = cached ?? (await storage.get(key));
    cached = undefined;
    let decision: UpdateDecision;
    try {
      decision = tryUpdate(current);
    } catch (e) {
      if (fromCache && !(await isCurrent(storage, key, current))) continue;
      throw e;
    }
    const preconditions = { resourceVersion: current.metadata.resourceVersion };
    try {
      switch (decision.type) {
        case 'write':
          return await storage.update(key, decision.object, preconditions);
        case 'remove': {
          const final = await storage.delete(key, { preconditions, last: decision.last });
          return decision.result ?? final;
        }
        case 'none':
          if (fromCache && !(await isCurrent(storage, key, current))) continue;
          return decision.result;
      }
    } catch (e) {
      if (!isStorageError(e, 'conflict')) throw e;
    }
  }
}

async function isCurrent(storage: ConditionalWrites, key: StorageKey, seen: KubeObject): Promise<boolean> {
  const now = await storage.get(key, { ignoreNotFound: true });
  return now?.metadata.resourceVersion === seen.metadata.resourceVersion;
}
