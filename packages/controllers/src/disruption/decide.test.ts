/**
 * The disruption controller's arithmetic, pinned to upstream `pkg/controller/disruption`
 * (`disruption_test.go`: TestNoSelector, TestUnavailable, TestIntegerMaxUnavailable,
 * TestReplicaSet, TestMultipleControllers, TestStatefulSetController, TestPDBNotExist...):
 * expectedPods from the controllers' scale, percentages rounded up (GetScaledValueFromIntOrPercent
 * with roundUp), an integer minAvailable counting the pods, unmanaged pods, missing controllers,
 * the disruptedPods timeout, and the status write that is skipped when nothing changed.
 */
import { describe, expect, it } from 'vitest';
import { PodDisruptionBudgetSchema, PodSchema, formatTime } from '@kubeloop/core';
import type { OwnerReference, Pod, PodDisruptionBudget } from '@kubeloop/core';
import { clearedDisruptionTarget, countHealthyPods, expectedPodCount, failSafeStatus, findControllerScale, rebuildDisruptedPods, staleDisruptionCondition, syncBudget } from './decide.js';
import type { ControllerLookups, ScaleLookup, ScaledObject } from './decide.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function budget(spec: Record<string, unknown>, status: Record<string, unknown> = {}, generation = 1): PodDisruptionBudget {
  return PodDisruptionBudgetSchema.parse({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'zk-pdb', namespace: 'default', uid: 'pdb', generation },
    spec: { selector: { matchLabels: { app: 'zk' } }, ...spec },
    status,
  });
}

const ss = (uid = 'ss-zk'): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'zk', uid, controller: true });
const rs = (name: string, uid: string): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, controller: true });
const rc = (): OwnerReference => ({ apiVersion: 'v1', kind: 'ReplicationController', name: 'zk-rc', uid: 'rc', controller: true });

function pod(name: string, opts: { ready?: boolean; owner?: OwnerReference | undefined; deleting?: boolean; labels?: Record<string, string> } = {}): Pod {
  return PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: 'zk' },
      ...(opts.owner === undefined ? {} : { ownerReferences: [opts.owner] }),
      ...(opts.deleting === true ? { deletionTimestamp: formatTime(T0) } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'zk' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  });
}

const scaled = (uid: string, replicas: number, owner?: OwnerReference): ScaledObject => ({ metadata: { uid, ...(owner === undefined ? {} : { ownerReferences: [owner] }) }, spec: { replicas } });

/** Lookups over fixed workloads: StatefulSet zk (3), ReplicaSet web-1 of Deployment web (4), a bare ReplicaSet solo (2), RC zk-rc (5). */
function lookups(over: Partial<ControllerLookups> = {}): ControllerLookups {
  const sets: Record<string, ScaledObject> = { zk: scaled('ss-zk', 3) };
  const replicaSets: Record<string, ScaledObject> = {
    'web-1': scaled('rs-web-1', 4, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-web', controller: true }),
    'web-2': scaled('rs-web-2', 0, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-web', controller: true }),
    solo: scaled('rs-solo', 2),
  };
  return {
    statefulSet: (n) => sets[n],
    replicaSet: (n) => replicaSets[n],
    deployment: (n) => (n === 'web' ? scaled('d-web', 6) : undefined),
    replicationController: (n) => (n === 'zk-rc' ? scaled('rc', 5) : undefined),
    scale: (): ScaleLookup => ({ kind: 'none' }),
    ...over,
  };
}

const threeZk = [pod('zk-0', { owner: ss() }), pod('zk-1', { owner: ss() }), pod('zk-2', { owner: ss() })];

describe('expectedPodCount (upstream getExpectedPodCount)', () => {
  it.each([
    // name, spec, pods, expected
    ['maxUnavailable 1 of a StatefulSet of 3 (the ZooKeeper tutorial)', { maxUnavailable: 1 }, threeZk, { expectedPods: 3, desiredHealthy: 2 }],
    ['maxUnavailable "50%" of 3: 1.5 rounds up to 2 unavailable, so 1 desired', { maxUnavailable: '50%' }, threeZk, { expectedPods: 3, desiredHealthy: 1 }],
    ['maxUnavailable "34%" of 3: 1.02 rounds up to 2', { maxUnavailable: '34%' }, threeZk, { expectedPods: 3, desiredHealthy: 1 }],
    ['maxUnavailable "33%" of 3: 0.99 rounds up to 1', { maxUnavailable: '33%' }, threeZk, { expectedPods: 3, desiredHealthy: 2 }],
    ['maxUnavailable larger than the scale: desired not below 0', { maxUnavailable: 5 }, threeZk, { expectedPods: 3, desiredHealthy: 0 }],
    ['minAvailable "50%" of 3: 1.5 rounds up to 2', { minAvailable: '50%' }, threeZk, { expectedPods: 3, desiredHealthy: 2 }],
    ['minAvailable "100%"', { minAvailable: '100%' }, threeZk, { expectedPods: 3, desiredHealthy: 3 }],
    ['minAvailable "0%"', { minAvailable: '0%' }, threeZk, { expectedPods: 3, desiredHealthy: 0 }],
    ['integer minAvailable counts the pods, not the scale', { minAvailable: 2 }, threeZk.slice(0, 2), { expectedPods: 2, desiredHealthy: 2 }],
    ['integer minAvailable needs no controller', { minAvailable: 1 }, [pod('bare')], { expectedPods: 1, desiredHealthy: 1 }],
    ['neither set: nothing expected', {}, threeZk, { expectedPods: 0, desiredHealthy: 0 }],
    ['pods of a Deployment count its replicas, not its ReplicaSets\'', { maxUnavailable: 1 }, [pod('a', { owner: rs('web-1', 'rs-web-1') }), pod('b', { owner: rs('web-2', 'rs-web-2') })], { expectedPods: 6, desiredHealthy: 5 }],
    ['a ReplicaSet without a Deployment counts its own replicas', { maxUnavailable: 0 }, [pod('a', { owner: rs('solo', 'rs-solo') })], { expectedPods: 2, desiredHealthy: 2 }],
    ['a ReplicationController counts its replicas', { minAvailable: '40%' }, [pod('a', { owner: rc() })], { expectedPods: 5, desiredHealthy: 2 }],
    ['two controllers add up (TestMultipleControllers)', { maxUnavailable: 1 }, [pod('a', { owner: rc() }), ...threeZk], { expectedPods: 8, desiredHealthy: 7 }],
  ])('%s', (_name, spec, pods, expected) => {
    const result = expectedPodCount(budget(spec), pods, lookups());
    expect(result).toMatchObject({ ok: true, ...expected });
  });

  it('leaves pods without a controller out of the scale and reports them unmanaged', () => {
    expect(expectedPodCount(budget({ maxUnavailable: 1 }), [...threeZk, pod('stray')], lookups())).toEqual({ ok: true, expectedPods: 3, desiredHealthy: 2, unmanagedPods: ['stray'] });
  });

  it('fails with "found no controllers" when a pod\'s controller is gone (the NoControllers event)', () => {
    expect(expectedPodCount(budget({ maxUnavailable: 1 }), [pod('zk-0', { owner: ss('other-uid') })], lookups())).toEqual({ ok: false, error: 'found no controllers for pod "zk-0"', noControllersFor: 'zk-0' });
  });

  it("fails with the scale lookup's error for a kind without a scale subresource", () => {
    const job: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'job', controller: true };
    const l = lookups({ scale: () => ({ kind: 'error', message: 'jobs.batch does not implement the scale subresource' }) });
    expect(expectedPodCount(budget({ minAvailable: '50%' }), [pod('j-1', { owner: job })], l)).toEqual({ ok: false, error: 'jobs.batch does not implement the scale subresource' });
  });
});

describe('findControllerScale (upstream finders)', () => {
  it('reads a custom kind through its scale subresource, if the scale names the referenced uid', () => {
    const ref: OwnerReference = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w1', controller: true };
    expect(findControllerScale(ref, lookups({ scale: () => ({ kind: 'found', controller: { uid: 'w1', scale: 7 } }) }))).toEqual({ kind: 'found', controller: { uid: 'w1', scale: 7 } });
    expect(findControllerScale(ref, lookups({ scale: () => ({ kind: 'found', controller: { uid: 'w2', scale: 7 } }) }))).toEqual({ kind: 'none' });
  });

  it('needs the uid to match: a StatefulSet recreated under the same name is not the pod\'s controller', () => {
    expect(findControllerScale(ss('old'), lookups())).toEqual({ kind: 'none' });
  });
});

describe('disruptedPods (upstream buildDisruptedPodMap, countHealthyPods)', () => {
  const evictedAt = formatTime(T0);
  const b = budget({ maxUnavailable: 1 }, { disruptedPods: { 'zk-0': evictedAt, 'zk-1': evictedAt, gone: evictedAt } });

  it('keeps an entry for 2 minutes, drops it for a pod deleted or gone, and rechecks when it expires', () => {
    const pods = [pod('zk-0', { owner: ss() }), pod('zk-1', { owner: ss(), deleting: true }), pod('zk-2', { owner: ss() })];
    expect(rebuildDisruptedPods(b, pods, T0 + 60_000)).toEqual({ disruptedPods: { 'zk-0': evictedAt }, recheckAtMs: T0 + 120_000, notDeleted: [] });
    const late = rebuildDisruptedPods(b, pods, T0 + 120_000);
    expect(late.disruptedPods).toEqual({});
    expect(late.notDeleted.map((p) => p.metadata.name)).toEqual(['zk-0']);
  });

  it('counts Ready pods that are neither terminating nor approved for eviction', () => {
    const pods = [pod('zk-0', { owner: ss() }), pod('zk-1', { owner: ss(), deleting: true }), pod('zk-2', { owner: ss(), ready: false }), pod('zk-3', { owner: ss() })];
    expect(countHealthyPods(pods, { 'zk-0': evictedAt })).toBe(1);
    expect(countHealthyPods(pods, {})).toBe(2);
  });
});

describe('syncBudget (upstream trySync + updatePdbStatus)', () => {
  it('ZooKeeper: 3 Ready pods, maxUnavailable 1 → currentHealthy 3, desiredHealthy 2, disruptionsAllowed 1, condition SufficientPods', () => {
    const sync = syncBudget(budget({ maxUnavailable: 1 }), threeZk, lookups(), T0);
    expect(sync).toMatchObject({ kind: 'status', unmanagedPods: [], notDeleted: [], recheckAfterMs: undefined });
    expect(sync.kind === 'status' ? sync.status : undefined).toEqual({
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 1,
      observedGeneration: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', observedGeneration: 1, lastTransitionTime: formatTime(T0) }],
    });
  });

  it.each([
    ['one pod unready: 2 healthy, none allowed', [pod('zk-0', { owner: ss(), ready: false }), ...threeZk.slice(1)], 2, 0],
    ['one evicted a minute ago: not healthy', threeZk, 2, 0, { 'zk-0': formatTime(T0 - 60_000) }],
    ['one evicted 3 minutes ago and not deleted: healthy again', threeZk, 3, 1, { 'zk-0': formatTime(T0 - 180_000) }],
    ['fewer healthy than desired: 0, never negative', [pod('zk-0', { owner: ss(), ready: false })], 0, 0],
  ])('%s', (_name, pods, healthy, allowed, disrupted?: Record<string, string>) => {
    const sync = syncBudget(budget({ maxUnavailable: 1 }, disrupted === undefined ? {} : { disruptedPods: disrupted }), pods, lookups(), T0);
    expect(sync.kind === 'status' ? [sync.status?.currentHealthy, sync.status?.disruptionsAllowed, sync.status?.conditions?.[0]?.reason] : undefined).toEqual([healthy, allowed, allowed > 0 ? 'SufficientPods' : 'InsufficientPods']);
  });

  it('allows nothing while no pod is expected, however many are healthy (TestNoSelector)', () => {
    const sync = syncBudget(budget({ minAvailable: '0%' }), [], lookups(), T0);
    expect(sync.kind === 'status' ? sync.status : undefined).toMatchObject({ expectedPods: 0, desiredHealthy: 0, currentHealthy: 0, disruptionsAllowed: 0 });
  });

  it('writes nothing when the status already says it all, and writes when the generation moved', () => {
    const first = syncBudget(budget({ maxUnavailable: 1 }), threeZk, lookups(), T0);
    const status = first.kind === 'status' ? first.status : undefined;
    expect(status).toBeDefined();
    expect(syncBudget(budget({ maxUnavailable: 1 }, status), threeZk, lookups(), T0 + 1000)).toMatchObject({ kind: 'status', status: undefined });
    expect(syncBudget(budget({ maxUnavailable: 1 }, status, 2), threeZk, lookups(), T0 + 1000)).toMatchObject({ kind: 'status', status: { observedGeneration: 2 } });
  });

  it('asks for a recheck when the earliest disruptedPods entry expires', () => {
    const sync = syncBudget(budget({ maxUnavailable: 1 }, { disruptedPods: { 'zk-0': formatTime(T0 - 30_000) } }), threeZk, lookups(), T0);
    expect(sync).toMatchObject({ kind: 'status', recheckAfterMs: 90_000, status: { currentHealthy: 2, disruptionsAllowed: 0 } });
  });

  it('fails without a controller, and the fail-safe status allows nothing with SyncFailed (upstream failSafe)', () => {
    const b = budget({ maxUnavailable: 1 }, { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });
    const sync = syncBudget(b, [pod('zk-0', { owner: ss('gone') })], lookups(), T0);
    expect(sync).toEqual({ kind: 'failed', error: 'found no controllers for pod "zk-0"', noControllersFor: 'zk-0' });
    expect(failSafeStatus(b, 'found no controllers for pod "zk-0"', T0)).toEqual({
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 0,
      observedGeneration: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "zk-0"', observedGeneration: 1, lastTransitionTime: formatTime(T0) }],
    });
  });
});

describe('stale DisruptionTarget conditions (upstream nonTerminatingPodHasStaleDisruptionCondition)', () => {
  const marked = (reason: string, at: number, extra: Record<string, unknown> = {}): Pod =>
    PodSchema.parse({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', ...extra },
      spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'DisruptionTarget', status: 'True', reason, message: 'Eviction API: evicting', lastTransitionTime: formatTime(at) }] },
    });

  it.each([
    ['marked 30 s ago: stale in 90 s', marked('EvictionByEvictionAPI', T0 - 30_000), { stale: true, cleanAfterMs: 90_000 }],
    ['marked 3 minutes ago: stale now', marked('EvictionByEvictionAPI', T0 - 180_000), { stale: true, cleanAfterMs: 0 }],
    ['being deleted: never stale', marked('EvictionByEvictionAPI', T0 - 180_000, { deletionTimestamp: formatTime(T0) }), { stale: false }],
    ["the kubelet's own condition: never stale", marked('TerminationByKubelet', T0 - 180_000), { stale: false }],
  ])('%s', (_name, p, expected) => {
    expect(staleDisruptionCondition(p, T0)).toEqual(expected);
  });

  it('a finished pod keeps its condition; a reset drops reason and message', () => {
    const done = marked('EvictionByEvictionAPI', T0 - 180_000);
    expect(staleDisruptionCondition({ ...done, status: { ...done.status, phase: 'Failed' } }, T0)).toEqual({ stale: false });
    expect(clearedDisruptionTarget(done, T0)).toEqual([{ type: 'Ready', status: 'True' }, { type: 'DisruptionTarget', status: 'False', lastTransitionTime: formatTime(T0) }]);
  });
});
