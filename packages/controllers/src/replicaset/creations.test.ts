/**
 * `podsNotOvercreatedInvariant` on hand-built state chains: creations are judged against the
 * replica counts of the window, in trace order; adoption, terminating pods and scale-downs are
 * not over-creation.
 */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, clusterState, formatTime } from '@kubeloop/core';
import type { ClusterState, KubeObject } from '@kubeloop/core';
import { noCreationsWhileDeletingInvariant, podsNotOvercreatedInvariant } from './invariants.js';

const rs = (replicas: number, uid = 'rs-uid') => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid }, spec: { replicas, selector: { matchLabels: { app: 'web' } } } }) as unknown as KubeObject;
const pod = (name: string, options: { owner?: string | null; terminating?: boolean; labels?: Record<string, string> } = {}) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: options.labels ?? { app: 'web' },
      ...(options.owner === null ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: options.owner ?? 'rs-uid', controller: true }] }),
      ...(options.terminating === true ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
    status: { phase: 'Running' },
  }) as unknown as KubeObject;

type Change = { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject };

/** The state after `changes` applied to `before`, at time `t`, chained after it. */
function next(before: ClusterState, t: number, changes: readonly Change[]): ClusterState {
  const live = new Map<string, KubeObject>();
  for (const k of before.kinds) for (const o of before.of(k)) live.set(`${o.kind}/${o.metadata.name}`, o);
  for (const c of changes) {
    if (c.type === 'DELETED') live.delete(`${c.object.kind}/${c.object.metadata.name}`);
    else live.set(`${c.object.kind}/${c.object.metadata.name}`, c.object);
  }
  return clusterState([...live.values()], t, changes.map((c) => ({ t, ...c })), before);
}

const start = (objects: KubeObject[], t = 100_000) => clusterState(objects, t, objects.map((object) => ({ t, type: 'ADDED' as const, object })));
const check = (state: ClusterState, options = {}) => podsNotOvercreatedInvariant(options).check(state, state.previous);

describe('podsNotOvercreatedInvariant', () => {
  it('flags a pod created while the ReplicaSet already has spec.replicas active pods', () => {
    const s0 = start([rs(2), pod('a'), pod('b')]);
    const s1 = next(s0, 101_000, [{ type: 'ADDED', object: pod('c') }]);
    const v = check(s1);
    expect(v.map((x) => x.message)).toEqual(['ReplicaSet default/web created pod c while it already had 2 active pods (the most replicas it had within 60000 ms: 2)']);
    expect(v[0]!.objects).toEqual([{ kind: 'ReplicaSet', namespace: 'default', name: 'web' }, { kind: 'Pod', namespace: 'default', name: 'c' }]);
  });

  it('sees a surplus created and deleted again between two checks', () => {
    const s0 = start([rs(1), pod('a')]);
    const s1 = next(s0, 101_000, [
      { type: 'ADDED', object: pod('b') },
      { type: 'DELETED', object: pod('b') },
    ]);
    expect(check(s1)).toHaveLength(1);
  });

  it('accepts creations up to a scale-up made earlier in the same step, and replacements of terminating pods', () => {
    const s0 = start([rs(1), pod('a')]);
    const s1 = next(s0, 101_000, [
      { type: 'MODIFIED', object: rs(2) },
      { type: 'ADDED', object: pod('b') },
      { type: 'MODIFIED', object: pod('a', { terminating: true }) },
      { type: 'ADDED', object: pod('c') },
    ]);
    expect(check(s1)).toEqual([]);
    // The scale-up after the creation does not excuse it.
    const s2 = next(s0, 101_000, [
      { type: 'ADDED', object: pod('b') },
      { type: 'MODIFIED', object: rs(2) },
    ]);
    expect(check(s2)).toHaveLength(1);
  });

  it('lets a controller act on a replica count of the last windowMs (a lagging cache), not older', () => {
    const s0 = start([rs(3), pod('a'), pod('b'), pod('c')], 100_000);
    const s1 = next(s0, 110_000, [
      { type: 'MODIFIED', object: rs(1) },
      { type: 'DELETED', object: pod('c') },
    ]);
    // 20 s after the scale-down the controller still creates as if replicas were 3.
    const s2 = next(s1, 130_000, [{ type: 'ADDED', object: pod('d') }]);
    expect(check(s2)).toEqual([]);
    expect(check(s2, { windowMs: 5_000 })).toHaveLength(1);
  });

  it('counts a scale-up made before the window but after the last state taken before it (deep run counterexample: a replacement 69 s after the scale-up was flagged)', () => {
    const s0 = start([rs(2), pod('a'), pod('b')], 30_000);
    // One check at 41 s covers a scale-up and a creation at 31 s.
    const s1 = clusterState([rs(3), pod('a'), pod('b'), pod('c')], 41_000, [{ t: 31_000, type: 'MODIFIED', object: rs(3) }, { t: 31_000, type: 'ADDED', object: pod('c') }], s0);
    // At 100 s the pod GC fails pod a (its node is gone) and the ReplicaSet replaces it.
    const failed = { ...pod('a'), status: { phase: 'Failed' } } as unknown as KubeObject;
    const s2 = next(s1, 100_000, [
      { type: 'MODIFIED', object: failed },
      { type: 'ADDED', object: pod('d') },
    ]);
    expect(check(s2)).toEqual([]);
  });

  it('does not count adoption (an owner reference added to an existing pod) as a creation, nor pods outside the selector', () => {
    const s0 = start([rs(1), pod('a'), pod('orphan', { owner: null })]);
    const s1 = next(s0, 101_000, [{ type: 'MODIFIED', object: pod('orphan') }]);
    expect(check(s1)).toEqual([]);
    // A pod the ReplicaSet still owns but no longer selects (relabelled, about to be released) does not count.
    const s2 = start([rs(1), pod('a', { labels: { app: 'other' } })]);
    expect(check(next(s2, 101_000, [{ type: 'ADDED', object: pod('b') }]))).toEqual([]);
  });

  it('counts each owner by uid: a re-created ReplicaSet of the same name starts from its own pods', () => {
    const s0 = start([rs(1, 'old'), pod('a', { owner: 'old' })]);
    const s1 = next(s0, 101_000, [
      { type: 'DELETED', object: rs(1, 'old') },
      { type: 'ADDED', object: rs(1, 'new') },
      { type: 'ADDED', object: pod('b', { owner: 'new' }) },
    ]);
    expect(check(s1)).toEqual([]);
  });
});

describe('noCreationsWhileDeletingInvariant', () => {
  /** The ReplicaSet, being deleted since virtual time `since` (a foreground deletion). */
  const deleting = (since: number) => {
    const o = rs(2) as unknown as { metadata: object };
    return { ...o, metadata: { ...o.metadata, deletionTimestamp: formatTime(VIRTUAL_EPOCH_MS + since), finalizers: ['foregroundDeletion'] } } as unknown as KubeObject;
  };
  const checkDeleting = (state: ClusterState) => noCreationsWhileDeletingInvariant().check(state, state.previous);

  // Upstream syncReplicaSet manages replicas only while rs.DeletionTimestamp is nil.
  it('flags a pod created by a ReplicaSet whose deletion began more than 60 s before', () => {
    const s0 = start([deleting(100_000), pod('a')]);
    const s1 = next(s0, 161_000, [{ type: 'ADDED', object: pod('b') }]);
    expect(checkDeleting(s1).map((v) => v.message)).toEqual(['ReplicaSet default/web created pod b 61000 ms after its deletion began (more than 60000 ms)']);
  });

  it('accepts a creation within the window (a cache may not show the deletion yet), and one by an owner not being deleted', () => {
    const s0 = start([deleting(100_000), pod('a')]);
    expect(checkDeleting(next(s0, 160_000, [{ type: 'ADDED', object: pod('b') }]))).toEqual([]);
    expect(checkDeleting(next(start([rs(2)]), 500_000, [{ type: 'ADDED', object: pod('b') }]))).toEqual([]);
  });

  it('follows the owner through the changes: a deletion marked in the same step counts from its timestamp', () => {
    const s0 = start([rs(2), pod('a')]);
    const s1 = next(s0, 200_000, [
      { type: 'MODIFIED', object: deleting(120_000) },
      { type: 'ADDED', object: pod('b') },
    ]);
    expect(checkDeleting(s1)).toHaveLength(1);
  });
});
