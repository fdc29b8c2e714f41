/**
 * Invariants of garbage collection, for tests and checkers. Each returns the violations it
 * finds, naming the objects by reference; an empty list means the invariant holds.
 *
 * - {@link noLiveOwnerCollected} (safety, over a trace): nothing was collected while it had a
 *   live owner;
 * - {@link foregroundOrder} (safety, over a trace): a foreground owner went only after its
 *   blocking dependents;
 * - {@link orphansKept} (over a trace): no dependent of an owner deleted with `Orphan` was
 *   collected while it still referenced that owner;
 * - {@link noDanglingDependents} (liveness, over a settled snapshot): nothing whose owners are
 *   all gone is left.
 *
 * The same rules as core {@link Invariant}s over {@link ClusterState}s follow; the garbage
 * collector's plugin registers {@link noDanglingDependentsInvariant}, the others need to know
 * which deletions the test made itself.
 *
 * @module
 */
import type { ClusterState, Invariant, InvariantViolation, KubeObject, OwnerReference } from '@kubeloop/core';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, invariant, refOf, transitionInvariant } from '@kubeloop/core';

/** One broken invariant (core's {@link InvariantViolation}). */
export type GcViolation = InvariantViolation;

/** One change of a trace, as a watch saw it (the shape of SimCluster's `TraceEntry`). */
export interface GcTraceEntry {
  /** What happened. */
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED, its last state). */
  readonly object: KubeObject;
}

/** Tells whether a kind is namespaced; `undefined` when the kind is unknown. */
export type NamespacedKind = (apiVersion: string, kind: string) => boolean | undefined;

function describe(object: KubeObject): string {
  const m = object.metadata;
  return `${object.kind} ${m.namespace === undefined ? '' : `${m.namespace}/`}${m.name ?? ''}`;
}

/**
 * Whether `owner` (live, or undefined) is what `reference`, held by `dependent`, points at: same
 * uid, name and kind, and for a namespaced owner the dependent's namespace (an owner reference carries no
 * namespace, so a namespaced owner elsewhere is absent to it).
 */
function resolves(reference: OwnerReference, dependent: KubeObject, owner: KubeObject | undefined): boolean {
  if (owner === undefined || owner.metadata.uid !== reference.uid) return false;
  if (owner.metadata.name !== reference.name || owner.kind !== reference.kind) return false;
  const ns = owner.metadata.namespace;
  return ns === undefined || ns === '' || ns === dependent.metadata.namespace;
}

/** Replays a trace into uid → live object, calling `visit` before each entry is applied. */
function replay(trace: readonly GcTraceEntry[], visit: (entry: GcTraceEntry, live: ReadonlyMap<string, KubeObject>, previous: KubeObject | undefined) => void): void {
  const live = new Map<string, KubeObject>();
  for (const entry of trace) {
    const uid = entry.object.metadata.uid ?? '';
    visit(entry, live, live.get(uid));
    if (entry.type === 'DELETED') live.delete(uid);
    else live.set(uid, entry.object);
  }
}

/**
 * **noLiveOwnerCollected**: no object was collected while it had a solid owner. Over a trace:
 * whenever an object's deletion begins (its first version with a `deletionTimestamp`, or a
 * DELETED without one) and it is not in `deletedByUser` (uids the test deleted itself), each of
 * its owner references must point at an owner that was gone, or being deleted in the foreground
 * (`foregroundDeletion`: it waits for its dependents), at that moment.
 */
export function noLiveOwnerCollected(state: { readonly trace: readonly GcTraceEntry[]; readonly deletedByUser: ReadonlySet<string> }): GcViolation[] {
  const out: GcViolation[] = [];
  replay(state.trace, (entry, live, previous) => {
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    if (state.deletedByUser.has(uid)) return;
    const begins = entry.type === 'DELETED' ? previous?.metadata.deletionTimestamp === undefined : o.metadata.deletionTimestamp !== undefined && previous?.metadata.deletionTimestamp === undefined;
    if (!begins) return;
    for (const ref of (previous ?? o).metadata.ownerReferences ?? []) {
      const owner = live.get(ref.uid);
      if (!resolves(ref, o, owner)) continue;
      const waiting = owner!.metadata.deletionTimestamp !== undefined && (owner!.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
      if (!waiting) out.push({ objects: [refOf(o)], message: `${describe(o)} was collected while its owner ${describe(owner!)} (uid ${ref.uid}) was live` });
    }
  });
  return out;
}

/**
 * **foregroundOrder**: an owner deleted in the foreground goes only after its blocking
 * dependents. Over a trace: when an object is DELETED whose version before carried the
 * `foregroundDeletion` finalizer (with a `deletionTimestamp`), no live object still references
 * it with `blockOwnerDeletion: true`.
 *
 * The version before decides, not the DELETED event: the store removes an object in the very
 * write that takes its last finalizer away, so the event shows it without the finalizer. A second
 * delete with another policy takes the finalizer away too, and the trace cannot tell that from
 * the collector's own removal: `switchedAway(uid)` says which owners the test switched that way
 * (not checked).
 */
export function foregroundOrder(state: { readonly trace: readonly GcTraceEntry[]; readonly switchedAway?: ((uid: string) => boolean) | undefined }): GcViolation[] {
  const out: GcViolation[] = [];
  replay(state.trace, (entry, live, previous) => {
    if (entry.type !== 'DELETED' || previous === undefined) return;
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    const foreground = previous.metadata.deletionTimestamp !== undefined && (previous.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
    if (!foreground || state.switchedAway?.(uid) === true) return;
    for (const dep of live.values()) {
      if (dep.metadata.uid === uid) continue;
      const blocking = (dep.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion === true && resolves(r, dep, o));
      if (blocking) out.push({ objects: [refOf(o)], message: `${describe(o)} was deleted in the foreground before its blocking dependent ${describe(dep)}` });
    }
  });
  return out;
}

/**
 * **orphansKept**: orphan deletions orphan. Over a trace: no object's deletion began (its first
 * version with a `deletionTimestamp`, or a DELETED without one) while its version before still
 * held an owner reference to an owner deleted with the `orphan` finalizer — upstream's collector
 * removes the dependents' references to such an owner first, and only then lets the owner go.
 * Objects in `deletedByUser` (uids the test deleted itself) are not checked.
 *
 * The orphaning owners are those that some version in the trace shows with a `deletionTimestamp`
 * and the `orphan` finalizer, except:
 * - an owner that some version shows with `foregroundDeletion` too (its deletion was switched
 *   between Foreground and Orphan by a second delete, which the API server honours: dependents
 *   deleted while it was in the foreground are not brought back, as upstream);
 * - an owner for which `switchedAway(uid)` is true: the test's last delete of it used another
 *   policy than Orphan, which takes the `orphan` finalizer away; its dependents, not yet
 *   orphaned, are then dangling and rightly collected.
 *
 * Only references an object held while their owner was live count: one made after the owner was
 * gone (a client still holding the old owner, e.g. after it was re-created under the same name
 * with a new uid) never had an owner to be orphaned from; it dangles and is rightly collected.
 * So does one to a namespaced owner of another namespace (an owner reference carries no
 * namespace: that owner is absent to the dependent).
 *
 * Judge the whole trace (from the cluster's start): an owner's finalizers show long before its
 * dependents go.
 */
export function orphansKept(state: { readonly trace: readonly GcTraceEntry[]; readonly deletedByUser: ReadonlySet<string>; readonly switchedAway?: ((uid: string) => boolean) | undefined }): GcViolation[] {
  const orphaning = new Set<string>();
  const foreground = new Set<string>();
  for (const e of state.trace) {
    if (e.object.metadata.deletionTimestamp === undefined) continue;
    const finalizers = e.object.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) orphaning.add(e.object.metadata.uid ?? '');
    if (finalizers.includes(FOREGROUND_FINALIZER)) foreground.add(e.object.metadata.uid ?? '');
  }
  for (const uid of foreground) orphaning.delete(uid);
  for (const uid of [...orphaning]) if (state.switchedAway?.(uid) === true) orphaning.delete(uid);
  const out: GcViolation[] = [];
  // `dependent uid/owner uid` of the references some version held while the owner was live.
  const heldWhileLive = new Set<string>();
  replay(state.trace, (entry, live, previous) => {
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    if (entry.type !== 'DELETED') for (const r of o.metadata.ownerReferences ?? []) if (resolves(r, o, live.get(r.uid))) heldWhileLive.add(`${uid}/${r.uid}`);
    const begins = previous !== undefined && previous.metadata.deletionTimestamp === undefined && (entry.type === 'DELETED' || o.metadata.deletionTimestamp !== undefined);
    if (!begins || state.deletedByUser.has(uid)) return;
    const owner = (previous.metadata.ownerReferences ?? []).find((r) => orphaning.has(r.uid) && heldWhileLive.has(`${uid}/${r.uid}`));
    if (owner !== undefined) out.push({ objects: [refOf(o)], message: `${describe(o)} was collected while it still referenced ${owner.kind} ${owner.name}, deleted with Orphan` });
  });
  return out;
}

/**
 * **noDanglingDependents**: after settling, no object that is not being deleted has owner
 * references that all point at absent owners (no object with the uid, or a namespaced one in
 * another namespace). A cluster-scoped object that names a namespaced owner kind is left alone by
 * the collector (upstream), so it is not counted; `namespaced` tells the kinds apart — without
 * it, cluster-scoped dependents whose owner is not found are skipped.
 */
export function noDanglingDependents(state: { readonly objects: readonly KubeObject[]; readonly namespaced?: NamespacedKind | undefined }): GcViolation[] {
  const byUid = new Map<string, KubeObject>();
  for (const o of state.objects) byUid.set(o.metadata.uid ?? '', o);
  const out: GcViolation[] = [];
  for (const o of state.objects) {
    const refs = o.metadata.ownerReferences ?? [];
    if (refs.length === 0 || o.metadata.deletionTimestamp !== undefined) continue;
    const clusterScoped = o.metadata.namespace === undefined || o.metadata.namespace === '';
    if (clusterScoped && refs.some((r) => state.namespaced?.(r.apiVersion, r.kind) !== false)) continue;
    if (refs.every((r) => !resolves(r, o, byUid.get(r.uid)))) {
      out.push({ objects: [refOf(o)], message: `${describe(o)} is left although all its owners (${refs.map((r) => `${r.kind} ${r.name}`).join(', ')}) are gone` });
    }
  }
  return out;
}

// As core invariants over cluster states

/** Every live object of `state`. */
function allObjects(state: ClusterState): KubeObject[] {
  return state.kinds.flatMap((k) => [...state.of(k)]);
}

/**
 * The trace from `previous` to `state`: every object live in `previous` (as ADDED, in a
 * deterministic order), then `state.changes`. Returns the synthetic prefix and the whole trace.
 */
function traceBetween(previous: ClusterState, state: ClusterState): { prefix: GcTraceEntry[]; trace: GcTraceEntry[] } {
  const prefix = allObjects(previous).map((object) => ({ type: 'ADDED' as const, object }));
  return { prefix, trace: [...prefix, ...state.changes] };
}

/** The violations of `all` that are not in `before` (as multisets, by message). */
function newViolations(all: readonly GcViolation[], before: readonly GcViolation[]): GcViolation[] {
  const seen = new Map<string, number>();
  for (const v of before) seen.set(v.message, (seen.get(v.message) ?? 0) + 1);
  return all.filter((v) => {
    const n = seen.get(v.message) ?? 0;
    if (n === 0) return true;
    seen.set(v.message, n - 1);
    return false;
  });
}

/** The uids of the objects in `trace` that `deletedByUser` says the test deleted itself. */
function userDeletions(trace: readonly GcTraceEntry[], deletedByUser: (uid: string) => boolean): Set<string> {
  const uids = new Set<string>();
  for (const entry of trace) {
    const uid = entry.object.metadata.uid ?? '';
    if (deletedByUser(uid)) uids.add(uid);
  }
  return uids;
}

/**
 * Transition safety: {@link foregroundOrder} — an owner deleted in the foreground goes only
 * after its blocking dependents, over the changes between two checked states. Holds after every
 * step: the garbage collector removes the `foregroundDeletion` finalizer only once no blocking
 * dependent is left.
 *
 * A second delete of the owner with another policy also takes the finalizer away, and the trace
 * cannot tell it from the collector's removal: `switchedAway(uid)` is true for the owners the
 * test deleted again that way during their foreground deletion (default: none), which are not
 * checked. Generated `delete` actions can do that, so the plugin does not register it.
 */
export function foregroundOrderInvariant(switchedAway: (uid: string) => boolean = () => false): Invariant {
  return transitionInvariant('foregroundOrder', 'An owner deleted in the foreground is deleted only after its blocking dependents.', (previous, state) =>
    // A synthetic ADDED never reports: only a DELETED entry does.
    foregroundOrder({ trace: traceBetween(previous, state).trace, switchedAway }),
  );
}

/**
 * Transition safety: {@link noLiveOwnerCollected} — nothing is collected while it has a live
 * owner, over the changes between two checked states. The trace does not say who deleted an
 * object, so the test tells which deletions are its own: `deletedByUser(uid)` is true for the
 * uids it (or its generated actions) deleted directly, which are not checked.
 */
export function noLiveOwnerCollectedInvariant(deletedByUser: (uid: string) => boolean): Invariant {
  return transitionInvariant('noLiveOwnerCollected', 'Nothing the test did not delete itself is collected while it has a live owner.', (previous, state) => {
    const { prefix, trace } = traceBetween(previous, state);
    const uids = userDeletions(trace, deletedByUser);
    // The synthetic prefix reports objects already terminating in `previous`: drop those.
    return newViolations(noLiveOwnerCollected({ trace, deletedByUser: uids }), noLiveOwnerCollected({ trace: prefix, deletedByUser: uids }));
  });
}

/** Every change since the cluster's start: the changes of `state` and of the states before it, oldest first. */
function fullTrace(state: ClusterState): GcTraceEntry[] {
  const parts: ClusterState['changes'][] = [];
  for (let s: ClusterState | undefined = state; s !== undefined; s = s.previous) parts.push(s.changes);
  return parts.reverse().flat();
}

/**
 * Liveness: {@link orphansKept} — orphan deletions orphan: no dependent of an owner deleted
 * with `Orphan` was collected while it still referenced that owner, judged over the whole trace
 * up to the state (the chain of `previous` states). As for
 * {@link noLiveOwnerCollectedInvariant}, `deletedByUser(uid)` is true for the uids the test
 * deleted itself (not checked), and `switchedAway(uid)` for the owners whose last delete by the
 * test used another policy than Orphan (default: none), which takes the `orphan` finalizer away.
 */
export function orphansKeptInvariant(deletedByUser: (uid: string) => boolean, switchedAway: (uid: string) => boolean = () => false): Invariant {
  return invariant('orphansKept', 'No dependent of an owner deleted with Orphan is collected while it still references that owner.', (state) => {
    const trace = fullTrace(state);
    return orphansKept({ trace, deletedByUser: userDeletions(trace, deletedByUser), switchedAway });
  });
}

/**
 * Liveness: {@link noDanglingDependents} — after settling, no object that is not being deleted
 * has owner references that all point at absent owners. A kind counts as namespaced when an
 * object of it in the state has a namespace; cluster-scoped dependents of an owner kind never
 * seen are skipped.
 */
export const noDanglingDependentsInvariant: Invariant = invariant('noDanglingDependents', 'After settling, no object whose owners are all gone is left.', (state) => {
  const namespacedKinds = new Map<string, boolean>();
  for (const kind of state.kinds) {
    const objects = state.of(kind);
    if (objects.length > 0) namespacedKinds.set(kind, objects.some((o) => o.metadata.namespace !== undefined && o.metadata.namespace !== ''));
  }
  return noDanglingDependents({ objects: allObjects(state), namespaced: (_apiVersion, kind) => namespacedKinds.get(kind) });
});

/** The invariants the garbage collector's plugin registers. */
export const GARBAGE_COLLECTOR_INVARIANTS: readonly Invariant[] = [noDanglingDependentsInvariant];
