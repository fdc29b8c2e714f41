/**
 * The graph builder (upstream `graph_builder.go`): the single writer of the ownership graph. It
 * is fed graph changes — informer events of every watched kind, and virtual deletes from the
 * collector's workers — and, as it applies them, tells the collector which nodes to look at
 * (attempt to delete, attempt to orphan) through a {@link GraphSink}.
 *
 * @module
 */
import type { KubeObject, OwnerReference } from '@kubeloop/core';
import { isDeletingDependents, referencesDiffs, startsWaitingForDependentsDeleted, startsWaitingForDependentsOrphaned, unblockedOwners } from './decide.js';
import type { ObjectIdentity } from './graph.js';
import { AbsentOwnerCache, GraphNode, assertGraphInvariants, identityFromReference, identityOf, referenceMatches, sameIdentity } from './graph.js';

/**
 * A change of the graph's inputs:
 *
 * - `upsert`: an object observed by an informer (`old`: the previous version the informer
 *   delivered, undefined for a first observation);
 * - `delete`: an object observed gone;
 * - `virtual-delete`: a worker verified with a live read that nothing exists at `identity`.
 */
export type GraphChange =
  | { readonly type: 'upsert'; readonly object: KubeObject; readonly old?: KubeObject | undefined }
  | { readonly type: 'delete'; readonly object: KubeObject }
  | { readonly type: 'virtual-delete'; readonly identity: ObjectIdentity };

/** Where the graph builder sends the work it finds. */
export interface GraphSink {
  /** Look at this node: delete it if its owners are gone, or finish a foreground deletion. */
  attemptToDelete(uid: string, options?: { readonly rateLimited?: boolean }): void;
  /** This node is being deleted with the orphan finalizer: orphan its dependents. */
  attemptToOrphan(uid: string): void;
  /** `dependent` references `ownerUid`, observed in another namespace (upstream `reportInvalidNamespaceOwnerRef`). */
  invalidNamespaceOwnerReference(dependent: GraphNode, ownerUid: string): void;
}

/**
 * The single writer of the graph.
 *
 * Guarantees: changes are applied one at a time in arrival order (a change pushed while another
 * is applied — a sink that reacts synchronously — waits for it); the graph's invariants
 * ({@link GraphNode}) hold between changes; work is sent in a stable order (dependents by uid).
 */
export class GraphBuilder {
  /** uid → node: the graph. */
  readonly #nodes = new Map<string, GraphNode>();
  readonly #sink: GraphSink;
  /** Owners verified absent; shared with the collector's workers. */
  readonly absentOwners: AbsentOwnerCache;
  readonly #pending: GraphChange[] = [];
  #applying = false;

  /** A builder with an empty graph. */
  constructor(sink: GraphSink, absentOwners = new AbsentOwnerCache()) {
    this.#sink = sink;
    this.absentOwners = absentOwners;
  }

  /** The node of `uid`, if any (read-only use: the builder is the only writer). */
  node(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  /** The graph, uid → node (read-only use). */
  get nodes(): ReadonlyMap<string, GraphNode> {
    return this.#nodes;
  }

  /** Applies a change (after the ones already pending). */
  push(change: GraphChange): void {
    this.#pending.push(change);
    if (this.#applying) return;
    this.#applying = true;
    try {
      for (let c = this.#pending.shift(); c !== undefined; c = this.#pending.shift()) this.#apply(c);
    } finally {
      this.#applying = false;
    }
  }

  /** Checks the graph's invariants; throws naming the first violation. For tests. */
  assertInvariants(): void {
    assertGraphInvariants(this.#nodes);
  }

  #apply(change: GraphChange): void {
    if (change.type === 'virtual-delete') {
      this.#delete(change.identity, true);
      return;
    }
    const object = change.object;
    if (change.type === 'upsert' && change.old !== undefined && this.#unchangedForGraph(change.old, object)) return;
    const identity = identityOf(object);
    if (change.type === 'delete') {
      this.#delete(identity, false);
      return;
    }
    let existing = this.#nodes.get(identity.uid);
    if (existing !== undefined && existing.virtual) {
      // First observation of a node known from references only.
      if (!sameIdentity(existing.identity, identity)) {
        // Dependents that named it by other coordinates may be wrong: let the workers verify them.
        for (const dep of partitionDependents(existing.sortedDependents(), identity).nonMatching) {
          if (identity.namespace !== '' && dep.identity.namespace !== identity.namespace) this.#sink.invalidNamespaceOwnerReference(dep, identity.uid);
          this.#sink.attemptToDelete(dep.identity.uid);
        }
        existing = existing.clone(identity);
        this.#nodes.set(identity.uid, existing);
      }
      existing.virtual = false;
    }
    const meta = object.metadata;
    const owners = meta.ownerReferences ?? [];
    if (existing === undefined) {
      const node = new GraphNode(identity, {
        owners,
        virtual: false,
        beingDeleted: meta.deletionTimestamp !== undefined,
        deletingDependents: isDeletingDependents(meta),
      });
      this.#nodes.set(identity.uid, node);
      this.#addDependentToOwners(node, owners);
      this.#processTransitions(change.old, object, node);
      return;
    }
    const diff = referencesDiffs(existing.owners, owners);
    if (diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0) {
      for (const uid of unblockedOwners(diff)) {
        const owner = this.#nodes.get(uid);
        if (owner?.deletingDependents === true) this.#sink.attemptToDelete(uid);
      }
      existing.owners = owners;
      this.#addDependentToOwners(existing, diff.added);
      this.#removeDependentFromOwners(existing, diff.removed);
    }
    if (meta.deletionTimestamp !== undefined) existing.beingDeleted = true;
    this.#processTransitions(change.old, object, existing);
  }

  /**
   * Whether an update leaves the graph as it is: a known (not virtual) node whose owner
   * references are the ones it holds, with the deletion state and finalizers of the version
   * before (most updates: a status write). Decided on references, without the diff.
   */
  #unchangedForGraph(old: KubeObject, object: KubeObject): boolean {
    const before = old.metadata;
    const meta = object.metadata;
    const node = this.#nodes.get(meta.uid ?? '');
    if (node === undefined || node.virtual || before.uid !== meta.uid) return false;
    const refs = meta.ownerReferences;
    const sameOwners = node.owners === refs || (refs === undefined && node.owners.length === 0);
    return sameOwners && before.deletionTimestamp === meta.deletionTimestamp && before.finalizers === meta.finalizers;
  }

  /** Upstream `processTransitions`: orphaning or foreground deletion starts. */
  #processTransitions(old: KubeObject | undefined, object: KubeObject, node: GraphNode): void {
    if (startsWaitingForDependentsOrphaned(old?.metadata, object.metadata)) {
      this.#sink.attemptToOrphan(node.identity.uid);
      return;
    }
    if (startsWaitingForDependentsDeleted(old?.metadata, object.metadata)) {
      node.deletingDependents = true;
      for (const dep of node.sortedDependents()) this.#sink.attemptToDelete(dep.identity.uid);
      this.#sink.attemptToDelete(node.identity.uid);
    }
  }

  /** Upstream `addDependentToOwners`: links `node` under each owner, creating virtual owners. */
  #addDependentToOwners(node: GraphNode, references: readonly OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const ref of references) {
      let owner = this.#nodes.get(ref.uid);
      if (owner === undefined) {
        // Not seen yet: a virtual node, which a worker verifies with a live read.
        owner = new GraphNode(identityFromReference(ref, node.identity.namespace), { virtual: true });
        this.#nodes.set(ref.uid, owner);
        owner.dependents.add(node);
        this.#sink.attemptToDelete(ref.uid);
        continue;
      }
      owner.dependents.add(node);
      if (potentiallyInvalid) continue;
      const ownerNamespaced = owner.identity.namespace !== '';
      if (ownerNamespaced && owner.identity.namespace !== node.identity.namespace) {
        // A namespaced owner in another namespace (or of a cluster-scoped dependent).
        if (!owner.virtual) this.#sink.invalidNamespaceOwnerReference(node, ref.uid);
        potentiallyInvalid = true;
      } else if (!referenceMatches(ref, owner.identity)) {
        potentiallyInvalid = true;
      } else if (!ownerNamespaced && owner.identity.namespace !== node.identity.namespace && owner.virtual) {
        // A virtual cluster-scoped owner: it may be a namespaced kind referenced wrongly.
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.#sink.attemptToDelete(node.identity.uid);
  }

  #removeDependentFromOwners(node: GraphNode, references: readonly OwnerReference[]): void {
    for (const ref of references) this.#nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** Upstream `processGraphChanges` for deletes, observed and virtual. */
  #delete(deleted: ObjectIdentity, virtual: boolean): void {
    const existing = this.#nodes.get(deleted.uid);
    if (existing === undefined) return;
    if (virtual) {
      if (existing.virtual) {
        // Dependents may disagree on the coordinates of this virtual node.
        const { matching, nonMatching } = partitionDependents(existing.sortedDependents(), deleted);
        if (nonMatching.length > 0) {
          if (matching.length > 0) {
            this.absentOwners.add(deleted);
            for (const dep of matching) this.#sink.attemptToDelete(dep.identity.uid);
          }
          if (sameIdentity(existing.identity, deleted)) {
            const alternate = alternateIdentity(nonMatching, deleted);
            if (alternate !== undefined) {
              this.#nodes.set(deleted.uid, existing.clone(alternate));
              this.#sink.attemptToDelete(deleted.uid, { rateLimited: true });
            }
          }
          return;
        }
      } else if (!sameIdentity(existing.identity, deleted)) {
        // An observed node is not removed on a virtual delete of other coordinates.
        const { matching } = partitionDependents(existing.sortedDependents(), deleted);
        if (matching.length > 0) {
          this.absentOwners.add(deleted);
          for (const dep of matching) this.#sink.attemptToDelete(dep.identity.uid);
        }
        return;
      }
    }
    this.#nodes.delete(deleted.uid);
    this.#removeDependentFromOwners(existing, existing.owners);
    const dependents = existing.sortedDependents();
    if (dependents.length > 0) this.absentOwners.add(deleted);
    for (const dep of dependents) this.#sink.attemptToDelete(dep.identity.uid);
    for (const ref of existing.owners) {
      const owner = this.#nodes.get(ref.uid);
      if (owner?.deletingDependents === true) this.#sink.attemptToDelete(ref.uid);
    }
  }
}

/**
 * Upstream `partitionDependents`: the dependents that reference `owner` by exactly these
 * coordinates (`matching`), and those that reference its uid by others or live in another
 * namespace than a namespaced owner (`nonMatching`). A dependent may be in both.
 */
function partitionDependents(dependents: readonly GraphNode[], owner: ObjectIdentity): { matching: GraphNode[]; nonMatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonMatching: GraphNode[] = [];
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (owner.namespace !== '' && owner.namespace !== dep.identity.namespace) {
      mismatch = true;
    } else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (referenceMatches(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonMatching.push(dep);
  }
  return { matching, nonMatching };
}

/** Upstream `getAlternateOwnerIdentity`: the first other coordinates (in a stable order) a dependent gives the owner. */
function alternateIdentity(dependents: readonly GraphNode[], verifiedAbsent: ObjectIdentity): ObjectIdentity | undefined {
  const candidates: ObjectIdentity[] = [];
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== verifiedAbsent.uid) continue;
      const id = identityFromReference(ref, dep.identity.namespace);
      if (!sameIdentity(id, verifiedAbsent)) candidates.push(id);
    }
  }
  candidates.sort((a, b) => (identityOrder(a) < identityOrder(b) ? -1 : identityOrder(a) > identityOrder(b) ? 1 : 0));
  // Prefer the first candidate after the verified one, wrapping around, as upstream.
  const after = candidates.find((c) => identityOrder(c) > identityOrder(verifiedAbsent));
  return after ?? candidates[0];
}

function identityOrder(i: ObjectIdentity): string {
  return `${i.apiVersion}\u0000${i.kind}\u0000${i.namespace}\u0000${i.name}`;
}
