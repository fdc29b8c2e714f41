/**
 * The typed `Client` contract: every component above the store (informers, controllers, the
 * simulated kubelet, the CLI) talks to the API through it, so an HTTP client for a real cluster
 * or an etcd-backed server can stand behind the same interface.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { KubeObject, LabelSelector, ObjectKey, ObjectList } from '../api/meta.js';
import type { ResourceDefinition } from '../api/registry.js';

/** How a label selector may be given: the string form (`app=web,tier in (a,b)`) or structured. */
export type SelectorInput = string | LabelSelector;

/** Options of `list`. */
export interface ListOptions {
  /** Only this namespace; all namespaces when absent. */
  readonly namespace?: string | undefined;
  /** Only objects whose labels match. */
  readonly labelSelector?: SelectorInput | undefined;
  /** Only objects whose fields match, e.g. `spec.nodeName=node-1,status.phase!=Failed`. */
  readonly fieldSelector?: string | undefined;
  /**
   * With {@link ListOptions.resourceVersionMatch} `Exact`: the list as it was at this revision
   * (410 `Expired` once the revision has left the server's history, 504 when it is newer than
   * the server's). Without it a list reads the current state. (A watch reads it as its start.)
   */
  readonly resourceVersion?: string | undefined;
  /** `Exact` to list at {@link ListOptions.resourceVersion}; `NotOlderThan` (or absent): the current state. */
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan' | undefined;
}

/** Options of `watch`. */
export interface WatchOptions extends ListOptions {
  /**
   * Start after this revision: events with a larger resourceVersion are delivered. Absent or
   * `"0"`: start with synthetic ADDED events for every current object, then stream changes.
   * A revision older than the server's history window fails with 410 `Expired`.
   */
  readonly resourceVersion?: string | undefined;
  /** Ask for periodic BOOKMARK events carrying the latest revision. */
  readonly allowWatchBookmarks?: boolean | undefined;
}

/** A watch event for an object of type `T`. */
export type WatchEvent<T extends KubeObject> =
  | { readonly type: 'ADDED'; readonly object: T }
  | { readonly type: 'MODIFIED'; readonly object: T }
  | { readonly type: 'DELETED'; readonly object: T }
  | { readonly type: 'BOOKMARK'; readonly object: { readonly metadata: { readonly resourceVersion: string } } };

/** Preconditions of a delete (upstream `metav1.Preconditions`): fail with 409 unless they hold. */
export interface Preconditions {
  /** The object must have this uid. */
  readonly uid?: string;
  /** The object must be at this revision. */
  readonly resourceVersion?: string;
}

/** How dependents are treated when their owner is deleted. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** Options of `delete`. */
export interface DeleteOptions {
  /** What happens to dependents; the kind's default (Background for most) when absent. */
  readonly propagationPolicy?: PropagationPolicy | undefined;
  /** For pods: the grace period; 0 deletes at once. Defaults to the pod's own setting. */
  readonly gracePeriodSeconds?: number | undefined;
  /** Delete only if these hold. */
  readonly preconditions?: Preconditions | undefined;
  /** Validate and report without changing anything. */
  readonly dryRun?: boolean | undefined;
}

/** Options of writes (create/update/patch). */
export interface WriteOptions {
  /** Validate and return the result without storing it. */
  readonly dryRun?: boolean | undefined;
  /** Who is writing (recorded for diagnostics). */
  readonly fieldManager?: string | undefined;
}

/** A JSON Patch operation (RFC 6902). */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/** A patch: RFC 7386 JSON merge patch or RFC 6902 JSON patch. */
export type Patch =
  | { readonly type: 'merge'; readonly body: Record<string, unknown> }
  | { readonly type: 'json'; readonly body: readonly JsonPatchOperation[] };

/** Options of `patch`. */
export interface PatchOptions extends WriteOptions {
  /** Patch the `status` subresource instead of the main resource. */
  readonly subresource?: 'status' | undefined;
}

/** The `autoscaling/v1` `Scale` object served by the `scale` subresource. */
export interface Scale extends KubeObject {
  /** Desired replicas. */
  spec: { replicas?: number };
  /** Observed replicas and the pod selector in string form. */
  status?: { replicas: number; selector?: string };
}

/** The `target` of a pod binding (`pods/binding`): the node to run on. */
export interface BindingTarget {
  /** Always `Node`. */
  readonly kind?: 'Node';
  /** The node's name. */
  readonly name: string;
}

/**
 * Options of `bind`: the preconditions upstream's `Binding` carries in its `metadata.uid` and
 * `metadata.resourceVersion` (the scheduler's DefaultBinder sets the uid of the pod it decided
 * for).
 */
export interface BindOptions {
  /**
   * Bind only if these hold, else `Conflict` (409) and nothing changes: a binding meant for a
   * pod that was deleted and created again under the same name does not bind the new one.
   */
  readonly preconditions?: Preconditions | undefined;
}

/**
 * The typed client.
 *
 * Guarantees: objects returned are frozen and may be shared with other readers: copy before
 * changing (`structuredClone`, or spread the parts you change). Every failure is an
 * {@link ApiError} with the reason a Kubernetes API server would give; a failed write changed
 * nothing.
 */
export interface Client {
  /** Reads one object. Fails with `NotFound`. */
  get<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey): Promise<T>;
  /** Lists objects, with the list's revision. */
  list<T extends KubeObject>(resource: ResourceDefinition<T>, options?: ListOptions): Promise<ObjectList<T>>;
  /**
   * Streams changes. The observable errors with an {@link ApiError} (`Expired` for a revision
   * outside the history window, others for faults); it completes when the server closes the
   * watch. Unsubscribing stops it.
   */
  watch<T extends KubeObject>(resource: ResourceDefinition<T>, options?: WatchOptions): Observable<WatchEvent<T>>;
  /** Creates an object (`metadata.name` or `generateName` required). Fails with `AlreadyExists`, `Invalid`, `NotFound` (namespace). */
  create<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options?: WriteOptions): Promise<T>;
  /**
   * Replaces an object. With a `metadata.resourceVersion`, fails with `Conflict` when it is
   * stale; without one, overwrites unconditionally. For kinds with a status subresource,
   * `status` in the body is ignored.
   */
  update<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options?: WriteOptions): Promise<T>;
  /** Replaces an object's `status` through the status subresource; other changes are ignored. */
  updateStatus<T extends KubeObject, In>(resource: ResourceDefinition<T, In>, object: In, options?: WriteOptions): Promise<T>;
  /** Applies a merge or JSON patch to the main resource or its status. */
  patch<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, patch: Patch, options?: PatchOptions): Promise<T>;
  /**
   * Deletes an object. With finalizers (or a graceful pod deletion) it stays with a
   * `deletionTimestamp` and is returned that way; otherwise the removed object is returned.
   */
  delete<T extends KubeObject>(resource: ResourceDefinition<T>, key: ObjectKey, options?: DeleteOptions): Promise<T>;
  /** Reads the `scale` subresource. Fails with `NotFound` if the kind has none. */
  getScale(resource: ResourceDefinition, key: ObjectKey): Promise<Scale>;
  /** Writes `spec.replicas` through the `scale` subresource. */
  updateScale(resource: ResourceDefinition, key: ObjectKey, scale: Scale): Promise<Scale>;
  /**
   * Binds a pod to a node (`pods/binding`). Fails with `Conflict` if it is already bound, being
   * deleted, or not the pod `options.preconditions` name.
   */
  bind(key: ObjectKey, target: BindingTarget, options?: BindOptions): Promise<void>;
  /**
   * Evicts a pod (`pods/eviction`): a delete that PodDisruptionBudgets may refuse with
   * `TooManyRequests` (429), as upstream.
   */
  evict(key: ObjectKey, options?: DeleteOptions): Promise<void>;
}
