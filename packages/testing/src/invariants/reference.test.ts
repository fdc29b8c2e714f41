/**
 * The reference controllers' invariants as toolkit invariants, on hand-built states: each holds
 * on a healthy state and names the offending objects on a broken one.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonSet, KubeObject, Node, Pod } from '@kubeloop/core';
import { calculateDaemonSetStatus } from '@kubeloop/controllers';
import {
  REFERENCE_LIVENESS,
  REFERENCE_SAFETY,
  clusterState,
  daemonPodsUpdatedInvariant,
  daemonSetStatusMatchesInvariant,
  deploymentStatusMatchesInvariant,
  endpointsMatchPodsInvariant,
  foregroundOrderInvariant,
  noDanglingDependentsInvariant,
  noEndpointsWithoutServiceInvariant,
  noLiveOwnerCollectedInvariant,
  oneDaemonPodPerEligibleNodeInvariant,
  orphansKeptInvariant,
  replicaCountsMatchInvariant,
  replicaStatusMatchesPodsInvariant,
  rollingUpdateAvailabilityInvariant,
  rolloutBoundsInvariant,
  singleActiveReplicaSetInvariant,
  singleControllerInvariant,
  stateNowMs,
} from '../index.js';
import type { ClusterState, Invariant, ObjectRef } from '../index.js';

const NS = 'default';
const template = (version: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: `nginx:${version}`, ports: [{ containerPort: 80 }] }] } });
const controller = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: kind === 'Node' ? 'v1' : 'apps/v1', kind, name, uid: `uid-${name}`, controller: true, ...extra });
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NS, uid: `uid-${name}`, generation: 1, ...extra });

function deployment(replicas: number, version: string, status: Record<string, number>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web'),
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(version), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 },
    status: { observedGeneration: 1, ...status },
  } as unknown as KubeObject;
}

function replicaSet(name: string, replicas: number, version: string, status: Record<string, number> = { replicas, readyReplicas: replicas, availableReplicas: replicas }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta(name, { ownerReferences: [controller('Deployment', 'web')] }),
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { ...template(version), metadata: { labels: { app: 'web', 'pod-template-hash': name } } } },
    status: { observedGeneration: 1, ...status },
  } as unknown as KubeObject;
}

function pod(name: string, owner: { kind: string; name: string } | undefined, options: { node?: string; ip?: string; ready?: boolean; owners?: unknown[] } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(name, { labels: { app: 'web' }, ownerReferences: options.owners ?? (owner === undefined ? [] : [controller(owner.kind, owner.name)]) }),
    spec: { nodeName: options.node ?? 'n1', containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] },
    status: { phase: 'Running', podIP: options.ip, conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', lastTransitionTime: '2020-01-01T00:00:00Z' }] },
  } as unknown as KubeObject;
}

const webPods = (rs: string, n: number) => Array.from({ length: n }, (_, i) => pod(`${rs}-${i}`, { kind: 'ReplicaSet', name: rs }));
const node = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}` }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } }) as unknown as KubeObject;

/** A settled Deployment: one ReplicaSet at its template with 2 ready pods, statuses added up. */
const settledDeployment = (): KubeObject[] => [
  deployment(2, '2', { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, unavailableReplicas: 0 }),
  replicaSet('web-a', 0, '1', { replicas: 0 }),
  replicaSet('web-b', 2, '2'),
  ...webPods('web-b', 2),
];

const names = (inv: Invariant, state: ClusterState, previous?: ClusterState): ObjectRef[][] => inv.check(state, previous).map((v) => [...v.objects]);
const dep: ObjectRef = { kind: 'Deployment', namespace: NS, name: 'web' };

describe('reference controller invariants as toolkit invariants', () => {
  it.each<[string, Invariant, KubeObject[], ObjectRef[][]]>([
    ['replicaCountsMatch names a ReplicaSet with 1 active pod for spec.replicas 2', replicaCountsMatchInvariant, [replicaSet('web-b', 2, '2'), ...webPods('web-b', 1)], [[{ kind: 'ReplicaSet', namespace: NS, name: 'web-b' }]]],
    [
      'singleController names a pod with two controller references',
      singleControllerInvariant,
      [...settledDeployment(), pod('twice', undefined, { owners: [controller('ReplicaSet', 'web-a'), controller('ReplicaSet', 'web-b')] })],
      [[{ kind: 'Pod', namespace: NS, name: 'twice' }]],
    ],
    [
      'statusMatchesPods names a ReplicaSet whose status.readyReplicas says 2 with 1 ready pod',
      replicaStatusMatchesPodsInvariant,
      // availableReplicas 1 is right (one pod ready since 2020), so readyReplicas alone is wrong.
      [replicaSet('web-b', 2, '2', { replicas: 2, readyReplicas: 2, availableReplicas: 1 }), pod('web-b-0', { kind: 'ReplicaSet', name: 'web-b' }), pod('web-b-1', { kind: 'ReplicaSet', name: 'web-b' }, { ready: false })],
      [[{ kind: 'ReplicaSet', namespace: NS, name: 'web-b' }]],
    ],
    [
      'singleActiveReplicaSetAfterSettle names a Deployment with pods in two ReplicaSets (a rollout left half done)',
      singleActiveReplicaSetInvariant,
      [deployment(2, '2', {}), replicaSet('web-a', 1, '1'), replicaSet('web-b', 1, '2'), ...webPods('web-a', 1), ...webPods('web-b', 1)],
      [[dep]],
    ],
    ['deploymentStatusMatches names a Deployment whose status.readyReplicas is 1 of 2', deploymentStatusMatchesInvariant, [deployment(2, '2', { replicas: 2, readyReplicas: 1, availableReplicas: 2, updatedReplicas: 2, unavailableReplicas: 0 }), replicaSet('web-b', 2, '2'), ...webPods('web-b', 2)], [[dep]]],
    ['rolloutBounds names a Deployment with 4 active pods > 2 + maxSurge 1', rolloutBoundsInvariant(), [...settledDeployment(), ...webPods('web-a', 2)], [[dep]]],
  ])('%s, and holds on a settled Deployment', (_, inv, broken, expected) => {
    expect(inv.check(clusterState(settledDeployment()), undefined)).toEqual([]);
    expect(names(inv, clusterState(broken))).toEqual(expected);
  });

  it('a violation says which object and what is wrong', () => {
    const [v] = replicaCountsMatchInvariant.check(clusterState([replicaSet('web-b', 2, '2'), ...webPods('web-b', 1)]), undefined);
    // The object is a reference, not a prefix of the message to parse back.
    expect(v).toEqual({ message: 'controls 1 active pods, spec.replicas is 2', objects: [{ kind: 'ReplicaSet', namespace: NS, name: 'web-b' }] });
  });

  it('stateNowMs is the SimCluster clock: its epoch plus state.t', () => {
    expect(stateNowMs(clusterState([], 5_000)) - stateNowMs(clusterState([], 0))).toBe(5_000);
  });

  describe('DaemonSets', () => {
    const ds = (status: Record<string, number> = {}): KubeObject =>
      ({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: meta('agent'),
        spec: { selector: { matchLabels: { app: 'web' } }, template: template('1'), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } },
        status: { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 1, ...status },
      }) as unknown as KubeObject;
    const revision = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta('agent-1', { labels: { 'controller-revision-hash': 'h1' }, ownerReferences: [controller('DaemonSet', 'agent')] }), revision: 1, data: {} } as unknown as KubeObject;
    const daemonPod = (name: string, on: string) => {
      const p = pod(name, { kind: 'DaemonSet', name: 'agent' }, { node: on }) as Pod;
      return { ...p, metadata: { ...p.metadata, labels: { app: 'web', 'controller-revision-hash': 'h1' } } } as KubeObject;
    };
    const nodes = [node('n1'), node('n2')];
    const pods = [daemonPod('agent-1', 'n1'), daemonPod('agent-2', 'n2')];
    const withStatus = (podList: KubeObject[]): KubeObject => {
      const d = ds() as DaemonSet;
      const status = calculateDaemonSetStatus(d, nodes as Node[], podList as Pod[], 'h1', stateNowMs(clusterState([])));
      return { ...d, status: { ...d.status, ...status } } as KubeObject;
    };

    it('oneDaemonPodPerEligibleNode names the DaemonSet and the node left without a pod', () => {
      expect(oneDaemonPodPerEligibleNodeInvariant.check(clusterState([ds(), ...nodes, ...pods]), undefined)).toEqual([]);
      expect(names(oneDaemonPodPerEligibleNodeInvariant, clusterState([ds(), ...nodes, pods[0]!]))).toEqual([[{ kind: 'DaemonSet', namespace: NS, name: 'agent' }, { kind: 'Node', name: 'n2' }]]);
    });

    it('daemonSetStatusMatches judges the status against the newest ControllerRevision, and names a stale count', () => {
      expect(daemonSetStatusMatchesInvariant.check(clusterState([withStatus(pods), revision, ...nodes, ...pods]), undefined)).toEqual([]);
      const stale = withStatus([pods[0]!]);
      const violations = daemonSetStatusMatchesInvariant.check(clusterState([stale, revision, ...nodes, ...pods]), undefined);
      expect(violations.length).toBeGreaterThan(0);
      expect(violations[0]!.objects).toEqual([{ kind: 'DaemonSet', namespace: NS, name: 'agent' }]);
    });

    it('daemonPodsUpdated names the DaemonSet and the node of a pod not of the newest ControllerRevision', () => {
      expect(daemonPodsUpdatedInvariant.check(clusterState([ds(), revision, ...nodes, ...pods]), undefined)).toEqual([]);
      const newer = { ...revision, metadata: { ...revision.metadata, name: 'agent-2', uid: 'uid-agent-2', labels: { 'controller-revision-hash': 'h2' } }, revision: 2 } as KubeObject;
      expect(names(daemonPodsUpdatedInvariant, clusterState([ds(), revision, newer, ...nodes, pods[0]!]))).toEqual([[{ kind: 'DaemonSet', namespace: NS, name: 'agent' }, { kind: 'Node', name: 'n1' }]]);
    });

    it('rollingUpdateAvailability names a DaemonSet with more nodes than maxUnavailable (1) without a ready pod', () => {
      expect(rollingUpdateAvailabilityInvariant.check(clusterState([ds(), ...nodes, pods[0]!]), undefined)).toEqual([]);
      expect(names(rollingUpdateAvailabilityInvariant, clusterState([ds(), ...nodes]))).toEqual([[{ kind: 'DaemonSet', namespace: NS, name: 'agent' }]]);
    });
  });

  describe('garbage collection', () => {
    const owner = (extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('owner', extra), spec: {} }) as unknown as KubeObject;
    const foregroundOwner = owner({ deletionTimestamp: '2020-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
    const dependent = pod('dep', undefined, { owners: [controller('ReplicaSet', 'owner', { blockOwnerDeletion: true })] });

    it('foregroundOrder names an owner deleted in the foreground before its blocking dependent, and holds in the right order', () => {
      // As the store writes it: the DELETED event shows the owner without the finalizer it lost in that write.
      const released = owner({ deletionTimestamp: '2020-01-01T00:00:00Z' });
      const before = clusterState([foregroundOwner, dependent]);
      const wrong = clusterState([dependent], 1, [{ t: 1, type: 'DELETED', object: released }]);
      const right = clusterState([], 1, [
        { t: 1, type: 'DELETED', object: dependent },
        { t: 1, type: 'DELETED', object: released },
      ]);
      expect(names(foregroundOrderInvariant(), wrong, before)).toEqual([[{ kind: 'ReplicaSet', namespace: NS, name: 'owner' }]]);
      expect(foregroundOrderInvariant().check(right, before)).toEqual([]);
      expect(foregroundOrderInvariant().check(wrong, undefined)).toEqual([]);
      // The test switched the owner to Background itself: that took the finalizer away, not the collector.
      expect(foregroundOrderInvariant((uid) => uid === released.metadata.uid).check(wrong, before)).toEqual([]);
    });

    it('noLiveOwnerCollected names a dependent deleted while its owner lived, unless the test deleted it itself', () => {
      const before = clusterState([owner(), dependent]);
      const after = clusterState([owner()], 1, [{ t: 1, type: 'DELETED', object: dependent }]);
      expect(names(noLiveOwnerCollectedInvariant(() => false), after, before)).toEqual([[{ kind: 'Pod', namespace: NS, name: 'dep' }]]);
      expect(noLiveOwnerCollectedInvariant((uid) => uid === 'uid-dep').check(after, before)).toEqual([]);
      // Already terminating before: not reported again.
      const terminating = pod('dep', undefined, { owners: [controller('ReplicaSet', 'owner')] });
      const t = { ...terminating, metadata: { ...terminating.metadata, deletionTimestamp: '2020-01-01T00:00:00Z' } } as KubeObject;
      expect(noLiveOwnerCollectedInvariant(() => false).check(clusterState([owner(), t], 2), clusterState([owner(), t]))).toEqual([]);
    });

    it('orphansKept names a dependent collected while it still referenced an owner deleted with Orphan, over the whole chain of states', () => {
      const orphaning = owner({ deletionTimestamp: '2020-01-01T00:00:00Z', finalizers: ['orphan'] });
      const first = clusterState([owner(), dependent], 0, [
        { t: 0, type: 'ADDED', object: owner() },
        { t: 0, type: 'ADDED', object: dependent },
      ]);
      const second = clusterState([orphaning, dependent], 1, [{ t: 1, type: 'MODIFIED', object: orphaning }], first);
      const third = clusterState([orphaning], 2, [{ t: 2, type: 'DELETED', object: dependent }], second);
      expect(names(orphansKeptInvariant(() => false), third)).toEqual([[{ kind: 'Pod', namespace: NS, name: 'dep' }]]);
      expect(orphansKeptInvariant((uid) => uid === 'uid-dep').check(third, undefined)).toEqual([]);
      expect(orphansKeptInvariant(() => false, (uid) => uid === 'uid-owner').check(third, undefined)).toEqual([]);
    });

    it('noDanglingDependents names a pod whose only owner is gone', () => {
      expect(noDanglingDependentsInvariant.check(clusterState([owner(), dependent]), undefined)).toEqual([]);
      expect(names(noDanglingDependentsInvariant, clusterState([dependent]))).toEqual([[{ kind: 'Pod', namespace: NS, name: 'dep' }]]);
    });
  });

  it('endpointsMatchPods names a Service whose Endpoints miss a ready pod', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] } } as unknown as KubeObject;
    const pods = [pod('p1', undefined, { ip: '10.0.0.1' }), pod('p2', undefined, { ip: '10.0.0.2' })];
    const endpoints = (ips: string[]) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: meta('web'), subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 80, protocol: 'TCP' }] }] }) as unknown as KubeObject;
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('web-x', { labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } }),
      addressType: 'IPv4',
      endpoints: ['p1', 'p2'].map((p, i) => ({ addresses: [`10.0.0.${i + 1}`], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: NS, name: p } })),
      ports: [{ port: 80, protocol: 'TCP' }],
    } as unknown as KubeObject;
    expect(endpointsMatchPodsInvariant.check(clusterState([service, ...pods, endpoints(['10.0.0.1', '10.0.0.2']), slice]), undefined)).toEqual([]);
    expect(names(endpointsMatchPodsInvariant, clusterState([service, ...pods, endpoints(['10.0.0.1']), slice]))).toEqual([[{ kind: 'Service', namespace: NS, name: 'web' }]]);
  });

  it('noEndpointsWithoutService names Endpoints left after their Service, and skips default/kubernetes', () => {
    const endpoints = (name: string) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: meta(name) }) as unknown as KubeObject;
    const service = { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' } } } as unknown as KubeObject;
    expect(noEndpointsWithoutServiceInvariant.check(clusterState([service, endpoints('web'), endpoints('kubernetes')]), undefined)).toEqual([]);
    expect(names(noEndpointsWithoutServiceInvariant, clusterState([endpoints('web')]))).toEqual([[{ kind: 'Endpoints', namespace: NS, name: 'web' }]]);
  });

  it('the invariants that need the test’s knowledge or hold only under preconditions are opt-in: not in REFERENCE_SAFETY or REFERENCE_LIVENESS', () => {
    for (const name of ['orphansKept', 'noEndpointsWithoutService', 'daemonPodsUpdated', 'rollingUpdateAvailability', 'surgeRollingUpdateBounds', 'duplicateDaemonPodsKeepOldest', 'endpointWritesFollowPods', 'lastChangeTriggerTime', 'terminatingEndpointsWithin']) {
      expect([...REFERENCE_SAFETY, ...REFERENCE_LIVENESS].map((i) => i.name)).not.toContain(name);
    }
  });
});
