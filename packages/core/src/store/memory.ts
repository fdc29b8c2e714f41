/**
 * The in-memory {@link Storage}: the embedded default backend. Objects live in one map per
 * resource, changes in a bounded ring of history (the watch window), and watches are fed
 * synchronously as writes commit.
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import { keyString, objectKey, type KubeObject } from '../api/meta.js';
import type { Clock, Timer } from '../clock/clock.js';
import { deepFreeze } from '../util/objects.js';
import {
  LIST_TOO_OLD,
  StorageError,
  tooLargeResourceVersion,
  type StoragePreconditions,
  type SelectionPredicate,
  type Storage,
  type StorageCache,
  type StorageDeleteOptions,
  type StorageEvent,
  type StorageKey,
  type StorageList,
  type StorageListOptions,
  type StoragePrefix,
  type StorageWatchOptions,
  type UpdateDecision,
} from './storage.js';

/** Options of {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /** The clock of bookmark timers. */
  readonly clock: Clock;
  /**
   * How many changes the watch history keeps (default 10,000). A watch from a revision whose
   * successors have left the window fails with `expired`.
   */
  readonly historySize?: number | undefined;
  /** How often watches that asked for bookmarks get one (default 60 s, as upstream's ~1 min). */
  readonly bookmarkIntervalMs?: number | undefined;
}

type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the history: the object after it (for DELETED, its final state) and before. */
interface Change {
  readonly rv: number;
  readonly table: Table;
  readonly type: ChangeType;
  readonly object: KubeObject;
  readonly old: KubeObject | undefined;
}

/** The watches of one table that pin one field (`spec.nodeName=node-1`) or label (`app=web`) to a value. */
interface FieldIndex {
  /** Reads the field or label of an object, `''` when it has none (any indexed watch's reader; they share the resource). */
  readonly get: (object: KubeObject) => string;
  readonly byValue: Map<string, Set<WatchSubscription>>;
}

/**
 * One resource's objects and watches.
 * Invariants: every watch of the table is in exactly one of `watches` (no pinned field) or one
 * bucket of `byField` (its first pinned field's value); `watchCount` counts them all;
 * `perNamespace` counts `objects` by namespace, without zero entries.
 */
interface Table {
  readonly resource: string;
  /** Keyed by `namespace/name` (or `name`). */
  readonly objects: Map<string, KubeObject>;
  /** Watches that pin no field: every change of the table is offered to them. */
  readonly watches: Set<WatchSubscription>;
  /**
   * Watches indexed by the value of the first field they pin, as upstream's watch cache, or
   * else of the first label they pin (keyed `label:<key>`).
   */
  readonly byField: Map<string, FieldIndex>;
  watchCount: number;
  readonly perNamespace: Map<string, number>;
}

interface WatchSubscription {
  readonly table: Table;
  readonly predicate: SelectionPredicate | undefined;
  /** The namespace the watch's prefix names; `undefined` for all. */
  readonly namespace: string | undefined;
  /** The field or label the watch is indexed by, with the value it pins; `undefined` when unindexed. */
  readonly indexed: Pinned | undefined;
  readonly subscriber: Subscriber<StorageEvent>;
  /** Events at or below this revision have been delivered (or were part of the initial state). */
  lastRv: number;
  active: boolean;
}

/**
 * {@link Storage} in memory, with a bounded history window.
 *
 * Guarantees (beyond {@link Storage}'s): an operation takes effect when it is called (the
 * returned promise is already settled), so a write made and not awaited is visible to the next
 * read; watch events are delivered synchronously, during the write that causes them (a write
 * from inside a handler is queued and delivered once the current change has reached every
 * watch). The history window keeps the last `historySize` changes: older revisions are
 * compacted as new changes arrive. A watch that pins a field with `field=value` (or, with no
 * such field, a label with `key=value` or `key in (value)`) is found through an index by that
 * value, so a write costs the same with 5 such watches or 5,000.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage({ clock: new VirtualClock() });
 * const server = new ApiServer({ clock, rng, registry, storage });
 * ```
 */
export class MemoryStorage implements Storage {
  readonly #clock: Clock;
  readonly #bookmarkIntervalMs: number;
  readonly #tables = new Map<string, Table>();
  /** The revision of the last change. Invariant: every stored object's rv ≤ #rv. */
  #rv = 0;
  /** Ring buffer of the last `#history.length` changes, oldest at `#historyStart`. */
  readonly #history: (Change | undefined)[];
  #historyStart = 0;
  #historyLength = 0;
  /** Revisions above this are all in the history; a watch from below it is too old. */
  #compactedRv = 0;
  /** Changes waiting to be delivered to watches; delivered in order by the outermost write. */
  readonly #pending: Change[] = [];
  #delivering = false;
  /** The watches that asked for bookmarks, in the order they started. */
  readonly #bookmarkWatches = new Set<WatchSubscription>();
  #bookmarkTicker: Timer | undefined;

  /** {@inheritDoc Storage.cache} */
  readonly cache: StorageCache;

  constructor(options: MemoryStorageOptions) {
    this.#clock = options.clock;
    this.#bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.#history = new Array<Change | undefined>(Math.max(1, options.historySize ?? 10_000));
    this.cache = this.#newCache();
  }

  /** The cache is the storage itself: it never lags. */
  #newCache(): StorageCache {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter below needs the storage
    const storage = this;
    return {
      get revision() {
        return storage.#rv;
      },
      get: (key) => this.#tables.get(key.resource)?.objects.get(keyString(key)),
      list: (prefix) => {
        const table = this.#tables.get(prefix.resource);
        return table ? select(table.objects.values(), prefix.namespace, undefined) : [];
      },
      count: (prefix) => countOf(this.#tables.get(prefix.resource), prefix.namespace),
    };
  }

  /** The revision of the latest change (0 before any). */
  get revision(): number {
    return this.#rv;
  }

  /** The object at `key`; `key-not-found` when there is none. */
  get(key: StorageKey): Promise<KubeObject>;
  /** The object at `key`, or `undefined` when there is none. */
  get(key: StorageKey, options: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined>;
  get(key: StorageKey, options?: { readonly ignoreNotFound: true }): Promise<KubeObject | undefined> {
    const obj = this.#tables.get(key.resource)?.objects.get(keyString(key));
    if (!obj && !options?.ignoreNotFound) return Promise.reject(new StorageError('key-not-found', key));
    return Promise.resolve(obj);
  }

  /** {@inheritDoc Storage.list} */
  list(prefix: StoragePrefix, predicate?: SelectionPredicate, options: StorageListOptions = {}): Promise<StorageList> {
    const table = this.#tables.get(prefix.resource);
    const revision = options.revision;
    if (revision === undefined || revision === this.#rv) {
      return Promise.resolve({ items: table ? select(table.objects.values(), prefix.namespace, predicate) : [], revision: this.#rv });
    }
    if (!Number.isSafeInteger(revision) || revision < 0) return Promise.reject(new StorageError('invalid-revision', prefix, `invalid resource version "${revision}"`));
    if (revision > this.#rv) return Promise.reject(tooLargeResourceVersion(revision, this.#rv));
    if (revision < this.#compactedRv) return Promise.reject(new StorageError('expired', prefix, LIST_TOO_OLD));
    // The objects at `revision`: today's, with every later change of the table undone, newest first.
    const objects = new Map(table?.objects);
    const size = this.#history.length;
    for (let i = this.#historyLength - 1; i >= 0; i--) {
      const change = this.#history[(this.#historyStart + i) % size]!;
      if (change.rv <= revision) break;
      if (change.table !== table) continue;
      const key = keyString(objectKey(change.object));
      if (change.old === undefined) objects.delete(key);
      else objects.set(key, change.old);
    }
    return Promise.resolve({ items: select(objects.values(), prefix.namespace, predicate), revision });
  }

  /** {@inheritDoc Storage.count} */
  count(prefix: StoragePrefix): Promise<number> {
    return Promise.resolve(countOf(this.#tables.get(prefix.resource), prefix.namespace));
  }

  /** {@inheritDoc Storage.create} */
  create(key: StorageKey, object: KubeObject): Promise<KubeObject> {
    const table = this.#table(key.resource);
    const k = keyString(key);
    if (table.objects.has(k)) return Promise.reject(new StorageError('key-exists', key));
    return Promise.resolve(this.#commit(table, k, object, 'ADDED', undefined));
  }

  /** {@inheritDoc Storage.update} */
  update(key: StorageKey, object: KubeObject, preconditions?: StoragePreconditions): Promise<KubeObject> {
    const table = this.#table(key.resource);
    const k = keyString(key);
    const old = table.objects.get(k);
    const failed = check(key, old, preconditions);
    if (failed) return Promise.reject(failed);
    return Promise.resolve(this.#commit(table, k, object, 'MODIFIED', old));
  }

  /**
   * Lets `tryUpdate` decide from the stored object and carries the decision out (see
   * {@link Storage.guaranteedUpdate}). In memory the current object is always the stored one:
   * `tryUpdate` is called once, and its decision carried out, before this returns.
   */
  guaranteedUpdate(key: StorageKey, tryUpdate: (current: KubeObject) => UpdateDecision): Promise<KubeObject> {
    const table = this.#table(key.resource);
    const k = keyString(key);
    const current = table.objects.get(k);
    if (!current) return Promise.reject(new StorageError('key-not-found', key));
    let decision: UpdateDecision;
    try {
      decision = tryUpdate(current);
    } catch (e) {
      return Promise.reject(e);
    }
    switch (decision.type) {
      case 'write':
        return Promise.resolve(this.#commit(table, k, decision.object, 'MODIFIED', current));
      case 'remove': {
        const final = this.#remove(table, k, decision.last);
        return Promise.resolve(decision.result ?? final);
      }
      case 'none':
        return Promise.resolve(decision.result);
    }
  }

  /** {@inheritDoc Storage.delete} */
  delete(key: StorageKey, options: StorageDeleteOptions = {}): Promise<KubeObject> {
    const table = this.#table(key.resource);
    const k = keyString(key);
    const old = table.objects.get(k);
    const failed = check(key, old, options.preconditions);
    if (failed) return Promise.reject(failed);
    return Promise.resolve(this.#remove(table, k, options.last ?? old!));
  }

  /** {@inheritDoc Storage.compact} */
  compact(revision: number = this.#rv): Promise<void> {
    const upTo = Math.min(revision, this.#rv);
    if (upTo <= this.#compactedRv) return Promise.resolve();
    const size = this.#history.length;
    while (this.#historyLength > 0 && this.#history[this.#historyStart]!.rv <= upTo) {
      this.#history[this.#historyStart] = undefined;
      this.#historyStart = (this.#historyStart + 1) % size;
      this.#historyLength--;
    }
    this.#compactedRv = upTo;
    return Promise.resolve();
  }

  /** {@inheritDoc Storage.watch} */
  watch(prefix: StoragePrefix, options: StorageWatchOptions = {}): Observable<StorageEvent> {
    return new Observable<StorageEvent>((subscriber) => {
      const table = this.#table(prefix.resource);
      const sub: WatchSubscription = {
        table,
        predicate: options.predicate,
        namespace: prefix.namespace,
        indexed: pinned(options.predicate),
        subscriber,
        lastRv: 0,
        active: true,
      };
      try {
        this.#startWatch(sub, options.from);
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
      if (options.bookmarks) this.#addBookmarkWatch(sub);
      return () => {
        this.#removeWatch(sub);
        this.#removeBookmarkWatch(sub);
      };
    });
  }

  // ---------------------------------------------------------------------------------------
  // Writes

  /** Stores a new version: bumps the revision, stamps and freezes, records and delivers. */
  #commit(table: Table, key: string, object: KubeObject, type: 'ADDED' | 'MODIFIED', old: KubeObject | undefined): KubeObject {
    const rv = ++this.#rv;
    const stored = deepFreeze(withResourceVersion(object, rv));
    table.objects.set(key, stored);
    if (type === 'ADDED') countNamespace(table, stored.metadata.namespace, 1);
    this.#record({ rv, table, type, object: stored, old });
    return stored;
  }

  /** Removes an object for good: a DELETED change carrying the final state at a new revision. */
  #remove(table: Table, key: string, last: KubeObject): KubeObject {
    const rv = ++this.#rv;
    const final = deepFreeze(withResourceVersion(last, rv));
    const old = table.objects.get(key);
    table.objects.delete(key);
    countNamespace(table, old?.metadata.namespace, -1);
    this.#record({ rv, table, type: 'DELETED', object: final, old });
    return final;
  }

  // ---------------------------------------------------------------------------------------
  // History and watch delivery

  #record(change: Change): void {
    const size = this.#history.length;
    if (this.#historyLength === size) {
      const evicted = this.#history[this.#historyStart];
      this.#compactedRv = evicted ? evicted.rv : this.#compactedRv;
      this.#history[this.#historyStart] = change;
      this.#historyStart = (this.#historyStart + 1) % size;
    } else {
      this.#history[(this.#historyStart + this.#historyLength) % size] = change;
      this.#historyLength++;
    }
    if (change.table.watchCount === 0) return;
    this.#pending.push(change);
    this.#deliverPending();
  }

  /**
   * Delivers queued changes in revision order. A watch handler that writes re-enters here; its
   * change is queued and delivered after the current one, so every watch sees revision order.
   */
  #deliverPending(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#pending.length; i++) this.#fanOut(this.#pending[i]!);
    } finally {
      this.#pending.length = 0;
      this.#delivering = false;
    }
  }

  /** Offers a change to the watches it may concern: the unindexed ones and the matching buckets. */
  #fanOut(change: Change): void {
    const table = change.table;
    for (const sub of table.watches) deliver(sub, change);
    if (table.byField.size === 0) return;
    for (const index of table.byField.values()) {
      const now = index.get(change.object);
      const subs = index.byValue.get(now);
      if (subs) for (const sub of subs) deliver(sub, change);
      if (change.old === undefined) continue;
      const before = index.get(change.old);
      if (before === now) continue;
      const leaving = index.byValue.get(before);
      if (leaving) for (const sub of leaving) deliver(sub, change);
    }
  }

  #startWatch(sub: WatchSubscription, from: number | undefined): void {
    const wasDelivering = this.#delivering;
    this.#delivering = true; // writes made by handlers during the replay are queued
    try {
      this.#addWatch(sub);
      if (from === undefined) {
        sub.lastRv = this.#rv;
        for (const obj of select(sub.table.objects.values(), sub.namespace, sub.predicate)) sub.subscriber.next({ type: 'ADDED', object: obj });
      } else {
        if (!Number.isSafeInteger(from) || from < 0) {
          throw new StorageError('invalid-revision', sub.table, `invalid resource version "${from}"`);
        }
        if (from < this.#compactedRv) {
          throw new StorageError('expired', sub.table, `too old resource version: ${from} (${this.#compactedRv + 1})`);
        }
        sub.lastRv = from;
        const size = this.#history.length;
        for (let i = 0; i < this.#historyLength; i++) {
          const change = this.#history[(this.#historyStart + i) % size]!;
          if (change.table === sub.table) deliver(sub, change);
        }
        sub.lastRv = Math.max(sub.lastRv, this.#rv);
      }
    } catch (e) {
      this.#removeWatch(sub);
      throw e;
    } finally {
      this.#delivering = wasDelivering;
    }
    if (!wasDelivering) this.#deliverPending();
  }

  #addWatch(sub: WatchSubscription): void {
    const table = sub.table;
    table.watchCount++;
    if (!sub.indexed) {
      table.watches.add(sub);
      return;
    }
    const { field, value } = sub.indexed;
    let index = table.byField.get(field);
    if (!index) {
      index = { get: sub.indexed.get, byValue: new Map() };
      table.byField.set(field, index);
    }
    let subs = index.byValue.get(value);
    if (!subs) index.byValue.set(value, (subs = new Set()));
    subs.add(sub);
  }

  #removeWatch(sub: WatchSubscription): void {
    if (!sub.active) return;
    sub.active = false;
    const table = sub.table;
    table.watchCount--;
    if (!sub.indexed) {
      table.watches.delete(sub);
      return;
    }
    const { field, value } = sub.indexed;
    const index = table.byField.get(field)!;
    const subs = index.byValue.get(value)!;
    subs.delete(sub);
    if (subs.size === 0) index.byValue.delete(value);
    if (index.byValue.size === 0) table.byField.delete(field);
  }

  /**
   * Bookmarks come from one ticker for all the watches that asked for them, not a timer per
   * watch: a cluster keeps dozens of watches open, and each timer firing costs a turn of the
   * (virtual) clock. A watch's first bookmark thus comes within one interval of its start.
   */
  #addBookmarkWatch(sub: WatchSubscription): void {
    this.#bookmarkWatches.add(sub);
    this.#bookmarkTicker ??= this.#clock.setTimer(this.#bookmarkIntervalMs, this.#tickBookmarks);
  }

  #removeBookmarkWatch(sub: WatchSubscription): void {
    if (!this.#bookmarkWatches.delete(sub) || this.#bookmarkWatches.size > 0) return;
    this.#bookmarkTicker?.cancel();
    this.#bookmarkTicker = undefined;
  }

  readonly #tickBookmarks = (): void => {
    this.#bookmarkTicker = this.#clock.setTimer(this.#bookmarkIntervalMs, this.#tickBookmarks);
    for (const sub of [...this.#bookmarkWatches]) {
      if (!sub.active) continue;
      sub.lastRv = Math.max(sub.lastRv, this.#rv);
      sub.subscriber.next({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(sub.lastRv) } } });
    }
  };

  #table(resource: string): Table {
    let table = this.#tables.get(resource);
    if (!table) {
      table = { resource, objects: new Map(), watches: new Set(), byField: new Map(), watchCount: 0, perNamespace: new Map() };
      this.#tables.set(resource, table);
    }
    return table;
  }
}

/** The error a write's preconditions give against the stored object, if any. */
function check(key: StorageKey, old: KubeObject | undefined, preconditions: StoragePreconditions | undefined): StorageError | undefined {
  if (!old) return new StorageError('key-not-found', key);
  if (preconditions?.uid !== undefined && preconditions.uid !== old.metadata.uid) {
    return new StorageError('conflict', key, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid}`);
  }
  if (preconditions?.resourceVersion !== undefined && preconditions.resourceVersion !== old.metadata.resourceVersion) {
    return new StorageError(
      'conflict',
      key,
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
    );
  }
  return undefined;
}

/** What a watch is indexed by: a field or label key, the value it pins, and how to read it. */
interface Pinned {
  /** The field (`spec.nodeName`) or `label:<key>`. */
  readonly field: string;
  readonly value: string;
  readonly get: (object: KubeObject) => string;
}

/**
 * What a watch is indexed by: the first `field=value` term of its field selector, or else the
 * first label its label selector pins to one value (`app=web`, `app in (web)`). An object
 * the watch selects has that value, so the watch need only be offered changes whose object has
 * (or had) it.
 */
function pinned(predicate: SelectionPredicate | undefined): Pinned | undefined {
  if (!predicate) return undefined;
  for (const r of predicate.fields.requirements) if (r.operator === '=') return { field: r.field, value: r.value, get: (o) => predicate.field(o, r.field) ?? '' };
  for (const r of predicate.labels.requirements) {
    const value = predicate.labels.requiresExactMatch(r.key);
    if (value !== undefined) return { field: `label:${r.key}`, value, get: (o) => o.metadata.labels?.[r.key] ?? '' };
  }
  return undefined;
}

function deliver(sub: WatchSubscription, change: Change): void {
  if (change.rv <= sub.lastRv) return;
  sub.lastRv = change.rv;
  const now = matches(sub, change.object);
  if (change.type === 'DELETED') {
    if (now || (change.old !== undefined && matches(sub, change.old))) sub.subscriber.next({ type: 'DELETED', object: change.object });
    return;
  }
  const before = change.old !== undefined && matches(sub, change.old);
  if (now) sub.subscriber.next({ type: before ? 'MODIFIED' : 'ADDED', object: change.object });
  else if (before) sub.subscriber.next({ type: 'DELETED', object: change.object });
}

function matches(sub: WatchSubscription, obj: KubeObject): boolean {
  if (sub.namespace !== undefined && obj.metadata.namespace !== sub.namespace) return false;
  return sub.predicate === undefined || selects(sub.predicate, obj);
}

function selects(p: SelectionPredicate, obj: KubeObject): boolean {
  if (p.namespace !== undefined && obj.metadata.namespace !== p.namespace) return false;
  if (!p.labels.matches(obj.metadata.labels)) return false;
  return p.fields.empty() || p.fields.matches((f) => p.field(obj, f));
}

function select(objects: Iterable<KubeObject>, namespace: string | undefined, predicate: SelectionPredicate | undefined): KubeObject[] {
  const out: KubeObject[] = [];
  for (const obj of objects) {
    if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
    if (predicate && !selects(predicate, obj)) continue;
    out.push(obj);
  }
  return out.sort(compareObjects);
}

function countOf(table: Table | undefined, namespace: string | undefined): number {
  if (!table) return 0;
  return namespace === undefined ? table.objects.size : (table.perNamespace.get(namespace) ?? 0);
}

function countNamespace(table: Table, namespace: string | undefined, delta: number): void {
  if (namespace === undefined) return;
  const n = (table.perNamespace.get(namespace) ?? 0) + delta;
  if (n === 0) table.perNamespace.delete(namespace);
  else table.perNamespace.set(namespace, n);
}

/**
 * Stamps a revision. A fresh object from the write path is stamped in place (it is frozen
 * right after); a frozen one (e.g. the last state of a removed object) is copied shallowly.
 */
function withResourceVersion(object: KubeObject, rv: number): KubeObject {
  if (!Object.isFrozen(object) && !Object.isFrozen(object.metadata)) {
    object.metadata.resourceVersion = String(rv);
    return object;
  }
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  const ma = a.metadata.name ?? '';
  const mb = b.metadata.name ?? '';
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}
