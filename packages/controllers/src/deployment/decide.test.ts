/**
 * Table tests pinning the Deployment controller's arithmetic to upstream's worked numbers
 * (`deployment_util_test.go`, `rolling_test.go`, `sync_test.go` `TestScale`,
 * `recreate_test.go`).
 */
import { describe, expect, it } from 'vitest';
import { formatTime } from '@kubeloop/core';
import type { Deployment, Pod, ReplicaSet } from '@kubeloop/core';
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  cleanupPlan,
  cleanupUnhealthyPlan,
  findActiveOrLatest,
  findNewReplicaSet,
  isSaturated,
  isScalingEvent,
  maxScaledDown,
  maxSurge,
  maxUnavailable,
  newReplicaSetAnnotations,
  newReplicaSetFor,
  newReplicaSetReplicas,
  oldPodsRunning,
  resolveFenceposts,
  rollingNewReplicaSetTarget,
  rollingOldReplicaSetsPlan,
  scaleDownOldPlan,
  scalePlan,
} from './decide.js';

type IntOrPercent = number | string;

function dep(replicas: number, surge: IntOrPercent = 0, unavailable: IntOrPercent = 0, extra: Partial<Deployment['spec']> = {}, annotations?: Record<string, string>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'foo', namespace: 'default', uid: 'd-uid', generation: 1, ...(annotations === undefined ? {} : { annotations }) },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'foo' } },
      template: { metadata: { labels: { app: 'foo' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
    status: {},
  } as Deployment;
}

interface RsOptions {
  readonly available?: number;
  readonly created?: number;
  readonly revision?: number;
  readonly desired?: number;
  readonly max?: number;
  readonly statusReplicas?: number;
  readonly image?: string;
}

function rs(name: string, replicas: number, o: RsOptions = {}): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (o.revision !== undefined) annotations[REVISION_ANNOTATION] = String(o.revision);
  if (o.desired !== undefined) annotations[DESIRED_REPLICAS_ANNOTATION] = String(o.desired);
  if (o.max !== undefined) annotations[MAX_REPLICAS_ANNOTATION] = String(o.max);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `${name}-uid`, generation: 1, creationTimestamp: formatTime(o.created ?? 0), annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'foo' } },
      template: { metadata: { labels: { app: 'foo', [POD_TEMPLATE_HASH_LABEL]: name } }, spec: { containers: [{ name: 'c', image: o.image ?? name }] } },
    },
    status: { replicas: o.statusReplicas ?? replicas, availableReplicas: o.available ?? replicas, observedGeneration: 1 },
  } as unknown as ReplicaSet;
}

describe('resolveFenceposts (upstream ResolveFenceposts): surge rounds up, unavailable rounds down', () => {
  it.each([
    [10, '25%', '25%', 3, 2],
    [1, '25%', '25%', 1, 0],
    [1, 0, '10%', 0, 1], // both resolve to 0: unavailable becomes 1
    [100, '0%', '0%', 0, 1],
    [4, 1, 1, 1, 1],
    [5, '30%', '30%', 2, 1],
    [3, 0, 5, 0, 5],
  ])('%d replicas, maxSurge %s, maxUnavailable %s → surge %d, unavailable %d', (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    expect(resolveFenceposts(surge, unavailable, replicas)).toEqual({ maxSurge: wantSurge, maxUnavailable: wantUnavailable });
  });

  it('caps maxUnavailable at spec.replicas and gives 0 for Recreate (upstream MaxUnavailable / MaxSurge)', () => {
    expect(maxUnavailable(dep(3, 0, 5))).toBe(3);
    expect(maxUnavailable(dep(0, 1, 1))).toBe(0);
    const recreate = { ...dep(10), spec: { ...dep(10).spec, strategy: { type: 'Recreate' as const } } };
    expect(maxSurge(recreate)).toBe(0);
    expect(maxUnavailable(recreate)).toBe(0);
    expect(maxSurge(dep(10, '25%', '25%'))).toBe(3);
    expect(maxUnavailable(dep(10, '25%', '25%'))).toBe(2);
  });
});

describe('reconcileNewReplicaSet: how many pods a rolling step adds (upstream rolling_test.go)', () => {
  it.each([
    // replicas, maxSurge, old, new, expected new size (undefined: no scaling)
    [10, 0, 10, 0, undefined],
    [10, 2, 10, 0, 2],
    [10, 2, 5, 0, 7],
    [10, 2, 10, 2, undefined],
    [10, 2, 2, 11, 10], // above replicas: scale down to replicas
    [10, '25%', 10, 0, 3],
    [10, '25%', 8, 3, 5],
  ])('%d replicas, maxSurge %s, old at %d, new at %d → %s', (replicas, surge, oldSize, newSize, want) => {
    const d = dep(replicas, surge, 0);
    const oldRS = rs('foo-v1', oldSize);
    const newRS = rs('foo-v2', newSize, { created: 1000 });
    expect(rollingNewReplicaSetTarget(d, [oldRS, newRS], newRS)).toBe(want);
  });

  it('NewRSNewReplicas never exceeds replicas + maxSurge in all, nor replicas for the new one', () => {
    const d = dep(10, 3, 2);
    expect(newReplicaSetReplicas(d, [rs('a', 10), rs('b', 0)], rs('b', 0))).toBe(3);
    expect(newReplicaSetReplicas(d, [rs('a', 10), rs('b', 3)], rs('b', 3))).toBe(3);
    expect(newReplicaSetReplicas(d, [rs('a', 0), rs('b', 8)], rs('b', 8))).toBe(10);
    const recreate = { ...d, spec: { ...d.spec, strategy: { type: 'Recreate' as const } } };
    expect(newReplicaSetReplicas(recreate, [rs('a', 10), rs('b', 0)], rs('b', 0))).toBe(10);
  });
});

describe('reconcileOldReplicaSets: how many pods a rolling step removes (upstream rolling_test.go)', () => {
  it.each([
    // replicas, maxUnavailable, old size, new size, available old, available new, expected old size
    [10, 0, 10, 0, 10, 0, 9], // maxSurge and maxUnavailable both 0: the fencepost makes unavailable 1
    [10, 2, 10, 0, 10, 0, 8],
    [10, 2, 10, 0, 8, 0, 8], // the 2 unhealthy old pods are cleaned up first
    [10, 2, 10, 0, 9, 0, 8], // 1 unhealthy cleaned up, 1 available scaled down
    [10, 2, 8, 2, 8, 0, 8], // unavailable new pods block any further scale-down
  ])('%d replicas, maxUnavailable %d, old %d / new %d, available %d / %d → old %d', (replicas, unavailable, oldSize, newSize, oldAvail, newAvail, want) => {
    const d = dep(replicas, 0, unavailable);
    const oldRS = rs('foo-v1', oldSize, { available: oldAvail });
    const newRS = rs('foo-v2', newSize, { available: newAvail, created: 1000 });
    const plan = rollingOldReplicaSetsPlan(d, [oldRS, newRS], [oldRS], newRS);
    expect(plan.find((s) => s.name === 'foo-v1')?.to ?? oldSize).toBe(want);
  });

  it("maxScaledDown follows upstream's worked example: 13 pods − 8 min available − 3 unavailable new = 2", () => {
    const d = dep(10, 3, 2);
    const newRS = rs('new', 3, { available: 0, created: 1000 });
    expect(maxScaledDown(d, [rs('old', 10), newRS], newRS)).toBe(2);
  });

  it('cleanupUnhealthyReplicas goes oldest first and stops at the budget', () => {
    const a = rs('a', 5, { available: 3, created: 0 });
    const b = rs('b', 4, { available: 1, created: 1000 });
    expect(cleanupUnhealthyPlan([b, a], 3)).toEqual([
      { name: 'a', from: 5, to: 3 },
      { name: 'b', from: 4, to: 3 },
    ]);
    expect(cleanupUnhealthyPlan([a, rs('c', 4, { created: 2000 })], 3)).toEqual([{ name: 'a', from: 5, to: 3 }]);
  });

  it('scaleDownOldReplicaSetsForRollingUpdate removes available pods above replicas − maxUnavailable, oldest first', () => {
    const d = dep(10, 3, 2);
    const older = rs('older', 2, { created: 0 });
    const old = rs('old', 8, { created: 1000 });
    const newRS = rs('new', 3, { created: 2000 });
    expect(scaleDownOldPlan(d, [older, old, newRS], [old, older])).toEqual([
      { name: 'older', from: 2, to: 0 },
      { name: 'old', from: 8, to: 5 },
    ]);
    expect(scaleDownOldPlan(d, [rs('o', 8, { available: 5 }), rs('n', 3, { available: 3 })], [rs('o', 8, { available: 5 })])).toEqual([]);
  });
});

describe('scale: proportional scaling (upstream sync_test.go TestScale, maxSurge 0 unless said)', () => {
  // Each ReplicaSet is annotated as the previous Deployment size left it: desired = old size,
  // max = old size + old maxSurge.
  const annotated = (name: string, size: number, created: number, oldSize: number, oldSurge = 0, available?: number) =>
    rs(name, size, { created, desired: oldSize, max: oldSize + oldSurge, ...(available === undefined ? {} : { available }) });
  const sizes = (d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]) => {
    const out: Record<string, number> = {};
    for (const r of [...oldRSs, ...(newRS ? [newRS] : [])]) out[r.metadata.name ?? ''] = r.spec.replicas;
    for (const s of scalePlan(d, newRS, oldRSs)) out[s.name] = s.to;
    return out;
  };

  it('normal scaling event: 10 → 12 (one active ReplicaSet takes the whole count)', () => {
    expect(sizes(dep(12), annotated('v1', 10, 2, 10), [])).toEqual({ v1: 12 });
  });
  it('proportional scaling: 5 → 10', () => {
    expect(sizes(dep(10), annotated('v2', 2, 2, 5), [annotated('v1', 3, 1, 5)])).toEqual({ v2: 4, v1: 6 });
  });
  it('proportional scaling: 5 → 3', () => {
    expect(sizes(dep(3), annotated('v2', 2, 2, 5), [annotated('v1', 3, 1, 5)])).toEqual({ v2: 1, v1: 2 });
  });
  it('proportional scaling: 9 → 4', () => {
    expect(sizes(dep(4), annotated('v2', 8, 2, 9), [annotated('v1', 1, 1, 9)])).toEqual({ v2: 4, v1: 0 });
  });
  it('proportional scaling: 7 → 10', () => {
    expect(sizes(dep(10), annotated('v3', 2, 3, 7), [annotated('v2', 3, 2, 7), annotated('v1', 2, 1, 7)])).toEqual({ v3: 3, v2: 4, v1: 3 });
  });
  it('proportional scaling: 13 → 8', () => {
    expect(sizes(dep(8), annotated('v3', 2, 3, 13), [annotated('v2', 8, 2, 13), annotated('v1', 3, 1, 13)])).toEqual({ v3: 1, v2: 5, v1: 2 });
  });
  it('leftover distribution: 3 → 4 goes to the newest of equal ReplicaSets', () => {
    expect(sizes(dep(4), annotated('v3', 1, 3, 3), [annotated('v2', 1, 2, 3), annotated('v1', 1, 1, 3)])).toEqual({ v3: 2, v2: 1, v1: 1 });
  });
  it('leftover distribution: 3 → 2 comes from the oldest of equal ReplicaSets', () => {
    expect(sizes(dep(2), annotated('v3', 1, 3, 3), [annotated('v2', 1, 2, 3), annotated('v1', 1, 1, 3)])).toEqual({ v3: 1, v2: 1, v1: 0 });
  });
  it('proportional scaling (no new ReplicaSet): 4 → 5 scales the latest first', () => {
    expect(sizes(dep(5), undefined, [annotated('v2', 2, 2, 4), annotated('v1', 2, 1, 4)])).toEqual({ v2: 3, v1: 2 });
  });
  it('proportional scaling: 6 → 0', () => {
    expect(sizes(dep(0), annotated('v3', 3, 3, 6), [annotated('v2', 2, 2, 6), annotated('v1', 1, 1, 6)])).toEqual({ v3: 0, v2: 0, v1: 0 });
  });
  it('proportional scaling: 0 → 6 scales up the new ReplicaSet', () => {
    expect(sizes(dep(6), annotated('v3', 0, 3, 6), [annotated('v2', 0, 2, 6), annotated('v1', 0, 1, 6)])).toEqual({ v3: 6, v2: 0, v1: 0 });
  });
  it('deployment with surge pods: 10 → 20 with maxSurge 2', () => {
    expect(sizes(dep(20, 2), annotated('v2', 6, 2, 10, 2), [annotated('v1', 6, 1, 10, 2)])).toEqual({ v2: 11, v1: 11 });
  });
  it('change both surge and size: 10 (surge 3) → 50 (surge 6)', () => {
    expect(sizes(dep(50, 6), annotated('v2', 5, 2, 10, 3), [annotated('v1', 8, 1, 10, 3)])).toEqual({ v2: 22, v1: 34 });
  });
  it('saturated but broken new ReplicaSet does not affect old pods', () => {
    expect(sizes(dep(2, 1, 1), annotated('v2', 2, 2, 2, 1, 0), [annotated('v1', 1, 1, 2, 1)])).toEqual({ v2: 2, v1: 1 });
  });
  it('a saturated new ReplicaSet scales the old ones to 0 (adoption during a saturated rollout)', () => {
    const newRS = annotated('v2', 3, 2, 3);
    expect(isSaturated(dep(3), newRS)).toBe(true);
    expect(sizes(dep(3), newRS, [annotated('v1', 2, 1, 3)])).toEqual({ v2: 3, v1: 0 });
  });

  it('a single active ReplicaSet already at spec.replicas whose replicas annotations are stale gets them refreshed, so the scaling event ends (kubernetes/kubernetes#138036, #138840)', () => {
    // A proportional scale 2 → 1 writes each active ReplicaSet in turn; a crash (or a 409) after
    // the first write leaves old 1 → 0 annotated 1 but new at 1 still annotated desired 2.
    // Nothing needs resizing, but isScalingEvent stays true until the annotations say 1, and
    // while it is true the rollout (and its progress deadline) never runs.
    const d = dep(1);
    const stale = annotated('v2', 1, 2, 2);
    expect(isScalingEvent(d, [stale])).toBe(true);
    expect(scalePlan(d, stale, [annotated('v1', 0, 1, 1)])).toEqual([{ name: 'v2', from: 1, to: 1 }]);
    expect(scalePlan(d, annotated('v2', 1, 2, 1), [])).toEqual([]);
    // max-replicas alone stale (maxSurge changed while nothing else did) is refreshed too.
    expect(scalePlan(dep(1, 1), annotated('v2', 1, 2, 1), [])).toEqual([{ name: 'v2', from: 1, to: 1 }]);
  });

  it('isScalingEvent: an active ReplicaSet whose desired-replicas differs', () => {
    expect(isScalingEvent(dep(4), [annotated('v1', 2, 1, 2)])).toBe(true);
    expect(isScalingEvent(dep(2), [annotated('v1', 2, 1, 2)])).toBe(false);
    expect(isScalingEvent(dep(4), [annotated('v1', 0, 1, 2)])).toBe(false); // not active
    expect(isScalingEvent(dep(4), [rs('v1', 2)])).toBe(false); // no annotation
  });

  it('FindActiveOrLatest: the only active one, else the newest, else none', () => {
    expect(findActiveOrLatest(rs('n', 0, { created: 2 }), [rs('a', 0, { created: 1 })])?.metadata.name).toBe('n');
    expect(findActiveOrLatest(undefined, [rs('a', 0, { created: 1000 }), rs('b', 0, { created: 2000 })])?.metadata.name).toBe('b');
    expect(findActiveOrLatest(rs('n', 1), [rs('a', 1)])).toBeUndefined();
  });
});

describe('ReplicaSets, revisions and annotations (upstream deployment_util.go)', () => {
  it('the new ReplicaSet is named <deployment>-<hash>, carries the hash on selector, labels and template, and the revision', () => {
    const d = dep(4, 1, 1, {}, { team: 'a', 'kubectl.kubernetes.io/last-applied-configuration': '{}', [REVISION_ANNOTATION]: '7' });
    const created = newReplicaSetFor(d, 'abc12', 3, 1);
    expect(created.metadata.name).toBe('foo-abc12');
    expect(created.metadata.labels).toEqual({ app: 'foo', [POD_TEMPLATE_HASH_LABEL]: 'abc12' });
    expect(created.spec.selector.matchLabels).toEqual({ app: 'foo', [POD_TEMPLATE_HASH_LABEL]: 'abc12' });
    expect(created.spec.template.metadata?.labels).toEqual({ app: 'foo', [POD_TEMPLATE_HASH_LABEL]: 'abc12' });
    expect(created.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'foo', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
    expect(created.metadata.annotations).toEqual({ team: 'a', [REVISION_ANNOTATION]: '3', [DESIRED_REPLICAS_ANNOTATION]: '4', [MAX_REPLICAS_ANNOTATION]: '5' });
  });

  it('a ReplicaSet reused by a rollback moves to the new revision and keeps its old ones in revision-history', () => {
    const d = dep(1);
    const first = newReplicaSetAnnotations(d, rs('v1', 1, { revision: 1 }), 4, true);
    expect(first.changed).toBe(true);
    expect(first.annotations[REVISION_ANNOTATION]).toBe('4');
    expect(first.annotations[REVISION_HISTORY_ANNOTATION]).toBe('1');
    const again = { ...rs('v1', 1), metadata: { ...rs('v1', 1).metadata, annotations: { ...first.annotations } } };
    const second = newReplicaSetAnnotations(d, again, 6, true);
    expect(second.annotations[REVISION_HISTORY_ANNOTATION]).toBe('1,4');
    // A revision that is already the highest is left alone.
    expect(newReplicaSetAnnotations(d, rs('v2', 1, { revision: 5 }), 5, true).changed).toBe(false);
  });

  it('findNewReplicaSet compares templates ignoring pod-template-hash, the oldest match wins', () => {
    const d = dep(1);
    const match = (name: string, created: number) => {
      const r = rs(name, 1, { created });
      return { ...r, spec: { ...r.spec, template: { metadata: { labels: { app: 'foo', [POD_TEMPLATE_HASH_LABEL]: name } }, spec: d.spec.template.spec } } };
    };
    expect(findNewReplicaSet(d, [rs('other', 1), match('late', 2000), match('early', 1000)])?.metadata.name).toBe('early');
    expect(findNewReplicaSet(d, [rs('other', 1)])).toBeUndefined();
  });

  it('cleanupDeployment deletes beyond revisionHistoryLimit, lowest revision first, only empty and observed ReplicaSets', () => {
    const d = dep(1, 1, 0, { revisionHistoryLimit: 1 });
    const old = [rs('r3', 0, { revision: 3 }), rs('r1', 0, { revision: 1 }), rs('r2', 0, { revision: 2 })];
    expect(cleanupPlan(d, old).map((r) => r.metadata.name)).toEqual(['r1', 'r2']);
    const busy = [rs('r1', 1, { revision: 1 }), rs('r2', 0, { revision: 2 }), rs('r3', 0, { revision: 3 })];
    expect(cleanupPlan(d, busy).map((r) => r.metadata.name)).toEqual(['r2']);
    expect(cleanupPlan(dep(1), old)).toEqual([]);
    const unobserved = { ...rs('r1', 0, { revision: 1 }), status: { replicas: 0, observedGeneration: 0 } };
    expect(cleanupPlan(d, [unobserved, rs('r2', 0, { revision: 2 })])).toEqual([]);
  });

  it('oldPodsRunning (Recreate): old ReplicaSets with pods, or non-terminal pods of old ReplicaSets', () => {
    const newRS = rs('new', 0, { created: 2 });
    const oldRS = rs('old', 0, { statusReplicas: 0 });
    const pod = (phase: string): Pod => ({ metadata: { name: phase }, spec: { containers: [] }, status: { phase } }) as unknown as Pod;
    expect(oldPodsRunning(newRS, [rs('old', 0, { statusReplicas: 1 })], new Map())).toBe(true);
    expect(oldPodsRunning(newRS, [oldRS], new Map([['old-uid', [pod('Running')]]]))).toBe(true);
    expect(oldPodsRunning(newRS, [oldRS], new Map([['old-uid', [pod('Succeeded'), pod('Failed')]]]))).toBe(false);
    expect(oldPodsRunning(newRS, [oldRS], new Map([['new-uid', [pod('Running')]]]))).toBe(false);
  });
});
