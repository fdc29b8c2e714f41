/** The collector's invariants over hand-made traces and snapshots, e.g. orphansKept: orphan deletions must orphan, as upstream's collector does. */
import { describe, expect, it } from 'vitest';
import { FOREGROUND_FINALIZER, clusterState, formatRef, ORPHAN_FINALIZER } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';
import type { GcTraceEntry } from './invariants.js';
import { collectionPolicyHonoured, foregroundOrder, foregroundOrderInvariant, foregroundSubtreeOrder, liveOwnerReferencesKept, noDanglingReferences, noLiveOwnerCollected, orphansKept, releasedOnlyByOrphaning, unresolvableOwnersKept } from './invariants.js';

const DELETED_AT = '2026-01-01T00:00:00Z';
const owner = (finalizers: string[] = [], deleting = false): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'owner', namespace: 'default', uid: 'uid-owner', ...(deleting ? { deletionTimestamp: DELETED_AT, finalizers } : {}) } }) as KubeObject;
const child = (referencing: boolean, deleting = false): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'child', namespace: 'default', uid: 'uid-child', ...(referencing ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'owner', uid: 'uid-owner' }] } : {}), ...(deleting ? { deletionTimestamp: DELETED_AT } : {}) },
  }) as KubeObject;
const added = (object: KubeObject): GcTraceEntry => ({ type: 'ADDED', object });
const modified = (object: KubeObject): GcTraceEntry => ({ type: 'MODIFIED', object });
const deleted = (object: KubeObject): GcTraceEntry => ({ type: 'DELETED', object });

describe('noLiveOwnerCollected', () => {
  const HOLD = 'example.com/hold';
  it('holds for a dependent collected during its owner\'s foreground deletion, even once the collector has dropped the owner\'s finalizer (no dependent blocks it)', () => {
    // The collector decides on the child while the owner carries foregroundDeletion, and another
    // worker takes the finalizer away before the child's delete lands (the owner stays on HOLD).
    const trace = [added(owner()), added(child(true)), modified(owner([FOREGROUND_FINALIZER, HOLD], true)), modified(owner([HOLD], true)), deleted(child(true))];
    expect(noLiveOwnerCollected({ trace, deletedByUser: new Set() })).toEqual([]);
  });

  it('names a dependent collected while its owner lived, or was terminating without ever being deleted in the foreground', () => {
    const live = [added(owner()), added(child(true)), deleted(child(true))];
    expect(noLiveOwnerCollected({ trace: live, deletedByUser: new Set() }).map((v) => v.message)).toEqual(['ConfigMap default/child was collected while its owner Secret default/owner (uid uid-owner) was live']);
    const held = [added(owner()), added(child(true)), modified(owner([HOLD], true)), deleted(child(true))];
    expect(noLiveOwnerCollected({ trace: held, deletedByUser: new Set() })).toHaveLength(1);
    // A foreground deletion of an earlier life does not count: the owner was deleted and re-created.
    const again = [added(owner([FOREGROUND_FINALIZER], true)), deleted(owner([], true)), added(owner()), added(child(true)), modified(owner([HOLD], true)), deleted(child(true))];
    expect(noLiveOwnerCollected({ trace: again, deletedByUser: new Set() })).toHaveLength(1);
  });
});

describe('foregroundOrder', () => {
  const blocker = { ...child(false), metadata: { ...child(false).metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'owner', uid: 'uid-owner', blockOwnerDeletion: true }] } } as KubeObject;
  const at = (t: number, entry: GcTraceEntry): GcTraceEntry => ({ ...entry, t });
  const message = 'Secret default/owner was deleted in the foreground before its blocking dependent ConfigMap default/child';
  const run = (deletedAt: number): GcTraceEntry[] => [at(0, added(owner())), at(0, added(blocker)), at(0, modified(owner([FOREGROUND_FINALIZER], true))), at(deletedAt, deleted(owner([], true)))];

  it('names a foreground owner deleted while a dependent blocks it', () => {
    expect(foregroundOrder({ trace: run(1_500) }).map((v) => v.message)).toEqual([message]);
  });

  it('with caches lagging up to cacheLagMs, does not judge a dependent blocking for no longer than that (the collector may not have seen it: upstream honours blockOwnerDeletion for the dependents in its cache), and names one blocking longer', () => {
    expect(foregroundOrder({ trace: run(1_500), cacheLagMs: 1_500 })).toEqual([]);
    expect(foregroundOrder({ trace: run(1_501), cacheLagMs: 1_500 }).map((v) => v.message)).toEqual([message]);
    // A blocking reference added to an existing dependent counts from when it was added.
    const late = [at(0, added(owner())), at(0, added(child(true))), at(0, modified(owner([FOREGROUND_FINALIZER], true))), at(1_000, modified(blocker)), at(2_000, deleted(owner([], true)))];
    expect(foregroundOrder({ trace: late, cacheLagMs: 1_500 })).toEqual([]);
    // Without times (a hand-built trace), every blocking dependent is judged.
    expect(foregroundOrder({ trace: run(1_500).map(({ type, object }) => ({ type, object })), cacheLagMs: 1_500 })).toHaveLength(1);
  });

  it('as an invariant over states, dates a dependent from an earlier state by the changes of the states before', () => {
    const s0 = clusterState([], 0);
    const s1 = clusterState([owner(), blocker], 0, [at(0, added(owner())), at(0, added(blocker))], s0);
    const s2 = clusterState([owner([FOREGROUND_FINALIZER], true), blocker], 100, [at(100, modified(owner([FOREGROUND_FINALIZER], true)))], s1);
    const gone = (t: number) => clusterState([blocker], t, [at(t, deleted(owner([], true)))], s2);
    const lagging = foregroundOrderInvariant(() => false, 1_500);
    expect(lagging.check(gone(1_500), s2)).toEqual([]);
    expect(lagging.check(gone(1_600), s2)).toHaveLength(1);
    expect(foregroundOrderInvariant().check(gone(1_500), s2)).toHaveLength(1);
  });
});

describe('orphansKept', () => {
  it('holds when the collector removes the reference before the owner goes (upstream orphanDependents), and the orphan is deleted later', () => {
    const trace = [added(owner()), added(child(true)), modified(owner([ORPHAN_FINALIZER], true)), modified(child(false)), deleted(owner([], true)), deleted(child(false))];
    expect(orphansKept({ trace, deletedByUser: new Set() })).toEqual([]);
  });

  it('names a dependent collected while it still referenced an owner deleted with Orphan (a DELETED, or a deletionTimestamp set)', () => {
    const collected = [added(owner()), added(child(true)), modified(owner([ORPHAN_FINALIZER], true)), deleted(child(true))];
    expect(orphansKept({ trace: collected, deletedByUser: new Set() })).toEqual([
      { objects: [{ kind: 'ConfigMap', namespace: 'default', name: 'child' }], message: 'ConfigMap default/child was collected while it still referenced Secret owner, deleted with Orphan' },
    ]);
    const terminating = [added(owner()), added(child(true)), modified(owner([ORPHAN_FINALIZER], true)), modified(child(true, true))];
    expect(orphansKept({ trace: terminating, deletedByUser: new Set() }).map((v) => formatRef(v.objects[0]!))).toEqual(['ConfigMap default/child']);
  });

  it('does not judge what the test deleted itself, an owner also seen in the foreground, or one whose last delete switched away from Orphan', () => {
    const trace = [added(owner()), added(child(true)), modified(owner([ORPHAN_FINALIZER], true)), deleted(child(true))];
    expect(orphansKept({ trace, deletedByUser: new Set(['uid-child']) })).toEqual([]);
    expect(orphansKept({ trace, deletedByUser: new Set(), switchedAway: (uid) => uid === 'uid-owner' })).toEqual([]);
    const switched = [added(owner()), added(child(true)), modified(owner([FOREGROUND_FINALIZER], true)), modified(owner([ORPHAN_FINALIZER], true)), deleted(child(true))];
    expect(orphansKept({ trace: switched, deletedByUser: new Set() })).toEqual([]);
  });

  it('does not judge a dependent whose reference was made after the owner was gone (a stale uid, e.g. the owner re-created under its name): it dangles', () => {
    const trace = [added(owner()), modified(owner([ORPHAN_FINALIZER], true)), deleted(owner([], true)), added(child(true)), deleted(child(true))];
    expect(orphansKept({ trace, deletedByUser: new Set() })).toEqual([]);
    // The same dependent, created while the owner was still live, is judged.
    const held = [added(owner()), added(child(true)), modified(owner([ORPHAN_FINALIZER], true)), deleted(owner([], true)), deleted(child(true))];
    expect(orphansKept({ trace: held, deletedByUser: new Set() })).toHaveLength(1);
  });

  it('does not judge a dependent in another namespace than its namespaced owner: the reference never resolved (it dangles from the start)', () => {
    const elsewhere = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace: 'other' } }) as KubeObject;
    const trace = [added(owner()), added(elsewhere(child(true))), modified(owner([ORPHAN_FINALIZER], true)), deleted(elsewhere(child(true)))];
    expect(orphansKept({ trace, deletedByUser: new Set() })).toEqual([]);
  });

  it('does not judge a dependent of an owner deleted in the background (no orphan finalizer)', () => {
    const trace = [added(owner()), added(child(true)), deleted(owner()), deleted(child(true))];
    expect(orphansKept({ trace, deletedByUser: new Set() })).toEqual([]);
  });
});

// The invariants below, over hand-made traces and snapshots (each is also shown failing on a
// collector broken on purpose in the integration suite).

const ref = (uid: string, name: string, kind = 'Secret', block = false) => ({ apiVersion: 'v1', kind, name, uid, ...(block ? { blockOwnerDeletion: true } : {}) });
const object = (kind: string, name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'default', uid: `uid-${name}`, ...extra } }) as KubeObject;

describe('noDanglingReferences', () => {
  it('names an object that keeps a reference to a gone owner next to a live one, and accepts one whose references all resolve', () => {
    const a = object('Secret', 'a');
    const kept = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a'), ref('uid-b', 'b')] });
    expect(noDanglingReferences({ objects: [a, kept] }).map((v) => v.message)).toEqual(['ConfigMap default/c still references Secret b (uid uid-b), which is gone']);
    expect(noDanglingReferences({ objects: [a, object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')] })] })).toEqual([]);
  });

  it('takes an owner of the same name with another uid as gone, and does not judge objects being deleted', () => {
    const namesake = object('Secret', 'a', { uid: 'uid-new' });
    expect(noDanglingReferences({ objects: [namesake, object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')] })] })).toHaveLength(1);
    expect(noDanglingReferences({ objects: [object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')], deletionTimestamp: DELETED_AT })] })).toEqual([]);
  });
});

describe('liveOwnerReferencesKept', () => {
  const a = object('Secret', 'a');
  const both = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a'), ref('uid-b', 'b')] });
  it('names a dependent that lost its reference to a live owner not being deleted', () => {
    const trace = [added(a), added(both), modified(object('ConfigMap', 'c', { ownerReferences: [ref('uid-b', 'b')] }))];
    expect(liveOwnerReferencesKept({ trace }).map((v) => v.message)).toEqual(['ConfigMap default/c lost its reference to Secret default/a (uid uid-a), which is live and not being deleted']);
  });

  it('accepts the removal of a reference to a gone owner, or to one being deleted', () => {
    expect(liveOwnerReferencesKept({ trace: [added(a), added(both), modified(object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')] }))] })).toEqual([]);
    const deleting = object('Secret', 'a', { deletionTimestamp: DELETED_AT, finalizers: [ORPHAN_FINALIZER] });
    expect(liveOwnerReferencesKept({ trace: [added(a), added(both), modified(deleting), modified(object('ConfigMap', 'c', { ownerReferences: [ref('uid-b', 'b')] }))] })).toEqual([]);
  });
});

describe('releasedOnlyByOrphaning', () => {
  const c = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')] });
  const released = object('ConfigMap', 'c');
  it('names an object that held owner references and holds none, none of its owners deleted with Orphan', () => {
    const trace = [added(object('Secret', 'a')), added(c), deleted(object('Secret', 'a')), modified(released)];
    expect(releasedOnlyByOrphaning({ trace, objects: [released] }).map((v) => formatRef(v.objects[0]!))).toEqual(['ConfigMap default/c']);
  });

  it('accepts an object released by an owner deleted with Orphan, and one that never had owners', () => {
    const trace = [added(object('Secret', 'a')), added(c), modified(object('Secret', 'a', { deletionTimestamp: DELETED_AT, finalizers: [ORPHAN_FINALIZER] })), modified(released)];
    expect(releasedOnlyByOrphaning({ trace, objects: [released] })).toEqual([]);
    expect(releasedOnlyByOrphaning({ trace: [added(released)], objects: [released] })).toEqual([]);
  });
});

describe('collectionPolicyHonoured', () => {
  const withOrphan = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')], finalizers: [ORPHAN_FINALIZER] });
  it('names an object carrying orphan that the collector deleted without it, or one deleted in the foreground without carrying foregroundDeletion', () => {
    expect(collectionPolicyHonoured({ trace: [added(withOrphan), deleted(withOrphan)], deletedByUser: new Set() }).map((v) => v.message)).toEqual([
      'ConfigMap default/c was collected without the orphan finalizer, which it carried before',
    ]);
    const plain = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')] });
    const foreground = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')], deletionTimestamp: DELETED_AT, finalizers: [FOREGROUND_FINALIZER] });
    expect(collectionPolicyHonoured({ trace: [added(plain), modified(foreground)], deletedByUser: new Set() }).map((v) => v.message)).toEqual([
      'ConfigMap default/c was collected with the foregroundDeletion finalizer, which it did not carry before',
    ]);
  });

  it('accepts the orphan policy kept, and does not judge what the test deleted or an object whose owner waited in the foreground', () => {
    const orphaning = object('ConfigMap', 'c', { ownerReferences: [ref('uid-a', 'a')], deletionTimestamp: DELETED_AT, finalizers: [ORPHAN_FINALIZER] });
    expect(collectionPolicyHonoured({ trace: [added(withOrphan), modified(orphaning)], deletedByUser: new Set() })).toEqual([]);
    expect(collectionPolicyHonoured({ trace: [added(withOrphan), deleted(withOrphan)], deletedByUser: new Set(['uid-c']) })).toEqual([]);
    const waiting = object('Secret', 'a', { deletionTimestamp: DELETED_AT, finalizers: [FOREGROUND_FINALIZER] });
    expect(collectionPolicyHonoured({ trace: [added(withOrphan), modified(waiting), deleted(withOrphan)], deletedByUser: new Set() })).toEqual([]);
  });
});

describe('foregroundSubtreeOrder', () => {
  const o = object('Secret', 'o');
  const waiting = object('Secret', 'o', { deletionTimestamp: DELETED_AT, finalizers: [FOREGROUND_FINALIZER] });
  const m = object('ConfigMap', 'm', { ownerReferences: [ref('uid-o', 'o', 'Secret', true)] });
  const d = object('ConfigMap', 'd', { ownerReferences: [ref('uid-m', 'm', 'ConfigMap', true)] });
  it('names a foreground owner deleted while a blocking dependent of its collected blocking dependent lives', () => {
    const trace = [added(o), added(m), added(d), modified(waiting), deleted(m), deleted(waiting)];
    expect(foregroundSubtreeOrder({ trace, deletedByUser: new Set() }).map((v) => v.message)).toEqual([
      'Secret default/o was deleted in the foreground before ConfigMap default/d, a blocking dependent of ConfigMap default/m, collected in its blocking subtree',
    ]);
  });

  it('accepts the subtree gone first, and does not judge a dependent in between that the test deleted or an owner switched away', () => {
    expect(foregroundSubtreeOrder({ trace: [added(o), added(m), added(d), modified(waiting), deleted(d), deleted(m), deleted(waiting)], deletedByUser: new Set() })).toEqual([]);
    const early = [added(o), added(m), added(d), modified(waiting), deleted(m), deleted(waiting)];
    expect(foregroundSubtreeOrder({ trace: early, deletedByUser: new Set(['uid-m']) })).toEqual([]);
    expect(foregroundSubtreeOrder({ trace: early, deletedByUser: new Set(), switchedAway: (uid) => uid === 'uid-o' })).toEqual([]);
  });
});

describe('unresolvableOwnersKept', () => {
  const namespaced = (_apiVersion: string, kind: string): boolean | undefined => (kind === 'ConfigMap' ? true : kind === 'IngressClass' ? false : undefined);
  const cls = (extra: Partial<KubeObject['metadata']> = {}): KubeObject =>
    ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'ic', uid: 'uid-ic', ownerReferences: [ref('uid-cm', 'cm', 'ConfigMap')], ...extra } }) as KubeObject;
  it('names a cluster-scoped object collected although it names a namespaced owner', () => {
    expect(unresolvableOwnersKept({ trace: [added(cls()), deleted(cls())], deletedByUser: new Set(), namespaced }).map((v) => v.message)).toEqual([
      'IngressClass ic was collected although it names ConfigMap cm, a namespaced owner of a cluster-scoped object (unresolvable)',
    ]);
  });

  it('does not judge what the test deleted, a namespaced dependent, or a kind it does not know', () => {
    expect(unresolvableOwnersKept({ trace: [added(cls()), deleted(cls())], deletedByUser: new Set(['uid-ic']), namespaced })).toEqual([]);
    const inNamespace = object('Secret', 's', { ownerReferences: [ref('uid-cm', 'cm', 'ConfigMap')] });
    expect(unresolvableOwnersKept({ trace: [added(inNamespace), deleted(inNamespace)], deletedByUser: new Set(), namespaced })).toEqual([]);
    expect(unresolvableOwnersKept({ trace: [added(cls()), deleted(cls())], deletedByUser: new Set(), namespaced: () => undefined })).toEqual([]);
  });
});
