/**
 * The garbage collector's writes and live reads (upstream `operations.go` and `patch.go`): every
 * call goes to the API server, never to a cache, so decisions rest on what is live.
 *
 * @module
 */
import type { Client, KubeObject, OwnerReference, ResourceDefinition, ResourceRegistry } from '@kubeloop/core';
import { isApiError } from '@kubeloop/core';
import type { PropagationPolicy } from './decide.js';
import { ownerLookup } from './decide.js';
import type { ObjectIdentity } from './graph.js';

/**
 * What can go wrong in the collector besides API errors:
 *
 * - `rest-mapping`: a reference names an `apiVersion`/`kind` the registry does not serve
 *   (upstream `restMappingError`; retried, the kind may be registered later);
 * - `namespaced-owner-of-cluster-scoped`: a cluster-scoped object names an owner of a
 *   namespaced kind (upstream `namespacedOwnerOfClusterScopedObjectErr`; not retried);
 * - `virtual-delete-enqueued`: the node's object was verified absent and a virtual delete was
 *   sent to the graph builder (upstream `enqueuedVirtualDeleteEventErr`; not retried);
 * - `conflicts`: a write kept conflicting (retried with backoff).
 */
export type GarbageCollectorErrorCode = 'rest-mapping' | 'namespaced-owner-of-cluster-scoped' | 'virtual-delete-enqueued' | 'conflicts';

/** An error of the garbage collector, discriminated by `code`. */
export class GarbageCollectorError extends Error {
  /** What went wrong. */
  readonly code: GarbageCollectorErrorCode;

  /** An error with a stable lowercase message. */
  constructor(code: GarbageCollectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GarbageCollectorError';
    this.code = code;
  }
}

/** How many times a read-modify-write is retried on conflicts before giving up to the queue. */
const CONFLICT_RETRIES = 5;

/**
 * Live reads and writes by identity.
 *
 * Guarantees: deletes carry a uid precondition, and patches a uid and resourceVersion
 * precondition, so nothing that replaced the object under the same name is touched.
 */
export class Operations {
  readonly #client: Client;
  readonly #registry: ResourceRegistry;

  /** Operations through `client`, resolving kinds in `registry`. */
  constructor(client: Client, registry: ResourceRegistry) {
    this.#client = client;
    this.#registry = registry;
  }

  /**
   * The definition serving an identity's `apiVersion`/`kind`.
   *
   * @throws {@link GarbageCollectorError} `rest-mapping` when none does.
   */
  resource(identity: Pick<ObjectIdentity, 'apiVersion' | 'kind'>): ResourceDefinition {
    const resource = this.#registry.forKind(identity.apiVersion, identity.kind);
    if (resource === undefined) throw new GarbageCollectorError('rest-mapping', `unable to get REST mapping for ${identity.apiVersion}/${identity.kind}`);
    return resource;
  }

  /**
   * The live object at `identity`'s coordinates (any uid), or `undefined` when not found.
   * A namespaced kind is read in `namespace` (the identity's own, or a dependent's for an owner).
   *
   * @throws {@link GarbageCollectorError} `rest-mapping`, `namespaced-owner-of-cluster-scoped`;
   * API errors other than `NotFound`.
   */
  async get(identity: Pick<ObjectIdentity, 'apiVersion' | 'kind' | 'name'>, namespace: string): Promise<KubeObject | undefined> {
    const resource = this.resource(identity);
    const lookup = ownerLookup(namespace, resource.namespaced);
    if (lookup === 'invalid') throw new GarbageCollectorError('namespaced-owner-of-cluster-scoped', 'cluster-scoped objects cannot refer to namespaced owners');
    try {
      return await this.#client.get(resource, { namespace: lookup.namespace, name: identity.name });
    } catch (error) {
      if (isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
  }

  /** Deletes the object with `policy`, if it still has the identity's uid (upstream `deleteObject`). */
  async delete(identity: ObjectIdentity, policy: PropagationPolicy): Promise<void> {
    const resource = this.resource(identity);
    await this.#client.delete(resource, keyOf(identity, resource), { propagationPolicy: policy, preconditions: { uid: identity.uid } });
  }

  /**
   * Rewrites the object's owner references with `edit`, read-modify-write with a
   * resourceVersion precondition, retried on conflicts. Nothing happens when the object is gone
   * (or replaced) or `edit` changes nothing.
   *
   * @throws {@link GarbageCollectorError} `conflicts` after repeated conflicts; API errors.
   */
  async patchOwnerReferences(identity: ObjectIdentity, edit: (references: readonly OwnerReference[]) => OwnerReference[]): Promise<void> {
    await this.#readModifyWrite(identity, (live) => {
      const before = live.metadata.ownerReferences ?? [];
      const after = edit(before);
      if (after.length === before.length && after.every((r, i) => r === before[i])) return undefined;
      // A JSON merge patch removes the field with null, as when the last reference goes upstream.
      return { ownerReferences: after.length === 0 ? null : after };
    });
  }

  /**
   * Removes `finalizer` from the object (upstream `removeFinalizer`), retried on conflicts; once
   * the last finalizer of an object being deleted is gone, the API server removes it.
   *
   * @throws {@link GarbageCollectorError} `conflicts` after repeated conflicts; API errors.
   */
  async removeFinalizer(identity: ObjectIdentity, finalizer: string): Promise<void> {
    await this.#readModifyWrite(identity, (live) => {
      const finalizers = live.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return undefined;
      const rest = finalizers.filter((f) => f !== finalizer);
      return { finalizers: rest.length === 0 ? null : rest };
    });
  }

  async #readModifyWrite(identity: ObjectIdentity, edit: (live: KubeObject) => Record<string, unknown> | undefined): Promise<void> {
    const resource = this.resource(identity);
    const key = keyOf(identity, resource);
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      let live: KubeObject;
      try {
        live = await this.#client.get(resource, key);
      } catch (error) {
        if (isApiError(error, 'NotFound')) return;
        throw error;
      }
      if (live.metadata.uid !== identity.uid) return;
      const metadata = edit(live);
      if (metadata === undefined) return;
      try {
        await this.#client.patch(resource, key, {
          type: 'merge',
          body: { metadata: { ...metadata, uid: identity.uid, resourceVersion: live.metadata.resourceVersion } },
        });
        return;
      } catch (error) {
        if (isApiError(error, 'NotFound')) return;
        if (!isApiError(error, 'Conflict')) throw error;
      }
    }
    throw new GarbageCollectorError('conflicts', `too many conflicts writing ${identity.kind} ${identity.namespace}/${identity.name}`);
  }
}

function keyOf(identity: ObjectIdentity, resource: ResourceDefinition): { namespace: string | undefined; name: string } {
  return { namespace: resource.namespaced ? identity.namespace : undefined, name: identity.name };
}
