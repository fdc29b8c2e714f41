/**
 * The garbage collector's decisions, as pure functions over plain data: how an owner reference
 * is classified from the owner's live state, what to do with an object given its references
 * (upstream `attemptToDeleteItem`), when a foreground owner may go
 * (`processDeletingDependentsItem`), which deletion transitions start work
 * (`processTransitions`), and how owner references changed between two versions of an object
 * (`referencesDiffs`). The orchestrator in `controller.ts` reads state, calls these and
 * writes the result.
 *
 * @module
 */
import type { KubeObject, OwnerReference } from '@kubeloop/core';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '@kubeloop/core';

/** A deletion propagation policy, as `DeleteOptions.propagationPolicy`. */
export type PropagationPolicy = 'Orphan' | 'Foreground' | 'Background';

/**
 * How a dependent's owner reference stands (upstream `classifyReferences`):
 *
 * - `solid`: the owner exists with the referenced uid and is not being deleted in the
 *   foreground (an owner terminating with the orphan finalizer, or with none, is solid too);
 * - `dangling`: the owner is absent — not found, or found under the same name with another uid;
 * - `waitingForDependentsDeletion`: the owner exists, has a `deletionTimestamp` and the
 *   `foregroundDeletion` finalizer: it waits for its dependents to go.
 */
export type ReferenceClass = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

/** The metadata of an owner as a live read returned it, or `undefined` when it was not found. */
export type LiveOwner = Pick<KubeObject['metadata'], 'uid' | 'deletionTimestamp' | 'finalizers'> | undefined;

/**
 * Classifies one owner reference from the owner's live metadata (upstream `isDangling` +
 * `classifyReferences`).
 *
 * | live owner                                     | class                          |
 * | ---------------------------------------------- | ------------------------------ |
 * | not found                                      | `dangling`                     |
 * | found, another uid (same name, re-created)     | `dangling`                     |
 * | found, deleting with `foregroundDeletion`      | `waitingForDependentsDeletion` |
 * | found, deleting with `orphan` or no finalizer  | `solid`                        |
 * | found, not deleting                            | `solid`                        |
 */
export function classifyReference(reference: Pick<OwnerReference, 'uid'>, owner: LiveOwner): ReferenceClass {
  if (owner === undefined || owner.uid !== reference.uid) return 'dangling';
  // Stryker disable next-line ArrayDeclaration: `[...].includes(FOREGROUND_FINALIZER)` is false for `[]` and for `["Stryker was here"]` alike
  if (owner.deletionTimestamp !== undefined && (owner.finalizers ?? []).includes(FOREGROUND_FINALIZER)) return 'waitingForDependentsDeletion';
  return 'solid';
}

/** One owner reference of an object and its class. */
export interface ClassifiedReference {
  /** The reference, as on the live object. */
  readonly reference: OwnerReference;
  /** Its class (see {@link classifyReference}). */
  readonly class: ReferenceClass;
}

/** What {@link attemptToDeleteDecision} needs to know about an object. */
export interface AttemptToDeleteInput {
  /** Its owner references, classified, in the object's order. */
  readonly references: readonly ClassifiedReference[];
  /** Its finalizers (an `orphan` or `foregroundDeletion` finalizer is honoured on delete). */
  readonly finalizers: readonly string[];
  /** Whether it has dependents in the graph. */
  readonly hasDependents: boolean;
  /** Whether one of its dependents is itself deleting its dependents (a possible cycle). */
  readonly aDependentIsDeletingDependents: boolean;
}

/**
 * What to do with an object that may be garbage (upstream `attemptToDeleteItem`):
 *
 * - `keep`: it has no owner references, or only solid ones;
 * - `remove-references`: it has a solid owner, and some dangling or waiting references, whose
 *   uids (dangling first, then waiting, as upstream) are patched away — a waiting owner would
 *   otherwise wait forever for a dependent that is not going;
 * - `delete`: no owner is solid. With a waiting owner and dependents of its own it is deleted
 *   in the foreground (after making its own references non-blocking when one of its dependents
 *   is deleting dependents too, upstream's cycle guard); otherwise with the policy of the
 *   finalizer it already carries (`orphan` → Orphan, `foregroundDeletion` → Foreground), else
 *   Background.
 */
export type AttemptToDeleteAction =
  | { readonly type: 'keep'; readonly reason: 'no-owner-references' | 'owners-solid' }
  | { readonly type: 'remove-references'; readonly uids: readonly string[] }
  | { readonly type: 'delete'; readonly policy: PropagationPolicy; readonly unblockOwnerReferences: boolean };

/**
 * Decides what to do with an object given its classified owner references (see
 * {@link AttemptToDeleteAction}).
 *
 * Worked examples:
 * - refs `[solid]` → keep; refs `[solid, dangling(u2)]` → remove-references `[u2]`;
 * - refs `[dangling, dangling]`, no finalizers → delete Background;
 * - refs `[waiting]`, has dependents → delete Foreground; refs `[waiting]`, no dependents →
 *   delete Background (nothing to wait for);
 * - refs `[dangling]`, finalizers `[orphan]` → delete Orphan.
 */
export function attemptToDeleteDecision(input: AttemptToDeleteInput): AttemptToDeleteAction {
  // Stryker disable next-line ConditionalExpression,ObjectLiteral,StringLiteral: the collector returns before deciding for an object without owner references (controller.ts), and acts on no `keep` (its reason is for the unit tables); the `if (true)` variant, killed, is excluded with them
  if (input.references.length === 0) return { type: 'keep', reason: 'no-owner-references' };
  const solid = input.references.filter((r) => r.class === 'solid');
  const dangling = input.references.filter((r) => r.class === 'dangling');
  const waiting = input.references.filter((r) => r.class === 'waitingForDependentsDeletion');
  if (solid.length > 0) {
    // Stryker disable next-line ObjectLiteral,StringLiteral: the collector acts on no `keep`, whatever its fields (a `type` it does not know falls through its switch as `keep` does)
    if (dangling.length === 0 && waiting.length === 0) return { type: 'keep', reason: 'owners-solid' };
    return { type: 'remove-references', uids: [...dangling, ...waiting].map((r) => r.reference.uid) };
  }
  if (waiting.length > 0 && input.hasDependents) {
    return { type: 'delete', policy: 'Foreground', unblockOwnerReferences: input.aDependentIsDeletingDependents };
  }
  let policy: PropagationPolicy = 'Background';
  if (input.finalizers.includes(ORPHAN_FINALIZER)) policy = 'Orphan';
  else if (input.finalizers.includes(FOREGROUND_FINALIZER)) policy = 'Foreground';
  return { type: 'delete', policy, unblockOwnerReferences: false };
}

/** A dependent of an owner that is deleting its dependents. */
export interface BlockingDependent {
  /** The dependent's uid. */
  readonly uid: string;
  /** Whether it is itself deleting its dependents (it is then left to finish). */
  readonly deletingDependents: boolean;
}

/**
 * What to do with an owner that carries `foregroundDeletion` (upstream
 * `processDeletingDependentsItem`): when none of its dependents blocks it
 * (`blockOwnerDeletion: true` towards it), remove the finalizer so it goes; otherwise make sure
 * the blocking dependents that are not already deleting their own dependents are being deleted.
 */
export type DeletingDependentsAction =
  | { readonly type: 'remove-finalizer' }
  | { readonly type: 'delete-dependents'; readonly uids: readonly string[] };

/** Decides {@link DeletingDependentsAction} from the owner's blocking dependents. */
export function deletingDependentsDecision(blocking: readonly BlockingDependent[]): DeletingDependentsAction {
  if (blocking.length === 0) return { type: 'remove-finalizer' };
  // Stryker disable next-line MethodExpression,StringLiteral: re-queuing a dependent that is itself deleting its dependents only runs its own foreground wait again, which changes nothing until its blocking dependents go; the collector tests the type only for `remove-finalizer`
  return { type: 'delete-dependents', uids: blocking.filter((d) => !d.deletingDependents).map((d) => d.uid) };
}

/**
 * Whether `reference` blocks its owner's foreground deletion: it has `blockOwnerDeletion: true`.
 */
export function blocksOwnerDeletion(reference: Pick<OwnerReference, 'blockOwnerDeletion'>): boolean {
  return reference.blockOwnerDeletion === true;
}

/** The deletion state of an object: its `deletionTimestamp` and finalizers. */
/** The part of an object's metadata that says whether and how it is being deleted. */
export interface DeletionMeta {
  /** Set once the object is being deleted. */
  readonly deletionTimestamp?: string | undefined;
  /** Its finalizers (`orphan`, `foregroundDeletion`, others). */
  readonly finalizers?: readonly string[] | undefined;
}

function deletingWith(meta: DeletionMeta | undefined, finalizer: string): boolean {
  // Stryker disable next-line ArrayDeclaration: `[...].includes(finalizer)` is false for `[]` and for `["Stryker was here"]` alike
  return meta?.deletionTimestamp !== undefined && (meta.finalizers ?? []).includes(finalizer);
}

/**
 * Whether this change makes the object start waiting for its dependents to be orphaned (upstream
 * `startsWaitingForDependentsOrphaned`): it is being deleted with the `orphan` finalizer now, and
 * was not before (`old` undefined for a first observation, so a restarted collector sees it).
 */
export function startsWaitingForDependentsOrphaned(old: DeletionMeta | undefined, current: DeletionMeta): boolean {
  return deletingWith(current, ORPHAN_FINALIZER) && !deletingWith(old, ORPHAN_FINALIZER);
}

/**
 * Whether this change makes the object start waiting for its dependents to be deleted (upstream
 * `startsWaitingForDependentsDeleted`): being deleted with `foregroundDeletion` now, not before.
 */
export function startsWaitingForDependentsDeleted(old: DeletionMeta | undefined, current: DeletionMeta): boolean {
  return deletingWith(current, FOREGROUND_FINALIZER) && !deletingWith(old, FOREGROUND_FINALIZER);
}

/** Whether an object is being deleted with the `foregroundDeletion` finalizer (upstream `isDeletingDependents`). */
export function isDeletingDependents(meta: DeletionMeta): boolean {
  return deletingWith(meta, FOREGROUND_FINALIZER);
}

/** How the owner references of an object changed (upstream `referencesDiffs`). */
export interface ReferencesDiff {
  /** References whose uid is new. */
  readonly added: readonly OwnerReference[];
  /** References whose uid is gone. */
  readonly removed: readonly OwnerReference[];
  /** References with the same uid and other fields changed: `[old, new]`. */
  readonly changed: readonly (readonly [OwnerReference, OwnerReference])[];
}

/**
 * The difference between two lists of owner references, matched by uid, in the lists' orders.
 *
 * Example: old `[a, b(block)]`, new `[b(no block), c]` → added `[c]`, removed `[a]`,
 * changed `[[b(block), b(no block)]]`.
 */
export function referencesDiffs(old: readonly OwnerReference[], current: readonly OwnerReference[]): ReferencesDiff {
  const before = new Map(old.map((r) => [r.uid, r]));
  const after = new Set(current.map((r) => r.uid));
  const added: OwnerReference[] = [];
  const changed: (readonly [OwnerReference, OwnerReference])[] = [];
  for (const r of current) {
    const o = before.get(r.uid);
    if (o === undefined) added.push(r);
    else if (!sameReference(o, r)) changed.push([o, r]);
  }
  const removed = old.filter((r) => !after.has(r.uid));
  return { added, removed, changed };
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.uid === b.uid && a.controller === b.controller && a.blockOwnerDeletion === b.blockOwnerDeletion
  );
}

/**
 * The owners whose foreground deletion a change of references may unblock (upstream
 * `addUnblockedOwnersToDeleteQueue`): removed references that were blocking, and references
 * whose `blockOwnerDeletion` went from true to false. Returns their uids.
 */
export function unblockedOwners(diff: ReferencesDiff): readonly string[] {
  const out: string[] = [];
  for (const r of diff.removed) if (blocksOwnerDeletion(r)) out.push(r.uid);
  for (const [o, n] of diff.changed) if (blocksOwnerDeletion(o) && !blocksOwnerDeletion(n)) out.push(n.uid);
  return out;
}

/** The references without those whose uid is in `uids` (the patch that removes dangling references or orphans). */
export function withoutReferences(references: readonly OwnerReference[], uids: ReadonlySet<string> | readonly string[]): OwnerReference[] {
  const drop = uids instanceof Set ? uids : new Set(uids as readonly string[]);
  return references.filter((r) => !drop.has(r.uid));
}

/** The references with every `blockOwnerDeletion: true` turned false (upstream `unblockOwnerReferences`). */
export function unblockReferences(references: readonly OwnerReference[]): OwnerReference[] {
  return references.map((r) => (r.blockOwnerDeletion === true ? { ...r, blockOwnerDeletion: false } : r));
}

/**
 * Where to look for the owner a reference names (upstream `isDangling`'s namespace rule): an
 * owner reference carries no namespace, so a namespaced owner is looked up in the dependent's
 * namespace and a cluster-scoped owner at cluster scope; a cluster-scoped dependent cannot have
 * a namespaced owner (`invalid`: upstream leaves such a dependent alone).
 *
 * | dependent namespace | owner kind      | look-up                   |
 * | ------------------- | --------------- | ------------------------- |
 * | `ns`                | namespaced      | `{ namespace: 'ns' }`     |
 * | `ns`                | cluster-scoped  | `{ namespace: undefined }` |
 * | none                | cluster-scoped  | `{ namespace: undefined }` |
 * | none                | namespaced      | `invalid`                 |
 */
export function ownerLookup(dependentNamespace: string | undefined, ownerNamespaced: boolean): { readonly namespace: string | undefined } | 'invalid' {
  // Stryker disable next-line ObjectLiteral: `{}` reads as `{ namespace: undefined }` to every caller
  if (!ownerNamespaced) return { namespace: undefined };
  if (dependentNamespace === undefined || dependentNamespace === '') return 'invalid';
  return { namespace: dependentNamespace };
}
