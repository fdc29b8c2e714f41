/**
 * Owner references and claiming (upstream `pkg/controller/controller_ref_manager.go`): how a
 * controller finds the objects it controls, adopts matching orphans and releases objects whose
 * labels no longer match — and never touches an object another controller owns.
 *
 * @module
 */
import { CONTROLLER_UID_INDEX, controllerRef, isApiError, keyString, objectKey, orphanIndexKey } from '@kubeloop/core';
import type { CacheReader, Client, KubeObject, OwnerReference, ResourceDefinition } from '@kubeloop/core';

/** What an owner reference needs to know about its owner. */
export interface OwnerIdentity {
  /** `group/version` of the owner, e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** The owner's kind, e.g. `ReplicaSet`. */
  readonly kind: string;
  /** The owner's metadata: name, uid, and whether it is being deleted. */
  readonly metadata: { readonly name?: string | undefined; readonly uid?: string | undefined; readonly namespace?: string | undefined; readonly deletionTimestamp?: string | undefined };
}

/**
 * The controller reference a controller puts on what it creates (upstream
 * `metav1.NewControllerRef`): `controller: true` and `blockOwnerDeletion: true`, so a
 * foreground deletion of the owner waits for its dependents.
 */
export function newControllerRef(owner: OwnerIdentity): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `object`'s controller reference points at `owner` (by uid). */
export function isControlledBy(object: KubeObject, owner: OwnerIdentity): boolean {
  const ref = controllerRef(object);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * What claiming does with one object (upstream `ClaimObject`):
 * - `keep`: controlled by the owner and still matching;
 * - `adopt`: an orphan that matches, in the owner's namespace, not being deleted, while the
 *   owner is not being deleted;
 * - `release`: controlled by the owner but no longer matching, while the owner is not being
 *   deleted (a deleting owner keeps what it has, for the garbage collector);
 * - `ignore`: anything else — above all, an object controlled by someone else.
 */
export type ClaimDecision = 'keep' | 'adopt' | 'release' | 'ignore';

/** Decides what claiming does with `object` for `owner`; `matches` is the owner's selector test. */
export function claimDecision(object: KubeObject, owner: OwnerIdentity, matches: boolean): ClaimDecision {
  const ref = controllerRef(object);
  const ownerDeleting = owner.metadata.deletionTimestamp !== undefined;
  if (ref !== undefined) {
    if (ref.uid !== owner.metadata.uid) return 'ignore';
    if (matches) return 'keep';
    return ownerDeleting ? 'ignore' : 'release';
  }
  if (ownerDeleting || !matches) return 'ignore';
  if (object.metadata.deletionTimestamp !== undefined) return 'ignore';
  if ((object.metadata.namespace ?? '') !== (owner.metadata.namespace ?? '')) return 'ignore';
  return 'adopt';
}

/** Options of {@link claimObjects}. */
export interface ClaimOptions<T extends KubeObject> {
  /** Where the adopt and release patches go. */
  readonly client: Client;
  /** The kind of the claimed objects. */
  readonly resource: ResourceDefinition<T>;
  /** The owner. */
  readonly owner: OwnerIdentity;
  /** The owner's selector. */
  readonly matches: (object: T) => boolean;
  /**
   * Re-reads the owner from the API server before the first adoption (upstream
   * `RecheckDeletionTimestamp`): adoption is refused when the owner is gone, was replaced (uid)
   * or is being deleted, because the cache may be stale.
   */
  readonly recheckOwner: () => Promise<OwnerIdentity | undefined>;
}

/**
 * Claims `objects` for `owner`: returns the objects it controls afterwards (kept and adopted),
 * adopting and releasing through the API. An object that vanished meanwhile is skipped.
 *
 * Guarantees: the adopt and release patches carry the object's uid, so an object deleted and
 * recreated under the same name meanwhile is left alone (409 from the API server, skipped).
 * When the owner recheck fails (gone, replaced or being deleted), orphans are not adopted.
 *
 * Errors: the first failed adoption or release other than NotFound, Invalid or Conflict is
 * thrown after every object was tried.
 */
export async function claimObjects<T extends KubeObject>(objects: readonly T[], options: ClaimOptions<T>): Promise<T[]> {
  const { client, resource, owner } = options;
  const claimed: T[] = [];
  let canAdopt: boolean | undefined;
  let firstError: unknown;
  for (const object of objects) {
    const decision = claimDecision(object, owner, options.matches(object));
    try {
      switch (decision) {
        case 'keep':
          claimed.push(object);
          break;
        case 'ignore':
          break;
        case 'adopt': {
          if (canAdopt === undefined) {
            const fresh = await options.recheckOwner();
            canAdopt = fresh !== undefined && fresh.metadata.uid === owner.metadata.uid && fresh.metadata.deletionTimestamp === undefined;
          }
          if (!canAdopt) break;
          const refs = [...(object.metadata.ownerReferences ?? []), newControllerRef(owner)];
          const adopted = await client.patch(resource, objectKey(object), { type: 'merge', body: { metadata: { uid: object.metadata.uid, ownerReferences: refs } } });
          if (isControlledBy(adopted, owner)) claimed.push(adopted);
          break;
        }
        case 'release': {
          const refs = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
          await client.patch(resource, objectKey(object), { type: 'merge', body: { metadata: { uid: object.metadata.uid, ownerReferences: refs } } });
          break;
        }
      }
    } catch (error) {
      // Gone, or replaced by an object of the same name (uid mismatch): nothing to claim.
      if (isApiError(error, 'NotFound') || isApiError(error, 'Invalid') || isApiError(error, 'Conflict')) continue;
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
  return claimed;
}

/** `namespace/name` of an object, the key workqueues and expectations use. */
export function keyOf(object: KubeObject): string {
  return keyString(objectKey(object));
}

/**
 * The objects a controller may claim, from an informer cache: those it controls (by uid) and,
 * when `includeOrphans`, the orphans of its namespace (upstream `FilterPodsByOwner`). Uses the
 * cache's controller-uid index, so the cost is the number of candidates, not the size of the
 * namespace. Objects controlled by anyone else are never returned.
 */
export function ownedOrOrphaned<T extends KubeObject>(cache: CacheReader<T>, owner: OwnerIdentity, includeOrphans = true): T[] {
  const namespace = owner.metadata.namespace ?? '';
  const out: T[] = [];
  if (owner.metadata.uid) for (const o of cache.byIndex(CONTROLLER_UID_INDEX, owner.metadata.uid)) if ((o.metadata.namespace ?? '') === namespace) out.push(o);
  if (includeOrphans && namespace !== '') out.push(...cache.byIndex(CONTROLLER_UID_INDEX, orphanIndexKey(namespace)));
  return out;
}
