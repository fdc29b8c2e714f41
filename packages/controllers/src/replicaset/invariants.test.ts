/** The ReplicaSet invariants find what they promise, naming the objects. */
import { describe, expect, it } from 'vitest';
import { VIRTUAL_EPOCH_MS, clusterState, formatRef, PodSchema, ReplicaSetSchema } from '@kubeloop/core';
import type { KubeObject, Pod, ReplicaSet, ResourceQuota } from '@kubeloop/core';
import { availableNotBeforeMinReadySecondsInvariant, ownershipFollowsSelectors, replicaCountsMatch, replicaFailureConditionInvariant, replicaInvariants, singleController, statusMatchesPods } from './invariants.js';

const rs = (replicas: number, status: Partial<ReplicaSet['status']> = {}): ReplicaSet =>
  ReplicaSetSchema.parse({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } },
    status: { replicas: 0, observedGeneration: 1, ...status },
  });

const pod = (name: string, refs: { kind: string; uid: string }[] = [{ kind: 'ReplicaSet', uid: 'uid-web' }], ready = true): Pod =>
  PodSchema.parse({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: refs.map((r) => ({ apiVersion: 'apps/v1', kind: r.kind, name: 'web', uid: r.uid, controller: true })) },
    spec: { containers: [{ name: 'a', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });

describe('ReplicaSet invariants', () => {
  it('hold for a ReplicaSet with its replicas and a truthful status', () => {
    const state = { pods: [pod('a'), pod('b')], replicaSets: [rs(2, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2 })] };
    expect(replicaInvariants(state)).toEqual([]);
  });

  it('replicaCountsMatch names the owner with too few or too many pods', () => {
    expect(replicaCountsMatch({ pods: [pod('a')], replicaSets: [rs(2)] })).toEqual([
      { objects: [{ kind: 'ReplicaSet', namespace: 'default', name: 'web' }], message: 'controls 1 active pods, spec.replicas is 2' },
    ]);
  });

  // Upstream: a ReplicaSet whose creates a ResourceQuota refuses stays short of pods, and its
  // status carries ReplicaFailure (True, FailedCreate) for as long as they are refused.
  describe('under a used-up ResourceQuota', () => {
    const quota = (used: number, hard = 3): ResourceQuota =>
      ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'pods', namespace: 'default' }, spec: { hard: { pods: String(hard) } }, status: { hard: { pods: String(hard) }, used: { pods: String(used) } } }) as ResourceQuota;
    const failed = { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const short = (conditions: object[] = []) => rs(3, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: conditions as never });

    it('replicaCountsMatch lets an owner be short, never over, and only while the quota is used up', () => {
      expect(replicaCountsMatch({ pods: [pod('a')], replicaSets: [rs(3)], resourceQuotas: [quota(3)] })).toEqual([]);
      expect(replicaCountsMatch({ pods: [pod('a')], replicaSets: [rs(3)], resourceQuotas: [quota(2)] }).map((v) => v.message)).toEqual(['controls 1 active pods, spec.replicas is 3']);
      expect(replicaCountsMatch({ pods: [pod('a'), pod('b')], replicaSets: [rs(1)], resourceQuotas: [quota(3)] }).map((v) => v.message)).toEqual(['controls 2 active pods, spec.replicas is 1']);
      // A quota of another namespace refuses nothing here.
      expect(replicaCountsMatch({ pods: [pod('a')], replicaSets: [rs(3)], resourceQuotas: [{ ...quota(3), metadata: { name: 'pods', namespace: 'other' } }] })).toHaveLength(1);
    });

    it('statusMatchesPods wants ReplicaFailure True/FailedCreate on the short owner, and none once it has its pods', () => {
      expect(statusMatchesPods({ pods: [pod('a')], replicaSets: [short([failed])], resourceQuotas: [quota(3)] })).toEqual([]);
      expect(statusMatchesPods({ pods: [pod('a')], replicaSets: [short()], resourceQuotas: [quota(3)] }).map((v) => v.message)).toEqual([
        'is short of pods (1 of 3) under a used-up ResourceQuota without a True ReplicaFailure condition of reason FailedCreate (none)',
      ]);
      expect(statusMatchesPods({ pods: [pod('a')], replicaSets: [short([{ ...failed, reason: 'FailedDelete' }])], resourceQuotas: [quota(3)] })).toHaveLength(1);
      const settled = rs(1, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [failed] as never });
      expect(statusMatchesPods({ pods: [pod('a')], replicaSets: [settled], resourceQuotas: [quota(3)] }).map((v) => v.message)).toEqual([`has a ReplicaFailure condition (FailedCreate: ${failed.message}) though its pods are settled`]);
    });
  });

  it('singleController flags two controller references and a reference whose uid belongs to another kind', () => {
    const twice = pod('a', [{ kind: 'ReplicaSet', uid: 'uid-web' }, { kind: 'ReplicationController', uid: 'uid-rc' }]);
    const wrongKind = pod('b', [{ kind: 'ReplicationController', uid: 'uid-web' }]);
    expect(singleController({ pods: [twice, wrongKind], replicaSets: [rs(2)] }).map((v) => formatRef(v.objects[0]!))).toEqual(['Pod default/a', 'Pod default/b']);
  });

  it('statusMatchesPods flags a stale replicas/readyReplicas count and an old observedGeneration', () => {
    const stale = rs(2, { replicas: 1, readyReplicas: 2, observedGeneration: 0 });
    const messages = statusMatchesPods({ pods: [pod('a'), pod('b', undefined, false)], replicaSets: [stale] }).map((v) => v.message);
    expect(messages).toEqual(['status.replicas 1, active pods 2', 'status.fullyLabeledReplicas 0, pods with every template label 2', 'status.readyReplicas 2, ready pods 1', 'status.observedGeneration 0, generation 1']);
  });

  // Upstream calculateStatus: fullyLabeledReplicas counts the pods carrying every template
  // label; availableReplicas the ones Ready for more than minReadySeconds (IsPodAvailable).
  it('statusMatchesPods counts fully labelled pods, and available ones by minReadySeconds at the state time, terminating pods left out', () => {
    const withTemplate = (status: Partial<ReplicaSet['status']>): ReplicaSet =>
      ReplicaSetSchema.parse({ ...rs(3, status), spec: { ...rs(3).spec, minReadySeconds: 10, template: { metadata: { labels: { app: 'web', track: 'stable' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } } });
    const readySince = (name: string, since: string, labels: Record<string, string>, terminating = false): Pod =>
      PodSchema.parse({
        ...pod(name),
        metadata: { ...pod(name).metadata, labels, ...(terminating ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] },
      });
    const pods = [
      readySince('a', '2026-01-01T00:00:00Z', { app: 'web', track: 'stable' }),
      readySince('b', '2026-01-01T00:00:55Z', { app: 'web' }),
      readySince('c', '2026-01-01T00:00:00Z', { app: 'web', track: 'stable' }, true),
    ];
    const nowMs = Date.parse('2026-01-01T00:01:00Z');
    const truthful = withTemplate({ replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 1 });
    expect(statusMatchesPods({ pods, replicaSets: [truthful], nowMs })).toEqual([]);
    // A controller counting the terminating pod, every selected pod as fully labelled, and b as
    // available 5 s after it became Ready.
    const broken = withTemplate({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(statusMatchesPods({ pods, replicaSets: [broken], nowMs }).map((v) => v.message)).toEqual([
      'status.replicas 3, active pods 2',
      'status.fullyLabeledReplicas 2, pods with every template label 1',
      'status.availableReplicas 2, pods ready for more than 10 s 1',
    ]);
    // 10 s after b became Ready it is not available yet (strictly more than minReadySeconds).
    expect(statusMatchesPods({ pods, replicaSets: [truthful], nowMs: Date.parse('2026-01-01T00:01:05Z') })).toEqual([]);
    expect(statusMatchesPods({ pods, replicaSets: [truthful], nowMs: Date.parse('2026-01-01T00:01:05.001Z') }).map((v) => v.message)).toEqual(['status.availableReplicas 1, pods ready for more than 10 s 2']);
  });

  it('statusMatchesPods flags a ReplicaFailure condition left on a settled owner', () => {
    const failed = rs(1, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota exceeded' }] });
    expect(statusMatchesPods({ pods: [pod('a')], replicaSets: [failed] }).map((v) => v.message)).toEqual(['has a ReplicaFailure condition (FailedCreate: quota exceeded) though its pods are settled']);
  });

  // The ReplicaSet documentation, "Pod acquisition" and "Isolating Pods from a ReplicaSet".
  it('ownershipFollowsSelectors flags a controlled pod that no longer matches and an orphan that matches, not one of another controller', () => {
    const relabelled = PodSchema.parse({ ...pod('a'), metadata: { ...pod('a').metadata, labels: { app: 'other' } } });
    const orphan = pod('b', []);
    const terminatingOrphan = PodSchema.parse({ ...pod('c', []), metadata: { ...pod('c', []).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    const ofAJob = pod('d', [{ kind: 'Job', uid: 'uid-job' }]);
    expect(ownershipFollowsSelectors({ pods: [relabelled, orphan, terminatingOrphan, ofAJob, pod('e')], replicaSets: [rs(2)] }).map((v) => `${formatRef(v.objects[0]!)} ${v.message}`)).toEqual([
      'Pod default/a is controlled by ReplicaSet web whose selector it does not match',
      'Pod default/b has no controller but matches the selector of ReplicaSet web',
    ]);
    // An owner being deleted adopts nothing, and releases nothing (upstream's ClaimPods).
    const deleting = ReplicaSetSchema.parse({ ...rs(2), metadata: { ...rs(2).metadata, deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] } });
    expect(ownershipFollowsSelectors({ pods: [orphan], replicaSets: [deleting] })).toEqual([]);
    expect(ownershipFollowsSelectors({ pods: [relabelled], replicaSets: [deleting] })).toEqual([]);
  });

  // Found by a deep run: a ReplicaSet deleted in the foreground (no collector running) keeps a pod
  // relabelled away from it; upstream's ClaimPods neither releases nor counts that pod then.
  it('statusMatchesPods counts only the controlled pods that match the selector', () => {
    const relabelled = PodSchema.parse({ ...pod('a'), metadata: { ...pod('a').metadata, labels: { app: 'other' } } });
    const deleting = (status: Partial<ReplicaSet['status']>): ReplicaSet => ReplicaSetSchema.parse({ ...rs(2, status), metadata: { ...rs(2).metadata, deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] } });
    const counted = { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
    expect(statusMatchesPods({ pods: [relabelled, pod('b')], replicaSets: [deleting(counted)] })).toEqual([]);
    expect(statusMatchesPods({ pods: [relabelled, pod('b')], replicaSets: [deleting({ replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 2 })] }).map((v) => v.message)).toEqual([
      'status.replicas 2, active pods 1',
      'status.readyReplicas 2, ready pods 1',
    ]);
  });
});

describe('replicaFailureConditionInvariant', () => {
  const failure = (reason: string | undefined, extra: Record<string, unknown> = {}) => ({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', message: 'pods "web-x" is forbidden', ...(reason === undefined ? {} : { reason }), ...extra });
  const owner = (replicas: number, statusReplicas: number, conditions: object[] = []) => rs(replicas, { replicas: statusReplicas, conditions } as Partial<ReplicaSet['status']>) as KubeObject;
  /** The state after `changes`, at 100 s, chained after one holding `before`. */
  const after = (before: KubeObject, ...changes: KubeObject[]) => {
    const s0 = clusterState([before], 90_000, [{ t: 90_000, type: 'ADDED', object: before }]);
    return clusterState([changes.at(-1)!], 100_000, changes.map((object) => ({ t: 100_000, type: 'MODIFIED' as const, object })), s0);
  };
  const messages = (state: ReturnType<typeof after>) => replicaFailureConditionInvariant().check(state, state.previous).map((v) => v.message);

  it('accepts FailedCreate added below spec.replicas, FailedDelete above, and an existing one left as it is', () => {
    expect(messages(after(owner(3, 1), owner(3, 1, [failure('FailedCreate')])))).toEqual([]);
    expect(messages(after(owner(1, 3), owner(1, 3, [failure('FailedDelete')])))).toEqual([]);
    // Scaled down since the create failed: the condition stays as it was.
    expect(messages(after(owner(3, 1, [failure('FailedCreate')]), owner(0, 1, [failure('FailedCreate')])))).toEqual([]);
  });

  it('flags a condition added with the wrong reason, not True, untimed, without a message, and two of one type', () => {
    expect(messages(after(owner(1, 3), owner(1, 3, [failure('FailedCreate')])))).toEqual([
      'ReplicaSet default/web has a ReplicaFailure condition with reason FailedCreate at status.replicas 3, while spec.replicas was between 1 and 1 within 60000 ms',
    ]);
    expect(messages(after(owner(3, 1), owner(3, 1, [failure(undefined)])))).toEqual([
      'ReplicaSet default/web has a ReplicaFailure condition with reason (none) at status.replicas 1, while spec.replicas was between 3 and 3 within 60000 ms',
    ]);
    expect(messages(after(owner(3, 1), owner(3, 1, [failure('FailedCreate', { status: 'False', lastTransitionTime: undefined, message: '' })])))).toEqual([
      'ReplicaSet default/web has a ReplicaFailure condition with status False, not True',
      'ReplicaSet default/web has a ReplicaFailure condition without a lastTransitionTime',
      'ReplicaSet default/web has a ReplicaFailure condition without a message',
    ]);
    expect(messages(after(owner(3, 1, [failure('FailedCreate')]), owner(3, 1, [failure('FailedCreate'), failure('FailedCreate')])))).toEqual([
      'ReplicaSet default/web has two conditions of one type: ReplicaFailure, ReplicaFailure',
    ]);
  });

  it('judges the reason against every spec.replicas of the window (the sync may have read an older version)', () => {
    // Scaled from 3 to 1 just before the status write that reports a failed create at 2 pods.
    expect(messages(after(owner(3, 2), owner(1, 2), owner(1, 2, [failure('FailedCreate')])))).toEqual([]);
  });
});

describe('availableNotBeforeMinReadySecondsInvariant', () => {
  // Virtual time 0 is VIRTUAL_EPOCH_MS on the wall clock; the pods carry wall-clock times.
  const at = (t: number) => new Date(VIRTUAL_EPOCH_MS + t).toISOString();
  const readyPod = (name: string, since: number): KubeObject =>
    PodSchema.parse({ ...pod(name), metadata: { ...pod(name).metadata, uid: `uid-${name}` }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at(since) }] } }) as KubeObject;
  const owner = (available: number) => ReplicaSetSchema.parse({ ...rs(2), spec: { ...rs(2).spec, minReadySeconds: 10 }, status: { replicas: 2, readyReplicas: 2, availableReplicas: available, observedGeneration: 1 } }) as KubeObject;
  const check = (write: KubeObject, t: number) => {
    const objects = [owner(0), readyPod('a', 0), readyPod('b', 95_000)];
    const s0 = clusterState(objects, 90_000, objects.map((object) => ({ t: 0, type: 'ADDED' as const, object })));
    const s1 = clusterState([write, ...objects.slice(1)], t, [{ t, type: 'MODIFIED', object: write }], s0);
    return availableNotBeforeMinReadySecondsInvariant().check(s1, s0).map((v) => v.message);
  };

  it('accepts a status counting the pods Ready for more than minReadySeconds', () => {
    expect(check(owner(1), 100_000)).toEqual([]);
    expect(check(owner(2), 105_001)).toEqual([]);
  });

  it('flags a status that counts a pod Ready for minReadySeconds or less (upstream IsPodAvailable)', () => {
    expect(check(owner(2), 105_000)).toEqual(['ReplicaSet default/web published availableReplicas 2 at t=105000 ms, but only 1 of its pods had been Ready for more than 10 s']);
  });

  it('measures the window in the time the cluster ran: a clock jump does not age the view of a pod deleted just before it', () => {
    // Pod b was available, then deleted at 84.87 s; the clock jumps 84.564 s before the next
    // step, whose first sync still counts b (its cache was a few ms behind). Found by the
    // toolkit bench (seed 41, case 37).
    const a = readyPod('a', 0);
    const b = readyPod('b', 0);
    const s0 = clusterState([owner(2), a], 84_881, [{ t: 84_870, type: 'DELETED', object: b }], clusterState([owner(2), a, b], 80_000));
    const at = (jumpedMs: number) => clusterState([owner(2), a], 169_445, [{ t: 169_445, type: 'MODIFIED', object: { ...owner(2), status: { replicas: 2, availableReplicas: 2 } } as KubeObject }], s0, jumpedMs);
    expect(availableNotBeforeMinReadySecondsInvariant().check(at(84_564), s0)).toEqual([]);
    // Without the jump 84.5 s did pass: a view that old is out of the window.
    expect(availableNotBeforeMinReadySecondsInvariant().check(at(0), s0).map((v) => v.message)).toEqual(['ReplicaSet default/web published availableReplicas 2 at t=169445 ms, but only 1 of its pods had been Ready for more than 10 s']);
  });
});
