/**
 * The informer: watcher → reflector → cache, plus an event stream for handlers
 * (client-go's `SharedIndexInformer`).
 *
 * ## Consistency contract
 *
 * What a handler (a subscriber of {@link Informer.events$}) may assume, and what it may not:
 *
 * 1. **Eventual consistency.** The cache and the events lag the API server. After the server
 *    stops changing and the watcher has reconnected, the cache equals the server's state for the
 *    informer's selection (same keys, same resourceVersions), and every handler has been told
 *    about it: for every object its last event carries the server's version, and for every
 *    object it saw that is gone its last event is a `delete`.
 * 2. **Not every version is delivered.** Versions written while the watcher was disconnected
 *    and superseded before a relist are never seen; an object created and deleted in such a
 *    window is never seen at all. Handlers must be level-triggered: look at the current state
 *    (the cache), not at the sequence of events.
 * 3. **Order per object.** For one object (one `namespace/name`) events arrive in
 *    resourceVersion order: `add`, then `update`s, then `delete` (and possibly `add` again for
 *    a re-created object); an `update`'s `old` is exactly the version the handler was last
 *    given for that key. Across objects there is no ordering promise beyond the server's
 *    revision order within one watch; the changes found by one relist are delivered together
 *    (a handler subscribing in the middle of them gets all of them or none).
 * 4. **Deletes may be tombstones.** A `delete` with `tombstone: true` comes from a relist: the
 *    object vanished while disconnected, and `object` is the last state the cache knew, not the
 *    final one (client-go's `DeletedFinalStateUnknown`). A key may be deleted and re-created with
 *    a new uid between two events: compare `metadata.uid` when identity matters.
 * 5. **The cache is at least as new as any event delivered.** When a handler receives an event,
 *    the cache already reflects it (and possibly later changes): `cache.get(key)` returns that
 *    version or a newer one, or nothing after a `delete`; `cache.lastSyncResourceVersion()` is
 *    at or past the event's revision.
 * 6. **Resync.** With `resyncPeriodMs`, every period (on the injected clock) each cached object
 *    is re-delivered as `update` with `old === object`. A resync is not a change: it exists so
 *    handlers can re-enqueue everything and repair what an earlier failure left undone.
 * 7. **Late handlers catch up.** A handler that subscribes after start first receives a
 *    synthetic `add` for every object in the cache at that moment, then live events; nothing in
 *    between is lost or reordered.
 * 8. **Synchronous, one at a time.** Events are delivered synchronously on the watcher's
 *    delivery path, to one handler after another. Handlers must be quick (enqueue a key on a
 *    workqueue and return); a handler that throws does not stop delivery to the others (RxJS
 *    reports the error as unhandled).
 * 9. **Objects are shared and frozen.** Never mutate an object from an event or the cache;
 *    copy before changing it.
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { KubeObject } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client, SelectorInput } from '../client/types.js';
import type { Clock, Timer } from '../clock/clock.js';
import type { Rng } from '../rng/rng.js';
import { InformerError } from './errors.js';
import { CacheWriter } from './store.js';
import type { CacheReader, IndexFunc, InformerEvent } from './store.js';
import { runWatcher } from './watcher.js';
import type { BackoffPolicy, WatcherState } from './watcher.js';

/** A handler's stream, as the informer feeds it. */
interface Listener<T extends KubeObject> {
  readonly batch: (batch: readonly InformerEvent<T>[]) => void;
  readonly complete: () => void;
}

/** How an informer is built. */
export interface InformerOptions<T extends KubeObject> {
  /** Timers for backoff and resync. */
  readonly clock: Clock;
  /** Jitter of the backoff; without one the backoff is deterministic. */
  readonly rng?: Rng | undefined;
  /** Only this namespace; all namespaces when absent. */
  readonly namespace?: string | undefined;
  /** Only objects whose labels match. */
  readonly labelSelector?: SelectorInput | undefined;
  /** Only objects whose fields match. */
  readonly fieldSelector?: string | undefined;
  /** Re-deliver every cached object as `update(old === object)` this often; never when 0 or absent. */
  readonly resyncPeriodMs?: number | undefined;
  /** Retry delays of the watcher. */
  readonly backoff?: BackoffPolicy | undefined;
  /** User-defined indexes (more can be added with {@link Informer.addIndexer} before start). */
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>> | undefined;
  /** Called with every list/watch failure the informer recovers from, and the delay before the retry. */
  readonly onError?: ((error: unknown, retryInMs: number) => void) | undefined;
}

/**
 * A cache of one resource kept up to date by a watcher, and a stream of its changes for
 * handlers. See the module documentation for the consistency contract.
 *
 * @example
 * ```ts
 * const informer = new Informer(client, ConfigMaps, { clock, resyncPeriodMs: 60_000 });
 * informer.events$.subscribe((e) => queue.add(keyString(objectKey(e.object))));
 * informer.start();
 * await informer.synced;
 * const all = informer.cache.list('default');
 * ```
 *
 * Guarantees: `start()` and `stop()` are idempotent; after `stop()`, `events$` subscribers are
 * completed and no timer remains scheduled on the clock.
 */
export class Informer<T extends KubeObject> {
  /** The resource this informer watches. */
  readonly resource: ResourceDefinition<T>;
  /** The read-only cache. */
  readonly cache: CacheReader<T>;
  /**
   * The changes of the cache, for handlers. Hot (shared by every subscriber) with catch-up: a
   * subscriber first receives an `add` for each object cached at subscription time, then
   * every later change. Completes when the informer stops.
   */
  readonly events$: Observable<InformerEvent<T>>;

  readonly #client: Client;
  readonly #options: InformerOptions<T>;
  readonly #writer: CacheWriter<T>;
  /**
   * The handlers' streams, each given every batch of changes: one batch per watcher event (a
   * relist is one batch) or resync. Replaced, never mutated, when a handler joins or leaves,
   * so a delivery in progress goes on over the list it started with.
   */
  #listeners: readonly Listener<T>[] = [];
  #stopWatcher: (() => void) | undefined;
  #resyncTimer: Timer | undefined;
  #state: 'new' | 'started' | 'stopped' = 'new';
  /** The watcher's phase while started. */
  #phase: WatcherState['phase'] = 'Empty';

  constructor(client: Client, resource: ResourceDefinition<T>, options: InformerOptions<T>) {
    this.#client = client;
    this.resource = resource;
    this.#options = options;
    this.#writer = new CacheWriter<T>({ indexers: options.indexers });
    this.cache = this.#writer.reader;
    this.events$ = new Observable<InformerEvent<T>>((subscriber) => {
      if (this.#state === 'stopped') {
        subscriber.complete();
        return;
      }
      return this.#join(
        (event) => subscriber.next(event),
        () => subscriber.complete(),
        () => subscriber.closed,
      );
    });
  }

  /**
   * Registers a plain function as a handler (client-go's `AddEventHandler`): the same events,
   * in the same order and with the same catch-up as a subscriber of {@link Informer.events$}
   * (an `add` for each object cached now, then every change), without an RxJS subscriber in
   * between. Returns the function that removes it. After {@link Informer.stop}, or once
   * removed, `handler` is never called again. A handler that throws stops the delivery of that
   * batch to the handlers after it (unlike `events$`, whose subscribers RxJS isolates): catch
   * inside the handler.
   */
  addEventHandler(handler: (event: InformerEvent<T>) => void): () => void {
    if (this.#state === 'stopped') return () => {};
    let removed = false;
    const remove = this.#join(handler, () => (removed = true), () => removed);
    return () => {
      removed = true;
      remove();
    };
  }

  /**
   * Joins a handler to the live stream, holding its batches back while the snapshot is
   * replayed (a change caused by the handler during the replay is delivered after it, not
   * lost). Returns the function that leaves.
   */
  #join(next: (event: InformerEvent<T>) => void, complete: () => void, closed: () => boolean): () => void {
    let replaying = true;
    const held: (readonly InformerEvent<T>[])[] = [];
    const listener: Listener<T> = {
      batch: (batch) => {
        if (replaying) held.push(batch);
        else for (let i = 0; i < batch.length && !closed(); i++) next(batch[i]!);
      },
      complete,
    };
    this.#listeners = [...this.#listeners, listener];
    for (const object of this.cache.list()) {
      if (closed()) break;
      next({ type: 'add', object });
    }
    for (let batch = held.shift(); batch !== undefined && !closed(); batch = held.shift()) {
      for (const e of batch) next(e);
    }
    replaying = false;
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Adds an index to the cache.
   *
   * @throws {@link InformerError} `indexer-conflict` for a taken name; `indexer-after-start`
   * once the cache has received its first list.
   */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.#writer.addIndexer(name, fn);
  }

  /**
   * Starts listing and watching (no-op when already started).
   *
   * @throws {@link InformerError} `stopped` after {@link Informer.stop}: an informer cannot be
   * restarted (as client-go), build a new one.
   */
  start(): void {
    if (this.#state === 'started') return;
    if (this.#state === 'stopped') throw new InformerError('stopped', `informer for ${this.resource.resource} was stopped`);
    this.#state = 'started';
    const o = this.#options;
    const writer = this.#writer;
    // The hot path: one plain call per watcher event into the cache, then one per handler.
    this.#stopWatcher = runWatcher(this.#client, this.resource, {
      clock: o.clock,
      rng: o.rng,
      namespace: o.namespace,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      backoff: o.backoff,
      onError: o.onError,
      onPhase: (phase) => {
        this.#phase = phase;
      },
    }, (event) => {
      const changes = writer.apply(event);
      if (changes.length > 0) this.#publish(changes);
    });
    this.#scheduleResync();
  }

  /** Stops watching, cancels the resync timer and completes `events$`. The cache keeps its content. */
  stop(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#stopWatcher?.();
    this.#stopWatcher = undefined;
    this.#resyncTimer?.cancel();
    this.#resyncTimer = undefined;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const l of listeners) l.complete();
  }

  #publish(batch: readonly InformerEvent<T>[]): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.batch(batch);
  }

  /** Whether the cache holds a complete list (see {@link CacheReader.hasSynced}). */
  hasSynced(): boolean {
    return this.cache.hasSynced();
  }

  /** Resolves once the cache holds a complete list. Never rejects (it never settles if the informer is never started). */
  get synced(): Promise<void> {
    return this.cache.synced;
  }

  /**
   * Whether the informer has a watch open, so that its cache follows the server as changes
   * happen. False before {@link Informer.start}, after {@link Informer.stop}, while it lists,
   * and while it backs off after a failure (after repeated 410s that wait grows to the backoff
   * cap, 30 s by default, as client-go's reflector): a cache that is not watching may miss a
   * deletion for that long.
   */
  isWatching(): boolean {
    return this.#state === 'started' && this.#phase === 'Watching';
  }

  /** Whether {@link Informer.start} has been called and {@link Informer.stop} has not. */
  isRunning(): boolean {
    return this.#state === 'started';
  }

  #scheduleResync(): void {
    const period = this.#options.resyncPeriodMs ?? 0;
    if (period <= 0) return;
    this.#resyncTimer = this.#options.clock.setTimer(period, () => {
      this.#resyncTimer = undefined;
      if (this.#state !== 'started') return;
      if (this.cache.hasSynced()) {
        const batch: InformerEvent<T>[] = [];
        for (const object of this.cache.list()) batch.push({ type: 'update', old: object, object });
        if (batch.length > 0) this.#publish(batch);
      }
      if (this.#state === 'started') this.#scheduleResync();
    });
  }
}
