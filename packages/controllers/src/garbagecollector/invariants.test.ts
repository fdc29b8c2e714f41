/** orphansKept, over hand-made traces: orphan deletions must orphan, as upstream's collector does. */
import { describe, expect, it } from 'vitest';
import { FOREGROUND_FINALIZER, formatRef, ORPHAN_FINALIZER } from '@kubeloop/core';
import type { KubeObject } from '@kubeloop/core';
import type { GcTraceEntry } from './invariants.js';
import { orphansKept } from './invariants.js';

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
