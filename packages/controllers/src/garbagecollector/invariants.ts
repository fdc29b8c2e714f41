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
 *   all gone is left;
 * - {@link noDanglingReferences} (liveness, over a settled snapshot): no reference to a gone owner
 *   is left, also on an object that keeps another owner;
 * - {@link liveOwnerReferencesKept} (safety, over a trace): no reference to a live owner that is
 *   not being deleted is removed;
 * - {@link releasedOnlyByOrphaning} (liveness, over a trace): an object loses all its owner
 *   references only to an owner deleted with `Orphan` (else it is collected);
 * - {@link collectionPolicyHonoured} (over a trace): a collected object without a foreground
 *   owner is deleted with the policy of the `orphan` / `foregroundDeletion` finalizer it carries;
 * - {@link foregroundSubtreeOrder} (over a trace): a foreground owner goes only after the blocking
 *   dependents of the dependents collected for it;
 * - {@link unresolvableOwnersKept} (safety, over a trace): a cluster-scoped object naming a
 *   namespaced owner kind is never collected.
 *
 * The same rules as core {@link Invariant}s over {@link ClusterState}s follow; the garbage
 * collector's plugin registers {@link noDanglingDependentsInvariant} and
 * {@link noDanglingReferencesInvariant}, the others need to know which deletions the test made
 * itself.
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
  /** When, in virtual ms (absent on hand-built traces and on the synthetic entries of a state's objects). */
  readonly t?: number | undefined;
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
 * at that moment: terminating, with the `foregroundDeletion` finalizer now or at some point since
 * its deletion began. A foreground deletion deletes every dependent, and the collector drops the
 * finalizer as soon as no dependent *blocks* the owner — a non-blocking dependent it decided to
 * delete while the finalizer was there may go just after (upstream reads the owner, then
 * deletes, with the owner's finalizer removed by another worker in between).
 */
export function noLiveOwnerCollected(state: { readonly trace: readonly GcTraceEntry[]; readonly deletedByUser: ReadonlySet<string> }): GcViolation[] {
  const out: GcViolation[] = [];
  /** Uids of the objects whose current deletion has carried `foregroundDeletion`. */
  const foreground = new Set<string>();
  replay(state.trace, (entry, live, previous) => {
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    if (entry.type === 'DELETED' || o.metadata.deletionTimestamp === undefined) foreground.delete(uid);
    else if ((o.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) foreground.add(uid);
    if (state.deletedByUser.has(uid)) return;
    const begins = entry.type === 'DELETED' ? previous?.metadata.deletionTimestamp === undefined : o.metadata.deletionTimestamp !== undefined && previous?.metadata.deletionTimestamp === undefined;
    if (!begins) return;
    for (const ref of (previous ?? o).metadata.ownerReferences ?? []) {
      const owner = live.get(ref.uid);
      if (!resolves(ref, o, owner)) continue;
      const waiting = owner!.metadata.deletionTimestamp !== undefined && ((owner!.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER) || foreground.has(ref.uid));
      if (!waiting) out.push({ objects: [refOf(o)], message: `${describe(o)} was collected while its owner ${describe(owner!)} (uid ${ref.uid}) was live` });
    }
  });
  return out;
}

/** Whether `object` references the owner `uid` with `blockOwnerDeletion: true`. */
function blocks(object: KubeObject | undefined, uid: string): boolean {
  return (object?.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion === true);
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
 *
 * Caches that lag: upstream honours `blockOwnerDeletion` only for the dependents in the
 * collector's cache (the garbage collection documentation, since kubernetes/website#48077; the
 * watches of different kinds are not ordered, kubernetes#26120). With `cacheLagMs` > 0 (the
 * longest a watch event is held from the collector), a blocking dependent is not judged when its
 * blocking reference appeared no more than `cacheLagMs` before the owner's deletion — its first
 * version in the trace carrying it, or, for a dependent already there when the trace starts,
 * `blockingSince(dependent, owner)` — because the collector may not have seen it. One that
 * carried it longer, or whose time is unknown (hand-built traces), is judged as always.
 */
export function foregroundOrder(state: {
  readonly trace: readonly GcTraceEntry[];
  readonly switchedAway?: ((uid: string) => boolean) | undefined;
  readonly cacheLagMs?: number | undefined;
  readonly blockingSince?: ((dependentUid: string, ownerUid: string) => number | undefined) | undefined;
}): GcViolation[] {
  const out: GcViolation[] = [];
  const lagMs = state.cacheLagMs ?? 0;
  /** `dependent/owner` uids → when the dependent's blocking reference to the owner appeared in the trace. */
  const since = new Map<string, number>();
  replay(state.trace, (entry, live, previous) => {
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    for (const r of [...(previous?.metadata.ownerReferences ?? []), ...(o.metadata.ownerReferences ?? [])]) {
      const key = `${uid}/${r.uid}`;
      if (entry.type === 'DELETED' || !blocks(o, r.uid)) since.delete(key);
      else if (!blocks(previous, r.uid) && entry.t !== undefined) since.set(key, entry.t);
    }
    if (entry.type !== 'DELETED' || previous === undefined) return;
    const foreground = previous.metadata.deletionTimestamp !== undefined && (previous.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
    if (!foreground || state.switchedAway?.(uid) === true) return;
    for (const dep of live.values()) {
      const depUid = dep.metadata.uid ?? '';
      if (depUid === uid) continue;
      const blocking = (dep.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion === true && resolves(r, dep, o));
      if (!blocking) continue;
      if (lagMs > 0 && entry.t !== undefined) {
        const appeared = since.get(`${depUid}/${uid}`) ?? state.blockingSince?.(depUid, uid);
        if (appeared !== undefined && appeared >= entry.t - lagMs) continue;
      }
      out.push({ objects: [refOf(o)], message: `${describe(o)} was deleted in the foreground before its blocking dependent ${describe(dep)}` });
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

/**
 * **noDanglingReferences**: after settling, no object that is not being deleted holds an owner
 * reference to an absent owner (no object with the uid, or one of another name or kind, or a
 * namespaced one in another namespace). Upstream's `attemptToDeleteItem` deletes an object whose
 * owners are all gone and, when one owner is solid, patches the references to the absent (and
 * the foreground-waiting) owners away. Cluster-scoped objects naming a namespaced owner kind are
 * skipped, as in {@link noDanglingDependents}.
 */
export function noDanglingReferences(state: { readonly objects: readonly KubeObject[]; readonly namespaced?: NamespacedKind | undefined }): GcViolation[] {
  const byUid = new Map<string, KubeObject>();
  for (const o of state.objects) byUid.set(o.metadata.uid ?? '', o);
  const out: GcViolation[] = [];
  for (const o of state.objects) {
    const refs = o.metadata.ownerReferences ?? [];
    if (o.metadata.deletionTimestamp !== undefined) continue;
    const clusterScoped = o.metadata.namespace === undefined || o.metadata.namespace === '';
    if (clusterScoped && refs.some((r) => state.namespaced?.(r.apiVersion, r.kind) !== false)) continue;
    for (const r of refs) {
      if (!resolves(r, o, byUid.get(r.uid))) out.push({ objects: [refOf(o)], message: `${describe(o)} still references ${r.kind} ${r.name} (uid ${r.uid}), which is gone` });
    }
  }
  return out;
}

/** Whether `owner` is live and not being deleted: no collector may strip a reference to it. */
function liveAndNotDeleting(reference: OwnerReference, dependent: KubeObject, owner: KubeObject | undefined): boolean {
  return resolves(reference, dependent, owner) && owner!.metadata.deletionTimestamp === undefined;
}

/** The references of `before` whose uid `after` no longer has. */
function removedReferences(before: KubeObject, after: KubeObject): OwnerReference[] {
  const kept = new Set((after.metadata.ownerReferences ?? []).map((r) => r.uid));
  return (before.metadata.ownerReferences ?? []).filter((r) => !kept.has(r.uid));
}

/**
 * **liveOwnerReferencesKept**: the collector removes an owner reference only from an owner that
 * is gone, waits for its dependents' deletion, or orphans its dependents — never one to an owner
 * that is live and not being deleted (upstream patches away only dangling and waiting references,
 * and orphans only for an owner deleted with `Orphan`). Over a trace: no MODIFIED version drops a
 * reference whose owner, at that moment, resolves and has no `deletionTimestamp`.
 *
 * It assumes that nothing but the collector removes owner references (true of a test that only
 * adds them). Race-free: an owner with no `deletionTimestamp` now had none when the collector
 * read it.
 */
export function liveOwnerReferencesKept(state: { readonly trace: readonly GcTraceEntry[] }): GcViolation[] {
  const out: GcViolation[] = [];
  replay(state.trace, (entry, live, previous) => {
    if (entry.type !== 'MODIFIED' || previous === undefined) return;
    for (const r of removedReferences(previous, entry.object)) {
      const owner = live.get(r.uid);
      if (liveAndNotDeleting(r, previous, owner)) out.push({ objects: [refOf(entry.object)], message: `${describe(entry.object)} lost its reference to ${describe(owner!)} (uid ${r.uid}), which is live and not being deleted` });
    }
  });
  return out;
}

/** The uids some version of `trace` shows being deleted with `finalizer`. */
function deletingWith(trace: readonly GcTraceEntry[], finalizer: string): Set<string> {
  const uids = new Set<string>();
  for (const e of trace) if (e.object.metadata.deletionTimestamp !== undefined && (e.object.metadata.finalizers ?? []).includes(finalizer)) uids.add(e.object.metadata.uid ?? '');
  return uids;
}

/**
 * **releasedOnlyByOrphaning**: an object whose owners go is collected, not released. Upstream
 * removes an object's owner references in two cases only: orphaning (its owner is deleted with
 * `Orphan`) and, on an object that keeps a solid owner, the references to absent or waiting
 * owners. So an object that held owner references and holds none now, after settling, must have
 * referenced an owner that some version of the trace shows deleted with the `orphan` finalizer.
 * Objects being deleted are not judged.
 *
 * Judge the whole trace (from the cluster's start) on a settled snapshot (`objects`).
 */
export function releasedOnlyByOrphaning(state: { readonly trace: readonly GcTraceEntry[]; readonly objects: readonly KubeObject[] }): GcViolation[] {
  const orphaning = deletingWith(state.trace, ORPHAN_FINALIZER);
  const held = new Map<string, Set<string>>();
  for (const e of state.trace) {
    const uid = e.object.metadata.uid ?? '';
    for (const r of e.object.metadata.ownerReferences ?? []) {
      const owners = held.get(uid) ?? new Set<string>();
      owners.add(r.uid);
      held.set(uid, owners);
    }
  }
  const out: GcViolation[] = [];
  for (const o of state.objects) {
    if (o.metadata.deletionTimestamp !== undefined || (o.metadata.ownerReferences ?? []).length > 0) continue;
    const owners = held.get(o.metadata.uid ?? '');
    if (owners === undefined || [...owners].some((uid) => orphaning.has(uid))) continue;
    out.push({ objects: [refOf(o)], message: `${describe(o)} was released from its owners (uids ${[...owners].join(', ')}), none of them deleted with Orphan, instead of being collected` });
  }
  return out;
}

/**
 * **collectionPolicyHonoured**: the collector deletes an object with the policy of the deletion
 * finalizer it already carries — `orphan` → Orphan, `foregroundDeletion` → Foreground, neither →
 * Background (upstream `attemptToDeleteItem`: "if an existing orphan finalizer is already on the
 * object, honor it"). Over a trace: when an object not in `deletedByUser` begins deletion (its
 * first version with a `deletionTimestamp`, or a DELETED without one), the version that begins it
 * carries `orphan` exactly when the version before did, and `foregroundDeletion` likewise (a
 * DELETED carries neither: it was removed at once).
 *
 * Not judged: an object one of whose owners the trace has shown, up to then, waiting for its
 * dependents' deletion (`foregroundDeletion`): upstream then deletes it in the foreground when it
 * has dependents of its own, and the trace cannot tell what the collector's graph knew.
 */
export function collectionPolicyHonoured(state: { readonly trace: readonly GcTraceEntry[]; readonly deletedByUser: ReadonlySet<string> }): GcViolation[] {
  const out: GcViolation[] = [];
  const waited = new Set<string>();
  replay(state.trace, (entry, _live, previous) => {
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    if (o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) waited.add(uid);
    if (previous === undefined || previous.metadata.deletionTimestamp !== undefined || state.deletedByUser.has(uid)) return;
    const begins = entry.type === 'DELETED' || o.metadata.deletionTimestamp !== undefined;
    if (!begins || (previous.metadata.ownerReferences ?? []).some((r) => waited.has(r.uid))) return;
    const now = entry.type === 'DELETED' ? [] : (o.metadata.finalizers ?? []);
    const before = previous.metadata.finalizers ?? [];
    for (const f of [ORPHAN_FINALIZER, FOREGROUND_FINALIZER]) {
      if (before.includes(f) !== now.includes(f)) {
        out.push({ objects: [refOf(o)], message: `${describe(o)} was collected ${now.includes(f) ? 'with' : 'without'} the ${f} finalizer, which it ${before.includes(f) ? 'carried' : 'did not carry'} before` });
      }
    }
  });
  return out;
}

/**
 * **foregroundSubtreeOrder**: a foreground deletion takes the owner's blocking subtree down
 * before the owner. Upstream deletes a dependent that has dependents of its own, found while its
 * owner waits for its dependents' deletion, in the foreground too, so it goes only after its own
 * blocking dependents, and the owner after it. Over a trace: when an owner whose version before
 * carried `foregroundDeletion` (with a `deletionTimestamp`) is DELETED, no live object holds a
 * blocking reference to a gone object (not in `deletedByUser`) that reaches the owner through
 * blocking references — its last version's, or those of other such gone objects in between.
 * Owners for which `switchedAway(uid)` is true (the test's last delete took the finalizer away)
 * are not checked, as in {@link foregroundOrder}.
 *
 * Judge the whole trace (from the cluster's start): the dependent in between may have gone long
 * before the owner.
 */
export function foregroundSubtreeOrder(state: { readonly trace: readonly GcTraceEntry[]; readonly deletedByUser: ReadonlySet<string>; readonly switchedAway?: ((uid: string) => boolean) | undefined }): GcViolation[] {
  const out: GcViolation[] = [];
  // The last version of every object that went, by uid.
  const gone = new Map<string, KubeObject>();
  replay(state.trace, (entry, live, previous) => {
    if (entry.type !== 'DELETED') return;
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    gone.set(uid, previous ?? o);
    if (previous === undefined) return;
    const foreground = previous.metadata.deletionTimestamp !== undefined && (previous.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
    if (!foreground || state.switchedAway?.(uid) === true) return;
    // Whether a gone, collected object reaches the owner through blocking references.
    const reaches = (middle: KubeObject, seen: Set<string>): boolean =>
      (middle.metadata.ownerReferences ?? []).some((m) => {
        if (m.blockOwnerDeletion !== true) return false;
        if (m.uid === uid) return resolves(m, middle, o);
        const next = gone.get(m.uid);
        if (next === undefined || seen.has(m.uid) || state.deletedByUser.has(m.uid) || !resolves(m, middle, next)) return false;
        seen.add(m.uid);
        return reaches(next, seen);
      });
    for (const dep of live.values()) {
      if (dep.metadata.uid === uid) continue;
      for (const r of dep.metadata.ownerReferences ?? []) {
        const middle = gone.get(r.uid);
        if (r.blockOwnerDeletion !== true || middle === undefined || r.uid === uid || state.deletedByUser.has(r.uid) || !resolves(r, dep, middle)) continue;
        if (reaches(middle, new Set([r.uid]))) out.push({ objects: [refOf(o)], message: `${describe(o)} was deleted in the foreground before ${describe(dep)}, a blocking dependent of ${describe(middle)}, collected in its blocking subtree` });
      }
    }
  });
  return out;
}

/**
 * **unresolvableOwnersKept**: a cluster-scoped object that names an owner of a namespaced kind is
 * never collected. The Kubernetes documentation: "if a cluster-scoped dependent specifies a
 * namespaced kind as an owner, it is treated as having an unresolvable owner reference, and is
 * not able to be garbage collected" (upstream `namespacedOwnerOfClusterScopedObjectErr`) — an
 * owner reference carries no namespace, so there is nowhere to look the owner up. Over a trace:
 * no such object outside `deletedByUser` begins deletion. `namespaced` tells the kinds apart
 * (a kind it does not know is not judged).
 */
export function unresolvableOwnersKept(state: { readonly trace: readonly GcTraceEntry[]; readonly deletedByUser: ReadonlySet<string>; readonly namespaced: NamespacedKind }): GcViolation[] {
  const out: GcViolation[] = [];
  replay(state.trace, (entry, _live, previous) => {
    const o = entry.object;
    const uid = o.metadata.uid ?? '';
    if (previous === undefined || previous.metadata.deletionTimestamp !== undefined || state.deletedByUser.has(uid)) return;
    if (entry.type !== 'DELETED' && o.metadata.deletionTimestamp === undefined) return;
    if (previous.metadata.namespace !== undefined && previous.metadata.namespace !== '') return;
    const unresolvable = (previous.metadata.ownerReferences ?? []).find((r) => state.namespaced(r.apiVersion, r.kind) === true);
    if (unresolvable !== undefined) out.push({ objects: [refOf(o)], message: `${describe(o)} was collected although it names ${unresolvable.kind} ${unresolvable.name}, a namespaced owner of a cluster-scoped object (unresolvable)` });
  });
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
 *
 * `cacheLagMs` (default 0: none) is the longest a fault may hold a watch event from the
 * collector: a dependent that began to block the owner no more than that before the owner's
 * deletion is not judged (see {@link foregroundOrder}), since the collector may not have seen it.
 */
export function foregroundOrderInvariant(switchedAway: (uid: string) => boolean = () => false, cacheLagMs = 0): Invariant {
  const description = cacheLagMs > 0
    ? `An owner deleted in the foreground is deleted only after its blocking dependents (those blocking it for more than ${cacheLagMs} ms: the collector's cache may not show newer ones).`
    : 'An owner deleted in the foreground is deleted only after its blocking dependents.';
  return transitionInvariant('foregroundOrder', description, (previous, state) =>
    // A synthetic ADDED never reports: only a DELETED entry does.
    foregroundOrder({ trace: traceBetween(previous, state).trace, switchedAway, cacheLagMs, blockingSince: (dependent, owner) => blockingSince(state, dependent, owner) }),
  );
}

/**
 * When the object `dependentUid` last began to reference `ownerUid` with `blockOwnerDeletion`,
 * over the changes of `state` and of every state before it, up to the owner's deletion; undefined
 * when it does not block it then, or already did in the first state (a time no change shows).
 */
function blockingSince(state: ClusterState, dependentUid: string, ownerUid: string): number | undefined {
  const states: ClusterState[] = [];
  for (let s: ClusterState | undefined = state; s !== undefined; s = s.previous) states.push(s);
  states.reverse();
  let blocking = blocks(allObjects(states[0]!).find((o) => o.metadata.uid === dependentUid), ownerUid);
  let since: number | undefined;
  for (const s of states) {
    for (const c of s.changes) {
      const uid = c.object.metadata.uid;
      if (c.type === 'DELETED' && uid === ownerUid) return blocking ? since : undefined;
      if (uid !== dependentUid) continue;
      const now = c.type !== 'DELETED' && blocks(c.object, ownerUid);
      if (now && !blocking) since = c.t;
      if (!now) since = undefined;
      blocking = now;
    }
  }
  return blocking ? since : undefined;
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
export const noDanglingDependentsInvariant: Invariant = invariant('noDanglingDependents', 'After settling, no object whose owners are all gone is left.', (state) =>
  noDanglingDependents({ objects: allObjects(state), namespaced: namespacedKinds(state) }),
);

/** A kind is namespaced when an object of it in `state` has a namespace; unknown when none is live. */
function namespacedKinds(state: ClusterState): NamespacedKind {
  const kinds = new Map<string, boolean>();
  for (const kind of state.kinds) {
    const objects = state.of(kind);
    if (objects.length > 0) kinds.set(kind, objects.some((o) => o.metadata.namespace !== undefined && o.metadata.namespace !== ''));
  }
  return (_apiVersion, kind) => kinds.get(kind);
}

/**
 * Liveness: {@link noDanglingReferences} — after settling, no object that is not being deleted
 * references an absent owner. Kinds count as namespaced as in
 * {@link noDanglingDependentsInvariant}.
 */
export const noDanglingReferencesInvariant: Invariant = invariant('noDanglingReferences', 'After settling, no object keeps a reference to an owner that is gone.', (state) =>
  noDanglingReferences({ objects: allObjects(state), namespaced: namespacedKinds(state) }),
);

/**
 * Transition safety: {@link liveOwnerReferencesKept} — no reference to a live owner that is not
 * being deleted is removed, over the changes between two checked states. For a test whose own
 * writes never remove an owner reference.
 */
export const liveOwnerReferencesKeptInvariant: Invariant = transitionInvariant('liveOwnerReferencesKept', 'No reference to a live owner that is not being deleted is removed.', (previous, state) =>
  liveOwnerReferencesKept({ trace: traceBetween(previous, state).trace }),
);

/**
 * Liveness: {@link releasedOnlyByOrphaning} — after settling, an object that held owner
 * references and holds none had an owner deleted with `Orphan`, judged over the whole trace up to
 * the state. For a test whose own writes never remove an owner reference.
 */
export const releasedOnlyByOrphaningInvariant: Invariant = invariant('releasedOnlyByOrphaning', 'An object whose owners go is collected; it loses all its owner references only to an owner deleted with Orphan.', (state) =>
  releasedOnlyByOrphaning({ trace: fullTrace(state), objects: allObjects(state) }),
);

/**
 * {@link collectionPolicyHonoured} — a collected object without a foreground owner is deleted with
 * the policy of the deletion finalizer it carries, judged over the whole trace up to the state.
 * `deletedByUser(uid)` is true for the uids the test deleted itself (not checked).
 */
export function collectionPolicyHonouredInvariant(deletedByUser: (uid: string) => boolean): Invariant {
  return invariant('collectionPolicyHonoured', 'A collected object is deleted with the policy of the orphan or foregroundDeletion finalizer it carries (Background without one), unless an owner waits in the foreground.', (state) => {
    const trace = fullTrace(state);
    return collectionPolicyHonoured({ trace, deletedByUser: userDeletions(trace, deletedByUser) });
  });
}

/**
 * {@link foregroundSubtreeOrder} — a foreground owner goes only after the blocking dependents of
 * its collected blocking dependents, judged over the whole trace up to the state.
 * `deletedByUser(uid)` is true for the uids the test deleted itself, `switchedAway(uid)` for the
 * owners whose last delete by the test was not Foreground (default: none).
 */
export function foregroundSubtreeOrderInvariant(deletedByUser: (uid: string) => boolean, switchedAway: (uid: string) => boolean = () => false): Invariant {
  return invariant('foregroundSubtreeOrder', 'An owner deleted in the foreground goes only after the blocking dependents of its collected blocking dependents.', (state) => {
    const trace = fullTrace(state);
    return foregroundSubtreeOrder({ trace, deletedByUser: userDeletions(trace, deletedByUser), switchedAway });
  });
}

/**
 * Transition safety: {@link unresolvableOwnersKept} — no cluster-scoped object naming a namespaced
 * owner kind is collected, over the changes between two checked states. Kinds count as namespaced
 * as in {@link noDanglingDependentsInvariant}; `deletedByUser(uid)` is true for the uids the test
 * deleted itself (not checked).
 */
export function unresolvableOwnersKeptInvariant(deletedByUser: (uid: string) => boolean): Invariant {
  return transitionInvariant('unresolvableOwnersKept', 'A cluster-scoped object naming a namespaced owner kind is never collected.', (previous, state) => {
    const { trace } = traceBetween(previous, state);
    return unresolvableOwnersKept({ trace, deletedByUser: userDeletions(trace, deletedByUser), namespaced: namespacedKinds(state) });
  });
}

/** The invariants the garbage collector's plugin registers. */
export const GARBAGE_COLLECTOR_INVARIANTS: readonly Invariant[] = [noDanglingDependentsInvariant, noDanglingReferencesInvariant];
