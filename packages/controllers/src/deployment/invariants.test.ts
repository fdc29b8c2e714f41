/**
 * The Deployment invariants on hand-built states: each holds on a healthy state and names the
 * Deployment and the numbers when broken.
 */
import { describe, expect, it } from 'vitest';
import { formatRef, parseTime } from '@kubeloop/core';
import type { Deployment, Pod, ReplicaSet } from '@kubeloop/core';
import { rolloutBounds, singleActiveReplicaSetAfterSettle, statusMatches } from './invariants.js';
import type { DeploymentState } from './invariants.js';

const template = (version: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: `nginx:${version}` }] } });

function dep(replicas: number, version = '1', status: Deployment['status'] = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: template(version),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status,
  } as unknown as Deployment;
}

function rs(name: string, replicas: number, version: string, ready = replicas): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd', controller: true }] },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { ...template(version), metadata: { labels: { app: 'web', 'pod-template-hash': name } } } },
    status: { replicas, readyReplicas: ready, availableReplicas: ready },
  } as unknown as ReplicaSet;
}

function pods(owner: string, count: number, ready: boolean): Pod[] {
  return Array.from(
    { length: count },
    (_, i) =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${owner}-${i}`, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] },
        spec: { containers: [] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
      }) as unknown as Pod,
  );
}

const state = (deployments: Deployment[], replicaSets: ReplicaSet[], podList: Pod[]): DeploymentState => ({ deployments, replicaSets, pods: podList, nowMs: 0 });

describe('rolloutBounds', () => {
  it('holds at 4 replicas with maxSurge 1 / maxUnavailable 1: 5 pods, 3 available', () => {
    expect(rolloutBounds(state([dep(4, '2')], [rs('a', 3, '1'), rs('b', 2, '2', 0)], [...pods('a', 3, true), ...pods('b', 2, false)]))).toEqual([]);
  });
  it('names the Deployment with 6 pods (> 4 + 1) and 2 available (< 4 − 1)', () => {
    const v = rolloutBounds(state([dep(4, '2')], [rs('a', 2, '1'), rs('b', 4, '2', 0)], [...pods('a', 2, true), ...pods('b', 4, false)]));
    expect(v.map((x) => [formatRef(x.objects[0]!), x.message])).toEqual([
      ['Deployment default/web', '6 active pods, more than replicas 4 + maxSurge 1'],
      ['Deployment default/web', '2 available pods, fewer than replicas 4 − maxUnavailable 1'],
    ]);
  });
});

describe('rolloutBounds counting ready pods', () => {
  // minReadySeconds 10, 4 replicas, maxUnavailable 1; now is 5 s after the new pods became ready.
  const slow = { ...dep(4, '2'), spec: { ...dep(4, '2').spec, minReadySeconds: 10 } } as Deployment;
  const readySince = (list: Pod[], time: string) => list.map((p) => ({ ...p, status: { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: time }] } }) as Pod);
  const podList = [...readySince(pods('a', 2, true), '2026-01-01T00:00:00Z'), ...readySince(pods('b', 2, true), '2026-01-01T00:01:00Z')];
  const at = { ...state([slow], [rs('a', 2, '1'), rs('b', 2, '2')], podList), nowMs: parseTime('2026-01-01T00:01:05Z') };
  it('counts available pods by default: 2 of 4 pods have been ready for 10 s, fewer than 4 − 1', () => {
    expect(rolloutBounds(at).map((v) => v.message)).toEqual(['2 available pods, fewer than replicas 4 − maxUnavailable 1']);
  });
  it('counts ready pods with availabilityCounts: ready, as upstream keeps the bound mid-rollout: 4 ready pods', () => {
    expect(rolloutBounds(at, { availabilityCounts: 'ready' })).toEqual([]);
    const oneReady = { ...at, pods: [podList[0]!, ...pods('b', 3, false)] };
    expect(rolloutBounds(oneReady, { availabilityCounts: 'ready' }).map((v) => v.message)).toEqual(['1 ready pods, fewer than replicas 4 − maxUnavailable 1']);
  });
});

describe('singleActiveReplicaSetAfterSettle', () => {
  it('holds with one ReplicaSet at the latest template owning all pods', () => {
    expect(singleActiveReplicaSetAfterSettle(state([dep(2, '2')], [rs('a', 0, '1'), rs('b', 2, '2')], pods('b', 2, true)))).toEqual([]);
  });
  it('names two ReplicaSets with pods, and a ReplicaSet with pods at an old template', () => {
    expect(singleActiveReplicaSetAfterSettle(state([dep(2, '2')], [rs('a', 1, '1'), rs('b', 1, '2')], [...pods('a', 1, true), ...pods('b', 1, true)]))[0]?.message).toBe(
      '2 ReplicaSets with pods (a, b), 2 with replicas > 0',
    );
    expect(singleActiveReplicaSetAfterSettle(state([dep(2, '2')], [rs('a', 2, '1')], pods('a', 2, true)))[0]?.message).toBe("ReplicaSet a with pods is not at the Deployment's template");
  });
});

describe('statusMatches', () => {
  it("holds when the status adds up the ReplicaSets' and names each field that does not", () => {
    const good = { observedGeneration: 1, replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 };
    expect(statusMatches(state([dep(3, '2', good)], [rs('a', 1, '1'), rs('b', 2, '2')], []))).toEqual([]);
    const bad = statusMatches(state([dep(3, '2', { ...good, updatedReplicas: 3, observedGeneration: 0 })], [rs('a', 1, '1'), rs('b', 2, '2')], []));
    expect(bad.map((v) => v.message)).toEqual(['status.observedGeneration is 0, expected 1', 'status.updatedReplicas is 3, expected 2']);
  });
});
