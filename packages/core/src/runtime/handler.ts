/**
 * Event handlers: how an informer event becomes reconcile requests (controller-runtime's
 * `pkg/handler`). A handler only maps an event to keys; it never reconciles, never reads the
 * API, and the queue deduplicates whatever it returns.
 *
 * @module
 */
import type { KubeObject, OwnerReference } from '../api/meta.js';
import { keyString, objectKey, parseApiVersion } from '../api/meta.js';
import type { InformerEvent } from '../informer/store.js';
import type { Request } from './reconciler.js';

/**
 * Maps informer events to the requests to enqueue.
 *
 * Guarantees expected from it: pure and quick (it runs on the informer's delivery path), never
 * throws; duplicates are harmless (the queue deduplicates).
 */
export interface EventHandler<T extends KubeObject = KubeObject> {
  /** The requests an event calls for (possibly none). */
  map(event: InformerEvent<T>): readonly Request[];
}

/** Maps one object to the requests it concerns (for {@link enqueueMapped}). */
export type MapFunc<T extends KubeObject = KubeObject> = (object: T) => readonly Request[];

/**
 * No requests: what a handler or mapper returns when an event concerns nothing, without an
 * array per event (handlers run on every event of their informer). Shared and frozen.
 */
export const NO_REQUESTS: readonly Request[] = Object.freeze([]);

/**
 * Enqueues the object itself (controller-runtime's `EnqueueRequestForObject`): the handler of
 * the `for` resource.
 *
 * @example
 * ```ts
 * enqueueForObject().map({ type: 'add', object: web }); // [{ namespace: 'default', name: 'web' }]
 * ```
 */
export function enqueueForObject<T extends KubeObject = KubeObject>(): EventHandler<T> {
  return { map: (event) => [objectKey(event.object)] };
}

/** The owner type {@link enqueueForOwner} follows: a resource definition fits. */
export interface OwnerType {
  /** `group/version` (the version is ignored when matching, as upstream). */
  readonly apiVersion: string;
  /** The owner's kind. */
  readonly kind: string;
  /** Whether owners are namespaced (their requests then take the dependent's namespace). Default true. */
  readonly namespaced?: boolean;
}

/** Options of {@link enqueueForOwner}. */
export interface EnqueueForOwnerOptions {
  /** Follow only the owner reference with `controller: true` (`OnlyControllerOwner()`). */
  readonly onlyController?: boolean;
}

/**
 * Enqueues the owners of type `owner` named in the object's `metadata.ownerReferences`
 * (controller-runtime's `EnqueueRequestForOwner`). Owners are matched by API group and kind,
 * not version. For an update, the owners of both the old and the new object are enqueued, so an
 * owner that lost a dependent hears about it.
 *
 * @example
 * ```ts
 * // a Pod owned by ReplicaSet "web-5d8f" in "default" → [{ namespace: 'default', name: 'web-5d8f' }]
 * const handler = enqueueForOwner(ReplicaSets, { onlyController: true });
 * ```
 */
export function enqueueForOwner<T extends KubeObject = KubeObject>(
  owner: OwnerType,
  options: EnqueueForOwnerOptions = {},
): EventHandler<T> {
  const group = parseApiVersion(owner.apiVersion).group;
  const namespaced = owner.namespaced ?? true;
  const owners = (object: KubeObject, into: Request[] | undefined): Request[] | undefined => {
    const refs = object.metadata.ownerReferences;
    if (refs === undefined) return into;
    for (const ref of refs) {
      if (!matches(ref, owner.kind, group, options.onlyController === true)) continue;
      const request: Request = namespaced && object.metadata.namespace ? { namespace: object.metadata.namespace, name: ref.name } : { name: ref.name };
      (into ??= []).push(request);
    }
    return into;
  };
  return {
    map(event) {
      // Every event of every owned watch passes here, most with one owner or none: nothing is
      // allocated for none, and a single request needs no deduplication.
      const before = event.type === 'update' && event.old !== event.object ? owners(event.old, undefined) : undefined;
      return uniqueRequests(owners(event.object, before));
    },
  };
}

/**
 * `requests` without repeats (by namespace and name, first occurrence kept, in order), for a
 * handler that gathers requests from several places; {@link NO_REQUESTS} for none or
 * `undefined`. A list of one, or without repeats, comes back as it is (no copy).
 */
export function uniqueRequests(requests: readonly Request[] | undefined): readonly Request[] {
  if (requests === undefined || requests.length === 0) return NO_REQUESTS;
  if (requests.length === 1) return requests;
  const byKey = new Map<string, Request>();
  for (const r of requests) {
    const key = keyString(r);
    if (!byKey.has(key)) byKey.set(key, r);
  }
  return byKey.size === requests.length ? requests : [...byKey.values()];
}

function matches(ref: OwnerReference, kind: string, group: string, onlyController: boolean): boolean {
  if (onlyController && ref.controller !== true) return false;
  return ref.kind === kind && parseApiVersion(ref.apiVersion).group === group;
}

/**
 * Enqueues what `mapper` returns for the object (controller-runtime's `EnqueueRequestsFromMapFunc`);
 * for an update, the union of what it returns for the old and the new object.
 *
 * @example
 * ```ts
 * // every Widget that names this ConfigMap in spec.configRef
 * enqueueMapped((cm) => widgets.list(cm.metadata.namespace).filter(uses(cm)).map(objectKey));
 * ```
 */
export function enqueueMapped<T extends KubeObject = KubeObject>(mapper: MapFunc<T>): EventHandler<T> {
  return {
    map(event) {
      // No closure and, when the mapper finds nothing, no allocation per event: every event of
      // every mapped watch passes here.
      // The old object is mapped first, as ever (a mapper may keep state, e.g. expectations).
      if (event.type !== 'update' || event.old === event.object) return uniqueRequests(mapper(event.object));
      const before = mapper(event.old);
      const now = mapper(event.object);
      if (before.length === 0) return uniqueRequests(now);
      return uniqueRequests(now.length === 0 ? before : [...before, ...now]);
    },
  };
}
