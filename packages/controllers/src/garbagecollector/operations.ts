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
import { formatIdentity } from './graph.js';

/**
 * What can go wrong in the collector besides API errors:
 *
 * - `rest-mapping`: a reference names an `apiVersion`/`kind` the registry does not serve
 *   (upstream `restMappingError`; retried, the kind may be registered later);
 * - `namespaced-owner-of-cluster-scoped`: a cluster-scoped object names an owner of a
 *   namespaced kind (upstream `namespacedOwnerOfClusterScopedObjectErr`; not retried);
 * - `virtual-delete-enqueued`: the node's object was verified absent and a virtual delete was
 *   sent to the graph builder (upstream `enqueuedVirtualDeleteEventErr`; not retried);
 * - `orphaning`: removing an owner's reference from one dependent failed (upstream
 *   `orphaning <dependent> failed, <error>`; `cause` is the API server's error, e.g. its 409);
 * - `orphan-dependents`: orphaning failed for some of an owner's dependents (upstream `failed to
 *   orphan dependents of owner <owner>, got errors: <errors>`; `cause` is an `AggregateError` of
 *   the `orphaning` errors; the owner is retried with backoff);
 * - `cannot-get-owner`: the object whose finalizer is to go could not be read (upstream `cannot
 *   finalize owner <owner>, because cannot get it: <error>. The garbage collector will retry
 *   later`);
 * - `update-max-retries`: removing a finalizer met a 409 on every attempt (upstream
 *   `updateMaxRetries(4) has reached. The garbage collector will retry later for owner
 *   <owner>`; `cause` is the last 409).
 */
export type GarbageCollectorErrorCode =
  | 'rest-mapping'
  | 'namespaced-owner-of-cluster-scoped'
  | 'virtual-delete-enqueued'
  | 'orphaning'
  | 'orphan-dependents'
  | 'cannot-get-owner'
  | 'update-max-retries';

/** An error of the garbage collector, discriminated by `code`. */
export class GarbageCollectorError extends Error {
  /** What went wrong. */
  readonly code: GarbageCollectorErrorCode;

  /** An error with upstream's message for the same failure. */
  constructor(code: GarbageCollectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GarbageCollectorError';
    this.code = code;
  }
}

/**
 * How many times {@link Operations.removeFinalizer} tries its read-modify-write while the API
 * server answers 409 Conflict: upstream's `retry.RetryOnConflict(retry.DefaultBackoff, ...)`,
 * whose `DefaultBackoff.Steps` is 4. Upstream sleeps 10, 50 and 250 ms between the attempts;
 * here they follow each other at once.
 */
export const REMOVE_FINALIZER_ATTEMPTS = 4;

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
   * Rewrites the object's owner references with `edit`: one read, then one JSON merge patch
   * with a uid and resourceVersion precondition (upstream `gc.patch` with
   * `deleteOwnerRefJSONMergePatch` / `unblockOwnerReferencesJSONMergePatch`). Nothing happens
   * when the object is gone (or replaced) or `edit` changes nothing.
   *
   * Errors: API errors other than `NotFound`, as the server returned them — a 409 `Conflict`
   * when the object changed between the read and the patch is not retried here (upstream
   * neither); the caller's queue retries with backoff.
   */
  async patchOwnerReferences(identity: ObjectIdentity, edit: (references: readonly OwnerReference[]) => OwnerReference[]): Promise<void> {
    const resource = this.resource(identity);
    const key = keyOf(identity, resource);
    const live = await this.#live(resource, key, identity);
    if (live === undefined) return;
    const before = live.metadata.ownerReferences ?? [];
    const after = edit(before);
    if (after.length === before.length && after.every((r, i) => r === before[i])) return;
    // A JSON merge patch removes the field with null, as when the last reference goes upstream.
    await this.#patchMetadata(resource, key, identity, live, { ownerReferences: after.length === 0 ? null : after });
  }

  /**
   * Removes `owner`'s references from each of `dependents` (upstream `orphanDependents`): one
   * {@link Operations.patchOwnerReferences} per dependent, every dependent tried even when one
   * fails; a dependent that is gone is done.
   *
   * @throws {@link GarbageCollectorError} `orphan-dependents` when some failed, with upstream's
   * message — `failed to orphan dependents of owner <owner>, got errors: orphaning <dependent>
   * failed, <the server's message>` — and the server's errors (a 409 among them) chained as
   * `cause` through the `orphaning` errors.
   */
  async orphanDependents(owner: ObjectIdentity, dependents: readonly ObjectIdentity[]): Promise<void> {
    const failed: GarbageCollectorError[] = [];
    for (const dependent of dependents) {
      try {
        await this.patchOwnerReferences(dependent, (refs) => refs.filter((r) => r.uid !== owner.uid));
      } catch (error) {
        failed.push(new GarbageCollectorError('orphaning', `orphaning ${formatIdentity(dependent)} failed, ${messageOf(error)}`, { cause: error }));
      }
    }
    if (failed.length === 0) return;
    const errors = aggregateMessage(failed);
    throw new GarbageCollectorError('orphan-dependents', `failed to orphan dependents of owner ${formatIdentity(owner)}, got errors: ${errors}`, {
      cause: new AggregateError(failed, errors),
    });
  }

  /**
   * Removes `finalizer` from the object (upstream `removeFinalizer`): read, then a JSON merge
   * patch of the remaining finalizers with a uid and resourceVersion precondition, tried up to
   * four times while the server answers 409 Conflict. Nothing
   * happens when the object is gone (or replaced) or no longer has the finalizer; once the last
   * finalizer of an object being deleted is gone, the API server removes it.
   *
   * @throws {@link GarbageCollectorError} `cannot-get-owner` when the read fails other than
   * with `NotFound`; `update-max-retries` after a 409 on every attempt; other API errors of
   * the patch as the server returned them.
   */
  async removeFinalizer(identity: ObjectIdentity, finalizer: string): Promise<void> {
    let conflict: unknown;
    for (let attempt = 0; attempt < REMOVE_FINALIZER_ATTEMPTS; attempt++) {
      let resource: ResourceDefinition;
      let live: KubeObject | undefined;
      let key: { namespace: string | undefined; name: string };
      try {
        resource = this.resource(identity);
        key = keyOf(identity, resource);
        live = await this.#live(resource, key, identity);
      } catch (error) {
        throw new GarbageCollectorError('cannot-get-owner', `cannot finalize owner ${formatIdentity(identity)}, because cannot get it: ${messageOf(error)}. The garbage collector will retry later`, {
          cause: error,
        });
      }
      if (live === undefined) return;
      const finalizers = live.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const rest = finalizers.filter((f) => f !== finalizer);
      try {
        await this.#patchMetadata(resource, key, identity, live, { finalizers: rest.length === 0 ? null : rest });
        return;
      } catch (error) {
        if (!isApiError(error, 'Conflict')) throw error;
        conflict = error;
      }
    }
    throw new GarbageCollectorError(
      'update-max-retries',
      `updateMaxRetries(${REMOVE_FINALIZER_ATTEMPTS}) has reached. The garbage collector will retry later for owner ${formatIdentity(identity)}`,
      { cause: conflict },
    );
  }

  /** The live object at `key` if it still has the identity's uid; `undefined` when gone or replaced. */
  async #live(resource: ResourceDefinition, key: { namespace: string | undefined; name: string }, identity: ObjectIdentity): Promise<KubeObject | undefined> {
    let live: KubeObject;
    try {
      live = await this.#client.get(resource, key);
    } catch (error) {
      if (isApiError(error, 'NotFound')) return undefined;
      throw error;
    }
    return live.metadata.uid === identity.uid ? live : undefined;
  }

  /** One JSON merge patch of `metadata` on `live`'s uid and resourceVersion; a `NotFound` means done. */
  async #patchMetadata(resource: ResourceDefinition, key: { namespace: string | undefined; name: string }, identity: ObjectIdentity, live: KubeObject, metadata: Record<string, unknown>): Promise<void> {
    try {
      await this.#client.patch(resource, key, {
        type: 'merge',
        body: { metadata: { ...metadata, uid: identity.uid, resourceVersion: live.metadata.resourceVersion } },
      });
    } catch (error) {
      if (isApiError(error, 'NotFound')) return;
      throw error;
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Upstream's `utilerrors.NewAggregate(errs).Error()`: one error's message alone; several,
 * deduplicated, as `[a, b]`.
 */
function aggregateMessage(errors: readonly Error[]): string {
  const messages = [...new Set(errors.map((e) => e.message))];
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}

function keyOf(identity: ObjectIdentity, resource: ResourceDefinition): { namespace: string | undefined; name: string } {
  return { namespace: resource.namespaced ? identity.namespace : undefined, name: identity.name };
}
