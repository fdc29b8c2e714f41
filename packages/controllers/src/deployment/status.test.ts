/**
 * Table tests of the Deployment's status and conditions (upstream `sync_test.go`
 * `calculateStatus`, `progress_test.go` `syncRolloutStatus` / `requeueStuckDeployment`,
 * `deployment_util_test.go` `DeploymentComplete` / `DeploymentProgressing` /
 * `DeploymentTimedOut`).
 */
import { describe, expect, it } from 'vitest';
import { formatTime } from '@kubeloop/core';
import type { Deployment, DeploymentStatus, ReplicaSet, WorkloadCondition } from '@kubeloop/core';
import { DeploymentReasons, NO_PROGRESS_DEADLINE, calculateStatus, deadlineRequeueMs, deploymentComplete, deploymentProgressing, deploymentTimedOut, pausedConditions, rolloutStatus } from './status.js';

const T0 = Date.UTC(2026, 0, 1);

function dep(replicas: number, status: DeploymentStatus = {}, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'foo', namespace: 'default', uid: 'd', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'foo' } },
      template: { metadata: { labels: { app: 'foo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
    status,
  } as Deployment;
}

function rs(name: string, replicas: number, available: number, ready = available): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: name },
    spec: { replicas, selector: { matchLabels: { app: 'foo' } }, template: { spec: { containers: [] } } },
    status: { replicas, availableReplicas: available, readyReplicas: ready },
  } as unknown as ReplicaSet;
}

const progressing = (reason: string, updatedAt: number, status: WorkloadCondition['status'] = 'True'): WorkloadCondition => ({
  type: 'Progressing',
  status,
  reason,
  lastUpdateTime: formatTime(updatedAt),
  lastTransitionTime: formatTime(updatedAt),
  message: '',
});
const cond = (s: DeploymentStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('calculateStatus', () => {
  it('10 replicas, old 5 (5 available), new 5 (3 available) → replicas 10, updated 5, available 8, unavailable 2, Available=True', () => {
    const newRS = rs('new', 5, 3);
    const s = calculateStatus([rs('old', 5, 5), newRS], newRS, dep(10), T0);
    expect(s).toMatchObject({ observedGeneration: 2, replicas: 10, updatedReplicas: 5, readyReplicas: 8, availableReplicas: 8, unavailableReplicas: 2 });
    expect(cond(s, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
  });

  it('7 available of 10 with maxUnavailable 2 → Available=False MinimumReplicasUnavailable; unavailable never negative', () => {
    const s = calculateStatus([rs('new', 10, 7)], undefined, dep(10), T0);
    expect(cond(s, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(calculateStatus([rs('a', 2, 5)], undefined, dep(2), T0).unavailableReplicas).toBe(0);
  });
});

describe('progress predicates (upstream deployment_util.go)', () => {
  it('DeploymentComplete needs updated = replicas = available = spec.replicas and the generation observed', () => {
    expect(deploymentComplete(dep(3), { updatedReplicas: 3, replicas: 3, availableReplicas: 3, observedGeneration: 2 })).toBe(true);
    expect(deploymentComplete(dep(3), { updatedReplicas: 3, replicas: 4, availableReplicas: 3, observedGeneration: 2 })).toBe(false);
    expect(deploymentComplete(dep(3), { updatedReplicas: 3, replicas: 3, availableReplicas: 3, observedGeneration: 1 })).toBe(false);
  });

  it('DeploymentProgressing: more updated, ready or available replicas, or fewer old ones', () => {
    const d = dep(3, { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 });
    expect(deploymentProgressing(d, { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 })).toBe(true);
    expect(deploymentProgressing(d, { replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 })).toBe(true);
    expect(deploymentProgressing(d, { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 })).toBe(false);
  });

  it('DeploymentTimedOut: strictly more than progressDeadlineSeconds since the last update, never after NewReplicaSetAvailable', () => {
    const d = dep(3, {}, { progressDeadlineSeconds: 600 });
    const at = (reason: string) => ({ conditions: [progressing(reason, T0)] });
    expect(deploymentTimedOut(d, at('ReplicaSetUpdated'), T0 + 600_000)).toBe(false);
    expect(deploymentTimedOut(d, at('ReplicaSetUpdated'), T0 + 601_000)).toBe(true);
    expect(deploymentTimedOut(d, at('NewReplicaSetAvailable'), T0 + 10_000_000)).toBe(false);
    expect(deploymentTimedOut(d, at('ProgressDeadlineExceeded'), T0)).toBe(true);
    expect(deploymentTimedOut(d, {}, T0 + 10_000_000)).toBe(false);
  });
});

describe('syncRolloutStatus', () => {
  it('a complete rollout gets Progressing=True NewReplicaSetAvailable naming the new ReplicaSet', () => {
    const newRS = rs('foo-abc', 3, 3);
    const d = dep(3, { conditions: [progressing('ReplicaSetUpdated', T0)] });
    const s = rolloutStatus([newRS], newRS, d, T0 + 5000);
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: DeploymentReasons.newReplicaSetAvailable, message: 'ReplicaSet "foo-abc" has successfully progressed.' });
  });

  it('progress refreshes lastUpdateTime of ReplicaSetUpdated and keeps lastTransitionTime', () => {
    const newRS = rs('foo-abc', 2, 1);
    const d = dep(3, { replicas: 3, updatedReplicas: 1, availableReplicas: 2, readyReplicas: 2, conditions: [progressing('NewReplicaSetCreated', T0)] });
    const s = rolloutStatus([rs('old', 1, 1), newRS], newRS, d, T0 + 30_000);
    expect(cond(s, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: 'ReplicaSet "foo-abc" is progressing.',
      lastUpdateTime: formatTime(T0 + 30_000),
      lastTransitionTime: formatTime(T0),
    });
  });

  it('no progress for longer than the deadline → Progressing=False ProgressDeadlineExceeded', () => {
    const newRS = rs('foo-abc', 1, 0, 0);
    const status = { replicas: 4, updatedReplicas: 1, availableReplicas: 3, readyReplicas: 3, observedGeneration: 2, conditions: [progressing('ReplicaSetUpdated', T0)] };
    const d = dep(3, status, { progressDeadlineSeconds: 60 });
    expect(cond(rolloutStatus([rs('old', 3, 3), newRS], newRS, d, T0 + 59_000), 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    const late = rolloutStatus([rs('old', 3, 3), newRS], newRS, d, T0 + 61_000);
    expect(cond(late, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "foo-abc" has timed out progressing.' });
  });

  it("requeueStuckDeployment: updated at 00:00, deadline 600 s, now 00:03 → 7 min (+1 s skew margin, upstream's)", () => {
    const d = dep(3, {}, { progressDeadlineSeconds: 600 });
    const status = { replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: [progressing('ReplicaSetUpdated', T0)] };
    expect(deadlineRequeueMs(d, status, T0 + 180_000)).toBe(420_000 + 1000);
    expect(deadlineRequeueMs(d, status, T0 + 599_500)).toBe(1000);
    expect(deadlineRequeueMs(d, { ...status, conditions: [progressing('ProgressDeadlineExceeded', T0, 'False')] }, T0)).toBeUndefined();
  });
});

describe('checkPausedConditions', () => {
  it('pausing sets Progressing=Unknown DeploymentPaused, resuming DeploymentResumed, a timed-out rollout keeps its condition', () => {
    const paused = pausedConditions(dep(1, { conditions: [progressing('ReplicaSetUpdated', T0)] }, { paused: true }), T0);
    expect(paused?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    const resumed = pausedConditions(dep(1, { conditions: [...(paused ?? [])] }), T0 + 1000);
    expect(resumed?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' });
    expect(pausedConditions(dep(1, { conditions: [...(paused ?? [])] }, { paused: true }), T0)).toBeUndefined();
    expect(pausedConditions(dep(1, { conditions: [progressing('ProgressDeadlineExceeded', T0, 'False')] }, { paused: true }), T0)).toBeUndefined();
  });
});

describe('no progress deadline (progressDeadlineSeconds = MaxInt32, upstream HasProgressDeadline)', () => {
  it('keeps no Progressing condition, never times out, never pauses the condition, never requeues for a deadline', () => {
    const d = dep(3, { conditions: [progressing('ReplicaSetUpdated', T0)] }, { progressDeadlineSeconds: NO_PROGRESS_DEADLINE, paused: true });
    const newRS = rs('foo-abc', 1, 0);
    expect(cond(rolloutStatus([newRS], newRS, d, T0 + 10_000_000), 'Progressing')).toBeUndefined();
    expect(deploymentTimedOut(d, d.status, T0 + 10_000_000)).toBe(false);
    expect(pausedConditions(d, T0)).toBeUndefined();
    expect(deadlineRequeueMs(d, d.status, T0)).toBeUndefined();
  });
});
