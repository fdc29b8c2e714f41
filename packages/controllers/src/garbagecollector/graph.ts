/**
 * The ownership graph (upstream `graph.go`): one node per object uid, observed through an
 * informer or only referenced (virtual), with the dependents that reference it. Owned by the
 * graph builder (`GraphBuilder`), its single writer.
 *
 * @module
 */
import type { KubeObject, OwnerReference } from '@kubeloop/core';
import { blocksOwnerDeletion } from './decide.js';

/**
 * Who an object is, as far as the garbage collector knows (upstream `objectReference`): the
 * coordinates of an owner reference plus a namespace (`''` at cluster scope; a virtual node's
 * namespace is its first dependent's).
 */
export interface ObjectIdentity {
  /** `group/version`, as in the reference or the object. */
  readonly apiVersion: string;
  /** The kind. */
  readonly kind: string;
  /** The name. */
  readonly name: string;
  /** The uid. */
  readonly uid: string;
  /** The namespace, `''` at cluster scope. */
  readonly namespace: string;
}

/** The identity of an observed object. */
export function identityOf(object: KubeObject): ObjectIdentity {
  const m = object.metadata;
  return { apiVersion: object.apiVersion, kind: object.kind, name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? '' };
}

/** The identity an owner reference gives its owner, seen from a dependent in `namespace`. */
export function identityFromReference(reference: OwnerReference, namespace: string): ObjectIdentity {
  return { apiVersion: reference.apiVersion, kind: reference.kind, name: reference.name, uid: reference.uid, namespace };
}

/** Whether two identities are the same coordinates. */
export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.uid === b.uid && a.namespace === b.namespace;
}

/** Whether a reference names exactly these coordinates (upstream `ownerReferenceMatchesCoordinates`). */
export function referenceMatches(reference: OwnerReference, identity: ObjectIdentity): boolean {
  return reference.uid === identity.uid && reference.name === identity.name && reference.kind === identity.kind && reference.apiVersion === identity.apiVersion;
}

/** An identity as upstream prints it: `[apps/v1/ReplicaSet, namespace: ns, name: web, uid: 1]`. */
export function formatIdentity(identity: ObjectIdentity): string {
  return `[${identity.apiVersion}/${identity.kind}, namespace: ${identity.namespace}, name: ${identity.name}, uid: ${identity.uid}]`;
}

/** A stable string key of an identity (for the absent-owner cache). */
export function identityKey(identity: ObjectIdentity): string {
  return JSON.stringify([identity.apiVersion, identity.kind, identity.namespace, identity.name, identity.uid]);
}

/**
 * A node of the graph (upstream `node`).
 *
 * Invariants (kept by the graph builder, checked by {@link assertGraphInvariants}):
 * - a node is in the graph under its identity's uid, and at most one node per uid;
 * - if `d ∈ n.dependents`, `d` is in the graph and one of `d.owners` has `n`'s uid. The
 *   converse does not hold: when an owner's node is removed its dependents keep their
 *   references (they are handed to the workers), and a later virtual node for the same uid only
 *   lists the dependents that reference it from then on, as upstream;
 * - a virtual node has no owners (it was never observed);
 * - `beingDeleted` and `deletingDependents` only ever turn true.
 */
export class GraphNode {
  /** Its coordinates; a virtual node's may be corrected when it is observed. */
  identity: ObjectIdentity;
  /** The nodes that reference it as an owner. */
  readonly dependents = new Set<GraphNode>();
  /** Its owner references, as last observed. */
  owners: readonly OwnerReference[];
  /** Not observed through an informer yet: known only from references. */
  virtual: boolean;
  /** Observed with a `deletionTimestamp`. */
  beingDeleted: boolean;
  /** Being deleted with the `foregroundDeletion` finalizer. */
  deletingDependents: boolean;

  /** A node with no dependents yet. */
  constructor(identity: ObjectIdentity, init: { owners?: readonly OwnerReference[]; virtual: boolean; beingDeleted?: boolean; deletingDependents?: boolean }) {
    this.identity = identity;
    this.owners = init.owners ?? [];
    this.virtual = init.virtual;
    this.beingDeleted = init.beingDeleted ?? false;
    this.deletingDependents = init.deletingDependents ?? false;
  }

  /** A copy with the same dependents and flags (upstream `clone`). */
  clone(identity: ObjectIdentity): GraphNode {
    const n = new GraphNode(identity, { owners: this.owners, virtual: this.virtual, beingDeleted: this.beingDeleted, deletingDependents: this.deletingDependents });
    for (const d of this.dependents) n.dependents.add(d);
    return n;
  }

  /** The dependents sorted by uid (a stable order for deterministic work). */
  sortedDependents(): GraphNode[] {
    return [...this.dependents].sort((a, b) => compare(a.identity.uid, b.identity.uid));
  }

  /** The dependents whose reference to this node has `blockOwnerDeletion: true` (upstream `blockingDependents`), by uid. */
  blockingDependents(): GraphNode[] {
    const uid = this.identity.uid;
    return this.sortedDependents().filter((d) => d.owners.some((o) => o.uid === uid && blocksOwnerDeletion(o)));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Owners confirmed absent (upstream `absentOwnerCache`, an LRU of 500 identities): a reference
 * to one of them is dangling without another read.
 *
 * Guarantees: holds at most `capacity` identities, forgetting the least recently used.
 */
export class AbsentOwnerCache {
  readonly #capacity: number;
  readonly #keys = new Map<string, true>();

  /** An empty cache of `capacity` identities (upstream's 500). */
  constructor(capacity = 500) {
    this.#capacity = capacity;
  }

  /** Records an absent owner. */
  add(identity: ObjectIdentity): void {
    const key = identityKey(identity);
    this.#keys.delete(key);
    this.#keys.set(key, true);
    if (this.#keys.size > this.#capacity) this.#keys.delete(this.#keys.keys().next().value as string);
  }

  /** Whether an owner is known absent (and marks it recently used). */
  has(identity: ObjectIdentity): boolean {
    const key = identityKey(identity);
    if (!this.#keys.has(key)) return false;
    this.#keys.delete(key);
    this.#keys.set(key, true);
    return true;
  }
}

/**
 * Checks the graph's invariants (see {@link GraphNode}); throws an `Error` naming the first
 * violation. For tests.
 */
export function assertGraphInvariants(nodes: ReadonlyMap<string, GraphNode>): void {
  for (const [uid, n] of nodes) {
    if (n.identity.uid !== uid) throw new Error(`node ${formatIdentity(n.identity)} filed under uid ${uid}`);
    if (n.virtual && n.owners.length > 0) throw new Error(`virtual node ${formatIdentity(n.identity)} has owners`);
    for (const d of n.dependents) {
      if (nodes.get(d.identity.uid) !== d) throw new Error(`dependent ${formatIdentity(d.identity)} of ${formatIdentity(n.identity)} is not in the graph`);
      if (!d.owners.some((o) => o.uid === uid)) throw new Error(`dependent ${formatIdentity(d.identity)} of ${formatIdentity(n.identity)} does not reference it`);
    }
  }
}
