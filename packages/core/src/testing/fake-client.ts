/**
 * Test support for informer tests: a tiny ConfigMap-like kind and a fake {@link Client} that
 * serves list/watch with resourceVersions and a bounded history window, with fault injection
 * (dropped watches, forced 410s, failing lists).
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { z } from 'zod';
import { ApiError } from '../api/errors.js';
import { keyString, objectKey, ObjectMetaSchema } from '../api/meta.js';
import type { KubeObject, ObjectKey, ObjectList } from '../api/meta.js';
import { defineResource } from '../api/registry.js';
import type { ResourceDefinition } from '../api/registry.js';
import type { Client, ListOptions, WatchEvent, WatchOptions } from '../client/types.js';

/** A ConfigMap-like test kind. */
export interface Note extends KubeObject {
  data?: Record<string, string>;
}

/** The {@link Note} resource. */
export const Notes: ResourceDefinition<Note> = defineResource<Note>({
  group: 'test.kubeloop.dev',
  version: 'v1',
  kind: 'Note',
  plural: 'notes',
  namespaced: true,
  schema: z.object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: ObjectMetaSchema,
    data: z.record(z.string(), z.string()).optional(),
  }) as unknown as z.ZodType<Note>,
});

/** Builds a note (unfrozen, without resourceVersion). */
export function note(namespace: string, name: string, extra: Partial<Note['metadata']> & { data?: Record<string, string> } = {}): Note {
  const { data, ...meta } = extra;
  return {
    apiVersion: Notes.apiVersion,
    kind: 'Note',
    metadata: { namespace, name, ...meta },
    ...(data === undefined ? {} : { data }),
  };
}

interface OpenWatch {
  readonly subscriber: Subscriber<WatchEvent<KubeObject>>;
  readonly namespace: string | undefined;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * A fake API server for one kind. Writes go through {@link FakeClient.put} and
 * {@link FakeClient.remove}; each bumps the revision and is fanned out synchronously to open
 * watches. History keeps the last `historyWindow` events; a watch from an older revision
 * fails with 410 `Expired`. Only get, list and watch are served; every other verb rejects with
 * 405 `MethodNotAllowed`.
 */
export class FakeClient implements Client {
  #rv = 0;
  /** Events with rv > #compactedRv are in #history. */
  #compactedRv = 0;
  readonly #history: { rv: number; event: WatchEvent<KubeObject> }[] = [];
  readonly #objects = new Map<string, KubeObject>();
  readonly #watches = new Set<OpenWatch>();
  #failLists = 0;
  /** Number of list calls served (or failed). */
  lists = 0;
  /** Number of watch calls. */
  watches = 0;

  constructor(readonly historyWindow = 1000) {}

  /** The current revision. */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Current objects by key. */
  snapshot(): ReadonlyMap<string, KubeObject> {
    return this.#objects;
  }

  /** Creates or replaces an object; returns the stored (frozen) version. */
  put<T extends KubeObject>(obj: T): T {
    const key = keyString(objectKey(obj));
    const existed = this.#objects.has(key);
    const rv = ++this.#rv;
    const stored = deepFreeze({ ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), resourceVersion: String(rv) } });
    this.#objects.set(key, stored);
    this.#record(rv, { type: existed ? 'MODIFIED' : 'ADDED', object: stored });
    return stored;
  }

  /** Deletes an object if present; returns whether it was. */
  remove(key: string): boolean {
    const old = this.#objects.get(key);
    if (old === undefined) return false;
    const rv = ++this.#rv;
    this.#objects.delete(key);
    const final = deepFreeze({ ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } });
    this.#record(rv, { type: 'DELETED', object: final });
    return true;
  }

  /** Sends a BOOKMARK with the current revision to every open watch. */
  bookmark(): void {
    const event: WatchEvent<KubeObject> = { type: 'BOOKMARK', object: { metadata: { resourceVersion: this.resourceVersion } } };
    for (const w of [...this.#watches]) w.subscriber.next(event);
  }

  /** Ends every open watch: with a 503 error, or cleanly with `clean: true`. */
  dropWatches(options: { clean?: boolean } = {}): void {
    for (const w of [...this.#watches]) {
      this.#watches.delete(w);
      if (options.clean === true) w.subscriber.complete();
      else w.subscriber.error(new ApiError('ServiceUnavailable', 'watch dropped'));
    }
  }

  /** Forgets the whole history (so a re-watch from an older revision gets 410), and fails open watches with 410. */
  expire(): void {
    this.#compactedRv = this.#rv;
    this.#history.length = 0;
    for (const w of [...this.#watches]) {
      this.#watches.delete(w);
      w.subscriber.error(new ApiError('Expired', 'too old resource version'));
    }
  }

  /** The next `n` list calls fail with 503. */
  failLists(n: number): void {
    this.#failLists += n;
  }

  /** Number of open watches. */
  openWatches(): number {
    return this.#watches.size;
  }

  #record(rv: number, event: Exclude<WatchEvent<KubeObject>, { type: 'BOOKMARK' }>): void {
    this.#history.push({ rv, event });
    while (this.#history.length > this.historyWindow) {
      const dropped = this.#history.shift();
      if (dropped !== undefined) this.#compactedRv = dropped.rv;
    }
    for (const w of [...this.#watches]) {
      if (w.namespace === undefined || w.namespace === event.object.metadata.namespace) w.subscriber.next(event);
    }
  }

  list<T extends KubeObject>(resource: ResourceDefinition<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    this.lists++;
    if (this.#failLists > 0) {
      this.#failLists--;
      return Promise.reject(new ApiError('ServiceUnavailable', 'list failed'));
    }
    const items = [...this.#objects.entries()]
      .filter(([, o]) => options.namespace === undefined || o.metadata.namespace === options.namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o as T);
    return Promise.resolve({
      apiVersion: resource.apiVersion,
      kind: resource.listKind,
      metadata: { resourceVersion: this.resourceVersion },
      items,
    });
  }

  watch<T extends KubeObject>(_resource: ResourceDefinition<T>, options: WatchOptions = {}): Observable<WatchEvent<T>> {
    this.watches++;
    return new Observable<WatchEvent<T>>((subscriber) => {
      const from = Number(options.resourceVersion ?? '0');
      const ns = options.namespace;
      const matches = (o: { metadata: { namespace?: string } }): boolean => ns === undefined || o.metadata.namespace === ns;
      if (from === 0) {
        for (const o of this.#objects.values()) if (matches(o)) subscriber.next({ type: 'ADDED', object: o as T });
      } else {
        if (from < this.#compactedRv) {
          subscriber.error(new ApiError('Expired', `too old resource version: ${from} (${this.#compactedRv})`));
          return;
        }
        for (const h of this.#history) {
          if (h.rv > from && (h.event.type === 'BOOKMARK' || matches(h.event.object))) subscriber.next(h.event as WatchEvent<T>);
        }
      }
      const w: OpenWatch = { subscriber: subscriber as unknown as Subscriber<WatchEvent<KubeObject>>, namespace: ns };
      this.#watches.add(w);
      return () => this.#watches.delete(w);
    });
  }

  get<T extends KubeObject>(_r: ResourceDefinition<T>, key: ObjectKey): Promise<T> {
    const o = this.#objects.get(keyString(key));
    return o === undefined ? Promise.reject(new ApiError('NotFound', 'not found')) : Promise.resolve(o as T);
  }
  create(): Promise<never> {
    return unsupported();
  }
  update(): Promise<never> {
    return unsupported();
  }
  updateStatus(): Promise<never> {
    return unsupported();
  }
  patch(): Promise<never> {
    return unsupported();
  }
  delete(): Promise<never> {
    return unsupported();
  }
  getScale(): Promise<never> {
    return unsupported();
  }
  updateScale(): Promise<never> {
    return unsupported();
  }
  bind(): Promise<never> {
    return unsupported();
  }
  evict(): Promise<never> {
    return unsupported();
  }
}

function unsupported(): Promise<never> {
  return Promise.reject(new ApiError('MethodNotAllowed', 'the fake client only serves get, list and watch'));
}
